"""SQLite persistence of download jobs, the local library and history.

One database file under ``crateq.core.paths.data_dir()``, in WAL mode so the GUI can read
while the engine writes. The schema is versioned with ``PRAGMA user_version`` and brought
forward by the ordered ``MIGRATIONS``; a database from a newer CrateQ is refused rather than
damaged. The connection is shared across threads behind a lock (every call is short), so the
engine's loop, its worker threads and the GUI may all call it. Progress is written by the
engine at most about once a second per job, never per chunk.

A lock held by another program, a full disk or a damaged file surface as a plain
:class:`StoreError` after a bounded busy timeout; a damaged file found at opening is set
aside and replaced (``crateq.core.store_recovery``; ``Store.recovery`` says what was kept).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crateq.core import paths
from crateq.core.crashpoints import reach
from crateq.core.errors import StoreError
from crateq.core.store_recovery import (
    Damaged,
    Recovery,
    announce,
    busy_timeout,
    check,
    is_damage,
    salvage,
    set_aside,
    store_error,
)
from crateq.core.store_schema import MIGRATIONS, SCHEMA_VERSION, SPEED_INDEXES

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject, JSONValue

log = logging.getLogger(__name__)
UNFINISHED = ("queued", "connecting", "downloading", "verifying", "tagging", "paused")


@dataclass(frozen=True)
class LibraryEntry:
    """A downloaded file the app knows about; ``sha256`` is of the bytes the server sent."""

    pool: str
    media_id: int
    path: Path
    size: int
    sha256: str
    tags: JSONObject
    added: float

    @property
    def present(self) -> bool:
        return self.path.is_file()


def default_db_path() -> Path:
    return paths.data_dir() / "crateq.sqlite3"


class Store:
    """Jobs, library and history in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | None = None, *, timeout: float | None = None) -> None:
        self.path = path or default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.timeout = busy_timeout() if timeout is None else timeout
        self.recovery: Recovery | None = None
        try:
            self._db = self._open()
        except (sqlite3.Error, Damaged) as exc:
            if not is_damage(exc):
                raise _failure(exc, self.path) from exc
            self._recover(exc)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=self.timeout
        )
        try:
            db.row_factory = sqlite3.Row
            check(db)  # first: a file that is not ours is set aside unchanged
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._db = db
            self._migrate()
            for index in SPEED_INDEXES:
                db.execute(index)
        except BaseException:
            db.close()
            raise
        return db

    def _recover(self, why: BaseException) -> None:
        """Set the damaged file aside, start a fresh one, keep what can be read or found."""
        log.warning("the download database %s is damaged (%s): setting it aside", self.path, why)
        recovery = self.recovery = Recovery(set_aside(self.path))
        try:
            self._db = self._open()
        except (sqlite3.Error, Damaged) as exc:
            raise _failure(exc, self.path) from exc
        recovery.rows = salvage(recovery.aside, self._db)
        from crateq.core.library_scan import rederive

        recovery.found_files = rederive(self)
        announce(recovery)

    def _migrate(self) -> None:
        with self._lock:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The download database is from a newer CrateQ (schema {version}).",
                    hint="Update CrateQ Desktop.",
                )
            for number in range(version, SCHEMA_VERSION):
                script = f"BEGIN;{MIGRATIONS[number]};PRAGMA user_version = {number + 1};COMMIT;"
                try:
                    self._db.executescript(script)
                except sqlite3.Error:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """The connection under the lock; a lock, a full disk or damage becomes StoreError."""
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                mapped = store_error(exc, self.path)
                if mapped is None:
                    raise
                raise mapped from exc

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The writes inside as one transaction, one commit instead of one each (restoring
        or pausing a 10,000-job queue); rolled back if the block raises."""
        with self._lock:
            if self._db.in_transaction:  # already inside a batch: part of it
                yield
                return
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The shared connection under the store's lock, for the services that keep their
        own tables in this file (the collections); keep each use short."""
        with self._tx() as db:
            yield db

    def generation(self) -> tuple[int, int]:
        """Changes whenever anything is written to the file, by this store (its change
        count) or by another process (SQLite's ``data_version``): a reader's cache key."""
        with self._lock:
            other = int(self._db.execute("PRAGMA data_version").fetchone()[0])
            return self._db.total_changes, other

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- jobs -------------------------------------------------------------------------
    def add_job(
        self, pool: str, media_id: int, row_json: str, dest: str, *, force: bool = False
    ) -> int:
        return self.add_job_with_priority(pool, media_id, row_json, dest, force=force)[0]

    def add_job_with_priority(
        self, pool: str, media_id: int, row_json: str, dest: str, *, force: bool = False
    ) -> tuple[int, float]:
        """Queue a job at the end of the order in one statement: (id, priority)."""
        now = time.time()
        with self._tx() as db:
            row = db.execute(
                "INSERT INTO jobs (pool, media_id, row_json, dest, state, priority, force,"
                " created, updated) VALUES (?, ?, ?, ?, 'queued',"
                " (SELECT COALESCE(MAX(priority), 0) + 1 FROM jobs), ?, ?, ?)"
                " RETURNING id, priority",
                (pool, media_id, row_json, dest, int(force), now, now),
            ).fetchone()
            reach("store.job_added")  # a test hook (core.crashpoints): no-op unless armed
            return int(row[0]), float(row[1])

    def update_job(self, job_id: int, **fields: object) -> None:
        """Write the named columns of a job (state, reason, bytes_done, path, …)."""
        if not fields:
            return
        fields["updated"] = time.time()
        cols = ", ".join(f"{name} = ?" for name in fields)
        reach("store.job_write")
        with self._tx() as db:
            db.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), job_id))

    def job(self, job_id: int) -> dict[str, Any] | None:  # Any: as jobs()
        with self._tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return dict(row) if row else None

    # Any: sqlite3 row values, each column its own type
    def jobs(self, states: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Jobs in queue order (priority), optionally only those in ``states``."""
        query = "SELECT * FROM jobs"
        args: tuple[str, ...] = ()
        if states:
            query += f" WHERE state IN ({', '.join('?' * len(states))})"
            args = states
        with self._tx() as db:
            return [dict(r) for r in db.execute(query + " ORDER BY priority, id", args)]

    def unfinished_jobs(self) -> list[dict[str, Any]]:  # Any: as jobs()
        return self.jobs(UNFINISHED)

    def active_job_for(self, pool: str, media_id: int) -> dict[str, Any] | None:  # Any: as jobs()
        with self._tx() as db:
            row = db.execute(
                f"SELECT * FROM jobs WHERE pool = ? AND media_id = ? AND state IN "
                f"({', '.join('?' * len(UNFINISHED))}) ORDER BY id LIMIT 1",
                (pool, media_id, *UNFINISHED),
            ).fetchone()
            return dict(row) if row else None

    def delete_job(self, job_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def record_download(
        self,
        job_id: int,
        pool: str,
        media_id: int,
        path: Path,
        size: int,
        sha256: str,
        tags: Mapping[str, JSONValue] | None = None,
        *,
        reason: str = "",
    ) -> None:
        """A committed download in one transaction: its library entry, its ``downloaded``
        history row and its job marked done, so a crash leaves all three or none (a restart
        then records it once, never a second history row)."""
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._upsert_library(db, pool, media_id, path, size, sha256, tags)
                reach("store.download")
                self._insert_history(db, pool, media_id, "downloaded", str(path))
                db.execute(
                    "UPDATE jobs SET state = 'done', reason = ?, path = ?, updated = ?"
                    " WHERE id = ?",
                    (reason, str(path), time.time(), job_id),
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- library ----------------------------------------------------------------------
    def add_to_library(
        self,
        pool: str,
        media_id: int,
        path: Path,
        size: int,
        sha256: str,
        tags: Mapping[str, JSONValue] | None = None,
    ) -> None:
        with self._tx() as db:
            self._upsert_library(db, pool, media_id, path, size, sha256, tags)

    @staticmethod
    def _upsert_library(
        db: sqlite3.Connection,
        pool: str,
        media_id: int,
        path: Path,
        size: int,
        sha256: str,
        tags: Mapping[str, JSONValue] | None,
    ) -> None:
        db.execute(
            "INSERT INTO library (pool, media_id, path, size, sha256, tags_json, added)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(pool, media_id) DO UPDATE SET"
            " path = excluded.path, size = excluded.size, sha256 = excluded.sha256,"
            " tags_json = excluded.tags_json, added = excluded.added",
            (pool, media_id, str(path), size, sha256, json.dumps(tags or {}), time.time()),
        )

    def _entry(self, row: sqlite3.Row | None) -> LibraryEntry | None:
        if row is None:
            return None
        return LibraryEntry(
            pool=row["pool"],
            media_id=row["media_id"],
            path=Path(row["path"]),
            size=row["size"],
            sha256=row["sha256"],
            tags=json.loads(row["tags_json"] or "{}"),
            added=row["added"],
        )

    def library_entry(self, pool: str, media_id: int) -> LibraryEntry | None:
        with self._tx() as db:
            row = db.execute(
                "SELECT * FROM library WHERE pool = ? AND media_id = ?", (pool, media_id)
            ).fetchone()
            return self._entry(row)

    def library_by_sha(self, sha256: str) -> LibraryEntry | None:
        with self._tx() as db:
            for row in db.execute("SELECT * FROM library WHERE sha256 = ?", (sha256,)):
                entry = self._entry(row)
                if entry is not None and entry.present:
                    return entry
            return None

    def library(self) -> list[LibraryEntry]:
        with self._tx() as db:
            rows = db.execute("SELECT * FROM library ORDER BY added").fetchall()
        return [e for e in map(self._entry, rows) if e is not None]

    def forget(self, pool: str, media_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM library WHERE pool = ? AND media_id = ?", (pool, media_id))

    def have(self, pool: str, media_id: int) -> LibraryEntry | None:
        """The library entry if its file is still on disk; a deleted file is forgotten."""
        entry = self.library_entry(pool, media_id)
        if entry is None:
            return None
        if not entry.present:
            self.forget(pool, media_id)
            self.add_history(pool, media_id, "missing", str(entry.path))
            return None
        return entry

    def missing_files(self) -> list[LibraryEntry]:
        """Library entries whose file the user deleted or moved."""
        return [e for e in self.library() if not e.present]

    # -- analysis ---------------------------------------------------------------------
    def record_analysis(
        self,
        path: Path,
        result: Mapping[str, object] | None,
        *,
        pool: str = "",
        media_id: int = 0,
        note: str = "",
        error: str = "",
    ) -> None:
        """Keep a file's analysis (or why it failed); a library entry's tags gain its key,
        BPM and loudness so the library, exports and ``search --key`` see them."""
        data = result or {}
        camelot, bpm = str(data.get("camelot", "")), float(str(data.get("bpm", 0) or 0))
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO analysis (path, pool, media_id, result_json, camelot,"
                " bpm, note, error, analysed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (str(path), pool, media_id, json.dumps(data), camelot, bpm, note, error,
                 time.time()),
            )  # fmt: skip
            if not result:
                return
            extra = {"camelot": camelot, "lufs": data.get("lufs"), "measured_bpm": bpm}
            for row in db.execute("SELECT id, tags_json FROM library WHERE path = ?", (str(path),)):
                tags = {**json.loads(row["tags_json"] or "{}"), **extra}
                tags["key"] = data.get("key", "")
                db.execute(
                    "UPDATE library SET tags_json = ? WHERE id = ?", (json.dumps(tags), row["id"])
                )

    def analysis_for(self, path: Path) -> dict[str, Any] | None:  # Any: sqlite3 row values
        """The stored analysis row of a file (result parsed), or None."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM analysis WHERE path = ?", (str(path),)).fetchone()
        if row is None:
            return None
        return {**dict(row), "result": json.loads(row["result_json"] or "{}")}

    def analysed_keys(self) -> dict[str, str]:
        """``POOL:ID`` -> Camelot code of every analysed download."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT pool, media_id, camelot FROM analysis WHERE pool != '' AND camelot != ''"
            ).fetchall()
        return {f"{r['pool']}:{r['media_id']}": r["camelot"] for r in rows}

    def analysed_files(self) -> list[dict[str, Any]]:  # Any: sqlite3 row values
        """Every file analysed without error: path, pool, media_id, camelot, bpm, lufs."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT path, pool, media_id, camelot, bpm,"
                " json_extract(result_json, '$.lufs') AS lufs FROM analysis WHERE error = ''"
            ).fetchall()
        return [dict(r) for r in rows]

    # -- history ----------------------------------------------------------------------
    def add_history(self, pool: str, media_id: int, event: str, detail: str = "") -> None:
        with self._tx() as db:
            self._insert_history(db, pool, media_id, event, detail)

    @staticmethod
    def _insert_history(
        db: sqlite3.Connection, pool: str, media_id: int, event: str, detail: str
    ) -> None:
        db.execute(
            "INSERT INTO history (at, pool, media_id, event, detail) VALUES (?, ?, ?, ?, ?)",
            (time.time(), pool, media_id, event, detail),
        )

    def history(self, limit: int = 500) -> list[dict[str, Any]]:  # Any: as jobs()
        with self._tx() as db:
            rows = db.execute("SELECT * FROM history ORDER BY id DESC LIMIT ?", (limit,))
            return [dict(r) for r in rows]


def _failure(exc: BaseException, path: Path) -> StoreError:
    mapped = store_error(exc, path) if isinstance(exc, sqlite3.Error) else None
    return mapped or StoreError(f"The download database ({path}) cannot be opened ({exc}).")
