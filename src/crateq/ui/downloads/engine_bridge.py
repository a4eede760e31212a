"""The download engine seen from the GUI thread: queued Qt signals in, engine calls out.

The engine runs on its own asyncio loop in a worker thread (``EngineThread``) so bulk byte
moving and file writes never stall the window (DESIGN.md measured long stalls on the GUI
loop; docs/PERFORMANCE.md). Its listener runs on that thread and only forwards events
through a Qt signal, which Qt queues into the GUI thread; progress is coalesced to about ten
signals a second per job there (``PROGRESS_MIN_INTERVAL``), state changes always pass. The
bridge keeps a GUI-side mirror of every job (``snapshots``) and says when a batch is over
(nothing queued or running any more) for notifications.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

from crateq.api.pool_models import MediaRow
from crateq.core.autodownload import AutoDownloader, QueueRun
from crateq.core.download_jobs import JobEvent, JobSnapshot, JobState
from crateq.core.downloads import DownloadEngine, EngineThread
from crateq.core.errors import user_message

if TYPE_CHECKING:
    from crateq.core.settings import Settings
    from crateq.services import Services
    from crateq.services_pools import PoolClients

log = logging.getLogger(__name__)
PROGRESS_MIN_INTERVAL = 0.1  # seconds between two progress signals of one job
T = TypeVar("T")


class _Poster(QObject):
    """Runs callables on the GUI thread: emitted from any thread, delivered queued.

    One long-lived instance (never deleted while the app runs): a short-lived QObject per
    call was freed from worker threads and crashed in ``~QObject``.
    """

    post = Signal(object)  # a zero-argument callable

    def __init__(self) -> None:
        super().__init__()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self.post.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, call: Callable[[], None]) -> None:
        call()


_poster: _Poster | None = None


def relay(
    future: concurrent.futures.Future[T],
    receiver: QObject,
    callback: Callable[[T | None, BaseException | None], None],
) -> None:
    """Call ``callback(result, error)`` on the GUI thread when ``future`` ends.

    Nothing is called when ``receiver`` was deleted meanwhile (a closed dialog).
    """
    global _poster
    if _poster is None:
        _poster = _Poster()
    poster = _poster

    def deliver(result: T | None, error: BaseException | None) -> None:
        if shiboken6.isValid(receiver):
            callback(result, error)

    def done(f: concurrent.futures.Future[T]) -> None:
        if f.cancelled():
            outcome: tuple[T | None, BaseException | None] = (
                None,
                concurrent.futures.CancelledError(),
            )
        else:
            error = f.exception()
            outcome = (None if error else f.result(), error)
        poster.post.emit(functools.partial(deliver, *outcome))

    future.add_done_callback(done)


def start_engine(
    services: Services, settings: Settings, parent: QObject | None = None
) -> EngineBridge:
    """The services' engine thread and its bridge, with the settings' download options."""
    d = settings.downloads
    bridge = EngineBridge(
        services.start_engine(d),
        parent,
        sources=services.engine_clients,
        remove_after=d.remove_from_server_queue,
        auto_interval=d.auto_interval_seconds,
    )
    if d.auto_download:
        bridge.set_auto_download(True)
    return bridge


class EngineBridge(QObject):
    """Qt face of a running :class:`EngineThread`; every method is safe on the GUI thread.

    Signals carry frozen ``JobSnapshot`` objects. ``batchFinished(done, failed)`` fires when
    the last queued or running job ends, counting the jobs that ended since the last batch.
    """

    jobAdded = Signal(object)  # JobSnapshot
    jobChanged = Signal(object)  # JobSnapshot (state change or throttled progress)
    jobFailed = Signal(object)  # JobSnapshot that just entered FAILED
    batchFinished = Signal(int, int)  # done, failed
    notice = Signal(str)  # one sentence for the status bar
    autoDownloadChanged = Signal(bool)
    orderChanged = Signal(list)  # job ids in queue order (0 = next to start)
    _event = Signal(object)  # JobEvent, emitted on the engine thread
    # The engine's thread, under the name callers use; it hides QObject.thread() on purpose.
    thread: EngineThread[DownloadEngine]  # type: ignore[assignment]

    def __init__(
        self,
        engine_thread: EngineThread[DownloadEngine],
        parent: QObject | None = None,
        *,
        sources: PoolClients | None = None,
        remove_after: bool = False,
        auto_interval: int = 60,
    ) -> None:
        super().__init__(parent)
        self.thread = engine_thread
        self.engine = engine_thread.engine
        self.sources = sources
        self.remove_after = remove_after
        self.auto_interval = auto_interval
        self._autodl: AutoDownloader | None = None
        self._auto_stop: asyncio.Event | None = None
        self._jobs: dict[int, JobSnapshot] = {}
        self._last_progress: dict[int, float] = {}
        self._batch_done = 0
        self._batch_failed = 0
        self._lock = threading.Lock()
        self._event.connect(self._on_event)
        self._unsubscribe = self.engine.subscribe(self._from_engine)
        self.order: list[int] = []
        for snap in engine_thread.call(self.engine.jobs):
            self._jobs[snap.id] = snap
            self.order.append(snap.id)

    # -- engine thread -------------------------------------------------------------------
    def _from_engine(self, event: JobEvent) -> None:
        """Runs on the engine thread: drop over-frequent progress, forward the rest."""
        if event.kind == "progress":
            now = time.monotonic()
            with self._lock:
                if now - self._last_progress.get(event.job.id, 0.0) < PROGRESS_MIN_INTERVAL:
                    return
                self._last_progress[event.job.id] = now
        self._event.emit(event)

    # -- GUI thread ----------------------------------------------------------------------
    @Slot(object)
    def _on_event(self, event: JobEvent) -> None:
        snap = event.job
        before = self._jobs.get(snap.id)
        self._jobs[snap.id] = snap
        if event.kind == "added" and before is None:
            self.order.append(snap.id)
            self.jobAdded.emit(snap)
        else:
            self.jobChanged.emit(snap)
        if before is not None and before.state == snap.state:
            return
        if snap.state is JobState.FAILED:
            self._batch_failed += 1
            self.jobFailed.emit(snap)
        elif snap.state is JobState.DONE and not snap.skipped:
            self._batch_done += 1
        busy = any(j.state is JobState.QUEUED or j.state.active for j in self._jobs.values())
        if not busy and (self._batch_done or self._batch_failed):
            done, failed = self._batch_done, self._batch_failed
            self._batch_done = self._batch_failed = 0
            self.batchFinished.emit(done, failed)

    def snapshots(self) -> list[JobSnapshot]:
        """Every job the GUI knows, in queue order (as of the last reorder)."""
        return [self._jobs[i] for i in self.order if i in self._jobs]

    def job(self, job_id: int) -> JobSnapshot | None:
        return self._jobs.get(job_id)

    def _submit(self, coro: Coroutine[object, None, T], what: str) -> concurrent.futures.Future[T]:
        future = self.thread.submit(coro)

        def report(_result: object, error: BaseException | None) -> None:
            if error is not None and not isinstance(error, concurrent.futures.CancelledError):
                self.notice.emit(f"{what} failed: {user_message(error)}")

        relay(future, self, report)
        return future

    # -- commands ------------------------------------------------------------------------
    def start(self) -> concurrent.futures.Future[list[JobSnapshot]]:
        """Resume the unfinished jobs of an earlier run."""
        return self._submit(self.engine.start(), "Resuming downloads")

    def add_rows(
        self, rows: Sequence[MediaRow], *, force: bool = False
    ) -> concurrent.futures.Future[list[JobSnapshot]]:
        """Queue rows for download (a track already in the library is not fetched again)."""
        rows = list(rows)

        async def add_all() -> list[JobSnapshot]:
            return [await self.engine.add(row, force=force) for row in rows]

        return self._submit(add_all(), "Queueing downloads")

    def pause(self, job_id: int) -> concurrent.futures.Future[None]:
        return self._submit(self.engine.pause(job_id), "Pause")

    def resume(self, job_id: int) -> concurrent.futures.Future[None]:
        return self._submit(self.engine.resume(job_id), "Resume")

    def retry(self, job_id: int) -> concurrent.futures.Future[None]:
        return self._submit(self.engine.retry(job_id), "Retry")

    def cancel(self, job_id: int) -> concurrent.futures.Future[None]:
        return self._submit(self.engine.cancel(job_id), "Cancel")

    def move(self, job_id: int, index: int) -> concurrent.futures.Future[list[int]]:
        """Put a job at ``index`` of the queue order; ``orderChanged`` follows."""

        async def move_and_list() -> list[int]:
            await self.engine.move(job_id, index)
            return [j.id for j in self.engine.jobs()]

        future = self._submit(move_and_list(), "Reorder")
        relay(future, self, self._reordered)
        return future

    def _reordered(self, order: list[int] | None, error: BaseException | None) -> None:
        if error is None and order is not None:
            known = set(order)
            self.order = list(order) + [i for i in self.order if i not in known]
            self.orderChanged.emit(list(self.order))

    # -- server queues (AutoDownloader on the engine loop) --------------------------------
    def _auto(self) -> AutoDownloader:
        """The engine thread's AutoDownloader over the enabled pools (made on first use)."""
        if self._autodl is None:
            if self.sources is None:
                raise RuntimeError("no pools are connected to the download engine")
            clients = self.sources.enabled()
            self._autodl = AutoDownloader(
                self.engine,
                clients,
                remove_after=self.remove_after,
                interval=float(self.auto_interval),
            )
        return self._autodl

    async def _drop_auto(self) -> None:
        if self._auto_stop is not None:
            self._auto_stop.set()
        if self._autodl is not None:
            await self._autodl.drain()
            self._autodl.close()
        self._autodl, self._auto_stop = None, None

    def reset_pools(self) -> concurrent.futures.Future[None]:
        """After pools or their accounts changed: new clients and a new queue reader."""
        sources = self.sources
        was_auto = self.auto_running

        async def reset() -> None:
            await self._drop_auto()
            if sources is not None:
                await sources.aclose()

        future = self._submit(reset(), "Reconnecting the pools")
        if was_auto:
            future.add_done_callback(lambda _f: self.thread.submit(self._watch()))
        return future

    def download_all_queued(self) -> concurrent.futures.Future[QueueRun]:
        """Read every pool's server-side queue once and download what is not there yet."""

        async def run_once() -> QueueRun:
            return await self._auto().run_once()

        future = self._submit(run_once(), "Downloading the queues")
        relay(future, self, self._report_run)
        return future

    def _report_run(self, run: QueueRun | None, error: BaseException | None) -> None:
        if error is not None or run is None:
            return
        text = f"{len(run.added)} queued track(s) added to the downloads."
        for pool, why in run.errors.items():
            text += f" {pool}: {why}"
        self.notice.emit(text)

    @property
    def auto_running(self) -> bool:
        return self._auto_stop is not None and not self._auto_stop.is_set()

    def set_auto_download(self, enabled: bool, interval: int | None = None) -> None:
        """Poll the pools' queues every ``interval`` seconds while enabled."""
        if interval is not None:
            self.auto_interval = interval
        if enabled and not self.auto_running:
            self.thread.submit(self._watch())
        elif not enabled:
            self.thread.submit(self._drop_auto())
        self.autoDownloadChanged.emit(enabled)

    async def _watch(self) -> None:
        auto = self._auto()
        auto.interval = float(self.auto_interval)
        self._auto_stop = stop = asyncio.Event()
        try:
            await auto.watch(stop)
        except Exception as exc:
            self.notice.emit(f"Auto-download stopped: {user_message(exc)}")
            stop.set()

    def apply_settings(self, settings: Settings) -> concurrent.futures.Future[None]:
        """Use new download settings (folder, templates, limits, tags) for jobs that start
        from now on; the queue reader is rebuilt with the new interval and removal choice."""
        d = settings.downloads
        self.remove_after = d.remove_from_server_queue
        self.auto_interval = d.auto_interval_seconds
        was_auto = self.auto_running

        async def apply() -> None:
            self.engine.settings = d.model_copy()
            self.engine.tag_profile = settings.tags.profile
            await self._drop_auto()

        future = self._submit(apply(), "Applying the settings")
        if d.auto_download or was_auto:
            future.add_done_callback(lambda _f: self.set_auto_download(d.auto_download))
        return future

    def stop(self) -> None:
        """Unsubscribe and shut the engine down (running jobs pause, resume next start)."""
        self._unsubscribe()
        if self.sources is not None:
            try:
                self.thread.submit(self._drop_auto()).result(10)
                self.thread.submit(self.sources.aclose()).result(10)
            except Exception:
                log.debug("closing the engine's pool clients failed", exc_info=True)
        self.thread.stop()
