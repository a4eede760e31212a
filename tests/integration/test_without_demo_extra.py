"""The app and the CLI without the ``demo`` extra: only the demo itself asks for it.

Each run is the real console script in a fresh process whose ``sys.modules`` maps the
extra's packages to None, so any import of them (at a module's top or lazily) raises as if
they were not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXTRA_PACKAGES = ("starlette", "uvicorn", "httptools", "lameenc")
WITHOUT_EXTRA = (
    "import sys\n"
    f"sys.modules.update(dict.fromkeys({EXTRA_PACKAGES!r}))\n"
    "from crateq.launch import main\n"
    "main()\n"
)
INSTALL_HINT = "pip install 'crateq[demo]'"


def crateq_without_extra(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CRATEQ_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("CRATEQ_GUI_QUIT_AFTER_MS", None)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_blocking_really_hides_the_extra(crateq_home: Path) -> None:
    probe = WITHOUT_EXTRA.replace(
        "from crateq.launch import main\nmain()\n", "import starlette.applications\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 1
    assert "ModuleNotFoundError" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("demo", "serve"),
        ("demo", "serve", "--catalog-size", "50"),
        ("gui", "--demo", "--quit-after", "0"),
    ],
    ids=["demo-serve", "demo-serve-options", "gui-demo"],
)
def test_the_demo_without_its_extra_names_the_install_command(
    crateq_home: Path, args: tuple[str, ...]
) -> None:
    result = crateq_without_extra(crateq_home, *args)
    assert result.returncode == 1, result.stderr[-3000:]
    assert INSTALL_HINT in result.stderr
    assert "scripts/demo" in result.stderr
    assert "Traceback" not in result.stderr
    assert "READY" not in result.stdout


@pytest.mark.parametrize(
    "args",
    [("--help",), ("search", "--help"), ("demo", "serve", "--help"), ("pool", "list")],
    ids=["help", "search-help", "demo-serve-help", "pool-list"],
)
def test_the_cli_runs_without_the_extra(crateq_home: Path, args: tuple[str, ...]) -> None:
    result = crateq_without_extra(crateq_home, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()


def test_the_gui_opens_without_the_extra(crateq_home: Path) -> None:
    result = crateq_without_extra(crateq_home, "gui", "--quit-after", "300")
    assert "Fatal Python error" not in result.stderr
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
