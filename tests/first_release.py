"""A $CRATEQ_HOME as the first release (the first session's last commit, cd7ff99) left it:
its settings.json and its SQLite database, built from that release's schema and formats,
which are copied here as data (``git show cd7ff99:src/crateq/core/store.py``,
``…/settings.py``, ``…/api/pool_models.py``, ``…/core/tagging.py``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

# Migration 1 of the first release's store, verbatim; it stopped at PRAGMA user_version = 1.
SCHEMA_V1 = """
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
"""
JOB_COLUMNS = ("id", "pool", "media_id", "row_json", "dest", "path", "state", "reason",
               "bytes_done", "total_bytes", "transfer_json", "priority", "force",
               "auto_resume", "created", "updated")  # fmt: skip
LIBRARY_COLUMNS = ("id", "pool", "media_id", "path", "size", "sha256", "tags_json", "added")
HISTORY_COLUMNS = ("id", "at", "pool", "media_id", "event", "detail")

# The first release's MediaRow, by wire alias (``model_dump_json(by_alias=True)``).
ROW_FIELDS_V1 = ("mediaId", "artist", "title", "genre", "bpm", "advisory", "editor",
                 "length", "size", "tool", "releaseYear", "quality", "date", "preview",
                 "downloaded", "video", "audio", "source", "auth", "img", "queueId",
                 "groupId", "queueDate", "pool")  # fmt: skip
STALE_TOKEN = "1700000000.0123456789abcdef0123456789abcdef"  # a token long expired
T0 = 1_763_900_000.0  # 2025-11-23: when the first release wrote these rows


def settings_v1(pools: dict[str, str], api_key: str, folder: Path, crate_url: str) -> object:
    """settings.json of the first release (``version`` 1; no export/prefer/analysis/tags)."""
    return {
        "version": 1,
        "pools": [
            {"name": name, "url": url, "api_key": api_key, "username": "demo", "enabled": True}
            for name, url in pools.items()
        ],
        "crate": {"url": crate_url},
        "downloads": {
            "folder": str(folder),
            "folder_template": "{pool}/{genre}",
            "file_template": "{artist} - {title} ({tool})",
            "per_pool_jobs": 2,
            "total_jobs": 4,
            "overwrite_tags": True,
            "auto_download": False,
            "auto_interval_seconds": 120,
            "remove_from_server_queue": False,
        },
        "ui": {
            "theme": "high-contrast",
            "widget_opacity": 0.8,
            "preview_device": "",
            "preview_volume": 0.5,
        },
    }


def row_v1(wire: dict[str, object], pool: str) -> str:
    """A row as the first release stored it: its fields only, with its (now stale) token."""
    row = {k: wire[k] for k in ROW_FIELDS_V1 if k in wire}
    return json.dumps({**row, "auth": STALE_TOKEN, "pool": pool})


def tags_v1(wire: dict[str, object]) -> str:
    """``TagValues.from_row(row).items()`` of the first release, as tags_json."""
    raw = {"title": wire["title"], "artist": wire["artist"], "genre": wire["genre"],
           "bpm": wire["bpm"], "year": wire["releaseYear"], "grouping": wire["tool"],
           "editor": wire["editor"]}  # fmt: skip
    return json.dumps({k: str(v) for k, v in raw.items() if v not in ("", 0)})


@dataclass
class FirstReleaseDb:
    """The rows written, kept to compare with what this release reads back."""

    path: Path
    jobs: list[tuple[object, ...]] = field(default_factory=list)
    library: list[tuple[object, ...]] = field(default_factory=list)
    history: list[tuple[object, ...]] = field(default_factory=list)

    def create(self) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute("PRAGMA journal_mode=WAL")  # as the first release opened it
            db.executescript(f"BEGIN;{SCHEMA_V1};PRAGMA user_version = 1;COMMIT;")

    def add_job(self, pool: str, media_id: int, row_json: str, dest: Path, state: str,
                *, path: Path | None = None, reason: str = "", done: int = 0,
                total: int | None = None, transfer: dict[str, object] | None = None,
                auto_resume: bool = True) -> None:  # fmt: skip
        n = len(self.jobs) + 1
        self.jobs.append((n, pool, media_id, row_json, str(dest), str(path or ""), state, reason,
                          done, total, json.dumps(transfer or {}), float(n), 0,
                          int(auto_resume), T0 + n, T0 + n + 0.5))  # fmt: skip

    def add_library(self, pool: str, media_id: int, path: Path, tags_json: str) -> None:
        data = path.read_bytes()
        n = len(self.library) + 1
        sha = hashlib.sha256(data).hexdigest()
        self.library.append((n, pool, media_id, str(path), len(data), sha, tags_json, T0 + n))

    def add_history(self, pool: str, media_id: int, event: str, detail: str) -> None:
        n = len(self.history) + 1
        self.history.append((n, T0 + 10 * n, pool, media_id, event, detail))

    def write(self) -> None:
        with sqlite3.connect(self.path) as db:
            for table, columns, rows in (("jobs", JOB_COLUMNS, self.jobs),
                                         ("library", LIBRARY_COLUMNS, self.library),
                                         ("history", HISTORY_COLUMNS, self.history)):  # fmt: skip
                marks = ", ".join("?" * len(columns))
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
