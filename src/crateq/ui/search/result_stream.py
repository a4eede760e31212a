"""A search's rows made ready for the grid on the core thread: merged, grouped, sorted.

The pools' pages arrive on the core loop. ``ResultStream`` drops media it already has,
groups versions into songs and keeps the songs in the grid's sort order there, so the GUI
thread only swaps in a finished ``ResultBatch`` (``ResultsModel.apply_batch``): no per-row
Python work on the thread that paints. Batches go out at most once a frame (``FRAME``):
each holds every song so far, so a newer one replaces an older one not yet shown.
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

GroupKey = tuple[str, int]
SortSpec = list[tuple["Column[MediaRow]", "Qt.SortOrder"]]
FRAME = 1 / 60  # seconds: the grid takes at most one batch per frame


def song_key(row: MediaRow) -> GroupKey:
    """Versions group per pool by groupId; a row without one is a song of its own."""
    return (row.pool, row.group_id) if row.group_id else (row.pool, -row.media_id)


class ResultBatch(NamedTuple):
    """Every song of a run so far, in sort order, and the versions of songs that changed.

    ``groups`` are the core's copies of the songs that are new or grew since the previous
    batch (each song's first version first); ``positions`` maps ``id(head)`` to its place
    in ``heads``, for keeping the selection on its row."""

    run: int
    heads: list[MediaRow]
    groups: dict[GroupKey, list[MediaRow]]
    positions: dict[int, int]
    versions: int
    sort: SortSpec

    def replacing(self, older: ResultBatch | None) -> ResultBatch:
        """This batch in place of an older one not yet shown: with the songs that one
        changed too (each batch names only the songs changed since the one before)."""
        if older is None:
            return self
        groups = older.groups
        groups.update(self.groups)
        return self._replace(groups=groups)


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
        self._schedule = schedule  # the loop's call_later, for a batch held back a frame
        self._seen: set[tuple[str, int]] = set()
        self._groups: dict[GroupKey, list[MediaRow]] = {}
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
        """Group a page into songs; hand a batch on now, or within a frame."""
        if self._prepare is not None:
            self._prepare(rows)
        self._group(rows)
        if not self._changed:
            return
        wait = self._sent + FRAME - time.monotonic()
        if wait <= 0 or self._schedule is None:
            self.flush()
        elif not self._waiting:
            self._waiting = True
            self._schedule(wait, self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._waiting = False
        self.flush()

    def _group(self, rows: Sequence[MediaRow]) -> None:
        seen, groups, changed = self._seen, self._groups, self._changed
        paused = len(rows) > 1000 and gc.isenabled()  # see ResultsModel._index_rows
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
                group = groups.get(gkey)
                if group is None:
                    groups[gkey] = [row]
                    self._new_heads.append(row)
                else:
                    group.append(row)
                changed.add(gkey)
        finally:
            if paused:
                gc.enable()

    def flush(self) -> None:
        """Sort what arrived into the songs so far and emit the batch (if anything changed)."""
        if not self._changed:
            return
        order = list(self._order())
        self._heads = self._sort(self._heads + self._new_heads, order)
        groups = {gkey: list(self._groups[gkey]) for gkey in self._changed}
        self._new_heads, self._changed = [], set()
        heads = list(self._heads)
        positions = dict(zip(map(id, heads), range(len(heads)), strict=True))
        self._sent = time.monotonic()
        self._emit(ResultBatch(self.run, heads, groups, positions, len(self._seen), order))

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
