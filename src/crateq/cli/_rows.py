"""Pool rows for POOL:ID keys: each pool's queue and catalog read once for all its ids.

The API has no look-up by mediaId, so a row is found in the pool's queue or its catalog's
pages. The queue and the first page are asked for at once, and every pool at once: a pool
far away answers in one round trip's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import MediaRow

SEARCH_PAGES = 20  # a mediaId not in the queue is looked for in this many search pages
PAGE_SIZE = 500


Found = Callable[["MediaRow"], object]
"""Called with each row as soon as it is found (the engine can start on it)."""


async def find_rows(
    client: PoolClient, pool: str, ids: Iterable[int], on_found: Found | None = None
) -> dict[int, MediaRow]:
    """The pool's rows (fresh ``auth``) of those ``ids`` it has: its queue, then its catalog.
    ``on_found`` hears of each row as its page comes, in the order of ``ids``."""
    import asyncio

    from crateq.api.pool_models import MediaQuery

    order = list(dict.fromkeys(ids))
    found: dict[int, MediaRow] = {}

    def pick(*pages: list[MediaRow]) -> None:
        fresh = {}
        for rows in pages:
            for row in rows:
                if row.media_id not in found and row.media_id not in fresh:
                    fresh[row.media_id] = row
        for media_id in order:
            hit = fresh.get(media_id)
            if hit is not None and media_id not in found:
                hit.pool = hit.pool or pool
                found[media_id] = hit
                if on_found is not None:
                    on_found(hit)

    queued, answer = await asyncio.gather(
        client.queue_all(), client.search(MediaQuery(page=1, size=PAGE_SIZE))
    )
    pick(queued, answer.data)
    page = 1
    while len(found) < len(order) and page < min(SEARCH_PAGES, answer.pages):
        page += 1
        answer = await client.search(MediaQuery(page=page, size=PAGE_SIZE))
        pick(answer.data)
    return found


async def look_up(
    clients: Mapping[str, PoolClient],
    keys: Iterable[tuple[str, int]],
    on_found: Found | None = None,
) -> tuple[dict[tuple[str, int], MediaRow], dict[str, str]]:
    """Each key's row, and for each key not found why ("POOL:ID" -> reason); pools at once,
    each row handed to ``on_found`` as soon as it is found."""
    import asyncio

    from crateq.api.errors import CrateQError

    by_pool: dict[str, list[int]] = {}
    for pool, media_id in keys:
        by_pool.setdefault(pool, []).append(media_id)
    pools = [p for p in by_pool if p in clients]
    answers = await asyncio.gather(
        *(find_rows(clients[p], p, by_pool[p], on_found) for p in pools), return_exceptions=True
    )
    rows: dict[tuple[str, int], MediaRow] = {}
    errors: dict[str, str] = {}
    for pool, answer in zip(pools, answers, strict=True):
        if isinstance(answer, CrateQError):
            errors.update({f"{pool}:{i}": str(answer) for i in by_pool[pool]})
        elif isinstance(answer, BaseException):
            raise answer
        else:
            rows.update({(pool, i): row for i, row in answer.items()})
            missing = [i for i in by_pool[pool] if i not in answer]
            errors.update({f"{pool}:{i}": "No such track in this pool." for i in missing})
    for pool in by_pool:
        if pool not in clients:
            errors.update({f"{pool}:{i}": "No such pool is configured." for i in by_pool[pool]})
    return rows, errors
