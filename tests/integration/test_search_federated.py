"""Federated search across the three demo pools on loopback, with their fault switches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from crateq.api.errors import FilterError, PoolTimeout, PoolUnavailable
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from crateq.core.search import (
    PoolFailed,
    PoolFinished,
    PoolRows,
    PoolSlow,
    SearchEvent,
    SearchSession,
    federated_search,
    group_versions,
    query_from_filters,
)
from crateq.demo.cluster import DemoCluster


@pytest.fixture
async def clients(demo_cluster: DemoCluster) -> AsyncIterator[dict[str, PoolClient]]:
    async def password() -> str:
        return "demo"

    made = {
        name: PoolClient(
            name, handle.url, handle.api_key, username="demo", password_provider=password
        )
        for name, handle in demo_cluster.pools.items()
    }
    yield made
    for client in made.values():
        await client.aclose()


async def events_of(
    clients: dict[str, PoolClient], query: MediaQuery, **kw: float
) -> list[SearchEvent]:
    return [event async for event in federated_search(clients, query, **kw)]  # type: ignore[arg-type]


async def test_every_pool_answers_and_rows_carry_their_pool(clients: dict[str, PoolClient]) -> None:
    events = await events_of(clients, MediaQuery(size=20), limit=20)
    finished = {e.pool: e.count for e in events if isinstance(e, PoolFinished)}
    assert finished == dict.fromkeys(clients, 20)
    for event in events:
        if isinstance(event, PoolRows):
            assert {r.pool for r in event.rows} == {event.pool}


async def test_a_failing_pool_leaves_the_others_results(
    demo_cluster: DemoCluster, clients: dict[str, PoolClient]
) -> None:
    demo_cluster.pools["club-edits"].faults.fail_with_status = 500
    demo_cluster.pools["vj-vault"].faults.search_timeout_after_seconds = 0
    events = await events_of(clients, MediaQuery(size=10), limit=10)
    failed = {e.pool: type(e.error) for e in events if isinstance(e, PoolFailed)}
    assert failed == {"club-edits": PoolUnavailable, "vj-vault": PoolTimeout}
    rows = [r for e in events if isinstance(e, PoolRows) for r in e.rows]
    assert len(rows) == 10 and {r.pool for r in rows} == {"urban-beats"}


async def test_a_slow_pool_does_not_hold_back_the_others(
    demo_cluster: DemoCluster, clients: dict[str, PoolClient]
) -> None:
    # the slow pool answers (with its timeout quirk) only after the others are done
    demo_cluster.pools["vj-vault"].faults.search_timeout_after_seconds = 2
    seen: list[SearchEvent] = []
    events = federated_search(clients, MediaQuery(size=5), limit=5, slow_after=0)
    async with contextlib.aclosing(events):
        async for event in events:
            seen.append(event)
            done = {e.pool for e in seen if isinstance(e, PoolFinished)}
            if done == {"urban-beats", "club-edits"}:
                break
    assert PoolSlow("vj-vault") in seen
    assert not any(isinstance(e, PoolRows | PoolFailed) and e.pool == "vj-vault" for e in seen)


async def test_paging_up_to_the_limit(clients: dict[str, PoolClient]) -> None:
    one = {"club-edits": clients["club-edits"]}
    events = await events_of(one, MediaQuery(size=50), limit=130)
    pages = [e.rows for e in events if isinstance(e, PoolRows)]
    assert [len(p) for p in pages] == [50, 50, 30]
    ids = [r.media_id for page in pages for r in page]
    assert len(set(ids)) == 130
    assert events[-1] == PoolFinished("club-edits", 130, events[-1].total)  # type: ignore[union-attr]


async def test_versions_of_a_song_come_together(clients: dict[str, PoolClient]) -> None:
    events = await events_of(clients, MediaQuery(size=200), limit=200)
    rows = [r for e in events if isinstance(e, PoolRows) for r in e.rows]
    songs = group_versions(rows)
    assert any(len(song.versions) > 1 for song in songs)
    for song in songs:
        assert len(song.pools) == 1
        groups = {v.group_id for v in song.versions}
        assert len(groups) == 1
        if 0 in groups:
            assert len(song.versions) == 1
    assert sum(len(s.versions) for s in songs) == len({(r.pool, r.media_id) for r in rows})


async def test_malformed_filters_never_reach_a_pool(
    demo_cluster: DemoCluster, clients: dict[str, PoolClient]
) -> None:
    for handle in demo_cluster.pools.values():
        handle.faults.fail_with_status = 500  # any request would fail loudly
    for text in ("80-", "abc", "90-80"):
        with pytest.raises(FilterError):
            await events_of(clients, query_from_filters(keywords="x", bpm=text))


async def test_a_new_search_cancels_the_stale_one(
    demo_cluster: DemoCluster, clients: dict[str, PoolClient]
) -> None:
    demo_cluster.pools["vj-vault"].faults.search_timeout_after_seconds = 2
    first_rows = asyncio.Event()

    def on_event(event: SearchEvent) -> None:
        if isinstance(event, PoolRows):
            first_rows.set()

    session = SearchSession(clients, limit=5, on_event=on_event)
    stale = asyncio.create_task(session.run(MediaQuery(keywords="a", size=5)))
    await first_rows.wait()
    demo_cluster.pools["vj-vault"].faults.reset()
    fresh = await session.run(MediaQuery(keywords="e", size=5))
    old = await stale
    assert old.cancelled and not fresh.cancelled
    assert fresh.errors == {} and session.finished == set(clients)
    assert {r.pool for r in fresh.rows} == set(clients)
    assert fresh.query.keywords == "e"
