"""The download engine: jobs, concurrency, resume, retries, verification, tagging.

A DJ queues forty tracks and walks away; each must arrive whole, named, tagged, and once.
So a job streams into ``<final>.part`` (resumed with ``Range`` from its size), is verified
(length, SHA-256 ETag, parses as its media type), tagged on a copy, fsynced and only then
renamed: a final file never holds partial content. Network errors, 5xx and 429 are retried
with capped exponential backoff and jitter; a 403 "token expired" fetches a fresh row and
resumes; a 401 re-logs in once and resumes; a full disk pauses the job with a message.

Byte moving runs in worker threads with a sync httpx client (see ``download_transfer`` for
the measurements behind that). The engine itself is plain asyncio and Qt-free: the CLI runs
it on its own loop, the GUI on a worker thread through :class:`EngineThread`; listeners
get :class:`JobEvent` objects (state changes, progress at most ~10 Hz per job) from
:meth:`DownloadEngine.subscribe`. Progress is persisted at most once a second per job.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from crateq.api.errors import (
    DownloadTokenExpired,
    PoolAuthError,
    PoolError,
    PoolRateLimited,
    PoolTimeout,
    PoolUnavailable,
)
from crateq.api.pool_models import MediaRow
from crateq.core.download_jobs import DownloadJob, EventHub, JobEvent, JobSnapshot, JobState
from crateq.core.download_jobs import Listener as Listener
from crateq.core.download_transfer import (
    AlreadyHave,
    DiskFull,
    RestartTransfer,
    TransferInterrupted,
    TransferResult,
    TransferState,
    Writer,
    transfer,
    tune_httpcore,
)
from crateq.core.download_verify import VerificationFailed, verify, verify_media
from crateq.core.naming import extension_for, target_path
from crateq.core.settings import DownloadSettings
from crateq.core.store import Store
from crateq.core.tagging import ID3_RESERVE, TagResult, TagValues, tag_file, tag_reserved_mp3

__all__ = ["DownloadEngine", "DownloadSource", "EngineThread", "JobEvent", "JobSnapshot"]
__all__ += ["JobState", "RetryPolicy"]

log = logging.getLogger(__name__)
T = TypeVar("T")
PROGRESS_INTERVAL = 0.1
PERSIST_INTERVAL = 1.0
_RETRYABLE = (PoolUnavailable, PoolRateLimited, PoolTimeout, VerificationFailed, RestartTransfer)


class DownloadSource(Protocol):
    """What the engine needs from a pool client (``crateq.api.pool.PoolClient`` fits)."""

    def download_url(self, media_id: int, token: str) -> str: ...
    def auth_headers(self) -> dict[str, str]: ...
    async def login(self) -> Any: ...
    async def fresh_row(self, row: MediaRow) -> MediaRow: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter; the counter resets when bytes arrive."""

    max_failures: int = 8
    base: float = 0.5
    cap: float = 30.0
    max_fresh_tokens: int = 4
    max_retry_after: float = 120.0  # a server asking for longer is waited for this long

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        backoff = min(self.cap, self.base * 2 ** max(0, failures - 1))
        wait = backoff / 2 + rng.uniform(0, backoff / 2)
        return float(max(wait, min(retry_after or 0.0, self.max_retry_after)))


class DownloadEngine:
    """Runs download jobs; every public coroutine must be awaited on the engine's loop."""

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
    ) -> None:
        self.store = store
        self.settings = settings or DownloadSettings()
        self._source_for = sources.__getitem__ if isinstance(sources, Mapping) else sources
        self._sleep = sleep
        self._writer = writer
        self.retry_policy = retry or RetryPolicy()
        self._rng = random.Random(seed)
        self._hub = EventHub()
        self._jobs: dict[int, DownloadJob] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._threads: dict[int, concurrent.futures.Future[Any]] = {}
        self._reserved: set[str] = set()
        self._reserve_lock = threading.Lock()
        self._changed: asyncio.Event | None = None
        self._bound_loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task[None] | None = None
        tune_httpcore()
        workers = self.settings.total_jobs + 4
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, "crateq-download")
        self._http = httpx.Client(
            timeout=httpx.Timeout(30.0, connect=15.0),
            limits=httpx.Limits(max_connections=workers, max_keepalive_connections=workers),
            follow_redirects=True,
        )

    # -- public API ---------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(JobEvent)`` on the engine's thread; returns an unsubscribe."""
        return self._hub.subscribe(listener)

    def jobs(self) -> list[JobSnapshot]:
        return [j.snapshot() for j in sorted(self._jobs.values(), key=lambda j: j.priority)]

    def job(self, job_id: int) -> JobSnapshot:
        return self._jobs[job_id].snapshot()

    async def start(self) -> list[JobSnapshot]:
        """Load unfinished jobs of an earlier run (crash, kill, Ctrl-C) and resume them."""
        self._ensure_loop_state()
        for rec in self.store.unfinished_jobs():
            if rec["id"] in self._jobs:
                continue
            job = DownloadJob(
                id=rec["id"],
                row=MediaRow.model_validate_json(rec["row_json"]),
                dest=Path(rec["dest"]),
                priority=rec["priority"],
                force=bool(rec["force"]),
                path=Path(rec["path"]) if rec["path"] else None,
                transfer=TransferState(**_json_obj(rec["transfer_json"])),
            )
            part = job.part_path
            on_disk = part.stat().st_size if part and part.exists() else 0
            job.bytes_done = max(0, on_disk - job.transfer.reserve)
            if job.path:
                self._reserved.add(str(job.path))
            if rec["state"] == JobState.PAUSED and not rec["auto_resume"]:
                job.state, job.reason, job.user_paused = JobState.PAUSED, rec["reason"], True
            self._jobs[job.id] = job
            self._emit("added", job)
            self._persist(job, state=True)
        self._kick()
        return self.jobs()

    async def add(
        self, row: MediaRow, *, dest: Path | None = None, force: bool = False
    ) -> JobSnapshot:
        """Queue a row; a track already in the library or already queued is not added twice."""
        self._ensure_loop_state()
        for job in self._jobs.values():
            if job.key != row.key:
                continue
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
            self._jobs[job.id] = job
            self._emit("added", job)
            return job.snapshot()
        job_id = self.store.add_job(
            row.pool, row.media_id, row.model_dump_json(by_alias=True), str(root), force=force
        )
        rec = self.store.job(job_id) or {}
        job = DownloadJob(
            id=job_id, row=row, dest=root, priority=rec.get("priority", 0), force=force
        )
        self._jobs[job_id] = job
        self._emit("added", job)
        self._kick()
        return job.snapshot()

    async def pause(self, job_id: int) -> None:
        job = self._jobs[job_id]
        if job.state.finished or job.state is JobState.PAUSED:
            return
        job.user_paused = True
        self._interrupt(job)
        self._set(job, JobState.PAUSED, "Paused.")

    async def resume(self, job_id: int) -> None:
        job = self._jobs[job_id]
        if job.state in (JobState.PAUSED, JobState.FAILED):
            job.user_paused = False
            self._set(job, JobState.QUEUED, "")
            self._kick()

    retry = resume

    async def cancel(self, job_id: int) -> None:
        """Stop a job and delete its partial file; a finished file is never touched."""
        job = self._jobs[job_id]
        if job.state is JobState.DONE or job.state is JobState.CANCELLED:
            return
        self._interrupt(job)
        self._set(job, JobState.CANCELLED, "Cancelled.")
        await self._settle(job_id)
        if job.part_path is not None:
            job.part_path.unlink(missing_ok=True)
        self._release(job)
        self._kick()

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
        self._emit("state", job)
        self._kick()

    async def wait(self) -> list[JobSnapshot]:
        """Return once no job is queued or running (all done, failed, paused or cancelled)."""
        self._ensure_loop_state()
        assert self._changed is not None
        while any(j.state is JobState.QUEUED or j.state.active for j in self._jobs.values()):
            self._changed.clear()
            await self._changed.wait()
        return self.jobs()

    async def shutdown(self) -> None:
        """Stop cleanly: running jobs become paused and resume at the next start()."""
        for job in self._jobs.values():
            if job.state.active or job.state is JobState.QUEUED:
                self._interrupt(job)
                self._set(job, JobState.PAUSED, "Interrupted; resumes at the next start.")
        pending = [asyncio.wrap_future(f) for f in self._threads.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=35)
        for job in self._jobs.values():
            if job.id > 0 and job.state is JobState.PAUSED:
                self._persist(job, state=True)
        if self._ticker is not None:
            self._ticker.cancel()
        self._http.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- scheduling -----------------------------------------------------------------------
    def _ensure_loop_state(self) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
            self._bound_loop = asyncio.get_running_loop()

    def _kick(self) -> None:
        running: dict[str, int] = {}
        for job in self._jobs.values():
            if job.id in self._tasks:
                running[job.row.pool] = running.get(job.row.pool, 0) + 1
        total = sum(running.values())
        queued = sorted(
            (
                j
                for j in self._jobs.values()
                if j.state is JobState.QUEUED and j.id not in self._tasks
            ),
            key=lambda j: j.priority,
        )
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

    # -- one job --------------------------------------------------------------------------
    async def _run(self, job: DownloadJob) -> None:
        try:
            await self._run_job(job)
        except asyncio.CancelledError:
            pass  # pause/cancel/shutdown set the state already
        except Exception as exc:  # a bug must not kill the engine; show it on the job
            log.exception("download job %s crashed", job.key)
            self._set(job, JobState.FAILED, f"Unexpected error: {exc.__class__.__name__}: {exc}")

    async def _run_job(self, job: DownloadJob) -> None:
        source = self._source_for(job.row.pool)
        policy = self.retry_policy
        failures = fresh = 0
        relogged = False
        outcome: TagResult | None = None
        while True:
            await self._settle(job.id)
            job.stop = threading.Event()
            before = job.bytes_done
            self._set(job, JobState.CONNECTING, job.reason if failures else "")
            try:
                result = await self._transfer(job, source)
                self._set(job, JobState.VERIFYING, "")
                ext = job.path.suffix if job.path else ".mp3"
                assert job.part_path is not None
                reserve = job.transfer.reserve
                await self._blocking(job, verify, job.part_path, result, ext, parse=not reserve)
                if reserve:  # MP3: tag in the reserved head, then the whole file must parse
                    self._set(job, JobState.TAGGING, "")
                    tags = TagValues.from_row(job.row)
                    outcome = await self._blocking(
                        job, tag_reserved_mp3, job.part_path, reserve, tags,
                        overwrite=self.settings.overwrite_tags,
                    )  # fmt: skip
                    await self._blocking(job, verify_media, job.part_path, ext)
                break
            except AlreadyHave as have:
                entry = self.store.library_by_sha(have.sha256)
                job.skipped, job.path = True, entry.path if entry else job.path
                self._release(job, delete_part=True)
                self._set(job, JobState.DONE, "Same file already in the library.")
                return
            except TransferInterrupted:
                return
            except DiskFull:
                self._sync_bytes(job)
                job.user_paused = True
                free = "Free some space, then resume."
                self._set(job, JobState.PAUSED, f"The disk is full. {free}")
                return
            except DownloadTokenExpired as exc:
                fresh += 1
                if fresh > policy.max_fresh_tokens:
                    return self._fail(job, str(exc))
                job.row = await self._fresh(source, job.row)
                continue
            except PoolAuthError as exc:
                if relogged:
                    return self._fail(job, str(exc))
                relogged = True
                await source.login()
                continue
            except _RETRYABLE as exc:
                if isinstance(exc, VerificationFailed | RestartTransfer):
                    self._discard_part(job)
                failures = 1 if job.bytes_done > before and failures else failures + 1
                if failures > policy.max_failures:
                    return self._fail(job, _sentence(exc))
                after = exc.retry_after if isinstance(exc, PoolRateLimited) else None
                delay = policy.delay(failures, after, self._rng)
                job.reason = f"Retrying in {delay:.0f} s: {_sentence(exc)}"
                self._set(job, JobState.CONNECTING, job.reason)
                await self._sleep(delay)
                continue
            except PoolError as exc:
                return self._fail(job, str(exc))
            except OSError as exc:
                return self._fail(job, f"The file cannot be written ({exc.strerror or exc}).")
        await self._finish(job, result, outcome)

    async def _fresh(self, source: DownloadSource, row: MediaRow) -> MediaRow:
        fresh = await source.fresh_row(row)
        fresh.pool = fresh.pool or row.pool
        return fresh

    async def _transfer(self, job: DownloadJob, source: DownloadSource) -> TransferResult:
        url = source.download_url(job.row.media_id, job.row.auth)
        headers = source.auth_headers()
        first = {"done": False}

        def progress(done: int) -> None:
            job.bytes_done = done
            if not first["done"]:
                first["done"] = True
                self._call_soon(self._set, job, JobState.DOWNLOADING, "")

        def skip(sha: str) -> bool:
            return not job.force and self.store.library_by_sha(sha) is not None

        return await self._blocking(
            job,
            transfer,
            self._http,
            url,
            headers,
            job.part_path,
            job.transfer,
            choose_part=lambda state: self._choose_path(job, state),
            pool=job.row.pool,
            progress=progress,
            stop=job.stop,
            writer=self._writer,
            skip_sha=skip,
        )

    def _choose_path(self, job: DownloadJob, state: TransferState) -> Path:
        """Runs in the worker thread once the first answer's headers are known."""
        ext = extension_for(state.content_type, state.disposition, video=job.row.video)
        state.reserve = ID3_RESERVE if ext == ".mp3" else 0
        with self._reserve_lock:
            path = target_path(
                job.dest,
                job.row,
                ext,
                folder_template=self.settings.folder_template,
                file_template=self.settings.file_template,
                taken=self._reserved,
            )
            self._reserved.add(str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_name(path.name + ".part").touch()
        job.path = path
        self.store.update_job(job.id, path=str(path))
        return path.with_name(path.name + ".part")

    async def _finish(
        self, job: DownloadJob, result: TransferResult, outcome: TagResult | None
    ) -> None:
        assert job.path is not None and job.part_path is not None
        part, final = job.part_path, job.path
        tags = TagValues.from_row(job.row)
        if outcome is None:  # other formats: tag a copy of the verified part
            self._set(job, JobState.TAGGING, "")
            outcome = await self._blocking(
                job, tag_file, part, tags, overwrite=self.settings.overwrite_tags, ext=final.suffix
            )
        job.tag_note = (
            f"Tagged: {', '.join(outcome.written)}." if outcome.written else outcome.reason
        )
        if final.exists():  # something appeared there since we reserved it
            with self._reserve_lock:
                final = target_path(job.dest, job.row, final.suffix, taken=self._reserved)
                self._reserved.add(str(final))
        await self._blocking(job, _commit_file, part, final)
        job.path = final
        size = final.stat().st_size
        self.store.add_to_library(
            job.row.pool, job.row.media_id, final, result.size, result.sha256, tags.items()
        )
        self.store.add_history(job.row.pool, job.row.media_id, "downloaded", str(final))
        job.bytes_done = result.size
        self._release(job)
        self._set(job, JobState.DONE, "" if outcome.ok else outcome.reason)
        log.info("downloaded %s to %s (%d bytes)", job.key, final, size)

    def _fail(self, job: DownloadJob, reason: str) -> None:
        self._set(job, JobState.FAILED, reason)
        self.store.add_history(job.row.pool, job.row.media_id, "failed", reason)

    def _sync_bytes(self, job: DownloadJob) -> None:
        """Bytes done from the part on disk (a chunk may have been written only in part)."""
        part = job.part_path
        on_disk = part.stat().st_size if part is not None and part.exists() else 0
        job.bytes_done = max(0, on_disk - job.transfer.reserve)

    def _discard_part(self, job: DownloadJob) -> None:
        if job.part_path is not None:
            job.part_path.unlink(missing_ok=True)
        job.transfer = TransferState()
        job.bytes_done = 0

    def _release(self, job: DownloadJob, *, delete_part: bool = False) -> None:
        if delete_part and job.part_path is not None:
            job.part_path.unlink(missing_ok=True)
        with self._reserve_lock:
            self._reserved.discard(str(job.path))

    async def _blocking(self, job: DownloadJob, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """Run ``fn`` in the engine's worker pool; remember it so a resume waits for it."""
        future = self._executor.submit(fn, *args, **kw)
        future.add_done_callback(_consume)  # a paused job's outcome is never awaited
        self._threads[job.id] = future
        return await asyncio.wrap_future(future)

    async def _settle(self, job_id: int) -> None:
        """Wait until the job's previous worker-thread call has ended (its outcome is moot)."""
        previous = self._threads.get(job_id)
        if previous is not None and not previous.done():
            with contextlib.suppress(BaseException):
                await asyncio.wrap_future(previous)

    def _call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._bound_loop is not None:
            self._bound_loop.call_soon_threadsafe(fn, *args)

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
            self._persist(job, state=True)
            self._emit("state", job)
        if self._changed is not None:
            self._changed.set()

    def _persist(self, job: DownloadJob, *, state: bool = False) -> None:
        if job.id <= 0:
            return
        fields: dict[str, Any] = {"bytes_done": job.bytes_done}
        if state:
            fields.update(
                state=str(job.state),
                reason=job.reason,
                path=str(job.path) if job.path else "",
                total_bytes=job.transfer.total,
                transfer_json=_dump(asdict(job.transfer)),
                row_json=job.row.model_dump_json(by_alias=True),
                auto_resume=int(not job.user_paused),
            )
        self.store.update_job(job.id, **fields)

    def _emit(self, kind: Any, job: DownloadJob) -> None:
        self._hub.emit(JobEvent(kind, job.snapshot()))


def _consume(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _commit_file(part: Path, final: Path) -> None:
    """fsync the part, rename it atomically, fsync the folder so the rename survives."""
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(part, final)
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else exc.__class__.__name__


def _dump(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value)


def _json_obj(text: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class EngineThread:
    """Runs a :class:`DownloadEngine` on its own asyncio loop in a daemon thread.

    The GUI uses this so byte moving and file writes never stall its loop; it talks to the
    engine with :meth:`submit` (returns a ``concurrent.futures.Future``) and receives events
    through ``engine.subscribe`` on this thread (re-emit them as a queued Qt signal).
    """

    def __init__(self, factory: Callable[[], DownloadEngine]) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="crateq-engine", daemon=True)
        self._thread.start()
        self.engine: DownloadEngine = self.call(factory)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the engine thread and return its result."""
        self._ready.wait()

        async def wrapper() -> T:
            return fn()

        return self.submit(wrapper()).result()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def stop(self, timeout: float = 40.0) -> None:
        """Shut the engine down (running jobs pause) and end the thread."""
        self.submit(self.engine.shutdown()).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()
