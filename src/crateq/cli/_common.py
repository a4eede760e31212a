"""Small helpers every `crateq` sub-command shares; keep this module short.

What a command may rely on:

* ``@cli_errors`` on a command turns any ``CrateQError`` into one plain line on stderr and
  exit 1 (``ConfigError`` too: the command was well-formed, the local setup is not), and
  warns on stderr when a damaged download database was set aside and replaced.
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
* ``LazyChoice(load)``: a ``click.Choice`` whose choices come from the core on first use,
  so that defining the option (and ``--help``) does not import the core.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click

from crateq.api.json_types import JSONValue as JSONValue  # the one JSON alias, re-exported

# asyncio, pydantic and rich are imported where they are used: every command module imports
# this one, and `crateq --help` / `crateq CMD --help` need none of them.
if TYPE_CHECKING:
    from rich.console import Console

    from crateq.core.accounts import Accounts
    from crateq.services import Services

T = TypeVar("T")
P = ParamSpec("P")


def error(message: str) -> None:
    click.echo(f"Error: {message}", err=True)


def warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def cli_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Map the app's errors to one stderr line + exit 1; click's own errors pass through."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        from crateq.core.store_recovery import on_recovered

        unlisten = on_recovered(lambda recovery: warn(recovery.message))
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            # the error tree is imported only when something failed: --help stays light
            from crateq.core.errors import CrateQError, exit_code, user_message

            if not isinstance(exc, CrateQError):
                raise
            error(user_message(exc))
            sys.exit(exit_code(exc))
        finally:
            unlisten()

    return wrapper


class LazyChoice(click.Choice[str]):
    """A ``click.Choice`` over ``load()``, called the first time click needs the choices
    (a value to check, a usage line that lists them), not when the option is defined."""

    def __init__(self, load: Callable[[], Iterable[str]], *, case_sensitive: bool = True) -> None:
        self._load = load
        self._choices: tuple[str, ...] | None = None
        super().__init__((), case_sensitive=case_sensitive)

    @property
    def choices(self) -> tuple[str, ...]:
        if self._choices is None:
            self._choices = tuple(self._load())
        return self._choices

    @choices.setter
    def choices(self, value: tuple[str, ...]) -> None:
        """``click.Choice.__init__`` assigns the (empty) tuple it was given: ignored."""


def run(coro: Coroutine[object, None, T]) -> T:
    """Run async core code to completion from a click callback."""
    import asyncio

    return asyncio.run(coro)


def _default(value: object) -> JSONValue:
    """What ``json.dumps`` cannot write itself: pydantic models, dates, sets and tuples."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):  # dates, times, datetimes
        iso: str = value.isoformat()
        return iso
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(obj: object) -> None:
    """One JSON document on stdout (the ``--json`` contract): JSON values, or anything
    ``_default`` turns into one."""
    click.echo(json.dumps(obj, default=_default, indent=2, ensure_ascii=False))


def print_json_line(obj: object) -> None:
    """One compact JSON object per line, for streamed output."""
    click.echo(json.dumps(obj, default=_default, ensure_ascii=False))


def console(*, stderr: bool = False) -> Console:
    """A rich console on the *current* stdout/stderr (so click's test runner captures it)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(file=stream, width=None if tty else 200, no_color=not tty, highlight=False)


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    from rich.table import Table

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
