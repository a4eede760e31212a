"""What the pools list for the DJ besides a search: playlists, charts and new releases.

Each pool's own playlists (``api/Content/Playlists``; a playlist's tracks are the
``playlistId`` filter), its chart (``chart=top``: the most downloaded first, within ``days``
when given — rank order is the pool's order, never re-sorted), "new this week" (``days=7``,
newest first) and, across pools, "new from artists I favorited". A failing pool is reported
next to the others' results, as in a search. Binned rows are dropped by the caller's
``keep`` predicate (``Collections.bin_filter``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from crateq.api.errors import CrateQError
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MAX_PAGE_SIZE, MediaQuery, MediaRow, Playlist
from crateq.core.search import PoolFailed, PoolRows, federated_search

NEW_DAYS = 7
T = TypeVar("T")
Keep = Callable[[MediaRow], bool]


@dataclass
class PoolLists:
    """Per-pool answers: ``rows`` (or ``playlists``) by pool, and the pools that failed."""

    rows: dict[str, list[MediaRow]] = field(default_factory=dict)
    playlists: dict[str, list[Playlist]] = field(default_factory=dict)
    errors: dict[str, CrateQError] = field(default_factory=dict)


async def _each(
    clients: Mapping[str, PoolClient], call: Callable[[PoolClient], Awaitable[T]]
) -> list[tuple[str, T | CrateQError]]:
    """``call`` on every pool at once: each pool's answer, or the error it failed with."""
    names = list(clients)
    answers = await asyncio.gather(*(call(clients[n]) for n in names), return_exceptions=True)
    out: list[tuple[str, T | CrateQError]] = []
    for name, answer in zip(names, answers, strict=True):
        if isinstance(answer, BaseException) and not isinstance(answer, CrateQError):
            raise answer
        out.append((name, answer))
    return out


async def playlists(clients: Mapping[str, PoolClient]) -> PoolLists:
    """Every pool's playlists, newest first per pool."""
    result = PoolLists()
    for name, answer in await _each(clients, lambda c: c.playlists()):
        if isinstance(answer, CrateQError):
            result.errors[name] = answer
        else:
            result.playlists[name] = answer
    return result


def find_playlist(found: Iterable[Playlist], spec: str) -> Playlist | None:
    """The playlist ``spec`` names: its id, else its title (case-insensitive, exact first,
    then the one title that contains it)."""
    items = list(found)
    text = spec.strip()
    if text.isdigit():
        return next((p for p in items if p.playlist_id == int(text)), None)
    exact = [p for p in items if p.title.casefold() == text.casefold()]
    if exact:
        return exact[0]
    partial = [p for p in items if text.casefold() in p.title.casefold()]
    return partial[0] if len(partial) == 1 else None


async def charts(
    clients: Mapping[str, PoolClient],
    *,
    days: int | None = None,
    limit: int = 100,
    keep: Keep | None = None,
) -> PoolLists:
    """Each pool's chart in the pool's rank order (1 = most downloaded)."""
    query = MediaQuery(chart=True, days=days, size=max(1, min(limit, MAX_PAGE_SIZE)))
    result = PoolLists()
    for name, answer in await _each(clients, lambda c: c.search(query)):
        if isinstance(answer, CrateQError):
            result.errors[name] = answer
        else:
            result.rows[name] = [r for r in answer.data if keep is None or keep(r)]
    return result


async def _federated(
    clients: Mapping[str, PoolClient], query: MediaQuery, limit: int, keep: Keep | None
) -> PoolLists:
    result = PoolLists()
    async for event in federated_search(clients, query, limit=limit):
        if isinstance(event, PoolRows):
            kept = [r for r in event.rows if keep is None or keep(r)]
            result.rows.setdefault(event.pool, []).extend(kept)
        elif isinstance(event, PoolFailed):
            result.errors[event.pool] = event.error
    return result


async def new_releases(
    clients: Mapping[str, PoolClient],
    *,
    days: int = NEW_DAYS,
    limit: int = 100,
    keep: Keep | None = None,
) -> PoolLists:
    """What each pool published in the last ``days`` days, newest first."""
    query = MediaQuery(days=days, sort="date", dir="desc", size=min(limit, MAX_PAGE_SIZE))
    return await _federated(clients, query, limit, keep)


async def playlist_tracks(
    clients: Mapping[str, PoolClient], spec: str, *, limit: int = 100, keep: Keep | None = None
) -> PoolLists:
    """The tracks of the playlist ``spec`` (id or title) in every pool that has one."""
    found = await playlists(clients)
    result = PoolLists(errors=dict(found.errors))
    wanted: dict[str, PoolClient] = {}
    ids: dict[str, int] = {}
    for name, items in found.playlists.items():
        playlist = find_playlist(items, spec)
        if playlist is not None:
            wanted[name], ids[name] = clients[name], playlist.playlist_id
            result.playlists[name] = [playlist]

    async def one(name: str) -> PoolLists:
        query = MediaQuery(playlist_id=ids[name], size=min(limit, MAX_PAGE_SIZE))
        return await _federated({name: wanted[name]}, query, limit, keep)

    for part in await asyncio.gather(*(one(name) for name in wanted)):
        result.rows.update(part.rows)
        result.errors.update(part.errors)
    return result


async def new_from_artists(
    clients: Mapping[str, PoolClient],
    artists: Iterable[str],
    *,
    days: int = NEW_DAYS,
    limit: int = 50,
    keep: Keep | None = None,
    concurrency: int = 4,
) -> PoolLists:
    """New releases (last ``days`` days) of each artist, across every pool, newest first
    per pool; a few artists are searched at a time so a long favorites list stays polite."""
    gate = asyncio.Semaphore(concurrency)
    result = PoolLists()

    async def one(artist: str) -> None:
        query = MediaQuery(artist=artist, days=days, sort="date", dir="desc",
                           size=min(limit, MAX_PAGE_SIZE))  # fmt: skip
        async with gate:
            part = await _federated(clients, query, limit, keep)
        for name, rows in part.rows.items():
            result.rows.setdefault(name, []).extend(rows)
        result.errors.update(part.errors)

    await asyncio.gather(*(one(a) for a in dict.fromkeys(artists)))
    for name, rows in result.rows.items():
        unique = {row.media_id: row for row in rows}
        result.rows[name] = sorted(unique.values(), key=lambda r: r.date, reverse=True)
    return result
