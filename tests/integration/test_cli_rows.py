"""POOL:ID look-ups (cli/_rows.py) against the demo pools over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaPage, MediaQuery, MediaRow
from crateq.cli._rows import SEARCH_PAGES, look_up
from crateq.demo.cluster import DemoCluster

POOL = "urban-beats"


class CountingClient(PoolClient):
    """A real pool client that counts the listings it reads."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.queue_reads = 0
        self.pages: list[int] = []

    async def queue_all(self) -> list[MediaRow]:
        self.queue_reads += 1
        return await super().queue_all()

    async def search(self, query: MediaQuery) -> MediaPage:
        self.pages.append(query.page)
        return await super().search(query)


async def _password() -> str:
    return "demo"


def _client(name: str, url: str, key: str) -> CountingClient:
    return CountingClient(name, url, key, username="demo", password_provider=_password)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_one_read_per_pool_rows_handed_over_in_key_order_and_each_miss_explained(
    demo_cluster: DemoCluster,
) -> None:
    handle = demo_cluster.pools[POOL]

    async def scenario() -> tuple[Any, ...]:
        async with _client(POOL, handle.url, handle.api_key) as client:
            await client.login()
            first = await client.search(MediaQuery(page=1, size=3, sort="mediaId"))
            ids = [row.media_id for row in first.data]
            client.pages.clear()
            dead = _client("gone", f"http://127.0.0.1:{_closed_port()}/", "k")
            heard: list[int] = []
            keys = [(POOL, ids[2]), (POOL, 1), (POOL, ids[0]), ("gone", 7), ("nowhere", 8)]
            try:
                rows, errors = await look_up(
                    {POOL: client, "gone": dead}, keys, lambda row: heard.append(row.media_id)
                )
            finally:
                await dead.aclose()
            return ids, rows, errors, heard, client.queue_reads, client.pages

    ids, rows, errors, heard, queue_reads, pages = asyncio.run(scenario())
    assert heard == [ids[2], ids[0]]  # as the keys name them, each once
    assert set(rows) == {(POOL, ids[2]), (POOL, ids[0])} and rows[(POOL, ids[0])].pool == POOL
    assert queue_reads == 1  # one queue read for all of the pool's ids
    assert pages[0] == 1 and len(pages) <= SEARCH_PAGES and pages == sorted(set(pages))
    assert errors[f"{POOL}:1"] == "No such track in this pool."
    assert errors["gone:7"] and "No such" not in errors["gone:7"]  # the pool's own failure
    assert errors["nowhere:8"] == "No such pool is configured."
