"""SQLite persistence of download jobs, the local library and history.

One database file under ``crateq.core.paths.data_dir()``, in WAL mode so the GUI can read
while the engine writes. The schema is versioned with ``PRAGMA user_version`` and brought
forward by the ordered ``MIGRATIONS``; a database from a newer CrateQ is refused rather than
damaged. The connection is shared across threads behind a lock (every call is short), so the
engine's loop, its worker threads and the GUI may all call it. Progress is written by the
engine at most about once a second per job, never per chunk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crateq.core import paths
from crateq.core.errors import StoreError

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject, JSONValue

MIGRATIONS: tuple[str, ...] = (
    # 1: jobs, library, history
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        pool TEXT NOT NULL,
        media_id INTEGER NOT NULL,
        row_json TEXT NOT NULL,
        dest TEXT NOT NULL,
        path TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        bytes_done INTEGER NOT NULL DEFAULT 0,
        total_bytes INTEGER,
        transfer_json TEXT NOT NULL DEFAULT '{}',
        priority REAL NOT NULL,
        force INTEGER NOT NULL DEFAULT 0,
        auto_resume INTEGER NOT NULL DEFAULT 1,
        created REAL NOT NULL,
        updated REAL NOT NULL
    );
    CREATE INDEX jobs_state ON jobs(state);
    CREATE INDEX jobs_media ON jobs(pool, media_id);
    CREATE TABLE library (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        pool TEXT NOT NULL,
        media_id INTEGER NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        tags_json TEXT NOT NULL DEFAULT '{}',
        added REAL NOT NULL,
        UNIQUE(pool, media_id)
    );
    CREATE INDEX library_sha ON library(sha256);
    CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        pool TEXT NOT NULL,
        media_id INTEGER NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: the DJ's collections (crateq.core.collections, crates, wishlist): favorites and
    # the bin, crates (nestable, ordered), wishes and what each matched
    """
    CREATE TABLE marked (
        kind TEXT NOT NULL CHECK (kind IN ('favorite', 'bin')),
        track_key TEXT NOT NULL,
        pool TEXT NOT NULL DEFAULT '',
        media_id INTEGER NOT NULL DEFAULT 0,
        path TEXT NOT NULL DEFAULT '',
        fields_json TEXT NOT NULL DEFAULT '{}',
        added REAL NOT NULL,
        PRIMARY KEY (kind, track_key)
    );
    CREATE TABLE crates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        parent_id INTEGER REFERENCES crates(id) ON DELETE CASCADE,
        position REAL NOT NULL,
        created REAL NOT NULL
    );
    CREATE UNIQUE INDEX crates_name ON crates(COALESCE(parent_id, 0), name COLLATE NOCASE);
    CREATE TABLE crate_tracks (
        crate_id INTEGER NOT NULL REFERENCES crates(id) ON DELETE CASCADE,
        position REAL NOT NULL,
        track_key TEXT NOT NULL,
        pool TEXT NOT NULL DEFAULT '',
        media_id INTEGER NOT NULL DEFAULT 0,
        path TEXT NOT NULL DEFAULT '',
        fields_json TEXT NOT NULL DEFAULT '{}',
        added REAL NOT NULL,
        PRIMARY KEY (crate_id, track_key)
    );
    CREATE INDEX crate_tracks_order ON crate_tracks(crate_id, position);
    CREATE TABLE wishes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        keywords TEXT NOT NULL DEFAULT '',
        artist TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        action TEXT NOT NULL DEFAULT 'notify' CHECK (action IN ('notify', 'queue', 'download')),
        created REAL NOT NULL,
        last_checked REAL,
        last_error TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE wish_matches (
        wish_id INTEGER NOT NULL REFERENCES wishes(id) ON DELETE CASCADE,
        track_key TEXT NOT NULL,
        pool TEXT NOT NULL,
        media_id INTEGER NOT NULL,
        fields_json TEXT NOT NULL DEFAULT '{}',
        matched REAL NOT NULL,
        outcome TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (wish_id, track_key)
    );
    CREATE INDEX history_event ON history(event, at);
    """,
    # 3: the checks a done job's file passed (download_verify.CHECKS, comma-separated)
    """
    ALTER TABLE jobs ADD COLUMN verified TEXT NOT NULL DEFAULT '';
    """,
    # 4: analysis: tempo, key and loudness per file (downloads and files analysed by path)
    """
    CREATE TABLE analysis (
        path TEXT PRIMARY KEY,
        pool TEXT NOT NULL DEFAULT '',
        media_id INTEGER NOT NULL DEFAULT 0,
        result_json TEXT NOT NULL DEFAULT '{}',
        camelot TEXT NOT NULL DEFAULT '',
        bpm REAL NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        analysed REAL NOT NULL
    );
    CREATE INDEX analysis_media ON analysis(pool, media_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# Indexes that only speed things up, made when missing on every open (no data changes, so no
# schema version: an older release ignores them). jobs_priority: adding a job reads
# MAX(priority), which without it scanned every job (a 10,000-job queue: 3 ms an add).
SPEED_INDEXES = ("CREATE INDEX IF NOT EXISTS jobs_priority ON jobs(priority)",)
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

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=10
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        for index in SPEED_INDEXES:
            self._db.execute(index)

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
        with self._lock:
            yield self._db

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
        with self._lock:
            yield self._db

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
            return int(row[0]), float(row[1])

    def update_job(self, job_id: int, **fields: object) -> None:
        """Write the named columns of a job (state, reason, bytes_done, path, …)."""
        if not fields:
            return
        fields["updated"] = time.time()
        cols = ", ".join(f"{name} = ?" for name in fields)
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

    # -- history ----------------------------------------------------------------------
    def add_history(self, pool: str, media_id: int, event: str, detail: str = "") -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO history (at, pool, media_id, event, detail) VALUES (?, ?, ?, ?, ?)",
                (time.time(), pool, media_id, event, detail),
            )

    def history(self, limit: int = 500) -> list[dict[str, Any]]:  # Any: as jobs()
        with self._tx() as db:
            rows = db.execute("SELECT * FROM history ORDER BY id DESC LIMIT ?", (limit,))
            return [dict(r) for r in rows]
