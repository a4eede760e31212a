"""One demo pool's catalog and per-user state in SQLite (indexes + FTS5 trigram search).

A fresh database file is built for every server start (fast: one transaction, executemany),
so a test run never sees state left by another. Access is serialised by a lock: each query
is short, and the app calls in from worker threads. What the search SQL's shapes save is
measured in docs/PERFORMANCE.md, "Demo servers".
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from crateq.demo import audio
from crateq.demo.catalog import GENRES, VIDEO_QUALITIES, CatalogRow, PoolSpec
from crateq.demo.filters import SearchQuery
from crateq.demo.media_layout import MediaLayout

_SCHEMA = """
CREATE TABLE media (
  media_id INTEGER PRIMARY KEY, originator_id TEXT UNIQUE NOT NULL, artist TEXT NOT NULL,
  title TEXT NOT NULL, genre TEXT NOT NULL, genre_id INTEGER, category_id INTEGER,
  bpm INTEGER, advisory TEXT, editor TEXT, tool TEXT, release_year INTEGER, quality TEXT,
  quality_id INTEGER, date TEXT, video INTEGER, audio INTEGER, source TEXT, group_id INTEGER,
  playlist_id INTEGER, filename TEXT, size_bytes INTEGER, seconds REAL, units INTEGER,
  downloads INTEGER, version INTEGER NOT NULL DEFAULT 1, haystack TEXT NOT NULL,
  length_text TEXT, size_text TEXT, preview_token TEXT,
  -- the row's fixed wire fields as JSON text (no braces): a page joins them with the
  -- per-user ones instead of building a 22-field object per row
  wire_head TEXT GENERATED ALWAYS AS (rtrim(json_object(
    'mediaId', media_id, 'artist', artist, 'title', title, 'genre', genre, 'bpm', bpm,
    'advisory', advisory, 'editor', editor, 'length', length_text, 'size', size_text,
    'tool', tool, 'releaseYear', release_year, 'quality', quality, 'date', date), '}')) STORED,
  wire_mid TEXT GENERATED ALWAYS AS (rtrim(substr(json_object(
    'video', json(iif(video, 'true', 'false')), 'audio', json(iif(audio, 'true', 'false')),
    'source', source), 2), '}')) STORED
);
CREATE VIRTUAL TABLE media_fts USING fts5(artist, title, editor, tokenize='trigram');
CREATE VIRTUAL TABLE media_grams USING fts5(pairs, tokenize='ascii', detail=none);
CREATE TABLE queue (
  queue_id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, media_id INTEGER NOT NULL,
  queue_date TEXT NOT NULL, UNIQUE (user_id, media_id)
);
CREATE TABLE downloaded (user_id TEXT, media_id INTEGER, PRIMARY KEY (user_id, media_id));
"""
_INDEXES = (
    "date", "bpm", "genre_id", "category_id", "group_id", "tool", "release_year",
    "quality_id", "playlist_id", "downloads", "size_bytes", "seconds", "source",
)  # fmt: skip
_COLUMNS = (
    "media_id", "originator_id", "artist", "title", "genre", "genre_id", "category_id", "bpm",
    "advisory", "editor", "tool", "release_year", "quality", "quality_id", "date", "video",
    "audio", "source", "group_id", "playlist_id", "filename", "size_bytes", "seconds", "units",
    "downloads", "version", "haystack", "length_text", "size_text", "preview_token",
)  # fmt: skip

#: Below this many matches a page is sorted from the matches rather than found by walking
#: the order's index (which reads ~size x catalog / matches rows): sqrt(100 x 100k) ~ 3000.
SORT_MATCHES_BELOW = 3000

#: Order expressions an index serves (see ``_INDEXES``): a page of many keyword matches is
#: found by walking that index and probing the FTS match list, not by sorting every match.
_INDEXED_ORDERS = (
    "m.media_id ", "m.artist COLLATE NOCASE ", "m.bpm ", "m.seconds ", "m.size_bytes ",
    "m.tool ", "m.release_year ", "m.quality_id ", "m.date ", "m.source ", "m.group_id ",
    "m.downloads ",
)  # fmt: skip

_INSERT_GRAMS = "INSERT INTO media_grams (rowid, pairs) VALUES (?, ?)"
#: A media row by column name (a new entry's, or ``dict`` of a stored one), and its values in
#: ``_COLUMNS`` order: each column has its own type, read by the name of the column.
MediaRecord: TypeAlias = dict[str, Any]  # Any: sqlite3 rows and dataclass __dict__ give Any
MediaValues: TypeAlias = tuple[Any, ...]  # Any: as MediaRecord's, one per column
_ID_AT, _HAYSTACK_AT = _COLUMNS.index("media_id"), _COLUMNS.index("haystack")


def _grams_row(values: MediaValues) -> tuple[int, str]:
    """(rowid, letter pairs of the haystack: artist, title and editor lower-cased)."""
    return values[_ID_AT], letter_pairs(values[_HAYSTACK_AT])


_GENRES = {g[0]: g for g in GENRES}
_QUALITIES = {q[0]: q[1] for q in VIDEO_QUALITIES}
_VIDEO_SIZES = {q[0]: (q[2], q[3]) for q in VIDEO_QUALITIES}


def letter_pairs(text: str) -> str:
    """Every two-character run of ``text`` lower-cased, space-separated: the document of the
    ``media_grams`` index, which finds a two-letter word (see ``filters.letter_pair``). Runs
    with ASCII punctuation or spaces fall apart into one-letter tokens no pair query names."""
    lowered = text.lower()
    return " ".join(set(map(operator.add, lowered, lowered[1:])))


def format_length(seconds: float) -> str:
    """``MM:SS`` as the pools show a track's length."""
    total = round(seconds)
    return f"{total // 60:02d}:{total % 60:02d}"


def format_size(size: int) -> str:
    """``8.12 MB`` as the pools show a file's size."""
    return f"{size / 1_000_000:.2f} MB"


class PageSigner(Protocol):
    """What signs the per-row links of a listing (the pool's TokenAuthority)."""

    def preview_token(self, media_id: int, version: int) -> str: ...

    def download_tokens(self, user_id: str, now: float | None = None) -> Callable[[int], str]: ...


#: A page's rows as the wire's JSON objects, built by SQLite: no Python dict or json.dumps per
#: row. The page comes as a JSON array of ``[mediaId, download token]`` in order: the tokens
#: are signed in one Python loop, not by a function SQLite calls per row. Preview tokens
#: depend on the row alone and are stored with it when the store knows the signer
#: (``previews``); else SQLite asks the signer per row. The fixed fields come as JSON text
#: stored with the row (``wire_head``, ``wire_mid``), in the wire's order; ``json_quote``
#: writes the rest as ``json_object`` would.
#: Parameters: base URL, the array, user, user.
_ROWS_JSON = (
    "SELECT m.wire_head || ',\"preview\":' || json_quote(? || 'api/Content/Preview/'"
    " || m.media_id || '?t=' || {preview})"
    " || ',\"downloaded\":' || iif(d.media_id IS NULL, 'false', 'true') || ',' || m.wire_mid"
    " || ',\"auth\":' || json_quote(j.value ->> 1)"
    " || ',\"img\":' || iif(m.video, '\"img/' || m.media_id || '.png\"', '\"\"')"
    " || ',\"queueId\":' || coalesce(q.queue_id, 0)"
    " || ',\"groupId\":' || json_quote(m.group_id) || '}'"
    " FROM json_each(?) j JOIN media m ON m.media_id = j.value ->> 0"
    " LEFT JOIN queue q ON q.media_id = m.media_id AND q.user_id = ?"
    " LEFT JOIN downloaded d ON d.media_id = m.media_id AND d.user_id = ?"
    " ORDER BY j.key"
)
_ROWS_JSON_STORED = _ROWS_JSON.replace("{preview}", "m.preview_token")
_ROWS_JSON_SIGNED = _ROWS_JSON.replace("{preview}", "crateq_preview_token(m.media_id, m.version)")


@dataclass(frozen=True)
class MediaSettings:
    """How big generated files are: at least ``seconds`` long, or ``size_bytes`` big."""

    seconds: float = 24.0
    size_bytes: int | None = None


def layout_of(row: sqlite3.Row | MediaRecord, media: MediaSettings) -> MediaLayout:
    """How the row's file is built: MP4 with a video track of its quality for video rows."""
    if not row["video"]:
        return audio.layout_for(int(row["bpm"]), "mp3", media.seconds, media.size_bytes)
    size = _VIDEO_SIZES.get(int(row["quality_id"] or 0), _VIDEO_SIZES[2])
    palette = int(row["media_id"]) % 12
    return audio.layout_for(int(row["bpm"]), "mp4", media.seconds, media.size_bytes, size, palette)


class PoolStore:
    """The SQLite side of one pool: build, search, queue, downloads, catalog edits."""

    def __init__(
        self, path: Path, spec: PoolSpec, media: MediaSettings,
        previews: Callable[[int, int], str] | None = None,
    ) -> None:  # fmt: skip
        """``previews`` signs a row's preview link (media id, version) when it is stored, so
        a listing signed by the same function reads it instead of signing it again."""
        self.spec = spec
        self.media = media
        self._previews = previews
        path.unlink(missing_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA mmap_size=268435456")
        self._db.execute("PRAGMA cache_size=-65536")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.executescript(_SCHEMA)
        self._signing: PageSigner | None = None
        self._db.create_function("crateq_preview_token", 2, self._preview_token)

    def _preview_token(self, media_id: int, version: int) -> str:
        assert self._signing is not None, "only search_json signs rows"
        return self._signing.preview_token(media_id, version)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _values(self, row: MediaRecord) -> MediaValues:
        genre = _GENRES.get(int(row["genre_id"] or 0))
        row["genre"] = genre[1] if genre else row.get("genre", "")
        row["category_id"] = genre[2] if genre else row.get("category_id", 0)
        row["quality"] = _QUALITIES.get(int(row["quality_id"] or 0), "")
        row["audio"] = 0 if row["video"] else 1
        row["source"] = self.spec.display
        row["haystack"] = "\x1f".join((row["artist"], row["title"], row["editor"])).lower()
        layout = layout_of(row, self.media)
        row["size_bytes"], row["seconds"], row["units"] = layout.size, layout.seconds, layout.units
        row["length_text"], row["size_text"] = (
            format_length(layout.seconds),
            format_size(layout.size),
        )
        previews = self._previews
        row["preview_token"] = previews(row["media_id"], row["version"]) if previews else None
        return tuple(row[name] for name in _COLUMNS)

    def load(self, rows: Iterable[CatalogRow]) -> None:
        """Bulk insert generated rows, then index them (faster than indexing while loading)."""
        today = dt.date.today()
        values = []
        for r in rows:
            record = dict(r.__dict__)
            record["date"] = (today - dt.timedelta(days=r.age_days)).isoformat()
            record["version"] = 1
            values.append(self._values(record))
        marks = ",".join("?" * len(_COLUMNS))
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            db.executemany(f"INSERT INTO media ({','.join(_COLUMNS)}) VALUES ({marks})", values)
            db.execute(
                "INSERT INTO media_fts (rowid, artist, title, editor)"
                " SELECT media_id, artist, title, editor FROM media"
            )
            db.executemany(_INSERT_GRAMS, map(_grams_row, values))
            for column in _INDEXES:
                db.execute(f"CREATE INDEX idx_media_{column} ON media ({column})")
            db.execute("CREATE INDEX idx_media_artist ON media (artist COLLATE NOCASE)")
            # covering index for two-letter keywords (no trigram): counting reads it, not rows
            db.execute("CREATE INDEX idx_media_haystack ON media (haystack)")
            db.execute("COMMIT")
            db.execute("ANALYZE")  # full statistics: ~0.2 s at 100k rows, far better plans

    _PAGE = (
        "SELECT m.*, q.queue_id AS queue_id, q.queue_date AS queue_date,"
        " (d.media_id IS NOT NULL) AS downloaded FROM media m"
        " LEFT JOIN queue q ON q.media_id = m.media_id AND q.user_id = ?"
        " LEFT JOIN downloaded d ON d.media_id = m.media_id AND d.user_id = ?"
        " WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
    )

    def _sql(
        self, query: SearchQuery, user_id: str, queue_only: bool, sort_matches: bool = False
    ) -> tuple[str, list[object], str, list[object]]:
        """(COUNT query, its parameters, page query, its parameters) of a search.

        ``sort_matches`` keeps SQLite from walking the order's index (``+`` on the first
        order term): right when few rows match, since that walk reads the whole catalog
        before it has a page of sparse matches. With many matches and an indexed order it
        is the other way round: ``+`` on the other filters (and on ``media_id`` for the
        keyword match list) stops SQLite from fetching and sorting every match; it walks the
        order's index instead, reading ~size x catalog / matches rows.
        """
        fts = "m.media_id IN (SELECT rowid FROM media_fts WHERE media_fts MATCH ?)"
        match = " AND ".join(query.fts)
        count_sql, count_params = self._count_sql(query, queue_only, fts, match, user_id)
        clauses, params = list(query.where), list(query.params)
        order = query.order_sql
        if not sort_matches and order.startswith(_INDEXED_ORDERS):
            column = order.split()[0] + " "
            clauses = [c if c.lstrip("+").startswith(column) or not c.startswith("m.")
                       else "+" + c for c in clauses]  # fmt: skip
            fts = "+" + fts
        if query.fts:
            clauses.append(fts)
            params.append(match)
        if queue_only:
            clauses.append("m.media_id IN (SELECT media_id FROM queue WHERE user_id = ?)")
            params.append(user_id)
        where = " AND ".join(clauses) or "1"
        if sort_matches and order.startswith("m."):
            order = "+" + order
        page = self._PAGE.format(where=where, order=order)
        page_params = [user_id, user_id, *params, query.size, (query.page - 1) * query.size]
        return count_sql, count_params, page, page_params

    @staticmethod
    def _count_sql(
        query: SearchQuery, queue_only: bool, fts: str, match: str, user_id: str
    ) -> tuple[str, list[object]]:
        """The COUNT query: keyword matches are counted from the FTS table when it can.

        Keywords alone: the FTS table's own count, without joining each match to ``media``.
        Keywords and only unindexable filters (two-letter words): the matches drive the
        join, not a scan of the catalog. Keywords and an indexed filter: that index drives,
        probing the match list.
        """
        where, params = list(query.where), list(query.params)
        if query.fts and not queue_only:
            if not where:  # the two tables hold the same rows
                return "SELECT COUNT(*) FROM media_fts WHERE media_fts MATCH ?", [match]
            if not any(c.lstrip("+").startswith("m.") for c in where):
                return (
                    "SELECT COUNT(*) FROM media_fts CROSS JOIN media m"
                    " ON m.media_id = media_fts.rowid WHERE media_fts MATCH ? AND "
                    + " AND ".join(where),
                    [match, *params],
                )
            where.append("+" + fts)
            params.append(match)
        elif query.fts:
            where.append(fts)
            params.append(match)
        if queue_only:
            where.append("m.media_id IN (SELECT media_id FROM queue WHERE user_id = ?)")
            params.append(user_id)
        return f"SELECT COUNT(*) FROM media m WHERE {' AND '.join(where) or '1'}", params

    def _page_locked(
        self, query: SearchQuery, user_id: str, queue_only: bool
    ) -> tuple[int, str, list[object]]:
        """(count, page SQL, its parameters); SQL "" when the page lies past the matches."""
        count_sql, count_params, _, _ = self._sql(query, user_id, queue_only)
        count = int(self._db.execute(count_sql, count_params).fetchone()[0])
        if count <= (query.page - 1) * query.size:  # nothing on this page: no page query
            return count, "", []
        few = count <= SORT_MATCHES_BELOW
        _, _, page_sql, page_params = self._sql(query, user_id, queue_only, few)
        return count, page_sql, page_params

    def search(
        self, query: SearchQuery, user_id: str, queue_only: bool = False
    ) -> tuple[int, list[sqlite3.Row]]:
        """(total matching rows, rows of the requested page)."""
        with self._lock:
            count, page_sql, page_params = self._page_locked(query, user_id, queue_only)
            rows = self._db.execute(page_sql, page_params).fetchall() if page_sql else []
        return count, rows

    def search_json(
        self, query: SearchQuery, user_id: str, signer: PageSigner, base_url: str, now: float
    ) -> tuple[int, list[bytes]]:
        """(total matching rows, the page's rows as wire JSON objects, signed for ``user_id``).

        The rows stay UTF-8 bytes as SQLite made them: the answer's body is bytes too, so
        decoding a page into ``str`` only to encode it again would be wasted work.
        """
        with self._lock:
            count, page_sql, page_params = self._page_locked(query, user_id, False)
            if not page_sql:
                return count, []
            # ids first: sorting thousands of matches must not build (and sign) each one
            ids = self._db.execute(
                page_sql.replace("SELECT m.*,", "SELECT m.media_id,", 1), page_params
            )
            sign = signer.download_tokens(user_id, now)
            order = json.dumps([(row[0], sign(row[0])) for row in ids])
            stored = self._previews is not None and self._previews == signer.preview_token
            self._signing = signer
            self._db.text_factory = bytes
            try:
                sql = _ROWS_JSON_STORED if stored else _ROWS_JSON_SIGNED
                rows = self._db.execute(sql, [base_url, order, user_id, user_id])
                return count, [row[0] for row in rows]
            finally:
                self._db.text_factory = str
                self._signing = None

    def explain(self, query: SearchQuery, user_id: str = "") -> list[str]:
        """SQLite's plan for the page query: how tests and the benchmark see index use."""
        count_sql, count_params, _, _ = self._sql(query, user_id, False)
        with self._lock:
            count = int(self._db.execute(count_sql, count_params).fetchone()[0])
            few = count <= SORT_MATCHES_BELOW
            _, _, page_sql, page_params = self._sql(query, user_id, False, few)
            plan = self._db.execute("EXPLAIN QUERY PLAN " + page_sql, page_params).fetchall()
        return [str(step[3]) for step in plan]

    def get(self, media_id: int) -> sqlite3.Row | None:
        with self._lock:
            cursor = self._db.execute("SELECT * FROM media WHERE media_id = ?", (media_id,))
            row: sqlite3.Row | None = cursor.fetchone()
            return row

    def toggle_queue(self, user_id: str, media_id: int) -> tuple[int, bool]:
        """(queueId, added): the same call adds, or removes what is already queued."""
        with self._lock:
            found = self._db.execute(
                "SELECT queue_id FROM queue WHERE user_id = ? AND media_id = ?",
                (user_id, media_id),
            ).fetchone()
            if found:
                self._db.execute("DELETE FROM queue WHERE queue_id = ?", (found[0],))
                return int(found[0]), False
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
            cursor = self._db.execute(
                "INSERT INTO queue (user_id, media_id, queue_date) VALUES (?, ?, ?)",
                (user_id, media_id, now),
            )
            return int(cursor.lastrowid or 0), True

    def mark_downloaded(self, user_id: str, media_id: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO downloaded (user_id, media_id) VALUES (?, ?)",
                (user_id, media_id),
            )
            self._db.execute(
                "UPDATE media SET downloads = downloads + 1 WHERE media_id = ?", (media_id,)
            )

    def playlists(self) -> list[tuple[int, int, str]]:
        """(playlistId, track count, newest track's date) of every playlist with tracks."""
        with self._lock:
            rows = self._db.execute(
                "SELECT playlist_id, COUNT(*), MAX(date) FROM media WHERE playlist_id > 0"
                " GROUP BY playlist_id"
            ).fetchall()
        return [(int(r[0]), int(r[1]), str(r[2] or "")) for r in rows]

    def genre_ids(self) -> set[int]:
        with self._lock:
            return {int(r[0]) for r in self._db.execute("SELECT DISTINCT genre_id FROM media")}

    def upsert(self, record: MediaRecord) -> tuple[int, bool]:
        """Add or update by originator id; (mediaId, created)."""
        with self._lock:
            db = self._db
            found = db.execute(
                "SELECT media_id, version, downloads FROM media WHERE originator_id = ?",
                (record["originator_id"],),
            ).fetchone()
            if found:
                record["media_id"] = found[0]
                record["version"] = found[1] + 1
                record["downloads"] = found[2]
            else:
                top = db.execute("SELECT COALESCE(MAX(media_id), 0) FROM media").fetchone()[0]
                record["media_id"] = max(int(top), self.spec.media_id_base) + 1
                record["version"] = 1
                record["downloads"] = 0
            values = self._values(record)
            marks = ",".join("?" * len(_COLUMNS))
            db.execute("BEGIN")
            db.execute(
                f"INSERT OR REPLACE INTO media ({','.join(_COLUMNS)}) VALUES ({marks})", values
            )
            db.execute("DELETE FROM media_fts WHERE rowid = ?", (record["media_id"],))
            db.execute("DELETE FROM media_grams WHERE rowid = ?", (record["media_id"],))
            db.execute(
                "INSERT INTO media_fts (rowid, artist, title, editor) VALUES (?, ?, ?, ?)",
                (record["media_id"], record["artist"], record["title"], record["editor"]),
            )
            db.execute(_INSERT_GRAMS, _grams_row(values))
            db.execute("COMMIT")
            return int(record["media_id"]), not found

    def delete(self, originator_id: str) -> int | None:
        with self._lock:
            db = self._db
            found = db.execute(
                "SELECT media_id FROM media WHERE originator_id = ?", (originator_id,)
            ).fetchone()
            if not found:
                return None
            db.execute("BEGIN")
            for table in ("media", "media_fts", "media_grams", "queue", "downloaded"):
                column = "rowid" if table.startswith("media_") else "media_id"
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (found[0],))
            db.execute("COMMIT")
            return int(found[0])

    def by_originator(self, originator_id: str) -> MediaRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM media WHERE originator_id = ?", (originator_id,)
            ).fetchone()
            return dict(row) if row else None
