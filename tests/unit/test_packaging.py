"""The PyInstaller spec, without building (a build is tests/integration/test_packaging_build.py,
run with CRATEQ_TEST_PACKAGE=1): it runs, takes every data file it names from the checkout,
takes the modules only a dynamic import reaches, and the frozen app finds its resources."""

from __future__ import annotations

import pkgutil
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "crateq.spec"


class Recorded:
    """Stands in for PyInstaller's spec classes: keeps what the spec passed."""

    made: ClassVar[list[Recorded]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.kind = type(self).__name__
        self.args, self.kwargs = args, kwargs
        self.binaries: list[tuple[str, str, str]] = []
        self.datas: list[tuple[str, str, str]] = list(kwargs.get("datas", []))
        self.pure: list[Any] = []
        self.scripts: list[Any] = []
        Recorded.made.append(self)


def _collect_submodules(package: str, filter: Any = None) -> list[str]:
    module = __import__(package)
    names = [package] + [
        info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}.")
    ]
    return [name for name in names if filter is None or filter(name)]


def _run_spec(
    monkeypatch: pytest.MonkeyPatch, platform: str
) -> tuple[list[Recorded], dict[str, Any]]:
    """Execute the spec as PyInstaller would on ``platform``; what it made, and its names."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = _collect_submodules  # type: ignore[attr-defined]
    hooks.copy_metadata = lambda name: []  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "platform", platform)
    Recorded.made = []
    kinds = {kind: type(kind, (Recorded,), {}) for kind in ("Analysis", "PYZ", "EXE", "COLLECT")}
    kinds["BUNDLE"] = type("BUNDLE", (Recorded,), {})
    spec_globals: dict[str, Any] = {"SPECPATH": str(SPEC.parent), **kinds}
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), spec_globals)
    return Recorded.made, spec_globals


def test_the_spec_bundles_the_checkouts_resources_and_the_dynamic_imports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made, _names = _run_spec(monkeypatch, "linux")
    [analysis] = [m for m in made if m.kind == "Analysis"]
    [script] = analysis.args[0]
    assert Path(script).is_file()
    datas = analysis.kwargs["datas"]
    for source, _dest in datas:
        assert Path(source).exists(), source
    dests = {dest for _source, dest in datas}
    assert {"resources/themes", "resources/icons", "share/applications"} <= dests
    [hook] = analysis.kwargs["runtime_hooks"]  # Qt's paths, without loading Qt at start
    assert Path(hook).is_file() and Path(hook).name == "rthook_qt.py"
    hidden = analysis.kwargs["hiddenimports"]
    # the CLI's sub-commands and the demo servers are imported by name at run time
    assert {"crateq.cli.doctor", "crateq.cli.search", "crateq.demo.cluster"} <= set(hidden)
    assert not any(".bench" in name for name in hidden)
    excludes = analysis.kwargs["excludes"]
    assert "PySide6.QtMultimedia" not in excludes and "PySide6.QtQml" in excludes
    [exe] = [m for m in made if m.kind == "EXE"]
    assert exe.kwargs["name"] == "crateq" and exe.kwargs["console"] is True
    assert [m.kind for m in made].count("COLLECT") == 1


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_macos_and_windows_get_a_windowed_entry_too(
    monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    made, _names = _run_spec(monkeypatch, platform)
    windowed = [m.kwargs["name"] for m in made if m.kind == "EXE" and not m.kwargs["console"]]
    assert windowed == (["crateq-gui"] if platform == "darwin" else ["CrateQ"])
    bundles = [m for m in made if m.kind == "BUNDLE"]
    assert len(bundles) == (1 if platform == "darwin" else 0)
    scripts = [Path(m.args[0][0]).name for m in made if m.kind == "Analysis"]
    assert scripts == ["crateq_main.py", "crateq_gui_main.py"]


def test_the_trimming_keeps_what_the_app_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    _made, names = _run_spec(monkeypatch, "linux")
    kept = {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/lib/libQt6Multimedia.so.6",
        "PySide6/Qt/lib/libQt6Quick.so.6",  # the ffmpeg plugin links QtQuick and QtQml
        "PySide6/Qt/lib/libQt6Qml.so.6",
    }
    dropped = {
        "PySide6/Qt/translations/qt_de.qm",
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/Qt/lib/libQt6VirtualKeyboard.so.6",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
    }
    entries = [(name, "src", "BINARY") for name in kept | dropped]
    assert {name for name, _src, _kind in names["_kept"](entries)} == kept


def test_the_frozen_app_finds_resources_in_its_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crateq.ui.shell import theme

    assert (theme.resources_dir() / "themes" / "dark.qss").is_file()  # the checkout's
    (tmp_path / "resources" / "themes").mkdir(parents=True)
    (tmp_path / "resources" / "themes" / "dark.qss").write_text("QWidget { color: #abcdef; }")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert theme.resources_dir() == tmp_path / "resources"
    assert "#abcdef" in theme.theme_qss("dark")


def test_the_doctor_finds_qt_plugins_in_the_frozen_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crateq.core.doctor_qt import qt_plugins_dir

    plugins = tmp_path / "PySide6" / "Qt" / "plugins"
    (plugins / "platforms").mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert qt_plugins_dir() == plugins


def test_the_desktop_entry_names_the_bundled_icon() -> None:
    entry = dict(
        line.split("=", 1)
        for line in (ROOT / "packaging" / "crateq.desktop").read_text().splitlines()
        if "=" in line
    )
    assert entry["Exec"].startswith("crateq gui")
    assert (ROOT / "resources" / "icons" / f"{entry['Icon']}.svg").is_file()
