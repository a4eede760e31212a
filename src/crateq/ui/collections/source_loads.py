"""What each source of the tree puts in the grid, read on the core loop (Qt-free).

A pool source (a pool's playlist, chart, "new this week", new from favorited artists) asks
the pools through ``crateq.core.pool_lists`` with the bin as its ``keep`` filter; a local
source (favorites, a crate, the bin, the history, the library, a wish's matches, the pools'
queues) is read from the store. Either way the answer is rows per group (a pool, or the
source's own name) and the :class:`Track` behind every local row, so marks and crate edits
keep a local file's path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crateq.ui.collections.sources import (
    BIN,
    CHARTS,
    CRATE,
    FAVORITES,
    HISTORY,
    LIBRARY,
    NEW,
    NEW_ARTISTS,
    PLAYLIST,
    QUEUE,
    WISH,
    WISHES,
    Source,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from crateq.api.pool_models import MediaRow
    from crateq.core.pool_lists import PoolLists
    from crateq.core.tracks import Track
    from crateq.services import Services

LIMIT = 500
#: Sources read from the store alone (no pool asked): their loads can be cached.
LOCAL = frozenset({FAVORITES, BIN, CRATE, HISTORY, LIBRARY, WISHES, WISH})


class Loaded:
    """Rows per group in the order to show them, pools that failed, local rows' tracks."""

    def __init__(self) -> None:
        self.groups: list[tuple[str, list[MediaRow]]] = []
        self.errors: dict[str, str] = {}
        self.tracks: dict[str, Track] = {}

    def add_tracks(self, group: str, tracks: list[Track]) -> None:
        """Tracks as grid rows; a local file gets a negative id of its own, so files stay
        apart in the grid (which tells rows by ``POOL:ID``)."""
        rows = []
        for number, track in enumerate(tracks, start=1):
            row = track.row()
            if track.is_file:
                row.media_id = -number
            self.tracks[row.key] = track
            rows.append(row)
        self.groups.append((group, rows))


async def load(services: Services, source: Source) -> Loaded:
    """The rows of ``source`` (core loop)."""
    if source.kind in (PLAYLIST, CHARTS, NEW, NEW_ARTISTS):
        return await _pool_list(services, source)
    loaded = Loaded()
    if source.kind == QUEUE:
        await _queues(services, loaded)
    elif source.kind in (FAVORITES, BIN):
        collections = services.collections
        marked = collections.favorites() if source.kind == FAVORITES else collections.binned()
        loaded.add_tracks(source.label, marked)
    elif source.kind == CRATE:
        loaded.add_tracks(source.ident, services.crates.tracks(source.ident))
    elif source.kind == HISTORY:
        loaded.add_tracks(source.label, _unique(e.track for e in services.history.downloads()))
    elif source.kind == LIBRARY:
        loaded.add_tracks(source.label, _library(services))
    elif source.kind in (WISHES, WISH):
        loaded.add_tracks(source.label, _wish_matches(services, source))
    return loaded


async def _pool_list(services: Services, source: Source) -> Loaded:
    from crateq.core import pool_lists

    clients = services.pool_clients()
    if source.pool:
        clients = {n: c for n, c in clients.items() if n == source.pool}
    keep = services.collections.bin_filter()
    found: PoolLists
    if source.kind == PLAYLIST:
        found = await pool_lists.playlist_tracks(clients, source.ident, limit=LIMIT, keep=keep)
    elif source.kind == CHARTS:
        found = await pool_lists.charts(clients, limit=LIMIT, keep=keep)
    elif source.kind == NEW:
        found = await pool_lists.new_releases(clients, limit=LIMIT, keep=keep)
    else:
        artists = services.collections.favorite_artists()
        found = await pool_lists.new_from_artists(clients, artists, keep=keep)
    loaded = Loaded()
    loaded.groups = [(pool, rows) for pool, rows in found.rows.items()]
    loaded.errors = {pool: str(error) for pool, error in found.errors.items()}
    return loaded


async def _queues(services: Services, loaded: Loaded) -> None:
    import asyncio

    snapshot = await asyncio.wrap_future(services.queues.read_all())
    keep = services.collections.bin_filter()
    loaded.groups = [(pool, [r for r in rows if keep(r)]) for pool, rows in snapshot.rows.items()]
    loaded.errors = dict(snapshot.errors)


def _library(services: Services) -> list[Track]:
    from crateq.core.collections import fields_from_tags
    from crateq.core.tracks import Track

    return [
        Track(f"{e.pool}:{e.media_id}", e.pool, e.media_id, str(e.path), fields_from_tags(e.tags))
        for e in reversed(services.store.library())  # newest first
    ]


def _wish_matches(services: Services, source: Source) -> list[Track]:
    from crateq.core.wishlist import SEEN

    wishes = services.wishes.wishes(int(source.ident) if source.kind == WISH else None)
    keep = services.collections.bin_filter()
    tracks = [m.track for w in wishes for m in w.matches if m.outcome != SEEN]
    return [t for t in _unique(tracks) if keep(t.row())]


def _unique(tracks: Iterable[Track]) -> list[Track]:
    seen: dict[str, Track] = {}
    for track in tracks:
        seen.setdefault(track.key, track)
    return list(seen.values())
