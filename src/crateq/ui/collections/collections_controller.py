"""The collections' door into the core: sources, marks, crates and wishes on the core loop.

A source's rows go to the grid through the search controller's own signals (a new run
number, ``search_started``, its result stream, ``pool_state``, ``search_finished``), so the
grid, sorting, preview, keys and drags treat them as any search. Edits (bin, favorite,
crate) run on the core loop too and report back with ``changed(kind)`` and ``notice``.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from crateq.core.errors import user_message
from crateq.core_loop import TaskGroup
from crateq.ui.collections.sources import Source

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.tracks import Track
    from crateq.core.wish_scheduler import WishScheduler
    from crateq.core.wishlist import Action, CheckResult, WishChecker
    from crateq.services import Services
    from crateq.ui.collections.source_loads import Loaded
    from crateq.ui.search.controller import AppController
    from crateq.ui.search.result_stream import ResultBatch, SortSpec

log = logging.getLogger(__name__)
CACHED_SOURCES = 6  # local sources kept loaded (a big crate is a few MB of rows)


class CollectionsController(QObject):
    """Loads sources into the grid and changes the DJ's collections, off the GUI thread."""

    notice = Signal(str)
    changed = Signal(str)  # "bin", "favorite", "crate", "wish": what to refresh
    crates_ready = Signal(list)  # [Crate]
    wishes_ready = Signal(list)  # [Wish]
    playlists_ready = Signal(dict)  # pool -> [(id, title)]
    wish_matched = Signal(str)  # a sentence for the status line and the tray

    def __init__(self, services: Services, search: AppController, parent: QObject | None = None):
        super().__init__(parent)
        self.services = services
        self.search = search
        self.tasks = TaskGroup(services.core, self._failed)
        self.shown: dict[str, Track] = {}  # the local source's tracks by row key (core thread)
        self.scheduler: WishScheduler | None = None
        self._loaded: dict[str, tuple[tuple[int, int], Loaded]] = {}  # source key -> load
        # source key -> (its load, the sort order, the batch made of it)
        self._batches: dict[str, tuple[Loaded, tuple[tuple[str, int], ...], ResultBatch]] = {}
        self._closed = False

    def _start(self, name: str, coro: Coroutine[Any, Any, object]) -> None:  # Any: any task
        if self._closed:  # a signal queued before shutdown: the core loop is gone
            coro.close()
            return
        self.tasks.start(name, coro)

    def _failed(self, name: str, exc: BaseException) -> None:
        self.notice.emit(f"{name.split(':')[0].capitalize()} failed: {user_message(exc)}")

    # -- sources into the grid --------------------------------------------------------------
    def show(self, source: Source) -> int:
        """Fill the grid with ``source`` (cancelling the running search); its run number."""
        search = self.search
        search.current_run += 1
        run = search.current_run
        search.paging = None  # a source has no further pages to fetch
        self.shown = {}
        groups = [source.pool] if source.pool else [source.label]
        search.search_started.emit(run, groups)
        search.tasks.start("search", self._show(run, source, groups))  # cancels the older
        return run

    async def _show(self, run: int, source: Source, groups: list[str]) -> None:
        from crateq.ui.search.controller import ERROR, OK

        search = self.search
        try:
            loaded = await self._load(source)
            self.shown = loaded.tracks
            named = {name for name, _rows in loaded.groups} | set(loaded.errors)
            if set(groups) != named and named:
                search.search_started.emit(run, sorted(named))
            self._emit_rows(run, source, loaded)
            for name, rows in loaded.groups:
                search.pool_state.emit(run, name, OK, f"{name}: {len(rows)} tracks")
            for name, error in loaded.errors.items():
                search.pool_state.emit(run, name, ERROR, error)
            if not named:
                search.pool_state.emit(run, groups[0], OK, f"{source.label}: empty")
        finally:
            search.search_finished.emit(run)

    def _emit_rows(self, run: int, source: Source, loaded: Loaded) -> None:
        """The source's songs to the grid in one batch. A cached source shown again in the
        same sort order sends the batch it made before (with the new run number): merging
        10,000 rows into songs and sorting them again would give the same batch."""
        from crateq.ui.collections.source_loads import LOCAL

        search = self.search
        order = _order_key(search.result_order())
        kept = self._batches.get(source.key)
        if kept is not None and kept[0] is loaded and kept[1] == order:
            batch = kept[2]
            search.results_ready.emit(batch._replace(run=run, heads=list(batch.heads)))
            return
        batches: list[ResultBatch] = []
        stream = search.stream(run, seen=batches.append)
        stream.add([row for _name, rows in loaded.groups for row in rows])
        stream.flush()
        self._batches.pop(source.key, None)
        if len(batches) == 1 and source.kind in LOCAL:  # one batch holds every song
            kept_batch = batches[0]._replace(heads=list(batches[0].heads))  # the grid's own
            self._batches[source.key] = (loaded, order, kept_batch)  # list changes; not this
            while len(self._batches) > CACHED_SOURCES:
                del self._batches[next(iter(self._batches))]

    async def _load(self, source: Source) -> Loaded:
        """A source's rows; a local one comes from the cache while the store is unchanged
        (switching back and forth between big crates reads and converts nothing again)."""
        from crateq.ui.collections.source_loads import LOCAL, load

        if source.kind not in LOCAL:
            return await load(self.services, source)
        generation = self.services.store.generation()
        hit = self._loaded.pop(source.key, None)
        if hit is None or hit[0] != generation:
            hit = (generation, await load(self.services, source))
        self._loaded[source.key] = hit  # newest last: the oldest goes first
        while len(self._loaded) > CACHED_SOURCES:
            del self._loaded[next(iter(self._loaded))]
        return hit[1]

    def tracks_of(self, rows: Sequence[MediaRow]) -> list[Track]:
        """The tracks behind grid rows (a local row keeps its file's path)."""
        from crateq.core.tracks import Track

        shown = self.shown
        return [shown.get(row.key) or Track.of_row(row) for row in rows]

    # -- the tree's lists -------------------------------------------------------------------
    def load_tree(self, *, playlists: bool = False) -> None:
        self._start("crates", self._crates())
        self._start("wishes", self._wishes())
        if playlists:
            self._start("playlists", self._playlists())

    async def _crates(self) -> None:
        self.crates_ready.emit(self.services.crates.tree())

    async def _wishes(self) -> None:
        self.wishes_ready.emit(self.services.wishes.wishes())

    async def _playlists(self) -> None:
        from crateq.core.pool_lists import playlists

        found = await playlists(self.services.pool_clients())
        titles = {pool: [(p.playlist_id, p.title) for p in items]
                  for pool, items in found.playlists.items()}  # fmt: skip
        self.playlists_ready.emit(titles)

    # -- marks ------------------------------------------------------------------------------
    def bin(self, tracks: list[Track]) -> None:
        self._start("bin", self._mark("bin", tracks, True))

    def restore(self, tracks: list[Track]) -> None:
        self._start("bin", self._mark("bin", tracks, False))

    async def _mark(self, kind: str, tracks: list[Track], on: bool) -> None:
        collections = self.services.collections
        keys = [t.key for t in tracks]
        if kind == "bin":
            count = len(collections.bin(tracks) if on else collections.restore(keys))
            text = f"Binned {count} track(s) (Ctrl+Z undoes)" if on else f"Restored {count}"
        else:
            count = len(collections.favorite(tracks) if on else collections.unfavorite(keys))
            text = f"Added {count} to the favorites" if on else f"Took {count} off the favorites"
        self.notice.emit(text)
        self.changed.emit(kind)

    def toggle_favorite(self, tracks: list[Track]) -> None:
        """F: all of them favorites already → take them off, else add the others."""
        self._start("favorite", self._toggle_favorite(tracks))

    async def _toggle_favorite(self, tracks: list[Track]) -> None:
        have = self.services.collections.marked_keys("favorite")
        await self._mark("favorite", tracks, not all(t.key in have for t in tracks))

    # -- crates -----------------------------------------------------------------------------
    def crate_add(self, path: str, tracks: list[Track]) -> None:
        self._start(f"crate:{path}", self._crate_add(path, tracks))

    async def _crate_add(self, path: str, tracks: list[Track]) -> None:
        added = self.services.crates.add(path, tracks)
        self.notice.emit(f"Added {len(added)} track(s) to the crate {path}")
        self.changed.emit("crate")

    def crate_files(self, path: str, files: list[str]) -> None:
        """Files dropped on a crate: the pool tracks they came from when the library knows."""
        self._start(f"crate:{path}", self._crate_files(path, files))

    async def _crate_files(self, path: str, files: list[str]) -> None:
        from pathlib import Path

        collections = self.services.collections
        await self._crate_add(path, [collections.track_for_file(Path(f)) for f in files])

    def crate_remove(self, path: str, tracks: list[Track]) -> None:
        self._start(f"crate:{path}", self._crate_remove(path, tracks))

    async def _crate_remove(self, path: str, tracks: list[Track]) -> None:
        removed = self.services.crates.remove(path, [t.key for t in tracks])
        self.notice.emit(f"Took {len(removed)} track(s) out of {path} (Ctrl+Z undoes)")
        self.changed.emit("crate")

    def crate_edit(self, action: str, path: str, value: str = "") -> None:
        """``new`` (``path`` is the new crate's), ``rename`` (to ``value``), ``delete``."""
        self._start(f"crate:{path}", self._crate_edit(action, path, value))

    async def _crate_edit(self, action: str, path: str, value: str) -> None:
        crates = self.services.crates
        if action == "new":
            crates.new(path)
        elif action == "rename":
            crates.rename(path, value)
        elif action == "delete":
            crates.delete(path)
        self.changed.emit("crate")

    def crate_export(self, path: str, fmt: str, out: str) -> None:
        self._start(f"export:{path}", self._crate_export(path, fmt, out))

    async def _crate_export(self, path: str, fmt: str, out: str) -> None:
        from pathlib import Path

        from crateq.core.crate_export import crate_playlist
        from crateq.core.export import export_playlist

        tree = crate_playlist(self.services.crates, path)
        result = export_playlist(fmt, tree.playlist, Path(out), force=True)
        left = f"; {tree.without_file} not downloaded yet, left out" if tree.without_file else ""
        self.notice.emit(f"Exported {path}: {result.tracks} tracks{left}")

    # -- the wish list ----------------------------------------------------------------------
    def wish_add(self, text: str = "", row: MediaRow | None = None, artist: str = "") -> None:
        """A new wish: free text, a grid row (other versions and pools of it), or an artist
        (from the artist card); checked at once, then on the schedule."""
        wishes = self.services.wishes
        self._start("wish", self._wish_edit(lambda: wishes.add(text, row=row, artist=artist)))
        label = artist or (f"{row.artist} - {row.title}" if row is not None else text)
        self.notice.emit(f"On the wish list: {label}")

    def wish_artist(self, artist: str) -> None:
        self.wish_add(artist=artist)

    def wish_remove(self, wish_id: int) -> None:
        self._start("wish", self._wish_edit(lambda: self.services.wishes.remove(wish_id)))

    async def _wish_edit(self, edit: Any) -> None:  # Any: the WishList call, any result
        edit()
        if self.scheduler is not None:
            self.scheduler.poke()
        self.changed.emit("wish")

    def start_wishes(self) -> None:
        """Re-check the wish list on its schedule while the app runs (core loop)."""
        self._start("wish-scheduler", self._run_scheduler())

    def wish_set_action(self, wish_id: int, action: Action) -> None:
        """What a match of this wish does: notify, queue in its pool, or download."""
        self._start("wish", self._wish_edit(
            lambda: self.services.wishes.set_action(wish_id, action)))  # fmt: skip

    def _checker(self) -> WishChecker:
        from crateq.core.wishlist import WishChecker

        services = self.services
        return WishChecker(services.wishes, services.pool_clients(),
                           download=self._download, collections=services.collections)  # fmt: skip

    async def _download(self, row: MediaRow) -> None:
        """A wish's match goes to the app's download engine, as a grid row's download does
        (the signal crosses to the GUI thread, where the engine bridge takes it)."""
        self.search.download_requested.emit([row])

    async def _run_scheduler(self) -> None:
        from crateq.core.wish_scheduler import WishScheduler

        self.scheduler = WishScheduler(self._checker(), on_result=self._checked)
        await self.scheduler.run()

    def check_now(self) -> None:
        self._start("wish check", self._check_now())

    async def _check_now(self) -> None:
        result = await self._checker().check()
        self._checked(result)
        if not result.matches:
            self.notice.emit(f"Checked {len(result.checked)} wish(es): nothing new")

    def _checked(self, result: CheckResult) -> None:
        if result.matches:
            names = ", ".join(f"{m.track.artist} - {m.track.title}" for m in result.matches[:3])
            more = f" and {len(result.matches) - 3} more" if len(result.matches) > 3 else ""
            self.wish_matched.emit(f"Wish list: {names}{more} now in the pools")
        for pool, error in result.errors.items():
            self.notice.emit(f"Wish list: {pool} is down ({error}); trying again later")
        self.changed.emit("wish")

    def shutdown(self) -> None:
        self._closed = True
        self.scheduler = None
        self.tasks.cancel_all()


def _order_key(order: SortSpec) -> tuple[tuple[str, int], ...]:
    return tuple((column.id, int(direction.value)) for column, direction in order)
