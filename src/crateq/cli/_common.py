"""Small helpers every `crateq` sub-command shares; keep this module short.

What a command may rely on:

* ``@cli_errors`` on a command turns any ``CrateQError`` into one plain line on stderr and
  exit 1 (``ConfigError`` too: the command was well-formed, the local setup is not).
  Usage mistakes are ``click.UsageError``/``click.BadParameter`` → click's exit 2.
* ``run(coro)`` runs async core code from a synchronous click callback.
* ``print_json(obj)`` prints one JSON document (pydantic models and dates handled);
  ``print_json_line`` one object per line for streams.
* ``print_table(columns, rows)`` prints a rich table on stdout (wide enough when piped).
* ``error(msg)`` / ``warn(msg)`` write one line on stderr.
* ``read_secret(prompt, from_stdin=...)``: a secret from stdin (``--password-stdin``) or a
  hidden interactive prompt; never from argv.
* ``cli_services()`` builds the app's ``Services`` (the same composition root as the GUI)
  from the settings; ``make_accounts()`` is its ``Accounts`` over the system keyring;
  ``hold_stdin_password(accounts, names)`` implements ``--password-stdin`` for a command.
* ``parse_track_key("POOL:ID")`` → ``(pool, media_id)``, a BadParameter otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from crateq.api.errors import CrateQError

if TYPE_CHECKING:
    from crateq.core.accounts import Accounts
    from crateq.services import Services

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def error(message: str) -> None:
    click.echo(f"Error: {message}", err=True)


def warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def cli_errors(func: F) -> F:
    """Map the app's errors to one stderr line + exit 1; click's own errors pass through."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CrateQError as exc:
            error(str(exc))
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run async core code to completion from a click callback."""
    return asyncio.run(coro)


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(obj: Any) -> None:
    """One JSON document on stdout (the ``--json`` contract)."""
    click.echo(json.dumps(obj, default=_default, indent=2, ensure_ascii=False))


def print_json_line(obj: Any) -> None:
    """One compact JSON object per line, for streamed output."""
    click.echo(json.dumps(obj, default=_default, ensure_ascii=False))


def console(*, stderr: bool = False) -> Console:
    """A rich console on the *current* stdout/stderr (so click's test runner captures it)."""
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(file=stream, width=None if tty else 200, no_color=not tty, highlight=False)


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console().print(table)


def read_secret(prompt: str, *, from_stdin: bool, stdin_when_piped: bool = False) -> str:
    """A secret from stdin (its first line) or, on a terminal, a hidden prompt.

    Without a terminal and without ``from_stdin`` (``--password-stdin``) this is a usage
    error unless ``stdin_when_piped``: a script must say where the secret comes from, and it
    never comes from argv.
    """
    piped = not sys.stdin.isatty()
    if from_stdin or (piped and stdin_when_piped):
        value = sys.stdin.readline().rstrip("\r\n")
    elif piped:
        raise click.UsageError(
            "No terminal to prompt on: pass the password on stdin with --password-stdin."
        )
    else:
        value = click.prompt(prompt, hide_input=True, default="", show_default=False)
    if not value:
        raise click.UsageError("The secret is empty.")
    return value


def cli_services() -> Services:
    """The services of one command: accounts, store, engine, crate, built from settings."""
    from crateq.services import Services

    return Services()


def make_accounts() -> Accounts:
    """The Accounts service over the system keyring and the settings in the config dir."""
    return cli_services().accounts


def hold_stdin_password(accounts: Accounts, names: Iterable[str]) -> None:
    """``--password-stdin`` on commands other than ``pool login``: the first stdin line is the
    password, for this process only, of every named pool that has none stored (the way to
    work on a machine without a keyring)."""
    password = read_secret("Password", from_stdin=True)
    for name in names:
        if not accounts.has_password(name):
            accounts.hold_password(name, password)


def parse_track_key(text: str) -> tuple[str, int]:
    """``POOL:ID`` → (pool, mediaId); a BadParameter (exit 2) for anything else."""
    pool, sep, ident = text.rpartition(":")
    if not sep or not pool or not ident.strip().isdigit():
        raise click.BadParameter(f"{text!r} is not POOL:ID (e.g. demo-a:1234).")
    return pool, int(ident)
