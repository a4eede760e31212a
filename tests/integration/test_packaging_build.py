"""A real PyInstaller build of the app and its smoke tests (scripts/build_package.py): takes
minutes, so it runs only with CRATEQ_TEST_PACKAGE=1 (marker ``package``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.package,
    pytest.mark.skipif(
        os.environ.get("CRATEQ_TEST_PACKAGE") != "1",
        reason="a PyInstaller build takes minutes: set CRATEQ_TEST_PACKAGE=1",
    ),
]


@pytest.mark.timeout(1200)
def test_the_built_app_prints_its_version_and_opens_the_demo(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="the package extra: pip install -e '.[package]'")
    dist = tmp_path / "dist"
    cmd = [sys.executable, str(ROOT / "scripts" / "build_package.py"), "--no-timing",
           "--dist", str(dist), "--work", str(tmp_path / "build")]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1100, check=False)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "smoke: crateq, version" in result.stdout
    assert "painted its window offscreen and exited 0" in result.stdout
    bundle = dist / "crateq" / "_internal"
    assert (bundle / "resources" / "themes" / "dark.qss").is_file()
    assert (bundle / "share" / "applications" / "crateq.desktop").is_file()
    assert list((bundle / "PySide6" / "Qt" / "plugins" / "multimedia").glob("*ffmpeg*"))
    assert not (bundle / "PySide6" / "Qt" / "translations").exists()
