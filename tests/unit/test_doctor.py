"""The doctor's local checks: Debian package names, ldd's "not found", the clock's limits,
unwritable folders and a filling disk — each a line with a fix, never an exception."""

from __future__ import annotations

import os
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from crateq.core import doctor, doctor_qt
from crateq.core.doctor import check_download_space, check_folder
from crateq.core.doctor_net import check_clock
from crateq.core.doctor_qt import apt_command, check_qt, debian_package
from crateq.core.settings import Settings


def test_libraries_are_named_by_their_debian_packages() -> None:
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libdbus-1.so.3") == "libdbus-1-3"
    assert debian_package("libEGL.so.1") == "libegl1"
    assert debian_package("libpulse.so.0") == "libpulse0"
    assert apt_command(["libxcb-icccm.so.4", "libEGL.so.1"]) == (
        "sudo apt-get install -y libegl1 libxcb-icccm4"
    )


@pytest.mark.skipif(sys.platform != "linux", reason="ldd is Linux's")
def test_a_plugin_with_missing_libraries_fails_with_the_apt_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugins = tmp_path / "PySide6" / "Qt" / "plugins"
    (plugins / "platforms").mkdir(parents=True)
    (plugins / "platforms" / "libqxcb.so").write_bytes(b"")
    (plugins / "platforms" / "libqoffscreen.so").write_bytes(b"")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ldd = bin_dir / "ldd"
    ldd.write_text(
        "#!/bin/sh\necho '\tlibxcb-cursor.so.0 => not found'\n"
        "echo '\tlibc.so.6 => /lib/libc.so.6 (0x0)'\n"
    )
    ldd.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(doctor_qt, "qt_plugins_dir", lambda: plugins)
    platform, offscreen, media = check_qt()
    assert platform.status == "fail"
    assert "libxcb-cursor.so.0" in platform.message
    assert platform.fix == "sudo apt-get install -y libxcb-cursor0"
    assert offscreen.status == "ok"
    assert media.status == "warn" and "previews" in media.message


def test_the_clock_is_judged_against_the_pools_dates() -> None:
    assert check_clock([1.0, -2.0, 0.5]).status == "ok"
    late = check_clock([-120.0, -130.0, -125.0])
    assert late.status == "warn" and "125 s behind" in late.message
    assert check_clock([3600.0]).status == "fail"
    unknown = check_clock([])
    assert unknown.status == "warn" and "NTP" in unknown.fix


def test_a_folder_that_cannot_be_written_fails_with_a_fix(tmp_path: Path) -> None:
    def locate() -> Path:
        raise PermissionError(13, "Permission denied", str(tmp_path / "config"))

    check = check_folder("config", locate)
    assert check.status == "fail"
    assert "Permission denied" in check.message and str(tmp_path / "config") in check.message
    assert "CRATEQ_HOME" in check.fix
    assert check_folder("data", lambda: tmp_path).status == "ok"


def test_free_space_where_downloads_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usage = namedtuple("usage", "total used free")
    settings = Settings()
    settings.downloads.folder = str(tmp_path / "not-yet" / "made")  # created on first use
    for free, status in ((50 * 1024**3, "ok"), (2 * 1024**3, "warn"), (100 * 1024**2, "fail")):
        monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _p, f=free: usage(0, 0, f))
        check = check_download_space(settings)
        assert check.status == status, check
        if status != "ok":
            assert "downloads.folder" in check.fix
