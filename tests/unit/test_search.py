"""Federated search over MockTransport pools: fan-out, failures, slowness, paging, grouping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from crateq.api.errors import FilterError, PoolUnavailable
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MAX_PAGE_SIZE, MediaQuery, MediaRow
from crateq.core.search import (
    MAX_PAGES_PER_POOL,
    PoolFailed,
    PoolFinished,
    PoolRows,
    PoolSlow,
    SearchEvent,
    SearchSession,
    federated_search,
    group_versions,
    next_page_size,
    query_from_filters,
)

AsyncHandler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def catalog_handler(count: int, prefix: int = 0) -> Callable[[httpx.Request], httpx.Response]:
    """A pool with ``count`` rows that pages like the real one."""

    def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["size"])
        number = int(request.url.params["page"])
        ids = range(prefix + 1, prefix + count + 1)[(number - 1) * size : number * size]
        data = [{"mediaId": i, "groupId": i, "artist": "A", "title": str(i)} for i in ids]
        pages = -(-count // size)
        return httpx.Response(200, json={"records": count, "pages": pages, "data": data})

    return handler


class Counting:
    def __init__(self, handler: Callable[[httpx.Request], object]) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.handler(request)
        if asyncio.iscoroutine(answer):
            answer = await answer
        assert isinstance(answer, httpx.Response)
        return answer


def client(name: str, handler: Callable[[httpx.Request], object]) -> tuple[PoolClient, Counting]:
    counting = Counting(handler)
    pool = PoolClient(
        name, f"https://{name}.example/", "k", token="t", transport=httpx.MockTransport(counting)
    )
    return pool, counting


async def collect(events: object) -> list[SearchEvent]:
    return [event async for event in events]  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["80-", "abc", "90-80", "-80", "80--90", "1.5"])
@pytest.mark.parametrize("field", ["bpm", "release_year"])
async def test_malformed_number_filters_fail_before_any_request(text: str, field: str) -> None:
    pool, counting = client("a", catalog_handler(3))
    with pytest.raises(FilterError) as err:
        await collect(federated_search({"a": pool}, query_from_filters(**{field: text})))
    assert repr(text) in str(err.value)
    with pytest.raises(ValidationError):
        MediaQuery(**{field: text})  # type: ignore[arg-type]
    assert counting.requests == []


def test_empty_number_filter_is_rejected_by_the_model_and_means_unset_in_forms() -> None:
    with pytest.raises(ValidationError, match="empty"):
        MediaQuery(bpm="")
    assert query_from_filters(bpm="", keywords="x").bpm is None


def test_good_number_filters_are_normalised() -> None:
    query = MediaQuery(bpm=" 80 - 90 ", release_year="2019, 2020")
    assert (query.bpm, query.release_year) == ("80-90", "2019,2020")
    assert query.to_params()["releaseYear"] == "2019,2020"


async def test_a_failing_pool_is_reported_next_to_the_others_rows() -> None:
    down = lambda r: httpx.Response(500, json={"status": 500, "message": "down"})  # noqa: E731
    clients = {
        "a": client("a", catalog_handler(3, 100))[0],
        "b": client("b", down)[0],
        "c": client("c", catalog_handler(2, 300))[0],
    }
    events = await collect(federated_search(clients, MediaQuery()))
    failed = [e for e in events if isinstance(e, PoolFailed)]
    assert [(e.pool, type(e.error)) for e in failed] == [("b", PoolUnavailable)]
    rows = [r for e in events if isinstance(e, PoolRows) for r in e.rows]
    assert sorted((r.pool, r.media_id) for r in rows) == [
        ("a", 101), ("a", 102), ("a", 103), ("c", 301), ("c", 302),
    ]  # fmt: skip
    finished = {e.pool: e.count for e in events if isinstance(e, PoolFinished)}
    assert finished == {"a": 3, "c": 2}


async def test_a_slow_pool_does_not_hold_back_the_others() -> None:
    release = asyncio.Event()
    fast = catalog_handler(2)

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return fast(request)

    clients = {"slow": client("slow", slow)[0], "fast": client("fast", fast)[0]}
    seen: list[SearchEvent] = []
    async for event in federated_search(clients, MediaQuery(), slow_after=0):
        seen.append(event)
        if isinstance(event, PoolFinished) and event.pool == "fast":
            assert not any(e.pool == "slow" and not isinstance(e, PoolSlow) for e in seen)
            release.set()
    assert PoolSlow("slow") in seen
    assert PoolFinished("fast", 2, 2) in seen and PoolFinished("slow", 2, 2) in seen
    assert seen.index(PoolFinished("fast", 2, 2)) < seen.index(PoolFinished("slow", 2, 2))


async def test_pages_until_the_limit_and_trims_the_last_page() -> None:
    pool, counting = client("a", catalog_handler(250))
    events = await collect(federated_search({"a": pool}, MediaQuery(size=100), limit=230))
    sizes = [len(e.rows) for e in events if isinstance(e, PoolRows)]
    assert sizes == [100, 100, 30]
    assert [r.url.params["page"] for r in counting.requests] == ["1", "2", "3"]
    assert events[-1] == PoolFinished("a", 230, 250)


async def test_big_results_grow_their_pages_without_gaps_or_repeats() -> None:
    pool, counting = client("a", catalog_handler(5000))
    events = await collect(federated_search({"a": pool}, MediaQuery(size=100), limit=3334))
    ids = [r.media_id for e in events if isinstance(e, PoolRows) for r in e.rows]
    assert ids == list(range(1, 3335))
    asked = [(int(r.url.params["page"]), int(r.url.params["size"])) for r in counting.requests]
    assert asked[:4] == [(1, 100), (2, 100), (2, 200), (2, 400)]
    assert len(asked) == 11  # instead of 34 pages of 100
    assert events[-1] == PoolFinished("a", 3334, 5000)


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(0, 1300),
    limit=st.integers(1, 1500),
    size=st.sampled_from([1, 7, 25, 50, 100, 128, 500]),
    first=st.integers(1, 4),
)
def test_growing_pages_deliver_exactly_what_fixed_pages_would(
    count: int, limit: int, size: int, first: int
) -> None:
    async def run() -> list[int]:
        pool, _ = client("a", catalog_handler(count))
        query = MediaQuery(size=size, page=first)
        events = await collect(federated_search({"a": pool}, query, limit=limit))
        return [r.media_id for e in events if isinstance(e, PoolRows) for r in e.rows]

    start = (first - 1) * size
    expected = list(range(1, count + 1))[start : start + limit]
    if len(expected) > size * MAX_PAGES_PER_POOL:  # the page bound counts requests
        return
    assert asyncio.run(run()) == expected


@pytest.mark.parametrize(("offset", "size", "wanted"), [(0, 100, 10**6), (300, 100, 10**6)])
def test_next_page_size_stays_aligned_and_bounded(offset: int, size: int, wanted: int) -> None:
    grown = next_page_size(offset, size, wanted)
    assert offset % grown == 0 and size <= grown <= MAX_PAGE_SIZE


async def test_paging_stops_at_the_last_page() -> None:
    pool, counting = client("a", catalog_handler(120))
    events = await collect(federated_search({"a": pool}, MediaQuery(size=50), limit=1000))
    assert events[-1] == PoolFinished("a", 120, 120)
    assert len(counting.requests) == 3


async def test_a_new_run_cancels_the_stale_search() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()
    answer = catalog_handler(1)

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("keywords") == "old":
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise
        return answer(request)

    events: list[SearchEvent] = []
    session = SearchSession({"a": client("a", handler)[0]}, on_event=events.append)
    stale = asyncio.create_task(session.run(MediaQuery(keywords="old")))
    await started.wait()
    fresh = await session.run(MediaQuery(keywords="new"))
    old = await stale
    assert cancelled.is_set()
    assert old.cancelled and not fresh.cancelled
    assert [r.media_id for r in fresh.rows] == [1] and session.rows == fresh.rows
    assert events == [PoolRows("a", fresh.rows, 1), PoolFinished("a", 1, 1)]
    assert session.finished == {"a"} and not session.running


def row(pool: str, media_id: int, group_id: int, tool: str) -> MediaRow:
    data = {"mediaId": media_id, "groupId": group_id, "tool": tool, "artist": "A", "audio": True}
    found = MediaRow.model_validate(data)
    found.pool = pool
    return found


def test_versions_group_by_pool_and_group_id_best_first() -> None:
    rows = [
        row("a", 1, 7, "Acapella"),
        row("a", 2, 0, "Main"),
        row("a", 3, 7, "Extended"),
        row("b", 4, 7, "Intro"),
        row("a", 5, 0, "Main"),
        row("a", 6, 7, "Intro"),
        row("a", 3, 7, "Extended"),  # the same row twice (two pages overlapping)
    ]
    songs = group_versions(rows)
    assert [[v.media_id for v in s.versions] for s in songs] == [[3, 6, 1], [2], [4], [5]]
    assert songs[0].pools == ["a"] and songs[0].best.tool == "Extended"
    assert songs[2].pools == ["b"]


async def test_closing_the_event_stream_cancels_pending_requests() -> None:
    cancelled = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    clients = {"hang": client("hang", hang)[0], "fast": client("fast", catalog_handler(1))[0]}
    async with contextlib.aclosing(federated_search(clients, MediaQuery())) as events:
        async for event in events:
            if isinstance(event, PoolFinished):
                break
    assert cancelled.is_set()


async def test_pages_emptied_by_the_media_filter_do_not_stop_the_paging() -> None:
    def mixed(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        ids = range((number - 1) * 100 + 1, number * 100 + 1)
        data = [{"mediaId": i, "audio": i <= 100, "video": i > 100} for i in ids]
        return httpx.Response(200, json={"records": 300, "pages": 3, "data": data})

    pool, counting = client("a", mixed)
    events = await collect(federated_search({"a": pool}, MediaQuery(media="video"), limit=150))
    assert [len(e.rows) for e in events if isinstance(e, PoolRows)] == [100, 50]
    assert len(counting.requests) == 3


async def test_a_pool_without_a_pages_field_still_pages_by_its_record_count() -> None:
    def no_pages(request: httpx.Request) -> httpx.Response:
        answer = catalog_handler(120)(request)
        body = answer.json()
        del body["pages"]
        return httpx.Response(200, json=body)

    pool, counting = client("a", no_pages)
    events = await collect(federated_search({"a": pool}, MediaQuery(size=50), limit=500))
    assert events[-1] == PoolFinished("a", 120, 120)
    assert len(counting.requests) == 3
