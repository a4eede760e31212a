"""The download database's schema: its ordered migrations (MIGRATIONS[n] takes a database
at version n to n+1, ``PRAGMA user_version`` says where it stands) and the indexes made on
every open."""

from __future__ import annotations

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
