"""When the download database is locked or damaged: plain errors, and a way back.

A DJ's jobs, library and history live in one SQLite file; the app must never crash-loop on
it. A lock held by another program gives up after a bounded busy timeout with a sentence
saying so (``CRATEQ_DB_TIMEOUT`` seconds, 10 by default). A damaged file (garbage, cut
short, not SQLite at all, another program's database) is renamed aside to
``<name>.damaged-<UTC time>`` with its WAL, a fresh schema is made, every row still
readable in the old file is copied over, and the library is re-derived from the files in
the download folders (``crateq.core.library_scan``): the files themselves are never touched.
:class:`Recovery` says what happened, for the faces to tell the user.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crateq.core.errors import StoreError

TIMEOUT_ENV = "CRATEQ_DB_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
_BUSY, _LOCKED, _IOERR, _CORRUPT, _FULL, _NOTADB = 5, 6, 10, 11, 13, 26
_listeners: list[Callable[[Recovery], None]] = []


class Damaged(StoreError):
    """The file opened but is not a sound CrateQ database (a check failed); the store sets
    it aside, so this never reaches a face."""


@dataclass
class Recovery:
    """A damaged database set aside and replaced: where it went, what was kept."""

    aside: Path
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied over
    found_files: int = 0  # library entries re-derived from the download folders

    @property
    def message(self) -> str:
        kept = ", ".join(f"{n} {table}" for table, n in self.rows.items() if n) or "nothing"
        found = ""
        if self.found_files:
            found = f"; {self.found_files} files found again in the download folder"
        return (
            f"The download database was damaged. It was renamed to {self.aside.name} and a "
            f"new one was started (rows kept: {kept}{found}). Your music files were not touched."
        )


def busy_timeout() -> float:
    """Seconds a store call waits for another program's lock before it gives up."""
    try:
        return max(0.0, float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", -1) or -1) & 0xFF


def is_damage(exc: BaseException) -> bool:
    """The file is not a usable database (as opposed to locked, full or unreadable)."""
    return isinstance(exc, Damaged) or (
        isinstance(exc, sqlite3.DatabaseError) and _code(exc) in (_CORRUPT, _NOTADB)
    )


def store_error(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """The plain sentence for a lock, a full disk, a damaged or unreadable file; None for
    anything else (a constraint a caller handles, a bug)."""
    code = _code(exc)
    if code in (_BUSY, _LOCKED):
        return StoreError(
            f"The download database ({path}) is locked by another program.",
            hint="Close the other CrateQ window or command that uses it, then try again.",
        )
    if code == _FULL:
        return StoreError(
            f"The disk holding the download database is full ({path.parent}).",
            hint="Free some space there, then try again.",
        )
    if code in (_CORRUPT, _NOTADB):
        return StoreError(
            f"The download database ({path}) is damaged.",
            hint="Start CrateQ again: it sets the damaged file aside and makes a new one.",
        )
    if code == _IOERR:
        return StoreError(f"The download database ({path}) cannot be read or written ({exc}).")
    return None


def check(db: sqlite3.Connection) -> None:
    """Raise :class:`Damaged` unless the open file passes SQLite's quick check and, when it
    has no CrateQ schema version yet, holds no tables of another program."""
    problems = [str(r[0]) for r in db.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise Damaged("; ".join(problems))
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    foreign = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    if version == 0 and foreign[0]:
        raise Damaged("tables of another program and no CrateQ schema version")


def set_aside(path: Path) -> Path:
    """Rename the damaged file and its WAL/SHM companions to ``.damaged-<UTC time>``, so a
    new database never replays a stale WAL; returns the new name of the main file."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    for suffix in ("-wal", "-shm", ""):
        source = path.with_name(path.name + suffix)
        if source.exists():
            os.replace(source, aside.with_name(aside.name + suffix))
    return aside


def salvage(aside: Path, db: sqlite3.Connection) -> dict[str, int]:
    """Copy every row still readable in ``aside`` into the fresh ``db``, table by table
    (the columns both know); a table that breaks mid-way keeps the rows read before."""
    try:
        old = sqlite3.connect(f"{aside.as_uri()}?mode=ro", uri=True, timeout=0)
    except sqlite3.Error:
        return {}
    copied: dict[str, int] = {}
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY rowid"
        )]  # fmt: skip
        db.execute("BEGIN")
        for table in tables:
            copied[table] = _copy_table(old, db, table)
        db.execute("COMMIT")
    except sqlite3.Error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        return {}
    finally:
        old.close()
    return copied


def _copy_table(old: sqlite3.Connection, db: sqlite3.Connection, table: str) -> int:
    mine = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    try:
        theirs = {r[1] for r in old.execute(f"PRAGMA table_info({table})")}
        columns = [c for c in mine if c in theirs]
        rows = old.execute(f"SELECT {', '.join(columns)} FROM {table}") if columns else None
    except sqlite3.Error:
        return 0
    if rows is None:
        return 0
    insert = f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES "
    insert += f"({', '.join('?' * len(columns))})"
    count = 0
    with contextlib.suppress(sqlite3.DatabaseError):  # the damage: keep what came before
        for row in rows:
            try:
                count += db.execute(insert, tuple(row)).rowcount
            except sqlite3.IntegrityError:  # e.g. a crate track whose crate was lost
                continue
    return count


def on_recovered(listener: Callable[[Recovery], None]) -> Callable[[], None]:
    """Call ``listener(recovery)`` whenever a damaged database is replaced in this process
    (the CLI prints it as a warning); returns a function that removes the listener."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def announce(recovery: Recovery) -> None:
    for listener in list(_listeners):
        listener(recovery)
