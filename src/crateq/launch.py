"""The ``crateq`` console script: opens the GUI straight away, everything else goes to click.

``crateq gui`` is what a DJ starts before a set, so it takes the shortest path to the first
painted window: its few options are read here and click (tens of milliseconds of imports
before Qt even loads) is skipped. Any other command, ``--help``, or an option this reader
does not know goes to :mod:`crateq.cli`, which parses the full command line as always (so
``crateq gui --mode bogus`` still gets click's usage error).

The entry point is also where ``crateq gui --demo`` starts the demo servers
(``start_gui_demo``): the GUI only receives their URLs and keys as settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from crateq.ui.shell.mode_names import MODES

if TYPE_CHECKING:
    from crateq.services import SettingsSeed

DEMO_USER = DEMO_PASSWORD = "demo"


class GuiOptions:
    """What ``crateq gui`` was asked for (the same options as ``crateq.cli.gui``)."""

    def __init__(self) -> None:
        self.demo = False
        self.mode: str | None = None
        self.quit_after_ms: int | None = None


def gui_options(args: Sequence[str]) -> GuiOptions | None:
    """The options of ``crateq gui ARGS``, or None when click must decide."""
    options = GuiOptions()
    items = list(args)
    while items:
        arg = items.pop(0)
        name, has_value, value = arg.partition("=")
        if arg == "--demo":
            options.demo = True
        elif name in ("--mode", "--quit-after"):
            if not has_value:
                if not items:
                    return None
                value = items.pop(0)
            if name == "--mode":
                if value not in MODES:
                    return None
                options.mode = value
            else:
                if not value.isdigit():
                    return None
                options.quit_after_ms = int(value)
        else:
            return None
    return options


def start_gui_demo() -> SettingsSeed:
    """Start the demo pools and the crate stand-in (in a temporary home unless
    ``$CRATEQ_HOME`` is set) and say how to reach them: each pool signed in as demo/demo
    with the password held in-process, crate's URL and key. The seed's ``stop`` stops the
    servers; its ``cleanup`` removes the temporary home."""
    import tempfile

    from crateq.demo.cluster import DemoCluster, default_extra_apps
    from crateq.demo.crate_app import DEMO_API_KEY
    from crateq.services import PoolSeed, SettingsSeed

    temp_home = None
    if not os.environ.get("CRATEQ_HOME"):
        temp_home = tempfile.TemporaryDirectory(prefix="crateq-demo-home-")
        os.environ["CRATEQ_HOME"] = temp_home.name
    cluster = DemoCluster(extra_apps=default_extra_apps()).start()
    pools = [
        PoolSeed(name, handle.url, handle.api_key, DEMO_USER, DEMO_PASSWORD)
        for name, handle in cluster.pools.items()
    ]
    crate = cluster.extras.get("crate")
    return SettingsSeed(
        pools,
        crate_url=crate.url if crate is not None else None,
        crate_key=DEMO_API_KEY if crate is not None else None,
        stop=cluster.stop,
        cleanup=temp_home.cleanup if temp_home is not None else None,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["gui"]:
        options = gui_options(args[1:])
        if options is not None:
            from crateq.ui.shell.app import run

            demo = start_gui_demo if options.demo else None
            sys.exit(run(demo=demo, mode=options.mode, quit_after_ms=options.quit_after_ms))
    from crateq.cli import main as cli

    cli(args=args)


if __name__ == "__main__":
    main()
