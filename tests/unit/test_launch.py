"""The ``crateq`` console script: ``gui`` options read without click, the rest to click."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def _console(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``crateq ARGS`` as the console script runs it (``main()`` reading ``sys.argv``)."""
    return subprocess.run(
        [sys.executable, "-m", "crateq.launch", *args],
        capture_output=True, text=True, check=False, timeout=60, **kwargs,  # type: ignore[call-overload]
    )  # fmt: skip


def test_the_console_script_ends_with_each_commands_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "CRATEQ_HOME": str(tmp_path)}
    ok = _console("--version", env=env)
    assert ok.returncode == 0 and "crateq" in ok.stdout
    usage = _console("search", "--limit", "0", "x", env=env)
    assert usage.returncode == 2 and "--limit" in usage.stderr  # click's usage error
    failed = _console("download", "nosuchpool:1", env=env)
    assert failed.returncode != 0 and "nosuchpool" in failed.stderr


def _python(
    code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``code`` run by this interpreter in a process of its own, its output captured."""
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, check=False, timeout=timeout)  # fmt: skip


def test_the_console_script_delivers_all_its_output_and_runs_the_exit_handlers(
    tmp_path: Path,
) -> None:
    """The fast exit skips only the interpreter's teardown: a long output reaches a pipe
    whole, and atexit handlers (logging's flush among them) still run."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
        "sys.argv = ['crateq', '--help']\n"
        "print('x' * 200_000, end='')\n"
        "from crateq.launch import main\n"
        "main()\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("x" * 200_000) and "Usage:" in out.stdout
    assert "handler ran" in out.stderr


def test_the_console_script_ends_with_an_executor_left_running() -> None:
    """An executor nobody shut down (its idle workers are non-daemon threads) is told to
    stop before the threads are joined, as Python's own exit does: the command ends."""
    code = (
        "import concurrent.futures, sys\n"
        "pool = concurrent.futures.ThreadPoolExecutor(2)\n"
        "pool.submit(int).result()\n"
        "sys.argv = ['crateq', '--version']\n"
        "from crateq.launch import main\n"
        "main()\n"
    )
    out = _python(code)
    assert out.returncode == 0 and "crateq" in out.stdout, out.stderr


H2_PROBE = """
import sys
from crateq.launch import skip_unused_imports
skip_unused_imports()
import httpx
httpx.AsyncClient(http2=True)
assert "DataReceived" not in vars(sys.modules["h2.events"]), "h2 ran when httpx was imported"
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[1]]))
"""


def test_h2_runs_on_first_use_and_http2_still_works() -> None:
    """A command's process imports h2 without running it; a pool offering HTTP/2 still gets
    it (the HTTP/2 test, run in such a process)."""
    tests = Path(__file__).resolve().parents[1]
    test = tests / "integration" / "test_pool_client_http2.py"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), *sys.path])}
    done = _python(H2_PROBE, str(test), env=env, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


def test_a_module_run_on_first_use_runs_once_across_threads_and_fails_as_an_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from crateq.launch import _OnFirstUse

    package = tmp_path / "firstuse_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # the pause widens the window in which the other threads ask for it (no waiting on it)
    body = "import time\nRUNS = []\nRUNS.append(1)\ntime.sleep(0.05)\nX = 1\n"
    (package / "slow.py").write_text(body)
    (package / "broken.py").write_text("import not_a_module_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    finder = _OnFirstUse("firstuse_pkg.slow", "firstuse_pkg.broken")
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    import firstuse_pkg.broken
    import firstuse_pkg.slow

    assert "X" not in vars(firstuse_pkg.slow)  # imported, not run
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(firstuse_pkg.slow.X)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [1] * 8 and firstuse_pkg.slow.RUNS == [1]
    with pytest.raises(ModuleNotFoundError, match="not_a_module_anywhere"):
        firstuse_pkg.broken.anything  # noqa: B018
    assert "firstuse_pkg.broken" not in sys.modules
    for name in ("firstuse_pkg", "firstuse_pkg.slow"):
        sys.modules.pop(name, None)


def test_a_named_function_of_a_module_not_run_yet_runs_it_when_called(tmp_path: Path) -> None:
    """``from M import f`` of a first-use module hands out a stand-in for the functions
    listed in ``_CALLED_LATER``: M runs when ``f`` is called, not when it is named. (In a
    process of its own, as a command runs: Qt's import hook, loaded by the GUI tests, reads
    every imported module.)"""
    package = tmp_path / "later_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    body = "RUNS = [1]\ndef entry_points(group=''):\n    return [group]\n"
    (package / "meta.py").write_text(body)
    (package / "broken.py").write_text("import not_a_module_anywhere\n")
    code = (
        "import sys\n"
        "import crateq.launch as launch\n"
        "launch._CALLED_LATER['later_pkg.meta'] = frozenset({'entry_points'})\n"
        "sys.meta_path.insert(0, launch._OnFirstUse('later_pkg.meta'))\n"
        "from later_pkg.meta import entry_points\n"
        "module = sys.modules['later_pkg.meta']\n"
        "assert 'RUNS' not in vars(module), 'ran when named'\n"
        "assert entry_points(group='x') == ['x']\n"
        "assert vars(module)['RUNS'] == [1] and type(module) is type(sys)\n"
        "launch._CALLED_LATER['later_pkg.broken'] = frozenset({'entry_points'})\n"
        "sys.meta_path.insert(0, launch._OnFirstUse('later_pkg.broken'))\n"
        "from later_pkg.broken import entry_points as broken\n"
        "for _ in range(2):  # a failed run fails each call as an import, not as a lookup\n"
        "    try:\n        broken()\n"
        "    except ModuleNotFoundError as exc:\n        assert 'not_a_module' in str(exc)\n"
        "    else:\n        raise AssertionError('ran')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = _python(code, env=env)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_download_process_leaves_metadata_and_other_media_formats_unread() -> None:
    """The modules a one-file download imports do not run package metadata (zipfile, email
    parsing...) or mutagen's parsers of other formats; metadata still works when asked."""
    code = (
        "import sys\n"
        "from crateq.launch import skip_unused_imports\n"
        "skip_unused_imports()\n"
        "import keyring.core, crateq.cli.download, crateq.core.autodownload\n"
        "from crateq.core.media_formats import media_class\n"
        "assert media_class('.MP3').__name__ == 'MP3'\n"
        "meta = sys.modules.get('importlib.metadata')\n"
        "assert meta is None or type(meta) is not type(sys), 'importlib.metadata ran'\n"
        "ran = [m for m in ('mutagen.mp4', 'mutagen.flac', 'mutagen.aiff', 'zipfile',\n"
        "                   'importlib_metadata')\n"
        "       if m in sys.modules and type(sys.modules[m]) is type(sys)]\n"
        "assert not ran, ran\n"
        "import importlib.metadata\n"
        "assert importlib.metadata.version('httpx')\n"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr[-2000:]
