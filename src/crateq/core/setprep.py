"""Set prep: every line of a tracklist matched against every pool at once.

For each entry, :class:`SetPrep` searches each pool (at most ``concurrency`` searches per
pool at a time, halved whenever the pool answers 429/503; the pool client itself waits out
the Retry-After), merges the rows into
songs across pools (:func:`crateq.core.songs.merge_songs`), ranks them by fuzzy similarity of
identity (rapidfuzz token ratios over the normalised artists and title) and reports:

- ``have``: the library holds the song (by identity key), ``path`` says which file;
- ``found``: one song clearly ahead; ``chosen`` is its version by the preferences
  (:func:`crateq.core.songs.best_version`), ``candidates`` the alternatives;
- ``ambiguous``: no song clearly ahead, ``candidates`` are the top three;
- ``missing``: nothing close; ``unparsed``: the line named no track (``error`` says why).

Qt-free and plain: the CLI's ``find`` uses it, the GUI's set-prep view will.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from rapidfuzz import fuzz

from crateq.api.errors import CrateQError
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.identity import SongIdentity, identify
from crateq.core.songs import LibraryIndex, Song, Version, best_version, merge_songs, version_order
from crateq.core.tracklist import TrackLine

if TYPE_CHECKING:
    from crateq.api.pool import PoolClient
    from crateq.core.settings import PreferSettings

Status = Literal["have", "found", "ambiguous", "missing", "unparsed"]

FOUND_SCORE = 85.0  # a song this similar (0-100) may be "found"...
CLEAR_LEAD = 8.0  # ...when the next song is at least this much less similar
MIN_SCORE = 60.0  # below this a song is no candidate at all
PER_POOL = 6  # searches in flight per pool, as a browser opens connections per host
ROWS_PER_SEARCH = 50  # per pool and search, as `crateq search` reads by default
MAX_ALTERNATIVES = 10
_WORD = re.compile(r"[A-Za-z0-9]{2,}")
_CO_ARTIST = re.compile(r"\s+(?:feat\.?|ft\.?|featuring|&|and|x|vs\.?|,)\s+|,\s*", re.I)


@dataclass(frozen=True)
class Candidate:
    """A version of a song that may be the line's track, with the song's similarity."""

    version: Version
    score: float

    def as_json(self) -> dict[str, object]:
        return {**self.version.as_json(), "score": round(self.score, 1)}


@dataclass
class LineResult:
    """What one tracklist entry came to (the ``--json`` object of ``crateq find``)."""

    entry: TrackLine
    status: Status
    chosen: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    path: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        entry = self.entry
        data: dict[str, object] = {
            "line": entry.line,
            "input": {"artist": entry.artist, "title": entry.title},
            "status": self.status,
            "chosen": self.chosen.as_json() if self.chosen else None,
            "candidates": [c.as_json() for c in self.candidates],
            "path": self.path,
        }
        if entry.error:
            data["error"] = entry.error
        if self.errors:
            data["errors"] = [{"pool": p, "error": e} for p, e in self.errors.items()]
        return data


def similarity(want: SongIdentity, other: SongIdentity) -> float:
    """0-100: how alike two songs' normalised artists and titles are (100: same key)."""
    if want.key == other.key:
        return 100.0
    artist = fuzz.token_set_ratio(" ".join(want.artists), " ".join(other.artists))
    title = (
        fuzz.token_set_ratio(want.title, other.title)
        + fuzz.token_sort_ratio(want.title, other.title)
    ) / 2
    return float(0.35 * artist + 0.65 * title)


def _keywords(text: str, count: int) -> str:
    """The longest plain words of ``text``: what a pool's substring search surely matches."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    words.sort(key=len, reverse=True)
    return " ".join(words[:count])


def queries(want: SongIdentity) -> list[MediaQuery]:
    """The searches for a song, the most precise first: its title's and lead artist's words,
    the title's alone (the pool may spell the artist otherwise), the artist's alone."""
    title = _keywords(want.clean_title, 3)
    artist = _keywords(_CO_ARTIST.split(want.clean_artist, maxsplit=1)[0], 2)
    texts = [f"{title} {artist.split(' ')[0]}".strip() if title else "", title, artist]
    return [
        MediaQuery(keywords=text, size=ROWS_PER_SEARCH) for text in dict.fromkeys(texts) if text
    ]


def rank(want: SongIdentity, songs: Sequence[Song]) -> list[tuple[float, Song]]:
    """Songs by similarity to ``want``, best first; those below :data:`MIN_SCORE` left out."""
    scored: list[tuple[float, Song]] = []
    for song in songs:  # versions of one spelling score alike: each spelling once
        spellings = {v.identity.key: v.identity for v in song.versions}.values()
        scored.append((max(similarity(want, ident) for ident in spellings), song))
    kept = (p for p in scored if p[0] >= MIN_SCORE)  # ties: the song of the very key first
    return sorted(kept, key=lambda p: (-p[0], p[1].key != want.key))


class PoolGate:
    """At most ``limit`` searches in flight to one pool; a pool that answers 429/503 gets
    half as many from then on (down to one at a time): busy is not hammered."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self._turn = asyncio.Condition()

    async def __aenter__(self) -> None:
        async with self._turn:
            await self._turn.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1

    async def __aexit__(self, *_exc: object) -> None:
        async with self._turn:
            self.in_flight -= 1
            self._turn.notify()

    def slow_down(self) -> None:
        self.limit = max(1, self.limit // 2)


class SetPrep:
    """Match tracklist entries against ``clients`` (pool name -> client) by ``prefs``.

    ``library`` (a :class:`LibraryIndex`) makes songs already held come out as ``have``.
    The clients stay the caller's to close.
    """

    def __init__(
        self,
        clients: Mapping[str, PoolClient],
        prefs: PreferSettings,
        library: LibraryIndex | None = None,
        *,
        concurrency: int = PER_POOL,
    ) -> None:
        self.clients = clients
        self.prefs = prefs
        self.library = library or LibraryIndex()
        self.concurrency = concurrency
        self._limits: dict[str, PoolGate] = {}

    def _limit(self, pool: str) -> PoolGate:
        if pool not in self._limits:
            self._limits[pool] = PoolGate(self.concurrency)
        return self._limits[pool]

    async def find(
        self,
        entries: Sequence[TrackLine],
        on_result: Callable[[LineResult], None] | None = None,
    ) -> list[LineResult]:
        """One result per entry, in the entries' order; ``on_result`` sees each as soon as
        it and every entry before it are done (so a stream keeps the input's order)."""
        tasks = [asyncio.ensure_future(self.match(entry)) for entry in entries]
        results: list[LineResult] = []
        try:
            for task in tasks:
                result = await task
                results.append(result)
                if on_result is not None:
                    on_result(result)
        finally:
            for task in tasks:
                task.cancel()
        return results

    async def match(self, entry: TrackLine) -> LineResult:
        """What one entry comes to (see the module's statuses)."""
        if not entry.ok:
            return LineResult(entry, "unparsed")
        want = identify(entry.artist, entry.title)
        held = self.library.song(want.key)
        if held is not None:
            return LineResult(entry, "have", path=str(held.path))
        errors: dict[str, str] = {}
        ranked: list[tuple[float, Song]] = []
        rows: list[MediaRow] = []
        for query in queries(want):  # until one finds the song
            rows += await self._search_all(query, errors)
            ranked = rank(want, merge_songs(rows))
            if ranked and ranked[0][0] >= FOUND_SCORE:
                break
        return self._decide(entry, want.key, ranked, errors)

    def _decide(
        self,
        entry: TrackLine,
        want_key: str,
        ranked: list[tuple[float, Song]],
        errors: dict[str, str],
    ) -> LineResult:
        """``found`` when the top song is clearly ahead or is the one with the entry's very
        identity key (another artist's song of the same title may score as high)."""
        if not ranked:
            return LineResult(entry, "missing", errors=errors)
        score, song = ranked[0]
        runner_up = ranked[1] if len(ranked) > 1 else None
        clear = runner_up is None or score - runner_up[0] >= CLEAR_LEAD
        clear |= song.key == want_key and runner_up is not None and runner_up[1].key != want_key
        if score < FOUND_SCORE or not clear:
            top = [Candidate(best_version(s, self.prefs), sc) for sc, s in ranked[:3]]
            return LineResult(entry, "ambiguous", candidates=top, errors=errors)
        held = self.library.song(song.key)
        chosen = Candidate(best_version(song, self.prefs), score)
        if held is not None:
            return LineResult(entry, "have", chosen, path=str(held.path), errors=errors)
        others = sorted(song.versions, key=lambda v: version_order(v, self.prefs))
        alternatives = [Candidate(v, score) for v in others if v is not chosen.version]
        alternatives += [Candidate(best_version(s, self.prefs), sc) for sc, s in ranked[1:3]]
        return LineResult(entry, "found", chosen, alternatives[:MAX_ALTERNATIVES], errors=errors)

    async def _search_all(self, query: MediaQuery, errors: dict[str, str]) -> list[MediaRow]:
        pages = await asyncio.gather(*(self._search(n, query, errors) for n in self.clients))
        return [row for page in pages for row in page]

    async def _search(self, pool: str, query: MediaQuery, errors: dict[str, str]) -> list[MediaRow]:
        client, gate = self.clients[pool], self._limit(pool)
        async with gate:
            busy = client.busy_answers
            try:
                page = await client.search(query)
            except CrateQError as exc:
                errors[pool] = str(exc)
                return []
            finally:
                if client.busy_answers > busy:  # the pool said 429/503
                    gate.slow_down()
        return page.data


@dataclass(frozen=True)
class QueueOutcome:
    """One chosen version's server-queue outcome: queued now, already there, or an error."""

    version: Version
    state: Literal["queued", "already queued", "failed"]
    error: str = ""


async def queue_versions(
    clients: Mapping[str, PoolClient], versions: Sequence[Version]
) -> list[QueueOutcome]:
    """Add ``versions`` to their pools' server queues, toggle-safe: each pool's queue is read
    once, a version already there is not sent (UpdateQueue would remove it), and a toggle
    that removed (queued meanwhile elsewhere) is undone, as ``PoolClient.queue_add`` does."""
    by_pool: dict[str, list[Version]] = {}
    for version in versions:
        by_pool.setdefault(version.pool, []).append(version)

    async def one_pool(pool: str, wanted: list[Version]) -> list[QueueOutcome]:
        client = clients[pool]
        try:
            present = {row.media_id for row in await client.queue_all()}
        except CrateQError as exc:
            return [QueueOutcome(v, "failed", str(exc)) for v in wanted]
        out: list[QueueOutcome] = []
        for version in wanted:
            if version.media_id in present:
                out.append(QueueOutcome(version, "already queued"))
                continue
            try:
                result = await client.toggle_queue(version.row)
                if not result.added:
                    await client.toggle_queue(version.row)
                    out.append(QueueOutcome(version, "already queued"))
                    continue
            except CrateQError as exc:
                out.append(QueueOutcome(version, "failed", str(exc)))
                continue
            present.add(version.media_id)
            out.append(QueueOutcome(version, "queued"))
        return out

    done = await asyncio.gather(*(one_pool(p, vs) for p, vs in by_pool.items()))
    return [outcome for outcomes in done for outcome in outcomes]
