"""The "mixes with" view, made on the core loop: the library's analysed tracks and the pool
rows shown, ranked by ``crateq.core.harmonic`` against one track, into the one grid.

The rows go to the grid through the search controller's own signals (a new run number,
``search_started``, its result stream, ``pool_state``, ``search_finished``), as the
collections' sources do, so the grid, preview, keys and drags treat them as any search.
The stream keeps the order given (best first): the window clears the grid's sort first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from crateq.ui.search.controller import OK

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.harmonic import Tune
    from crateq.services import Services
    from crateq.ui.search.controller import AppController

GROUP = "Mixes with"  # the chip of a mixes-with view


class HarmonicController(QObject):
    """Fills the grid with what mixes with a track, off the GUI thread."""

    def __init__(
        self, services: Services, search: AppController, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.search = search
        self.shown_run = 0  # the run number of the last mixes-with view

    def show(self, playing: MediaRow, tune: Tune, pool_rows: Sequence[MediaRow]) -> int:
        """Rank the library and ``pool_rows`` against ``playing`` into the grid (cancelling
        the running search); returns the run number."""
        search = self.search
        search.current_run += 1
        run = self.shown_run = search.current_run
        search.paging = None  # no further pages to fetch
        search.search_started.emit(run, [GROUP])
        task = self._show(run, playing, tune, list(pool_rows))
        search.tasks.start("search", task)  # cancels the older
        return run

    async def _show(
        self, run: int, playing: MediaRow, tune: Tune, pool_rows: list[MediaRow]
    ) -> None:
        from crateq.core.harmonic import library_rows, rank, row_tune

        search = self.search
        try:
            store = search.library()
            # the pool rows first: a version both shown and in the library keeps the pool's
            # row (its mix, date, preview and download token), ranked the same
            candidates = pool_rows + (library_rows(store) if store is not None else [])
            same = _same_song(playing)
            ranked = rank(tune, (r for r in candidates if not same(r)), row_tune)
            rows = []
            for row, match in ranked:
                copy = row.model_copy()  # the pool rows stay as their search showed them
                copy.__dict__["match"] = match.text
                rows.append(copy)
            stream = search.stream(run, figures={})  # the rows carry their figures
            stream.add(rows)
            stream.flush()
            what = f"{playing.artist} - {playing.title}".strip(" -") or "the track"
            text = f"{len(rows)} mix with {what} ({tune.camelot}, {tune.bpm:g} BPM)"
            search.pool_state.emit(run, GROUP, OK, text)
        finally:
            search.search_finished.emit(run)


def _same_song(playing: MediaRow) -> Callable[[MediaRow], bool]:
    """A predicate: is a candidate the playing track (or a version of its song)?"""
    group = (playing.pool, playing.group_id) if playing.group_id else None
    title = (playing.artist.casefold(), playing.title.casefold())

    def same(row: MediaRow) -> bool:
        if row.key == playing.key or (group and (row.pool, row.group_id) == group):
            return True
        return bool(title[1]) and (row.artist.casefold(), row.title.casefold()) == title

    return same
