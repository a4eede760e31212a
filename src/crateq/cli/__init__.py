"""The headless `crateq` command: sub-commands over the same core the GUI uses.

Each sub-command group lives in its own module of this package and is registered in
``_COMMAND_MODULES``; a module exposes one click command or group named ``command``.
Exit codes: 0 success, 1 failure (message on stderr), 2 bad usage (click's own).
"""

from __future__ import annotations

import importlib

import click

from crateq import __version__

# module name -> attribute holding the click command; grown as features land.
_COMMAND_MODULES: tuple[str, ...] = (
    "config",
    "pool",
    "search",
    "queue",
    "download",
    "demo",
    "gui",
    "crate",
    "discover",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crateq")
def main() -> None:
    """CrateQ Desktop: search, preview, queue and download from your DJ record pools."""


for _name in _COMMAND_MODULES:
    _module = importlib.import_module(f"crateq.cli.{_name}")
    main.add_command(_module.command)
