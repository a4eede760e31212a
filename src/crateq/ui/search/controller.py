"""The GUI's one door into the core: widgets call methods here, results come back as signals.

Widgets hold no ``async def``. Every method starts a named task on the services' core loop
(``crateq.core_loop``); a newer search cancels the older one. Results are emitted as Qt
signals from the core thread, which Qt queues into the GUI thread; a search's rows are
merged, grouped and sorted there and go out as batches (``crateq.ui.search.result_stream``).
Every signal of a search carries its run number so rows of a cancelled run that were
already queued are dropped by the receiver (``current_run``). Failures become one readable
sentence on the pool's chip or in the status bar (``notice``), never a dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QMetaMethod, QObject, Signal

from crateq.core.errors import user_message
from crateq.core_loop import TaskGroup

if TYPE_CHECKING:
    from crateq.api.pool_models import (
        Genre,
        GenreCategory,
        MediaQuery,
        MediaRow,
        VideoQuality,
    )
    from crateq.core.harmonic import Figures
    from crateq.core.search import SearchEvent
    from crateq.core.store import LibraryEntry, Store
    from crateq.services import Services
    from crateq.ui.search.result_stream import ResultBatch, ResultStream, SortSpec


log = logging.getLogger(__name__)

# Chip states the search bar knows how to draw.
SEARCHING, OK, SLOW, ERROR, TIMEOUT = "searching", "ok", "slow", "error", "timeout"


class Paging:
    """Where one search run stands per pool, so scrolling down can fetch the next pages."""

    def __init__(self, run: int, query: MediaQuery, stream: ResultStream) -> None:
        self.run = run
        self.query = query
        self.stream = stream  # the run's rows so far, grouped and sorted
        self.fetched: dict[str, int] = {}
        self.totals: dict[str, int] = {}
        self.on_disk: set[str] = set()  # POOL:ID of the library's versions
        self.figures: dict[tuple[str, int], Figures] = {}  # the library's analysis
        self.keys: set[str] = set()  # the key filter: Camelot codes (none: any key)

    def pools_with_more(self) -> list[str]:
        return [pool for pool, total in self.totals.items() if total > self.fetched.get(pool, 0)]


class Lookups:
    """Lists the filter panel offers, read from the pools (first answer wins per list).

    (A plain class: this module is part of the first frame, see ``crateq.ui.shell.app.GuiApp``.)"""

    def __init__(self) -> None:
        self.genres: list[Genre] = []
        self.categories: list[GenreCategory] = []
        self.qualities: list[VideoQuality] = []
        self.mixes: list[str] = []


class AppController(QObject):
    """Starts the core's work for the widgets and reports back through signals.

    Pools, their clients (one set on the core loop) and the library come from ``services``.
    ``download_requested(rows)`` goes to whoever downloads (the downloads feature); with
    nobody connected, asking to download says so in the status bar.
    """

    search_started = Signal(int, list)  # run, pool names
    results_ready = Signal(object)  # ResultBatch: every song of a run so far, sorted
    pool_state = Signal(int, str, str, str)  # run, pool, state, message
    search_finished = Signal(int)
    more_finished = Signal(int)  # run: a "fetch more" of that run is over
    lookups_ready = Signal(object)  # Lookups
    row_changed = Signal(str, dict)  # POOL:ID, changed fields
    in_library = Signal(list)  # POOL:ID of shown versions whose file is in the library
    notice = Signal(str)  # a short status-bar message
    download_requested = Signal(list)  # rows to download

    def __init__(
        self,
        services: Services,
        *,
        result_limit: int = 500,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.core = services.core
        self.result_limit = result_limit
        self.tasks = TaskGroup(self.core, self._task_failed)
        self.current_run = 0
        self.paging: Paging | None = None  # of the current run, written on the core thread
        # the grid's sort, read on the core thread for every batch (the window sets it)
        self.result_order: Callable[[], SortSpec] = list  # unsorted: arrival order

    def warm_up(self) -> None:
        """Make the pool clients now: each builds an SSL context (holding the GIL for long),
        which would otherwise stall the window on the DJ's first keystroke."""
        self.tasks.start("warm-up", self._warm_up())

    async def _warm_up(self) -> None:
        self.services.pool_clients()

    def pool_names(self) -> list[str]:
        return self.services.pool_names()

    # -- search --------------------------------------------------------------------------------
    def search(self, spec: Mapping[str, object], pools: Sequence[str] | None = None) -> int:
        """Start a search (cancelling the running one); returns its run number."""
        self.current_run += 1
        run = self.current_run
        names = list(pools) if pools is not None else self.pool_names()
        self.search_started.emit(run, names)
        self.tasks.start("search", self._search(run, dict(spec), names))
        return run

    async def _search(self, run: int, spec: dict[str, object], names: list[str]) -> None:
        from crateq.core import search as core_search
        from crateq.core.harmonic import library_figures

        keys = spec.pop("keys", None)  # not the pools' filter: applied to the rows here
        try:  # a malformed filter is the user's to fix: say so on every chip, no request made
            query = core_search.query_from_filters(
                **{k: v for k, v in spec.items() if v not in (None, "", [], ())}
            )
        except Exception as exc:
            for name in names:
                self.pool_state.emit(run, name, ERROR, user_message(exc))
            self.search_finished.emit(run)
            return
        # one query for the whole library, not one per row: per-row SQLite calls hand the
        # GIL back and forth thousands of times and starve the GUI thread
        entries = self._library_entries()
        figures = library_figures(entries)
        paging = self.paging = Paging(run, query, self.stream(run, figures))
        paging.on_disk = {f"{entry.pool}:{entry.media_id}" for entry in entries}
        paging.figures = figures
        paging.keys = {str(code) for code in keys} if isinstance(keys, list | tuple) else set()
        try:
            async for event in self.services.search(query, names, limit=self.result_limit):
                self._deliver(paging, event)
        finally:
            paging.stream.flush()  # the last rows reach the grid before "finished"
            self.search_finished.emit(run)

    def stream(
        self,
        run: int,
        figures: dict[tuple[str, int], Figures] | None = None,
        seen: Callable[[ResultBatch], None] | None = None,
    ) -> ResultStream:
        """The result stream of ``run`` (core thread): ``add`` each page's rows, ``flush`` at
        the end; the grid receives its batches through ``results_ready``. Rows get the
        library's analysis (key, BPM, loudness; read now unless ``figures`` are given);
        ``seen`` also receives each batch (to keep it)."""
        import asyncio
        import functools

        from crateq.core.harmonic import annotate, library_figures
        from crateq.ui.search.result_stream import ResultStream  # Qt's enums: not in frame 1

        if figures is None:
            figures = library_figures(self._library_entries())
        loop = asyncio.get_running_loop()
        prepare = functools.partial(annotate, figures=figures)
        emit = self.results_ready.emit
        if seen is not None:
            emit = functools.partial(_both, seen, emit)
        return ResultStream(run, self.result_order, emit, loop.call_later, prepare=prepare)

    # -- paging (the grid asks through canFetchMore / fetchMore) ------------------------------
    def has_more(self) -> bool:
        paging = self.paging
        return (
            paging is not None
            and paging.run == self.current_run
            and bool(paging.pools_with_more())
            and not self.tasks.running("search")
            and not self.tasks.running("more")
        )

    def fetch_more(self) -> None:
        """The next ``result_limit`` rows of every pool that has more, for the current run."""
        if self.has_more() and self.paging is not None:
            self.tasks.start("more", self._more(self.paging))

    async def _more(self, paging: Paging) -> None:
        import asyncio

        clients = self.services.pool_clients()
        size = paging.query.size

        async def one(pool: str) -> None:
            before = paging.fetched.get(pool, 0)
            query = paging.query.model_copy(update={"page": before // size + 1})
            async for event in self.services.search(query, [pool], limit=self.result_limit):
                self._deliver(paging, event)
            if paging.fetched.get(pool, 0) == before:
                paging.totals.pop(pool, None)  # nothing new (rows filtered out): stop asking

        try:
            await asyncio.gather(*(one(p) for p in paging.pools_with_more() if p in clients))
        finally:
            paging.stream.flush()
            self.more_finished.emit(paging.run)

    def forget_rows(self, keys: set[str]) -> None:
        """Binned versions leave the current run on the core thread too (the run's stream
        lives there), so its next pages (the DJ scrolling down) do not bring them back; a
        failure is logged by the loop."""
        if self.paging is not None:
            self.core.loop.call_soon_threadsafe(self.paging.stream.forget, keys)

    def restore_rows(self, rows: Sequence[MediaRow]) -> None:
        """Ctrl+Z of a bin: the versions rejoin the current run (its next batch has them)."""
        if self.paging is not None:
            self.core.loop.call_soon_threadsafe(self.paging.stream.restore, rows)

    def _deliver(self, paging: Paging, event: SearchEvent) -> None:
        from crateq.core import search as core_search

        run, pool, on_disk = paging.run, event.pool, paging.on_disk
        if isinstance(event, core_search.PoolRows):
            paging.fetched[pool] = paging.fetched.get(pool, 0) + len(event.rows)
            paging.totals[pool] = event.total
            paging.stream.add(self._with_key(paging, self._visible(event.rows)))
            self.services.suggestions.remember(event.rows)  # auto-complete (core.suggest)
            found = [row.key for row in event.rows if row.key in on_disk] if on_disk else []
            if found:
                self.in_library.emit(found)
        elif isinstance(event, core_search.PoolFinished):
            count = paging.fetched.get(pool, 0)
            shown = f"{count} of {event.total}" if event.total > count else str(count)
            self.pool_state.emit(run, pool, OK, f"{pool}: {shown} results")
        elif isinstance(event, core_search.PoolFailed):
            paging.totals.pop(pool, None)
            state = TIMEOUT if _is_timeout(event.error) else ERROR
            self.pool_state.emit(run, pool, state, user_message(event.error))
        elif isinstance(event, core_search.PoolSlow):
            self.pool_state.emit(run, pool, SLOW, f"{pool} is slow to answer…")

    def library(self) -> Store | None:
        """The download store once the downloads opened it (None before, or without them)."""
        return self.services.opened_store()

    def _visible(self, rows: Sequence[MediaRow]) -> list[MediaRow]:
        """The rows without the binned ones; with the store unusable, all of them (a search
        must not depend on the database opening)."""
        try:
            return self.services.collections.visible(rows)
        except Exception:  # any failure to open or read the store: keep searching
            log.warning("the bin could not be read; showing every row", exc_info=True)
            return list(rows)

    @staticmethod
    def _with_key(paging: Paging, rows: list[MediaRow]) -> list[MediaRow]:
        """With a key filter, only the rows in a wanted key (the library's analysis, else
        the pool's key): like ``crateq search --key``."""
        if not paging.keys:
            return rows
        from crateq.core.harmonic import annotate, row_camelot

        annotate(rows, paging.figures)
        return [row for row in rows if row_camelot(row) in paging.keys]

    def _library_entries(self) -> list[LibraryEntry]:
        """Every library entry (core thread; empty without a library)."""
        library = self.library()
        return [] if library is None else library.library()

    # -- look-up lists -------------------------------------------------------------------------
    def load_lookups(self) -> None:
        self.tasks.start("lookups", self._lookups())

    async def _lookups(self) -> None:
        found = Lookups()
        for client in self.services.pool_clients().values():
            try:
                found.genres = found.genres or list(await client.genres())
                found.categories = found.categories or list(await client.genre_categories())
                found.qualities = found.qualities or list(await client.video_qualities())
                found.mixes = found.mixes or list(await client.video_mixes())
            except Exception as exc:  # one pool's lists failing must not hide another's
                log.info("look-up lists unavailable: %s", exc)
            if found.genres and found.mixes:
                break
        self.lookups_ready.emit(found)

    # -- queue and downloads -------------------------------------------------------------------
    def toggle_queue(self, row: MediaRow) -> None:
        """Add to / remove from the pool's server-side queue (never toggles by accident)."""
        self.tasks.start(f"queue:{row.key}", self._toggle_queue(row))

    async def _toggle_queue(self, row: MediaRow) -> None:
        client = self.services.pool_clients().get(row.pool)
        if client is None:
            self.notice.emit(f"{row.pool} is not signed in.")
            return
        if row.queue_id:
            await client.queue_remove(row.media_id)
            self.row_changed.emit(row.key, {"queue_id": 0})
            self.notice.emit(f"Removed from the {row.pool} queue: {row.artist} - {row.title}")
            return
        await client.queue_add(row)  # toggle-safe: never removes what is already queued
        queued = next((q for q in await client.queue_all() if q.media_id == row.media_id), None)
        if queued is None:
            self.notice.emit(f"{row.pool} did not keep {row.artist} - {row.title} in its queue.")
            return
        self.row_changed.emit(row.key, {"queue_id": queued.queue_id})
        self.notice.emit(f"Queued on {row.pool}: {row.artist} - {row.title}")

    def download(self, rows: Sequence[MediaRow]) -> None:
        if not rows:
            return
        if not self.isSignalConnected(QMetaMethod.fromSignal(self.download_requested)):
            self.notice.emit("Downloads are not available in this build yet.")
            return
        self.download_requested.emit(list(rows))

    def grab_best(self, versions: Sequence[MediaRow]) -> MediaRow | None:
        """Shift+Enter on a song row: the version the ``prefer.*`` settings pick among the
        song's versions (``crateq.core.songs.best_version``, as ``crateq find`` picks),
        downloaded through the engine. Returns the version picked."""
        if not versions:
            return None
        from crateq.core.songs import Song, Version, best_version

        song = Song("", "", "", [Version.of(row) for row in versions])
        best = best_version(song, self.services.settings().prefer).row
        self.notice.emit(f"Best version: {best.artist} - {best.title} ({best.pool})")
        self.download([best])
        return best

    # -- lifecycle -----------------------------------------------------------------------------
    def _task_failed(self, name: str, exc: BaseException) -> None:
        where = name.split(":", 1)[0]
        self.notice.emit(f"{where.capitalize()} failed: {user_message(exc)}")

    def shutdown(self) -> None:
        """Cancel the search tasks (the services then close the clients and the loop).

        A new run number and no paging: rows or a "search finished" already queued to the
        GUI thread are then dropped, instead of asking the stopped loop for more."""
        self.current_run += 1
        self.paging = None
        self.tasks.cancel_all()


def _is_timeout(exc: BaseException) -> bool:
    from crateq.api.errors import PoolTimeout

    return isinstance(exc, PoolTimeout | TimeoutError)


def _both(
    seen: Callable[[ResultBatch], None], emit: Callable[[ResultBatch], None], batch: ResultBatch
) -> None:
    seen(batch)
    emit(batch)
