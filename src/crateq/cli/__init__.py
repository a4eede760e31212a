"""The headless `crateq` command: sub-commands over the same core the GUI uses.

Each sub-command lives in a module of this package and is registered in ``_COMMANDS`` as
``name -> (module, attribute)``. Modules are imported only when their command runs (or help
lists it), so `crateq gui` starts without loading the download engine, the demo servers or
rich, and `crateq search` never loads Qt.
Exit codes: 0 success, 1 failure (message on stderr), 2 bad usage (click's own).
"""

from __future__ import annotations

import importlib

import click

from crateq import __version__

_COMMANDS: dict[str, tuple[str, str]] = {
    "analyse": ("analyse", "command"),
    "artist": ("crate", "command"),
    "bin": ("collections", "bin_"),
    "charts": ("charts", "charts"),
    "config": ("config", "command"),
    "crates": ("collections", "crates"),
    "demo": ("demo", "command"),
    "discover": ("crate", "discover"),
    "doctor": ("doctor", "command"),
    "download": ("download", "command"),
    "export": ("export", "command"),
    "fav": ("collections", "fav"),
    "find": ("find", "command"),
    "gui": ("gui", "command"),
    "history": ("collections", "history"),
    "playlists": ("charts", "playlists"),
    "pool": ("pool", "command"),
    "queue": ("queue", "command"),
    "search": ("search", "command"),
    "wish": ("wish", "command"),
}


class _LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = _COMMANDS[cmd_name]
        module = importlib.import_module(f"crateq.cli.{module_name}")
        command: click.Command = getattr(module, attribute)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crateq")
def main() -> None:
    """CrateQ Desktop: search, preview, queue and download from your DJ record pools."""
