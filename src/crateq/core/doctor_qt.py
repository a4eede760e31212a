"""The doctor's Qt checks, without importing Qt: the platform plugin the window needs and the
system libraries it and QtMultimedia (the preview player) load.

PySide6's plugins are found on disk (``PySide6/Qt/plugins``, also inside the frozen app).
On Linux ``ldd`` lists a plugin's libraries that are "not found"; each is named with the
Debian package that provides it (``libxcb-cursor.so.0`` → ``libxcb-cursor0``) in one
``apt-get install`` command.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from crateq.core.doctor_check import Check

#: Libraries whose Debian package is not their soname's usual spelling.
_DEBIAN_NAMES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libpulse.so.0": "libpulse0",
}
_SONAME = re.compile(r"^(lib[\w.+-]*?)\.so\.(\d+)")
_PLUGIN = {
    "linux": ("xcb", "libqxcb.so"),
    "darwin": ("cocoa", "libqcocoa.dylib"),
    "win32": ("windows", "qwindows.dll"),
}


def qt_plugins_dir() -> Path | None:
    """PySide6's ``Qt/plugins`` folder (a wheel install, or the frozen app's copy)."""
    candidates: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "PySide6" / "Qt" / "plugins")
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidates += [Path(location) / "Qt" / "plugins", Path(location) / "plugins"]
    return next((path for path in candidates if (path / "platforms").is_dir()), None)


def debian_package(soname: str) -> str:
    """The Debian package of a shared library, by Debian's naming policy."""
    if soname in _DEBIAN_NAMES:
        return _DEBIAN_NAMES[soname]
    match = _SONAME.match(soname)
    if match is None:
        return soname
    stem, version = match.group(1).lower(), match.group(2)
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"


def missing_libraries(library: Path) -> list[str] | None:
    """The libraries ``ldd`` reports "not found" for ``library``; None without ``ldd``."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        out = subprocess.run(
            [ldd, str(library)], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = [line.split()[0] for line in out.stdout.splitlines() if "not found" in line]
    return sorted(dict.fromkeys(found))


def apt_command(libraries: list[str]) -> str:
    packages = sorted({debian_package(name) for name in libraries})
    return "sudo apt-get install -y " + " ".join(packages)


def _platform_check(plugins: Path) -> Check:
    """The plugin Qt picks here (QT_QPA_PLATFORM or the system's) exists and can load."""
    wanted = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    default, default_file = _PLUGIN.get(sys.platform, _PLUGIN["linux"])
    if wanted and wanted != default:
        files = sorted(p.name for p in (plugins / "platforms").glob(f"*q{wanted}*"))
        if not files:
            return Check(
                "qt platform",
                "fail",
                f"QT_QPA_PLATFORM={wanted}: no such Qt plugin.",
                "Unset QT_QPA_PLATFORM, or set it to xcb, wayland or offscreen.",
            )
        return Check("qt platform", "ok", f"QT_QPA_PLATFORM={wanted}: {files[0]} is there.")
    plugin = plugins / "platforms" / default_file
    if not plugin.is_file():
        return Check(
            "qt platform",
            "fail",
            f"Qt's {default} platform plugin is missing ({plugin}).",
            "Reinstall PySide6 (pip install --force-reinstall PySide6).",
        )
    if sys.platform != "linux":
        return Check("qt platform", "ok", f"Qt's {default} platform plugin is there.")
    missing = missing_libraries(plugin)
    if missing is None:
        return Check(
            "qt platform",
            "warn",
            "ldd is not installed: the xcb plugin's libraries were not checked.",
            "Install ldd (package libc-bin) to check them.",
        )
    if missing:
        return Check(
            "qt platform",
            "fail",
            f"The xcb platform plugin cannot load; missing: {', '.join(missing)}.",
            apt_command(missing),
        )
    return Check("qt platform", "ok", "Qt's xcb platform plugin and its libraries are there.")


def _offscreen_check(plugins: Path) -> Check:
    if any((plugins / "platforms").glob("*qoffscreen*")):
        return Check(
            "qt offscreen",
            "ok",
            "The offscreen platform is there (QT_QPA_PLATFORM="
            "offscreen runs the GUI without a display).",
        )
    return Check(
        "qt offscreen",
        "warn",
        "Qt's offscreen platform plugin is missing: no headless GUI runs.",
        "Reinstall PySide6.",
    )


def _multimedia_check(plugins: Path) -> Check:
    """QtMultimedia (the preview player) and, on Linux, libpulse and its other libraries."""
    media = sorted((plugins / "multimedia").glob("*")) if (plugins / "multimedia").is_dir() else []
    if not media:
        return Check(
            "qt multimedia",
            "warn",
            "QtMultimedia's backend is missing: previews will not play.",
            "Install the full PySide6 (pip install PySide6).",
        )
    if sys.platform != "linux":
        return Check("qt multimedia", "ok", f"QtMultimedia's backend is there ({media[0].name}).")
    libs = [*media, *sorted(plugins.parent.glob("lib/libQt6Multimedia.so*"))[:1]]
    missing: set[str] = set()
    for library in libs:
        missing.update(missing_libraries(library) or [])
    if _find_library("pulse") is None:
        missing.add("libpulse.so.0")
    if missing:
        found = sorted(missing)
        return Check(
            "qt multimedia",
            "warn",
            f"Previews cannot play sound; missing: {', '.join(found)}.",
            apt_command(found),
        )
    return Check("qt multimedia", "ok", "QtMultimedia and libpulse are there (previews play).")


def _find_library(name: str) -> str | None:
    import ctypes.util

    return ctypes.util.find_library(name)


def check_qt() -> list[Check]:
    plugins = qt_plugins_dir()
    if plugins is None:
        return [
            Check(
                "qt platform",
                "fail",
                "PySide6's Qt plugins were not found.",
                "Install the app's dependencies: pip install PySide6.",
            )
        ]
    return [_platform_check(plugins), _offscreen_check(plugins), _multimedia_check(plugins)]
