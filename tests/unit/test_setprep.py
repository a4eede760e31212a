"""Set prep's decisions over stub pools: statuses, bounded concurrency, a failing pool."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from crateq.api.errors import PoolUnavailable
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaPage, MediaQuery, MediaRow
from crateq.core.identity import identify
from crateq.core.setprep import PER_POOL, SetPrep, similarity
from crateq.core.settings import PreferSettings
from crateq.core.songs import LibraryIndex
from crateq.core.store import LibraryEntry
from crateq.core.tracklist import TrackLine


class StubPool:
    """Answers every search with the rows whose artist or title holds each keyword."""

    def __init__(self, name: str, rows: list[tuple[str, str]], fail: bool = False) -> None:
        self.name, self.fail = name, fail
        self.rows = []
        for n, (artist, title) in enumerate(rows, 1):
            row = MediaRow.model_validate({"mediaId": n, "artist": artist, "title": title})
            row.pool = name
            self.rows.append(row)
        self.running = self.most = self.calls = 0
        self.busy_answers = 0  # as the pool client counts the 429/503 it waited out

    async def search(self, query: MediaQuery) -> MediaPage:
        self.calls += 1
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0.001)
            if self.fail:
                raise PoolUnavailable(f"Pool {self.name} could not be reached.", pool=self.name)
            words = (query.keywords or "").lower().split()
            hits = [
                r for r in self.rows if all(w in f"{r.artist} {r.title}".lower() for w in words)
            ]
            return MediaPage(data=hits)
        finally:
            self.running -= 1


def _prep(*pools: StubPool, library: LibraryIndex | None = None) -> SetPrep:
    clients = cast(dict[str, PoolClient], {p.name: p for p in pools})
    return SetPrep(clients, PreferSettings(), library)


def _statuses(prep: SetPrep, entries: list[TrackLine]) -> list[str]:
    return [r.status for r in asyncio.run(prep.find(entries))]


CATALOG = [
    ("Crown feat. Vee", "Let It Go (Intro - Clean)"),
    ("Mona", "Blue Hour [Dirty]"),
    ("Sol", "Golden Road"),
    ("Luna", "Golden Road (Extended)"),
]


def test_each_entry_gets_its_status_in_order() -> None:
    prep = _prep(
        StubPool("a", CATALOG), StubPool("b", [("Crown ft. Vee", "Let It Go [Intro] - Dirty")])
    )
    entries = [
        TrackLine(1, "Crown & Vee", "Let It Go"),
        TrackLine(2, "Somebody", "Golden Road"),  # two songs of that title, neither artist
        TrackLine(3, "Nobody", "Nothing Like It"),
        TrackLine(4, "", "words", "no 'Artist - Title' in this line"),
        TrackLine(5, "Mona", "Blue Hour"),
    ]
    assert _statuses(prep, entries) == ["found", "ambiguous", "missing", "unparsed", "found"]


def test_the_library_makes_a_song_have(tmp_path: Path) -> None:
    path = tmp_path / "x.mp3"
    path.write_bytes(b"x")
    entry = LibraryEntry("z", 1, path, 1, "0" * 64, {"artist": "Mona", "title": "Blue Hour"}, 0)
    pool = StubPool("a", CATALOG)
    prep = _prep(pool, library=LibraryIndex.of_entries([entry]))
    (result,) = asyncio.run(prep.find([TrackLine(1, "MONA", "Blue Hour (Intro)")]))
    assert (result.status, result.path, pool.calls) == ("have", str(path), 0)  # no search


class BusyPool(StubPool):
    """Says "busy" (as the client counts a 429 it waited out) on its first two searches."""

    def __init__(self, name: str, rows: list[tuple[str, str]]) -> None:
        super().__init__(name, rows)
        self.after_busy: list[int] = []  # searches in flight as each later search starts

    async def search(self, query: MediaQuery) -> MediaPage:
        if self.calls >= 2 * PER_POOL:  # the first ones' "busy" has been counted by then
            self.after_busy.append(self.running + 1)
        if self.calls < 2:
            self.busy_answers += 1
        return await super().search(query)


def test_a_pool_that_answers_busy_gets_fewer_searches_at_once() -> None:
    pool = BusyPool("a", CATALOG)
    results = asyncio.run(
        _prep(pool).find([TrackLine(n, "Sol", "Golden Road") for n in range(60)])
    )
    assert {r.status for r in results} == {"found"}
    assert pool.most == PER_POOL  # at first the full bound
    assert pool.after_busy and max(pool.after_busy) == 1  # halved per busy answer: one


def test_searches_per_pool_are_bounded_and_a_failing_pool_is_reported() -> None:
    good, bad = StubPool("a", CATALOG), StubPool("b", [], fail=True)
    prep = _prep(good, bad)
    results = asyncio.run(prep.find([TrackLine(n, "Sol", "Golden Road") for n in range(40)]))
    assert {r.status for r in results} == {"found"}
    assert good.most == bad.most == PER_POOL  # bounded per pool, and the bound is used
    assert results[0].errors == {"b": "Pool b could not be reached."}
    assert results[0].as_json()["errors"] == [
        {"pool": "b", "error": "Pool b could not be reached."}
    ]


def test_similarity_is_100_for_one_song_and_low_for_another() -> None:
    one = identify("Crown feat. Vee", "Let It Go (Intro)")
    assert similarity(one, identify("Crown ft. Vee", "LET IT GO [Dirty]")) == 100
    assert similarity(one, identify("Mona", "Blue Hour")) < 40
    close = similarity(one, identify("Crown", "Let It Go Again"))
    assert 60 < close < 100


def test_the_song_of_the_very_key_wins_a_tie() -> None:
    pool = StubPool("a", [("Sol feat. Mona", "Golden Road"), ("Sol", "Golden Road [Dirty]")])
    (alone, featured) = asyncio.run(
        _prep(pool).find(
            [TrackLine(1, "Sol", "Golden Road"), TrackLine(2, "Sol ft Mona", "Golden Road")]
        )
    )
    assert alone.status == featured.status == "found"
    assert alone.chosen is not None and alone.chosen.version.row.artist == "Sol"
    assert featured.chosen is not None and featured.chosen.version.row.artist == "Sol feat. Mona"
