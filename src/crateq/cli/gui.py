"""``crateq gui``: open the desktop app (optionally on the embedded demo pools).

The ``crateq`` console script (:mod:`crateq.launch`) reads these options itself to skip
click on the way to the first paint; this command is the reference (help, usage errors).
"""

from __future__ import annotations

import sys

import click

from crateq.ui.shell.mode_names import MODES  # Qt-free: `crateq <other command>` never loads Qt


@click.command("gui")
@click.option("--demo", is_flag=True, help="Start the embedded demo pools and sign in to them.")
@click.option("--mode", type=click.Choice(MODES), default=None, help="Window mode to open in.")
@click.option(
    "--quit-after",
    type=click.IntRange(min=0),
    default=None,
    metavar="MS",
    help="Quit this many milliseconds after the first paint (tests, screenshots).",
)
def command(demo: bool, mode: str | None, quit_after: int | None) -> None:
    """Open CrateQ Desktop: widget, app or fullscreen mode."""
    from crateq.cli.demo_seed import start_gui_demo
    from crateq.ui.shell.app import run

    sys.exit(run(demo=start_gui_demo if demo else None, mode=mode, quit_after_ms=quit_after))
