"""The real `crateq gui` process: start, first paint, ordered shutdown, single instance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GUI = [sys.executable, "-c", "from crateq.launch import main; main()", "gui"]  # the console script


def gui_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, CRATEQ_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("CRATEQ_GUI_QUIT_AFTER_MS", None)
    env.update(extra)
    return env


def test_demo_gui_quits_cleanly_after_its_first_paint(tmp_path: Path) -> None:
    result = subprocess.run(
        [*GUI, "--demo", "--quit-after", "300"],
        env=gui_env(tmp_path, CRATEQ_GUI_REPORT_PAINT="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Fatal Python error" not in result.stderr
    assert result.returncode == 0, result.stderr[-3000:]
    assert "first-paint" in result.stderr


def test_quit_after_can_come_from_the_environment(tmp_path: Path) -> None:
    result = subprocess.run(
        [*GUI, "--mode", "widget"],
        env=gui_env(tmp_path, CRATEQ_GUI_QUIT_AFTER_MS="50"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Fatal Python error" not in result.stderr


def test_a_second_launch_raises_the_first_and_exits(tmp_path: Path) -> None:
    env = gui_env(tmp_path, CRATEQ_GUI_REPORT_PAINT="1")
    first = subprocess.Popen(
        [*GUI, "--quit-after", "4000"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert first.stderr is not None
        for line in first.stderr:  # the first instance listens before it paints
            if line.startswith("first-paint"):
                break
        second = subprocess.run(
            [*GUI, "--quit-after", "0"], env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 0, second.stderr[-3000:]
        assert "already running" in second.stderr
        assert "first-paint" not in second.stderr
    finally:
        first.communicate(timeout=60)
    assert first.returncode == 0
