"""The core services behind charts, playlists, new releases and the wish list's schedule,
against the demo pools on loopback (with their fault switches)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from crateq.core.pool_lists import new_from_artists, new_releases, playlists
from crateq.core.store import Store
from crateq.core.wish_scheduler import WishScheduler
from crateq.core.wishlist import WishChecker, WishList
from crateq.demo.cluster import DemoCluster

POOLS = ("urban-beats", "club-edits")


@pytest.fixture
async def clients(demo_cluster: DemoCluster) -> AsyncIterator[dict[str, PoolClient]]:
    async def password() -> str:
        return "demo"

    made = {
        name: PoolClient(
            name, demo_cluster.pools[name].url, demo_cluster.pools[name].api_key,
            username="demo", password_provider=password,
        )
        for name in POOLS
    }  # fmt: skip
    yield made
    for client in made.values():
        await client.aclose()


async def test_new_releases_are_recent_and_newest_first(clients: dict[str, PoolClient]) -> None:
    found = await new_releases(clients, days=7)
    assert found.errors == {}
    cutoff = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    for rows in found.rows.values():
        dates = [r.date for r in rows]
        assert all(d >= cutoff for d in dates) and dates == sorted(dates, reverse=True)


async def test_new_from_favorite_artists_spans_the_pools(clients: dict[str, PoolClient]) -> None:
    page = await clients["urban-beats"].search(MediaQuery(size=1))
    artist = page.data[0].artist
    found = await new_from_artists(clients, [artist, artist], days=36500)
    rows = [r for pool_rows in found.rows.values() for r in pool_rows]
    assert page.data[0].key in {r.key for r in rows}
    assert all(artist.lower() in r.artist.lower() for r in rows)
    assert len({r.key for r in rows}) == len(rows)  # an artist named twice is searched once


async def test_a_failing_pool_is_reported_beside_the_others_playlists(
    demo_cluster: DemoCluster, clients: dict[str, PoolClient]
) -> None:
    demo_cluster.pools["club-edits"].faults.fail_with_status = 500
    found = await playlists(clients)
    assert set(found.errors) == {"club-edits"}
    assert found.playlists["urban-beats"]


async def test_a_pool_without_playlists_lists_none() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"status": 404, "message": "Not found."})

    client = PoolClient("bare", "http://pool.test/", "k", token="t",
                        transport=httpx.MockTransport(answer))  # fmt: skip
    async with client:
        assert await client.playlists() == []


async def test_the_schedule_backs_off_a_pool_that_is_down(
    crateq_home: Path, demo_cluster: DemoCluster, clients: dict[str, PoolClient]
) -> None:
    store = Store()
    wishes = WishList(store)
    wishes.add("Nobody Sings This - Ever")
    now = [1_000_000.0]
    checker = WishChecker(wishes, clients, clock=lambda: now[0])
    seen: list[object] = []
    scheduler = WishScheduler(checker, interval=60.0, clock=lambda: now[0], on_result=seen.append)
    demo_cluster.pools["club-edits"].faults.fail_with_status = 500
    for _ in range(2):  # two failed checks in a row: the pool is left out for 2x interval+
        result = await scheduler.run_once()
        assert set(result.errors) == {"club-edits"}
        assert (await scheduler.run_once()).checked == []  # the wish is not due again yet
        now[0] = scheduler.pools["club-edits"].next_due + 1.0
    assert scheduler.pools["club-edits"].failures == 2
    (wish,) = wishes.wishes()
    assert wish.last_checked is not None and "club-edits" in wish.last_error
    now[0] = wish.last_checked + 60.0  # the wish is due; the pool is still backing off
    assert scheduler.pools["club-edits"].next_due > now[0]
    quiet = await scheduler.run_once()  # the pool is still down, but not asked
    assert quiet.errors == {} and quiet.checked == [wish.id]
    assert wishes.wishes()[0].last_error == ""
    demo_cluster.pools["club-edits"].faults.fail_with_status = None
    now[0] = scheduler.pools["club-edits"].next_due + 60.0
    assert (await scheduler.run_once()).errors == {}
    assert scheduler.pools["club-edits"].failures == 0
    assert len(seen) == 2  # each failed round was reported; quiet rounds are not
    store.close()


async def test_the_background_loop_ends_when_told_and_wakes_when_poked(crateq_home: Path) -> None:
    import asyncio

    store = Store()
    wishes = WishList(store)
    rounds: list[int] = []
    scheduler = WishScheduler(WishChecker(wishes, {}), interval=3600.0)
    original = scheduler.run_once

    async def counted() -> object:
        rounds.append(1)
        return await original()

    scheduler.run_once = counted  # type: ignore[method-assign]  # count the rounds
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await asyncio.sleep(0.05)
    scheduler.poke()
    await asyncio.sleep(0.05)
    assert len(rounds) == 2  # the first round, and one more on the poke (not after an hour)
    stop.set()
    await asyncio.wait_for(task, 2.0)
    store.close()
