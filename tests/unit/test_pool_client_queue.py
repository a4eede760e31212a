"""Toggle-safe queue and fresh rows, over httpx.MockTransport (downloads: test_transport)."""

from __future__ import annotations

import json

import httpx
import pytest

from crateq.api.errors import PoolNotFound
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaRow


class QueuePool:
    """A pool's queue with the real toggle semantics; ``meddle`` simulates another device."""

    def __init__(self, queued: set[int], catalog: dict[int, dict[str, object]]) -> None:
        self.queued = set(queued)
        self.catalog = catalog
        self.toggles: list[int] = []
        self.searches: list[dict[str, str]] = []
        self.meddle: set[int] = set()  # media toggled by "another device" before our toggle
        self.searchable = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("UpdateQueue"):
            media_id = int(json.loads(request.content)["mediaId"])
            if media_id in self.meddle:
                self.meddle.discard(media_id)
                self.queued ^= {media_id}
            self.toggles.append(media_id)
            added = media_id not in self.queued
            self.queued ^= {media_id}
            message = "Media added to queue." if added else "Media removed from queue."
            return httpx.Response(200, json=[{"id": 1, "message": message}])
        if path.endswith("Queue"):
            size = int(request.url.params["size"])
            number = int(request.url.params["page"])
            ids = sorted(self.queued)
            chunk = ids[(number - 1) * size : number * size]
            data = [{**self.catalog[i], "queueId": 1, "auth": f"q{i}"} for i in chunk]
            pages = max(1, -(-len(ids) // size))
            return httpx.Response(200, json={"records": len(ids), "pages": pages, "data": data})
        if path.endswith("Media"):
            params = dict(request.url.params)
            self.searches.append(params)
            group = params.get("groupId")
            data = [
                {**row, "auth": f"fresh{mid}"}
                for mid, row in self.catalog.items()
                if self.searchable and (group is None or str(row.get("groupId")) == group)
            ]
            return httpx.Response(200, json={"records": len(data), "pages": 1, "data": data})
        return httpx.Response(404, json={"status": 404, "message": "Not found."})


def row(media_id: int, group_id: int = 0) -> MediaRow:
    return MediaRow.model_validate(
        {"mediaId": media_id, "groupId": group_id, "artist": "A", "title": f"T{media_id}"}
    )


def make(pool: QueuePool) -> PoolClient:
    return PoolClient(
        "p", "https://pool.example/", "k", token="t", transport=httpx.MockTransport(pool)
    )


CATALOG = {i: {"mediaId": i, "groupId": 10 + i % 2, "artist": "A"} for i in range(1, 6)}


async def test_queue_add_never_removes_an_already_queued_track() -> None:
    pool = QueuePool({2}, CATALOG)
    client = make(pool)
    assert await client.queue_add(row(2)) is False
    assert pool.toggles == [] and pool.queued == {2}
    assert await client.queue_add(row(3)) is True
    assert pool.queued == {2, 3}


async def test_queue_add_puts_back_a_track_queued_meanwhile_elsewhere() -> None:
    pool = QueuePool(set(), CATALOG)
    pool.meddle = {4}
    assert await make(pool).queue_add(row(4)) is False
    assert pool.queued == {4} and pool.toggles == [4, 4]


async def test_queue_remove_never_adds() -> None:
    pool = QueuePool({1, 3}, CATALOG)
    client = make(pool)
    assert await client.queue_remove(5) is False
    assert pool.toggles == []
    assert await client.queue_remove(3) is True
    assert pool.queued == {1}


async def test_queue_all_reads_every_page() -> None:
    catalog = {i: {"mediaId": i} for i in range(1, 1201)}
    pool = QueuePool(set(catalog), catalog)
    rows = await make(pool).queue_all()
    assert sorted(r.media_id for r in rows) == list(range(1, 1201))
    assert {r.pool for r in rows} == {"p"}


async def test_fresh_row_searches_the_group_for_a_new_auth() -> None:
    pool = QueuePool(set(), CATALOG)
    fresh = await make(pool).fresh_row(row(3, group_id=11))
    assert (fresh.media_id, fresh.auth, fresh.pool) == (3, "fresh3", "p")
    assert pool.searches[0]["groupId"] == "11"


async def test_fresh_row_falls_back_to_the_queue_listing() -> None:
    pool = QueuePool({9}, {**CATALOG, 9: {"mediaId": 9, "groupId": 99}})
    pool.searchable = False
    fresh = await make(pool).fresh_row(row(9, group_id=99))
    assert (fresh.media_id, fresh.auth, fresh.pool) == (9, "q9", "p")
    assert len(pool.searches) == 2  # by group, then by artist + title


async def test_fresh_row_of_a_vanished_track_is_not_found() -> None:
    pool = QueuePool({1}, CATALOG)
    with pytest.raises(PoolNotFound) as err:
        await make(pool).fresh_row(row(9, group_id=99))
    assert err.value.pool == "p"
