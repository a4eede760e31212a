"""A search's rows made ready for the grid on the core thread: merged, grouped, sorted.

The pools' pages arrive on the core loop. ``ResultStream`` drops media it already has,
merges versions into songs across pools (``SongMerger``: a pool's version group stays one
song, and rows of any pool with the same identity key join it, as
:func:`crateq.core.songs.merge_songs` does) and keeps the songs in the grid's sort order
there, so the GUI thread only swaps in a finished ``ResultBatch``
(``ResultsModel.apply_batch``): no per-row Python work on the thread that paints. Batches
go out at most every ``BATCH_INTERVAL`` (a tenth of a second: each batch costs the grid a
layout and a repaint, and ten a second look continuous): each holds every song so far, so
a newer one replaces an older one not yet shown.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

    from crateq.api.pool_models import MediaRow
    from crateq.ui.columns import Column

GroupKey = str  # a song's key: its identity key (or its pool's group, for a row without one)
SortSpec = list[tuple["Column[MediaRow]", "Qt.SortOrder"]]
BATCH_INTERVAL = 0.1  # seconds between batches to the grid


def song_key(row: MediaRow) -> tuple[str, int]:
    """A pool's version group: rows sharing (pool, groupId); a row without one is its own."""
    return (row.pool, row.group_id) if row.group_id else (row.pool, -row.media_id)


class SongInfo(NamedTuple):
    """What a song row shows beyond its first version: the clean title and pool count."""

    title: str  # the title without the version tags the Mix/Advisory columns show
    pools: int


class Forgotten(NamedTuple):
    """What ``SongMerger.forget`` took out: ``heads`` maps ``id`` of each song's first
    version that went to the song's next one (None: the song went); ``shrunk`` are the
    songs left with fewer versions, ``gone`` those left with none; ``removed`` counts the
    versions."""

    heads: dict[int, MediaRow | None]
    shrunk: set[GroupKey]
    gone: set[GroupKey]
    removed: int

    def swapped(self, rows: list[MediaRow]) -> list[MediaRow]:
        """``rows`` (songs' first versions) with each one that went replaced by its song's
        next version, or left out when its song went."""
        out: list[MediaRow] = []
        for row in rows:
            if id(row) in self.heads:
                nxt = self.heads[id(row)]
                if nxt is None:
                    continue
                row = nxt
            out.append(row)
        return out


class SongMerger:
    """Rows into songs across pools, one page at a time (the core thread's hot loop).

    ``groups``: song key -> its versions, first arrived first; ``song_of``: ``id(row)`` ->
    its song key (the rows stay alive in ``groups``). With ``track``, ``take_fresh()``
    hands out the ``song_of`` entries made since the last call (for a batch)."""

    def __init__(self, track: bool = False) -> None:
        from crateq.core.songs import identity_of  # pydantic, anyascii: after the first frame

        self._identity_of = identity_of
        self.seen: set[tuple[str, int]] = set()
        self.groups: dict[GroupKey, list[MediaRow]] = {}
        self.song_of: dict[int, GroupKey] = {}
        self.titles: dict[GroupKey, str] = {}
        self._by_group: dict[tuple[str, int], GroupKey] = {}
        self._fresh: dict[int, GroupKey] | None = {} if track else None

    def add(self, rows: Sequence[MediaRow]) -> tuple[list[MediaRow], set[GroupKey], set[GroupKey]]:
        """New songs' first versions, and the keys of songs that changed / that grew (had
        versions before this page). Pauses the cyclic GC over a big page (which otherwise
        rescans every row once per few thousand new tuples)."""
        seen, groups, by_group, song_of = self.seen, self.groups, self._by_group, self.song_of
        fresh = self._fresh
        new_heads: list[MediaRow] = []
        changed: set[GroupKey] = set()
        new: set[GroupKey] = set()
        paused = len(rows) > 1000 and gc.isenabled()
        if paused:
            gc.disable()
        try:
            for row in rows:
                fields = row.__dict__
                pool, media_id, group_id = fields["pool"], fields["media_id"], fields["group_id"]
                ident = (pool, media_id)
                if ident in seen:
                    continue  # the same media twice (a page boundary moved): keep the first
                seen.add(ident)
                gkey = (pool, group_id) if group_id else (pool, -media_id)
                skey = by_group.get(gkey)
                if skey is None:
                    skey = by_group[gkey] = self._identify(row, gkey)
                group = groups.get(skey)
                if group is None:
                    groups[skey] = [row]
                    new_heads.append(row)
                    new.add(skey)
                else:
                    group.append(row)
                song_of[id(row)] = skey
                if fresh is not None:
                    fresh[id(row)] = skey
                changed.add(skey)
        finally:
            if paused:
                gc.enable()
        return new_heads, changed, changed - new

    def _identify(self, row: MediaRow, gkey: tuple[str, int]) -> GroupKey:
        """The song key of a group seen first: its identity key (a row without a title
        keeps its pool's group: empty identities must not merge)."""
        ident = self._identity_of(row)
        skey = ident.key if ident.title else f"{gkey[0]}:{gkey[1]}"
        self.titles.setdefault(skey, ident.clean_title)
        return skey

    def info(self, keys: set[GroupKey]) -> dict[GroupKey, SongInfo]:
        groups, titles = self.groups, self.titles
        return {k: SongInfo(titles.get(k, ""), len({r.pool for r in groups[k]})) for k in keys}

    def forget(self, keys: set[str]) -> Forgotten:
        """Take the versions ``POOL:ID`` in ``keys`` out (binned), as if they never came."""
        forgotten = Forgotten({}, set(), set(), 0)
        for gkey, group in list(self.groups.items()):
            kept = [row for row in group if row.key not in keys]
            if len(kept) == len(group):
                continue
            for row in group:
                if row.key in keys:
                    self.song_of.pop(id(row), None)
                    if self._fresh is not None:
                        self._fresh.pop(id(row), None)
                    self.seen.discard((row.pool, row.media_id))
            forgotten = forgotten._replace(removed=forgotten.removed + len(group) - len(kept))
            if kept:
                self.groups[gkey] = kept
                forgotten.shrunk.add(gkey)
            else:
                del self.groups[gkey]
                forgotten.gone.add(gkey)
            if not kept or kept[0] is not group[0]:
                forgotten.heads[id(group[0])] = kept[0] if kept else None
        return forgotten

    def take_fresh(self) -> dict[int, GroupKey]:
        fresh = self._fresh or {}
        self._fresh = {}
        return fresh


class ResultBatch(NamedTuple):
    """Every song of a run so far, in sort order, and the versions of songs that changed.

    ``groups`` are the core's copies of the songs that are new or grew since the previous
    batch (each song's first version first), ``info`` their titles and pool counts and
    ``song_of`` the song key of each version new since then; ``positions`` maps
    ``id(head)`` to its place in ``heads``, for keeping the selection on its row."""

    run: int
    heads: list[MediaRow]
    groups: dict[GroupKey, list[MediaRow]]
    positions: dict[int, int]
    versions: int
    sort: SortSpec
    song_of: dict[int, GroupKey]
    info: dict[GroupKey, SongInfo]

    def replacing(self, older: ResultBatch | None) -> ResultBatch:
        """This batch in place of an older one not yet shown: with the songs that one
        changed too (each batch names only the songs changed since the one before)."""
        if older is None:
            return self
        groups, song_of, info = older.groups, older.song_of, older.info
        groups.update(self.groups)
        song_of.update(self.song_of)
        info.update(self.info)
        return self._replace(groups=groups, song_of=song_of, info=info)


class ResultStream:
    """One run's rows on the core thread; ``emit`` receives each ``ResultBatch``.

    ``order()`` gives the grid's current sort (read on every batch: the DJ may click a
    header while rows arrive). Call ``add`` per page and ``flush`` when the run ends."""

    def __init__(
        self,
        run: int,
        order: Callable[[], SortSpec],
        emit: Callable[[ResultBatch], None],
        schedule: Callable[[float, Callable[[], None]], object] | None = None,
        prepare: Callable[[Sequence[MediaRow]], None] | None = None,
    ) -> None:
        self.run = run
        self._prepare = prepare  # fills in what the pools do not send (library figures)
        self._order = order
        self._emit = emit
        self._schedule = schedule  # the loop's call_later, for a batch held back
        self._songs = SongMerger(track=True)
        self._heads: list[MediaRow] = []
        self._new_heads: list[MediaRow] = []
        self._changed: set[GroupKey] = set()
        # column id -> id(head) -> sort value: each head's value is read once per stream
        self._memo: dict[str, dict[int, SupportsRichComparison]] = {}
        self._sent = 0.0  # monotonic time of the last batch
        self._waiting = False  # a flush is scheduled

    @property
    def pending(self) -> bool:
        return bool(self._changed)

    def add(self, rows: Sequence[MediaRow]) -> None:
        """Group a page into songs; hand a batch on now, or within ``BATCH_INTERVAL``."""
        if self._prepare is not None:
            self._prepare(rows)
        self._group(rows)
        if not self._changed:
            return
        wait = self._sent + BATCH_INTERVAL - time.monotonic()
        if wait <= 0 or self._schedule is None:
            self.flush()
        elif not self._waiting:
            self._waiting = True
            self._schedule(wait, self._scheduled_flush)

    def forget(self, keys: set[str]) -> None:
        """Binned versions leave the run: its next batches show the songs without them (the
        grid took them out already, ``ResultsModel.remove_rows``)."""
        forgotten = self._songs.forget(keys)
        self._heads = forgotten.swapped(self._heads)
        self._new_heads = forgotten.swapped(self._new_heads)
        for memo in self._memo.values():  # ids of freed rows may be reused: no stale values
            for at in forgotten.heads:
                memo.pop(at, None)
        self._changed = (self._changed - forgotten.gone) | forgotten.shrunk
        # a batch made before this reached the grid may have shown them again: this one,
        # without them, follows it
        self.flush(force=True)

    def restore(self, rows: Sequence[MediaRow]) -> None:
        """Ctrl+Z of a bin: the versions rejoin the run, in a batch now."""
        self.add(rows)
        self.flush()

    def _scheduled_flush(self) -> None:
        self._waiting = False
        self.flush()

    def _group(self, rows: Sequence[MediaRow]) -> None:
        new_heads, changed, _grew = self._songs.add(rows)
        self._new_heads += new_heads
        self._changed |= changed

    def flush(self, force: bool = False) -> None:
        """Sort what arrived into the songs so far and emit the batch (if anything changed,
        or ``force``)."""
        if not self._changed and not force:
            return
        order = list(self._order())
        self._heads = self._sort(self._heads + self._new_heads, order)
        songs = self._songs
        groups = {gkey: list(songs.groups[gkey]) for gkey in self._changed}
        info = songs.info(self._changed)
        self._new_heads, self._changed = [], set()
        heads = list(self._heads)
        positions = dict(zip(map(id, heads), range(len(heads)), strict=True))
        self._sent = time.monotonic()
        batch = ResultBatch(self.run, heads, groups, positions, len(songs.seen), order,
                            songs.take_fresh(), info)  # fmt: skip
        self._emit(batch)

    def _sort(self, heads: list[MediaRow], order: SortSpec) -> list[MediaRow]:
        """``sort_rows``, reading each head's sort value once per stream: the songs so far
        are already in order, so each pass is a merge of two runs, in C."""
        ordered, new = heads, self._new_heads
        for column, direction in reversed(order):
            memo = self._memo.setdefault(column.id, {})
            key = column.sort_by
            for row in new if len(memo) + len(new) == len(ordered) else ordered:
                if id(row) not in memo:
                    memo[id(row)] = key(row)
            values = list(map(memo.__getitem__, map(id, ordered)))
            reverse = direction == Qt.SortOrder.DescendingOrder
            picks = sorted(range(len(ordered)), key=values.__getitem__, reverse=reverse)
            ordered = list(map(ordered.__getitem__, picks))
        return ordered
