"""The download engine: jobs, concurrency, resume, retries, verification, tagging.

A DJ queues forty tracks and walks away; each must arrive whole, named, tagged, and once. So
a job streams into ``<final>.part`` (resumed with ``Range`` from its size), is verified
(length, SHA-256 ETag, parses as its media type), tagged (an MP3 in 16 KiB of head room the
part keeps for its ID3 tag, so no audio byte moves; other formats on a copy), fsynced and
only then renamed: a final file never holds partial content. Network errors, 5xx and 429 are
retried with capped exponential backoff and jitter; a 403 "token expired" fetches a fresh
row and resumes; a 401 re-logs in once and resumes; a full disk pauses the job with a
message.

Byte moving runs in worker threads that read the socket into reused buffers (the one
transport, ``crateq.api.transport``; the figures are in docs/PERFORMANCE.md). The limits (per
pool, total) count connections: verifying, tagging and fsync happen outside them. The engine
itself is plain asyncio and Qt-free: the CLI runs it on its own loop, the GUI on a worker
thread through :class:`EngineThread`; listeners get :class:`JobEvent` objects (state
changes, progress at most ~10 Hz per job) from :meth:`DownloadEngine.subscribe`. Progress is
persisted at most once a second per job.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import logging
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from crateq.api.netpolicy import MAX_REDIRECTS, trust_context
from crateq.api.pool_models import MediaRow
from crateq.api.transport import close_idle
from crateq.core.analysis import Analyser
from crateq.core.download_analysis import AnalysisStep
from crateq.core.download_jobs import (
    DownloadJob,
    EventHub,
    EventKind,
    JobEvent,
    JobSnapshot,
    JobState,
    stored_row_json,
)
from crateq.core.download_jobs import Listener as Listener
from crateq.core.download_queue import QueueOrder
from crateq.core.download_runner import DownloadSource, RetryPolicy
from crateq.core.download_thread import EngineThread
from crateq.core.download_transfer import TransferState, Writer
from crateq.core.errors import StoreError
from crateq.core.settings import AnalysisSettings, DownloadSettings
from crateq.core.store import Store

__all__ = ["DownloadEngine", "DownloadSource", "EngineThread", "JobEvent", "JobSnapshot"]
__all__ += ["JobState", "RetryPolicy"]

log = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.1
PERSIST_INTERVAL = 1.0
_LOCAL_WORK = frozenset({JobState.VERIFYING, JobState.TAGGING, JobState.ANALYSING})
# Not written to the store: progress (once a second) and the path carry what a restart needs.
_TRANSIENT = frozenset({JobState.CONNECTING, JobState.DOWNLOADING, *_LOCAL_WORK})
_PENDING = frozenset({JobState.QUEUED, *_TRANSIENT})  # what wait() waits for


class DownloadEngine(AnalysisStep):
    """Runs download jobs; every public coroutine must be awaited on the engine's loop.

    With ``analysis`` settings (on), each committed file is analysed before it is done.
    """

    def __init__(
        self,
        store: Store,
        sources: Mapping[str, DownloadSource] | Callable[[str], DownloadSource],
        settings: DownloadSettings | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        writer: Writer = os.write,
        retry: RetryPolicy | None = None,
        seed: int | None = None,
        analysis: AnalysisSettings | None = None,
        analyser: Analyser | None = None,
    ) -> None:
        self.store = store
        self.analysis_settings = analysis
        self._analyser = analyser
        self.settings = settings or DownloadSettings()
        self._source_for = sources.__getitem__ if isinstance(sources, Mapping) else sources
        self._sleep = sleep
        self._writer = writer
        self.retry_policy = retry or RetryPolicy()
        self._rng = random.Random(seed)
        self._hub = EventHub()
        self._jobs: dict[int, DownloadJob] = {}
        self._by_key: dict[str, list[DownloadJob]] = {}  # add() asks per track, not per job
        self._order = QueueOrder()  # the scheduler's per-pool view of the queue
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._threads: dict[int, concurrent.futures.Future[Any]] = {}  # Any: as JobRunner's
        self._reserved: set[str] = set()
        self._reserve_lock = threading.Lock()
        self._changed: asyncio.Event | None = None
        self._bound_loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task[None] | None = None
        workers = self.settings.total_jobs + 4
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, "crateq-download")
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.settings.read_timeout_seconds, connect=15.0),
            limits=httpx.Limits(max_connections=workers, max_keepalive_connections=workers),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            verify=trust_context(),
        )

    # -- public API ---------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(JobEvent)`` on the engine's thread; returns an unsubscribe."""
        return self._hub.subscribe(listener)

    def jobs(self) -> list[JobSnapshot]:
        return [j.snapshot() for j in sorted(self._jobs.values(), key=lambda j: j.priority)]

    def job(self, job_id: int) -> JobSnapshot:
        return self._jobs[job_id].snapshot()

    def gave_up(self, key: str) -> JobSnapshot | None:
        """The job of track ``key`` that failed or was cancelled, when no other job of it
        is queued, running or done: a queue feed asks before adding it again."""
        jobs = self._by_key.get(key, ())
        stopped = [j for j in jobs if j.state in (JobState.FAILED, JobState.CANCELLED)]
        return stopped[-1].snapshot() if stopped and len(stopped) == len(jobs) else None

    async def start(self) -> list[JobSnapshot]:
        """Load unfinished jobs of an earlier run (crash, kill, Ctrl-C) and resume them.

        Only the jobs whose record changes (a state, a part's size) are written back, in
        one transaction: a 10,000-job queue restores without 10,000 commits."""
        self._ensure_loop_state()
        changed: list[DownloadJob] = []
        for rec in self.store.unfinished_jobs():
            if rec["id"] in self._jobs:
                continue
            job = _restored(rec)
            if job.path:
                self._reserved.add(str(job.path))
            self._index(job)
            self._emit("added", job)
            if (rec["state"], rec["reason"], rec["bytes_done"]) != (
                str(job.state),
                job.reason,
                job.bytes_done,
            ):
                changed.append(job)
        with self.store.batch():
            for job in changed:
                self._persist(job, state=True)
        self._order.invalidate()
        self._kick()
        return self.jobs()

    async def add(
        self, row: MediaRow, *, dest: Path | None = None, force: bool = False
    ) -> JobSnapshot:
        """Queue a row; a track already in the library or already queued is not added twice."""
        self._ensure_loop_state()
        for job in self._by_key.get(row.key, ()):
            if not job.state.finished:
                return job.snapshot()
            if job.state is JobState.DONE and not force and job.path and job.path.exists():
                return job.snapshot()  # done in this session: the same answer again
        have = None if force else self.store.have(row.pool, row.media_id)
        root = dest or self.settings.folder_path()
        if have is not None:
            job = DownloadJob(id=-len(self._jobs) - 1, row=row, dest=root, priority=0)
            job.state, job.skipped, job.path = JobState.DONE, True, have.path
            job.reason = "Already in the library."
            job.bytes_done = have.size
            self._index(job)
            self._emit("added", job)
            return job.snapshot()
        job_id, priority = self.store.add_job_with_priority(
            row.pool, row.media_id, stored_row_json(row), str(root), force=force
        )
        job = DownloadJob(id=job_id, row=row, dest=root, priority=priority, force=force)
        self._index(job)
        self._order.append(job)
        self._emit("added", job)
        self._kick(job)
        return job.snapshot()

    async def pause(self, job_id: int) -> None:
        job = self._jobs[job_id]
        if job.state.finished or job.state in (JobState.PAUSED, JobState.ANALYSING):
            return  # an analysing job's file is committed: nothing to pause
        job.user_paused = True
        self._interrupt(job)
        self._set(job, JobState.PAUSED, "Paused.")

    async def resume(self, job_id: int) -> None:
        job = self._jobs[job_id]
        if job.state in (JobState.PAUSED, JobState.FAILED):
            job.user_paused = False
            self._set(job, JobState.QUEUED, "")
            self._order.invalidate()
            self._kick()

    retry = resume

    async def cancel(self, job_id: int) -> None:
        """Stop a job and delete its partial file; a finished file is never touched."""
        job = self._jobs[job_id]
        if job.state in (JobState.DONE, JobState.CANCELLED, JobState.ANALYSING):
            return
        self._interrupt(job)
        self._set(job, JobState.CANCELLED, "Cancelled.")
        await self._settle(job_id)
        if job.part_path is not None:
            job.part_path.unlink(missing_ok=True)
        self._release(job)
        self._kick()

    async def remove(self, job_id: int) -> None:
        """Forget a finished, failed or cancelled job (its file, if any, stays)."""
        job = self._jobs[job_id]
        if not job.state.finished:
            raise ValueError("only finished jobs can be removed; cancel it first")
        del self._jobs[job_id]
        same = [j for j in self._by_key.pop(job.key, []) if j is not job]
        if same:
            self._by_key[job.key] = same
        if job_id > 0:
            self.store.delete_job(job_id)
        self._emit("removed", job)

    async def move(self, job_id: int, index: int) -> None:
        """Put a job at ``index`` of the queue order (0 = next to start)."""
        ordered = sorted(self._jobs.values(), key=lambda j: j.priority)
        job = self._jobs[job_id]
        ordered.remove(job)
        index = max(0, min(index, len(ordered)))
        before = ordered[index - 1].priority if index > 0 else None
        after = ordered[index].priority if index < len(ordered) else None
        if before is None and after is None:
            job.priority = 1.0
        elif before is None:
            job.priority = float(after or 0) - 1.0
        elif after is None:
            job.priority = before + 1.0
        else:
            job.priority = (before + after) / 2
        if job.id > 0:
            self.store.update_job(job.id, priority=job.priority)
        self._order.invalidate()
        self._emit("state", job)
        self._kick()

    async def wait(self) -> list[JobSnapshot]:
        """Return once no job is queued or running (all done, failed, paused or cancelled)."""
        self._ensure_loop_state()
        assert self._changed is not None
        jobs, at = list(self._jobs.values()), 0
        while True:  # a cursor over jobs that ended, then one full look before returning
            while at < len(jobs) and jobs[at].state not in _PENDING:
                at += 1
            if at == len(jobs):
                jobs = list(self._jobs.values())
                at = next((i for i, j in enumerate(jobs) if j.state in _PENDING), len(jobs))
                if at == len(jobs):
                    return self.jobs()
            self._changed.clear()
            await self._changed.wait()

    async def shutdown(self) -> None:
        """Stop cleanly: running jobs become paused and resume at the next start(); an
        analysis under way is dropped (the file is done) and the worker processes stop."""
        running = [self._jobs[i] for i in (*self._tasks, *self._threads) if i in self._jobs]
        with self.store.batch():  # one commit for the whole queue
            self._pause_all()
        pending = [asyncio.wrap_future(f) for f in self._threads.values() if not f.done()]
        if pending:
            finished, _ = await asyncio.wait(pending, timeout=35)
            for future in finished:  # their outcome (interrupted) is expected: consume it
                if not future.cancelled():
                    future.exception()
        with self.store.batch():  # what the running ones reached (the rest is stored)
            for job in running:
                if job.id > 0 and job.state is JobState.PAUSED:
                    self._persist(job, state=True)
        if self._ticker is not None:
            self._ticker.cancel()
        close_idle(self._http)
        self._http.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._analyser is not None:
            await asyncio.to_thread(self._analyser.shutdown)

    def _pause_all(self) -> None:
        """Running and queued jobs become paused (they resume at the next start); an
        analysis under way is dropped (the file is done)."""
        for job in self._jobs.values():
            if job.state is JobState.ANALYSING:
                self._interrupt(job)
                self._set(job, JobState.DONE, "Analysis interrupted by the shutdown.")
            if job.state.active or job.state is JobState.QUEUED:
                self._interrupt(job)
                self._set(job, JobState.PAUSED, "Interrupted; resumes at the next start.")

    def _index(self, job: DownloadJob) -> None:
        self._jobs[job.id] = job
        self._by_key.setdefault(job.key, []).append(job)

    # -- scheduling -----------------------------------------------------------------------
    def _ensure_loop_state(self) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
            self._bound_loop = asyncio.get_running_loop()

    def _kick(self, added: DownloadJob | None = None) -> None:
        """Start queued jobs within the limits, which count connections to pools: a job
        that is verifying, tagging or fsyncing its file no longer holds a slot.

        After ``added`` joined the end of the queue nothing else can start, so the queue is
        scanned only when it can: adding 10,000 jobs to one pool stays linear."""
        running: dict[str, int] = {}
        for job_id in self._tasks:  # a few tasks, however long the queue
            job = self._jobs.get(job_id)  # None: removed while its task was ending
            if job is not None and job.state not in _LOCAL_WORK:
                running[job.row.pool] = running.get(job.row.pool, 0) + 1
        total = sum(running.values())
        full = added is not None and running.get(added.row.pool, 0) >= self.settings.per_pool_jobs
        if full or total >= self.settings.total_jobs:  # the common case with a long queue
            queued: list[DownloadJob] = []
        else:
            free = self.settings.total_jobs - total
            per_pool = self.settings.per_pool_jobs

            def room(pool: str) -> int:
                return min(free, per_pool - running.get(pool, 0))

            queued = self._order.candidates(self._jobs, self._tasks, room)
        for job in queued:
            if total >= self.settings.total_jobs:
                break
            if running.get(job.row.pool, 0) >= self.settings.per_pool_jobs:
                continue
            running[job.row.pool] = running.get(job.row.pool, 0) + 1
            total += 1
            task = asyncio.get_running_loop().create_task(self._run(job), name=f"download-{job.id}")
            self._tasks[job.id] = task
            task.add_done_callback(functools.partial(self._task_done, job.id))
        if self._tasks and (self._ticker is None or self._ticker.done()):
            self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="progress")

    def _task_done(self, job_id: int, _task: object = None) -> None:
        self._tasks.pop(job_id, None)
        self._kick()
        if self._changed is not None:
            self._changed.set()

    async def _tick(self) -> None:
        """Sample counters ~10 Hz: progress events and speed; persist once a second."""
        last_persist = time.monotonic()
        while self._tasks:
            await asyncio.sleep(PROGRESS_INTERVAL)
            now = time.monotonic()
            persist = now - last_persist >= PERSIST_INTERVAL
            for job in list(self._jobs.values()):
                if job.state is JobState.DOWNLOADING:
                    job.sample_speed(now)
                    self._emit("progress", job)
                    if persist:
                        self._persist(job)
            if persist:
                last_persist = now

    def _interrupt(self, job: DownloadJob) -> None:
        job.stop.set()
        task = self._tasks.get(job.id)
        if task is not None:
            task.cancel()

    # -- state + events -------------------------------------------------------------------
    def _set(self, job: DownloadJob, state: JobState, reason: str | None = None) -> None:
        if job.state.finished and state is not JobState.QUEUED:
            return  # a late thread callback never revives a cancelled or finished job
        if job.state is JobState.PAUSED and state is JobState.DOWNLOADING:
            return
        changed = job.state is not state or (reason is not None and reason != job.reason)
        job.state = state
        if reason is not None:
            job.reason = reason
        if changed:
            if state not in _TRANSIENT:  # a restart treats every unfinished state alike
                self._persist(job, state=True)
            self._emit("state", job)
            if state in _LOCAL_WORK:
                self._kick()  # its connection is done: let the next one start
        if self._changed is not None and state not in _PENDING:
            self._changed.set()  # wait() rescans only when a job may have left its set

    def _persist(self, job: DownloadJob, *, state: bool = False) -> None:
        if job.id <= 0:
            return
        fields: dict[str, object] = {
            "bytes_done": job.bytes_done,
            "total_bytes": job.transfer.total,
            "transfer_json": _dump(asdict(job.transfer)),
        }
        if state:
            fields.update(
                state=str(job.state),
                reason=job.reason,
                path=str(job.path) if job.path else "",
                row_json=stored_row_json(job.row),
                auto_resume=int(not job.user_paused),
                verified=",".join(job.verified),
            )
        try:
            self.store.update_job(job.id, **fields)
        except StoreError as exc:  # locked or full: the job goes on; the next write retries
            log.warning("download job %s not saved: %s", job.key, exc)

    def _emit(self, kind: EventKind, job: DownloadJob) -> None:
        if self._hub.listening:  # a snapshot per state change is wasted on nobody
            self._hub.emit(JobEvent(kind, job.snapshot()))


def _restored(rec: dict[str, Any]) -> DownloadJob:  # Any: a store row, as Store.jobs()
    """The job an unfinished store record stands for, its bytes counted from its part."""
    job = DownloadJob(
        id=rec["id"],
        row=MediaRow.model_validate_json(rec["row_json"]),
        dest=Path(rec["dest"]),
        priority=rec["priority"],
        force=bool(rec["force"]),
        path=Path(rec["path"]) if rec["path"] else None,
        transfer=_transfer_state(rec["transfer_json"]),
        verified=tuple(filter(None, (rec["verified"] or "").split(","))),
        restored=True,
    )
    part = job.part_path
    on_disk = part.stat().st_size if part and part.exists() else 0
    job.bytes_done = max(0, on_disk - job.transfer.reserve)
    if rec["state"] == JobState.PAUSED and not rec["auto_resume"]:
        job.state, job.reason, job.user_paused = JobState.PAUSED, rec["reason"], True
    return job


def _dump(value: dict[str, object]) -> str:
    return json.dumps(value)


def _transfer_state(text: str) -> TransferState:
    """A job's saved transfer state (its JSON object); a fresh one if there is none."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        value = {}
    return TransferState(**value) if isinstance(value, dict) else TransferState()
