"""A command's ``--help`` stays cheap: it loads click and the CLI, not the core behind it."""

from __future__ import annotations

import subprocess
import sys

# Each list is one `crateq ...` command line; `crateq --help` and `demo` are left out (the
# demo command reads its defaults from the demo package), `discover` too (its usage line
# lists the discovery kinds, which come from the crate service).
HELPS = [
    ["search", "--help"],
    ["download", "--help"],
    ["export", "--help"],
    ["find", "--help"],
    ["artist", "--help"],
    ["pool", "--help"],
    ["pool", "add", "--help"],
    ["queue", "--help"],
    ["queue", "add", "--help"],
    ["config", "--help"],
    ["config", "show", "--help"],
    ["gui", "--help"],
    ["fav", "add", "--help"],
    ["bin", "--help"],
    ["crates", "list", "--help"],
    ["wish", "check", "--help"],
    ["history", "--help"],
    ["charts", "--help"],
    ["playlists", "--help"],
    ["doctor", "--help"],
    ["analyse", "--help"],
]
HEAVY = ("httpx", "pydantic", "rich", "asyncio", "keyring", "PySide6")  # and crateq.core


def test_help_of_each_command_loads_none_of_the_heavy_modules() -> None:
    probe = (
        "import sys\n"
        "from crateq.launch import main\n"
        f"for args in {HELPS!r}:\n"
        "    try:\n        main(args)\n"
        "    except SystemExit as e:\n        assert e.code in (0, None), (args, e.code)\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}"
        " or m.startswith('crateq.core'))\n"
        "print('loaded:', *heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "loaded:"
