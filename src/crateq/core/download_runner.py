"""One download job, start to finish: the part of the engine that runs in a task per job.

:class:`JobRunner` is mixed into :class:`crateq.core.downloads.DownloadEngine`; it holds the
retry loop (backoff, fresh rows on an expired token, one re-login on 401, a paused job on a
full disk), the hand-offs to worker threads, naming the file once the first answer tells its
type, tagging and the atomic commit. The engine owns scheduling, state and events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar, TypeVarTuple

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
from crateq.core.download_jobs import DownloadJob, JobState, stored_row_json
from crateq.core.download_transfer import (
    TransferResult,
    TransferState,
    Writer,
    complete_part,
    part_offset,
    transfer,
)
from crateq.core.download_verify import in_order, verify, verify_media
from crateq.core.errors import (
    AlreadyHave,
    DiskFull,
    RestartTransfer,
    TransferInterrupted,
    VerificationFailed,
)
from crateq.core.naming import extension_for, target_path
from crateq.core.settings import DownloadSettings
from crateq.core.store import Store
from crateq.core.tagging import ID3_RESERVE, TagResult, TagValues, tag_file, tag_reserved_mp3

log = logging.getLogger("crateq.core.downloads")
T = TypeVar("T")
P = ParamSpec("P")
Ts = TypeVarTuple("Ts")
_RETRYABLE = (PoolUnavailable, PoolRateLimited, PoolTimeout, VerificationFailed, RestartTransfer)


class DownloadSource(Protocol):
    """What the engine needs from a pool client (``crateq.api.pool.PoolClient`` fits)."""

    def download_url(self, media_id: int, token: str) -> str: ...
    def auth_headers(self) -> dict[str, str]: ...
    async def login(self) -> object: ...  # its result (a LoginResult) goes unused
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


class JobRunner:
    """Runs one job per task; mixed into the engine, which provides the state below."""

    store: Store
    settings: DownloadSettings
    tag_profile: str = "generic"  # settings' tags.profile, set by the services (core.tag_profiles)
    retry_policy: RetryPolicy
    _source_for: Callable[[str], DownloadSource]
    _sleep: Callable[[float], Awaitable[None]]
    _writer: Writer
    _rng: random.Random
    _threads: dict[int, concurrent.futures.Future[Any]]  # Any: Future is invariant
    _reserved: set[str]
    _reserve_lock: threading.Lock
    _executor: concurrent.futures.ThreadPoolExecutor
    _http: httpx.Client
    _bound_loop: asyncio.AbstractEventLoop | None

    def _set(self, job: DownloadJob, state: JobState, reason: str | None = None) -> None:
        raise NotImplementedError

    async def _analyse(self, job: DownloadJob, done_reason: str) -> None:
        raise NotImplementedError  # crateq.core.download_analysis: analysing, then done

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
        try:
            source = self._source_for(job.row.pool)
        except KeyError:
            return self._fail(job, f"No pool named {job.row.pool!r} is configured any more.")
        policy = self.retry_policy
        failures = fresh = 0
        relogged = need_login = False
        need_row = _needs_token(job)
        while True:
            await self._settle(job.id)
            job.stop = threading.Event()
            before = job.bytes_done
            self._set(job, JobState.CONNECTING, job.reason if failures else "")
            try:
                if need_login:  # after a 401; its own failures go through the same handlers
                    await source.login()
                    need_login = False
                if need_row:  # after "Download token expired.": a fresh row, fresh ``auth``
                    job.row = await self._fresh(source, job.row)
                    need_row = False
                    self.store.update_job(job.id, row_json=stored_row_json(job.row))
                result = await self._transfer(job, source)
                self._set(job, JobState.VERIFYING, "")
                tags = TagValues.from_row(job.row)
                final, outcome, checks = await self._blocking(
                    job, self._finalize, job, result, tags
                )
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
                need_row = True
                continue
            except PoolAuthError as exc:
                if relogged:
                    return self._fail(job, str(exc))
                relogged = need_login = True
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
        job.verified = tuple(checks)
        await self._analyse(job, self._finish(job, result, final, outcome, tags))

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
        self.store.update_job(job.id, path=str(path), transfer_json=json.dumps(asdict(state)))
        return path.with_name(path.name + ".part")

    def _finalize(
        self, job: DownloadJob, result: TransferResult, tags: TagValues
    ) -> tuple[Path, TagResult, list[str]]:
        """Verify, tag and commit a complete part, in the worker thread; returns the file,
        how tagging went and the checks the file passed.

        One call instead of one per step: each hand-off between the loop and the pool costs
        CPU per file. Raises VerificationFailed (the caller retries) and
        TransferInterrupted when the job was paused or cancelled before the commit.
        """
        assert job.path is not None and job.part_path is not None
        part, final = job.part_path, job.path
        reserve = job.transfer.reserve
        checks = verify(part, result, final.suffix, parse=not reserve)
        self._call_soon(self._advance, job, JobState.VERIFYING, JobState.TAGGING)
        overwrite, profile = self.settings.overwrite_tags, self.tag_profile
        if reserve:  # MP3: tag in the reserved head, then the whole file must parse
            outcome = tag_reserved_mp3(part, reserve, tags, overwrite=overwrite, profile=profile)
            if verify_media(part, final.suffix):
                checks = in_order([*checks, "media"])
        else:  # other formats: tag a copy of the verified part
            outcome = tag_file(part, tags, overwrite=overwrite, ext=final.suffix, profile=profile)
        if final.exists():  # something appeared there since we reserved it
            with self._reserve_lock:
                final = target_path(job.dest, job.row, final.suffix, taken=self._reserved)
                self._reserved.add(str(final))
        if job.stop.is_set():  # paused or cancelled meanwhile: the part stays a part
            raise TransferInterrupted()
        _commit_file(part, final)
        return final, outcome, checks

    def _finish(
        self,
        job: DownloadJob,
        result: TransferResult,
        final: Path,
        outcome: TagResult,
        tags: TagValues,
    ) -> str:
        """Record a committed file in the library and history (on the loop); returns the
        reason the job is done with (the analysis step then calls it done)."""
        with self._reserve_lock:
            self._reserved.discard(str(job.path))
        job.path = final
        job.tag_note = (
            f"Tagged: {', '.join(outcome.written)}." if outcome.written else outcome.reason
        )
        self.store.add_to_library(
            job.row.pool, job.row.media_id, final, result.size, result.sha256, tags.items()
        )
        self.store.add_history(job.row.pool, job.row.media_id, "downloaded", str(final))
        job.bytes_done = result.size
        self._release(job)
        log.info("downloaded %s to %s (%d bytes)", job.key, final, result.size)
        return "" if outcome.ok else outcome.reason

    def _advance(self, job: DownloadJob, expected: JobState, state: JobState) -> None:
        """A step a worker thread reports: taken only if the job is still where it was (a
        pause or cancel in between wins)."""
        if job.state is expected:
            self._set(job, state, "")

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

    async def _blocking(
        self, job: DownloadJob, fn: Callable[P, T], *args: P.args, **kw: P.kwargs
    ) -> T:
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

    def _call_soon(self, fn: Callable[[*Ts], object], *args: *Ts) -> None:
        if self._bound_loop is not None:
            self._bound_loop.call_soon_threadsafe(fn, *args)


def _consume(future: concurrent.futures.Future[T]) -> None:
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


def _needs_token(job: DownloadJob) -> bool:
    """A job read back from the store has no download token (the store keeps none): it
    asks the pool for a fresh row first, unless its part already holds the whole file."""
    if not job.restored or job.row.auth:
        return False
    return not complete_part(part_offset(job.part_path, job.transfer), job.transfer)
