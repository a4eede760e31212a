"""The ``crateq`` console script: ``gui`` options read without click, the rest to click."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crateq.launch import gui_options, main


def test_gui_options_read_every_form_click_accepts() -> None:
    opts = gui_options(["--demo", "--mode", "widget", "--quit-after=250"])
    assert opts is not None
    assert (opts.demo, opts.mode, opts.quit_after_ms) == (True, "widget", 250)
    opts = gui_options(["--mode=fullscreen", "--quit-after", "0"])
    assert opts is not None
    assert (opts.demo, opts.mode, opts.quit_after_ms) == (False, "fullscreen", 0)
    opts = gui_options([])
    assert opts is not None and (opts.demo, opts.mode, opts.quit_after_ms) == (False, None, None)


@pytest.mark.parametrize(
    "args",
    [["--mode", "bogus"], ["--mode"], ["--quit-after", "-1"], ["--help"], ["--verbose"], ["x"]],
)
def test_anything_unusual_is_left_to_click(args: list[str]) -> None:
    assert gui_options(args) is None


def test_a_bad_gui_option_gets_clicks_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["gui", "--mode", "bogus"])
    assert exit_info.value.code == 2
    assert "bogus" in capsys.readouterr().err


def test_other_commands_go_to_click_without_loading_qt() -> None:
    code = (
        "import sys\n"
        "from crateq.launch import main\n"
        "try:\n    main(['--version'])\n"
        "except SystemExit as e:\n    assert e.code in (0, None)\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt loaded'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "crateq" in out.stdout and "0.1.0" in out.stdout
