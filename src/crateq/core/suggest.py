"""Auto-complete and "did you mean": artists and titles the app has seen, in a local index.

An SQLite FTS5 table with prefix indexes (``prefix='1 2 3'``) in its own file under the cache
folder (``suggest.sqlite``: rebuilt from use if lost, and out of the store's migrations). It
is fed from the library (:meth:`Suggestions.know`) and from result rows as they arrive
(:meth:`Suggestions.remember`). Both only queue the texts: one writer thread turns each
batch into one deduplicated upsert, so the core loop that delivers rows never waits for
SQLite (:meth:`Suggestions.flush` waits for the queue). Each entry counts
how often it was seen and when last; :meth:`Suggestions.suggest` ranks prefix matches by that
count decayed with age. :meth:`Suggestions.did_you_mean` is rapidfuzz over the known texts.
Thread-safe (one connection behind a lock); blocking: call it on the core loop, not the GUI.
"""

from __future__ import annotations

import logging
import math
import queue
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

log = logging.getLogger(__name__)
Kind = Literal["artist", "title"]
HALF_LIFE = 30 * 86400.0  # seconds after which a sighting counts half
LIBRARY_SEEN = 5  # a track in the library counts as seen this often
CANDIDATES = 1000  # FTS matches ranked per keystroke (the newest, when a prefix is common)
_WORD = re.compile(r"\w+", re.UNICODE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    norm TEXT NOT NULL,
    seen INTEGER NOT NULL,
    last REAL NOT NULL,
    score REAL NOT NULL,
    h1 TEXT NOT NULL,
    h2 TEXT NOT NULL,
    UNIQUE (kind, norm)
);
CREATE INDEX IF NOT EXISTS entries_h1 ON entries (h1, score DESC);
CREATE INDEX IF NOT EXISTS entries_h2 ON entries (h2, score DESC);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
    text, content='entries', content_rowid='id',
    prefix='1 2 3', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS entries_ai AFTER INSERT ON entries BEGIN
    INSERT INTO entries_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS entries_ad AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""
# seen += n (at least ``floor``), last = now, score recomputed; the text keeps its first form
_UPSERT = """
INSERT INTO entries (text, kind, norm, seen, last, score, h1, h2)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?9, ?10)
ON CONFLICT (kind, norm) DO UPDATE SET
    seen = max(seen + ?7, ?8),
    last = max(last, excluded.last),
    score = crateq_score(max(seen + ?7, ?8), max(last, excluded.last))
"""
# three or more characters: the FTS5 prefix index; its newest CANDIDATES matches are ranked
_SUGGEST = """
SELECT e.text, e.kind, e.seen, e.last FROM entries e
WHERE e.id IN (
    SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? ORDER BY rowid DESC LIMIT ?
)
ORDER BY e.score DESC LIMIT ?
"""
# one or two characters match thousands of words: the texts that start with them, in the
# order of an index, read no further than ``limit`` rows
_SUGGEST_HEAD = {
    n: f"SELECT text, kind, seen, last FROM entries WHERE h{n} = ? ORDER BY score DESC LIMIT ?"
    for n in (1, 2)
}


class RowLike(Protocol):
    """What :meth:`Suggestions.remember` reads of a result row (a ``MediaRow``)."""

    @property
    def artist(self) -> str: ...
    @property
    def title(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _Batch:
    pairs: list[tuple[str, str]]  # (artist, title)
    add: int  # sightings to add
    floor: int  # the least count an entry then has
    now: float | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    kind: Kind
    weight: float  # times seen, halved for every HALF_LIFE since last seen


def _score(seen: int, last: float) -> float:
    """Orders like ``seen * 0.5 ** ((now - last) / HALF_LIFE)`` for any ``now``."""
    return math.log2(max(seen, 1)) + last / HALF_LIFE


def normalize(text: str) -> str:
    """The dedup key: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def fold(text: str) -> str:
    """``normalize`` without accents and leading non-word characters: the text's head."""
    plain = unicodedata.normalize("NFKD", normalize(text))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"^\W+", "", plain)


def match_expression(prefix: str) -> str:
    """An FTS5 query for ``prefix``: each word quoted, each a prefix; "" for no words.

    Only word characters reach FTS5, so quotes, ``*``, ``NEAR(``, ``-`` or ``:`` in what the
    DJ types can never be read as query syntax.
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", prefix))
    return " ".join(f'"{word}"*' for word in words[:8])


def _pairs(artist: str, title: str) -> list[tuple[Kind, str]]:
    from crateq.core.identity import identify

    song = identify(artist, title)
    out: list[tuple[Kind, str]] = []
    if song.clean_artist.strip():
        out.append(("artist", song.clean_artist.strip()))
    if song.clean_title.strip():
        out.append(("title", song.clean_title.strip()))
    return out


class Suggestions:
    """The index in ``path`` (created if missing); see the module docstring."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()  # the reading connection and the choices' cache
        # two connections over WAL: a keystroke's read never waits for a batch being written
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.create_function("crateq_score", 2, _score, deterministic=True)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._read = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._texts: list[str] | None = None  # did_you_mean's choices, dropped on change
        self._folded: list[str] = []
        self._queue: queue.Queue[_Batch | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="suggest", daemon=True)
        self._writer.start()

    def close(self) -> None:
        """Write what is queued, then close the file."""
        self._queue.put(None)
        self._writer.join()
        self._db.close()
        with self._lock:
            self._read.close()

    # -- feeding ------------------------------------------------------------------------------
    def remember(self, rows: Iterable[RowLike], *, now: float | None = None) -> None:
        """Count one sighting of each distinct artist and title in ``rows`` (queued: cheap)."""
        pairs = [(row.artist, row.title) for row in rows]
        if pairs:
            self._queue.put(_Batch(pairs, 1, 1, now))

    def know(self, tags: Iterable[Mapping[str, object]], *, now: float | None = None) -> None:
        """Add library tracks (their ``artist``/``title`` tags) without counting them again:
        each counts as seen at least LIBRARY_SEEN times, so the library ranks first."""
        pairs = [(str(t.get("artist") or ""), str(t.get("title") or "")) for t in tags]
        if pairs:
            self._queue.put(_Batch(pairs, 0, LIBRARY_SEEN, now))

    def flush(self) -> None:
        """Wait until every queued batch is in the file."""
        self._queue.join()

    def _write_loop(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                self._upsert(batch)
            except Exception:  # a broken batch must not stop the writer (nor the app)
                log.warning("suggestions: a batch was not written", exc_info=True)
            finally:
                self._queue.task_done()

    def _upsert(self, batch: _Batch) -> int:
        found: dict[tuple[Kind, str], str] = {}
        for artist, title in batch.pairs:
            for kind, text in _pairs(artist, title):
                found.setdefault((kind, normalize(text)), text)
        if not found:
            return 0
        add, floor = batch.add, batch.floor
        at = time.time() if batch.now is None else batch.now
        seen = max(add, floor)
        params = []
        for (kind, norm), text in found.items():
            head = fold(text)
            score = _score(seen, at)
            params.append((text, kind, norm, seen, at, score, add, floor, head[:1], head[:2]))
        self._db.execute("BEGIN")  # only the writer thread writes
        try:
            self._db.executemany(_UPSERT, params)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        with self._lock:
            self._texts = None
        return len(params)

    # -- asking -------------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8, *, now: float | None = None) -> list[Suggestion]:
        """Artists and titles with a word starting with each word of ``prefix``, best first
        (for one or two characters: the texts that start with them)."""
        expression = match_expression(prefix)
        if not expression or limit <= 0:
            return []
        at = time.time() if now is None else now
        head = fold(prefix)
        with self._lock:
            if len(head) <= 2 and _WORD.fullmatch(head):
                rows = self._read.execute(_SUGGEST_HEAD[len(head)], (head, limit)).fetchall()
            else:
                rows = self._read.execute(_SUGGEST, (expression, CANDIDATES, limit)).fetchall()
        return [
            Suggestion(text, kind, seen * 0.5 ** (max(at - last, 0.0) / HALF_LIFE))
            for text, kind, seen, last in rows
        ]

    def did_you_mean(self, query: str, *, cutoff: float = 80.0) -> str | None:
        """The known artist or title closest to ``query`` (rapidfuzz), unless it is the query."""
        from rapidfuzz import fuzz, process, utils

        wanted = utils.default_process(fold(query))
        if not wanted:
            return None
        texts, folded = self._choices()
        hits = process.extract(
            wanted, folded, scorer=fuzz.ratio, processor=None, limit=3, score_cutoff=cutoff
        )
        for _text, _score, index in sorted(hits, key=lambda hit: (-hit[1], hit[2])):
            if folded[index] != wanted:
                return texts[index]
        return None

    def _choices(self) -> tuple[list[str], list[str]]:
        """The known texts, best-seen first, and each as rapidfuzz compares it (cached)."""
        from rapidfuzz import utils

        with self._lock:
            if self._texts is None:
                rows = self._read.execute("SELECT text FROM entries ORDER BY score DESC")
                texts = [text for (text,) in rows]
                self._texts = texts
                self._folded = [utils.default_process(fold(text)) for text in texts]
            return self._texts, self._folded

    def __len__(self) -> int:
        with self._lock:
            return int(self._read.execute("SELECT count(*) FROM entries").fetchone()[0])


def default_path() -> Path:
    from crateq.core import paths

    return paths.cache_dir() / "suggest.sqlite"
