"""Every filter form of MediaQuery reaches a demo pool through PoolClient and narrows the rows.

The demo server's own tests send raw parameters; these go through ``MediaQuery.to_params``,
the client and the row models, and check each hit against the pool's database where a row
does not carry the field (playlist, downloads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from crateq.api.pool import PoolClient
from crateq.api.pool_models import Genre, MediaQuery, MediaRow
from crateq.demo.cluster import DemoCluster

Check = Callable[[MediaRow], bool]


@dataclass
class Probe:
    row: MediaRow  # a row with every field filled, the filters are built from it
    genres: list[Genre]
    store: Any

    def db(self, row: MediaRow) -> Any:
        return self.store.get(row.media_id)


def _word(text: str) -> str:
    return max(text.split(), key=len).lower()


def _has(text: str, *fields: str) -> Check:
    return lambda r: any(text.lower() in getattr(r, f).lower() for f in fields)


def _cases(p: Probe) -> dict[str, tuple[dict[str, Any], Check]]:
    r = p.row
    by_title = {g.title: g for g in p.genres}
    genre = by_title[r.genre]
    other = next(g for g in p.genres if g.category_id != genre.category_id)
    names = {genre.title, other.title}
    categories = {genre.category_id, other.category_id}
    in_categories = {g.title for g in p.genres if g.category_id in categories}
    today = dt.datetime.now(dt.UTC).date()
    return {
        "keywords": ({"keywords": _word(r.title)},
                     _has(_word(r.title), "artist", "title", "editor")),
        "artist": ({"artist": r.artist}, _has(r.artist, "artist")),
        "title": ({"title": _word(r.title)}, _has(_word(r.title), "title")),
        "editor": ({"editor": r.editor}, _has(r.editor, "editor")),
        "genreId list": ({"genre_ids": [genre.genre_id, other.genre_id]},
                         lambda x: x.genre in names),
        "categoryId list": ({"category_ids": sorted(categories)},
                            lambda x: x.genre in in_categories),
        "bpm exact": ({"bpm": str(r.bpm)}, lambda x: x.bpm == r.bpm),
        "bpm list": ({"bpm": f"{r.bpm},{r.bpm + 2}"}, lambda x: x.bpm in (r.bpm, r.bpm + 2)),
        "bpm range": ({"bpm": f"{r.bpm - 1}-{r.bpm + 1}"}, lambda x: abs(x.bpm - r.bpm) <= 1),
        "year exact": ({"release_year": str(r.release_year)},
                       lambda x: x.release_year == r.release_year),
        "year list": ({"release_year": f"{r.release_year},2001"},
                      lambda x: x.release_year in (r.release_year, 2001)),
        "year range": ({"release_year": f"{r.release_year - 1}-{r.release_year}"},
                       lambda x: r.release_year - 1 <= x.release_year <= r.release_year),
        "mix list": ({"mix": [r.tool, "Acapella"]}, lambda x: x.tool in (r.tool, "Acapella")),
        "advisory": ({"advisory": r.advisory}, lambda x: x.advisory == r.advisory),
        "groupId": ({"group_id": r.group_id}, lambda x: x.group_id == r.group_id),
        "playlistId": ({"playlist_id": p.db(r)["playlist_id"]},
                       lambda x: p.db(x)["playlist_id"] == p.db(r)["playlist_id"]),
        "days": ({"days": 30}, lambda x: (today - x.published).days <= 30),  # type: ignore[operator]
        "originator": ({"originator": "Somewhere Else"}, lambda x: False),
        "searchType": ({"search_type": "video"}, lambda x: x.video),
    }  # fmt: skip


CASES = (
    "keywords", "artist", "title", "editor", "genreId list", "categoryId list", "bpm exact",
    "bpm list", "bpm range", "year exact", "year list", "year range", "mix list", "advisory",
    "groupId", "playlistId", "days", "originator", "searchType",
)  # fmt: skip


@pytest.fixture
async def client(demo_cluster: DemoCluster) -> AsyncIterator[PoolClient]:
    handle = demo_cluster.pools["urban-beats"]
    async with PoolClient("urban-beats", handle.url, handle.api_key, username="demo") as pool:
        await pool.login("demo")
        yield pool


@pytest.fixture
async def probe(client: PoolClient, demo_cluster: DemoCluster) -> Probe:
    rows = (await client.search(MediaQuery(size=500))).data
    row = next(r for r in rows if r.editor and r.advisory and r.group_id and r.genre)
    store = demo_cluster.pools["urban-beats"].state.store
    return Probe(row, await client.genres(), store)


@pytest.mark.parametrize("name", CASES)
async def test_each_filter_form_narrows_to_matching_rows(
    client: PoolClient, probe: Probe, name: str
) -> None:
    fields, matches = _cases(probe)[name]
    everything = (await client.search(MediaQuery(size=1))).records
    page = await client.search(MediaQuery(**fields, size=500))
    assert page.records < everything
    assert all(matches(r) for r in page.data), [r for r in page.data if not matches(r)][:2]
    if name not in ("originator", "searchType", "days"):  # those may rightly match nothing
        assert probe.row.media_id in {r.media_id for r in page.data} or page.records > 500


async def test_chart_orders_by_downloads_within_days(client: PoolClient, probe: Probe) -> None:
    page = await client.search(MediaQuery(chart=True, days=365, size=50))
    counts = [probe.db(r)["downloads"] for r in page.data]
    assert page.data and counts == sorted(counts, reverse=True)
    assert all((dt.datetime.now(dt.UTC).date() - r.published).days <= 365 for r in page.data)  # type: ignore[operator]


async def test_paging_size_sort_and_direction(client: PoolClient) -> None:
    first = await client.search(MediaQuery(page=1, size=7, sort="bpm", dir="asc"))
    second = await client.search(MediaQuery(page=2, size=7, sort="bpm", dir="asc"))
    assert len(first.data) == len(second.data) == 7 and second.page == 2
    assert first.pages == -(-first.records // 7)
    bpms = [r.bpm for r in first.data + second.data]
    assert bpms == sorted(bpms)
    assert not {r.media_id for r in first.data} & {r.media_id for r in second.data}
    newest = await client.search(MediaQuery(size=20))  # default: date, newest first
    dates = [r.date for r in newest.data]
    assert dates == sorted(dates, reverse=True)


async def test_video_quality_list_and_video_only(demo_cluster: DemoCluster) -> None:
    handle = demo_cluster.pools["vj-vault"]
    async with PoolClient("vj-vault", handle.url, handle.api_key, username="demo") as pool:
        await pool.login("demo")
        qualities = (await pool.video_qualities())[:2]
        titles = {q.title for q in qualities}
        page = await pool.search(
            MediaQuery(quality_ids=[q.quality_id for q in qualities], media="video", size=500)
        )
        assert page.data and all(r.quality in titles and r.video for r in page.data)
        assert page.records < (await pool.search(MediaQuery(size=1))).records
