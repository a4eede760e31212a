"""One download job, start to finish: the part of the engine that runs in a task per job.

:class:`JobRunner` is mixed into :class:`crateq.core.downloads.DownloadEngine`; it holds the
retry loop (backoff, fresh rows on an expired token, one re-login on 401, a paused job on a
full disk saying how much to free where, a paused job when the database cannot be written),
the hand-offs to worker threads, naming the file once the first answer tells its type,
tagging and the atomic commit. The engine owns scheduling, state and events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import random
import shutil
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
from crateq.core.crashpoints import reach
from crateq.core.download_io import commit_file
from crateq.core.download_jobs import DISK_FULL, DownloadJob, JobState, stored_row_json
from crateq.core.download_transfer import TransferResult, TransferState, Writer, transfer
from crateq.core.download_verify import in_order, verify, verify_media
from crateq.core.download_warm import warm_needed, warm_tagging
from crateq.core.errors import (
    AlreadyHave,
    DiskFull,
    RestartTransfer,
    StoreError,
    TransferInterrupted,
    VerificationFailed,
    is_disk_full,
)
from crateq.core.naming import extension_for, target_path
from crateq.core.settings import DownloadSettings
from crateq.core.store import Store
from crateq.core.tag_values import ID3_RESERVE, TagResult, TagValues

log = logging.getLogger("crateq.core.downloads")
T = TypeVar("T")
P = ParamSpec("P")
Ts = TypeVarTuple("Ts")
_MARGIN = 1_000_000  # room asked for beyond the file itself (the folder, the database)
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
        except StoreError as exc:  # the database is locked, full or damaged: no crash loop
            log.warning("download job %s: %s", job.key, exc)
            if _committed(job):
                self._set(job, JobState.DONE, f"Saved, but not recorded in the library: {exc}")
            else:
                waits = "The download waits: resume it once that is fixed."
                self._set(job, JobState.PAUSED, f"{exc.message} {waits}")
        except Exception as exc:  # a bug must not kill the engine; show it on the job
            log.exception("download job %s crashed", job.key)
            self._set(job, JobState.FAILED, f"Unexpected error: {exc.__class__.__name__}: {exc}")

    async def _run_job(self, job: DownloadJob) -> None:
        if await self._recover_commit(job):
            return
        try:
            source = self._source_for(job.row.pool)
        except KeyError:
            return self._fail(job, f"No pool named {job.row.pool!r} is configured any more.")
        if _committed(job) and await self._blocking(job, _ours, job):
            return self._adopt(job)  # saved before the store could record it (full, locked)
        policy = self.retry_policy
        failures = fresh = 0
        relogged = need_login = False
        need_row = job.needs_token
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
                return self._pause_for_space(job)
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
                if is_disk_full(exc):  # fsync, rename, a tag copy
                    return self._pause_for_space(job)
                return self._fail(job, f"The file cannot be written ({exc.strerror or exc}).")
        job.verified = tuple(checks)
        await self._analyse(job, self._finish(job, result, final, outcome, tags))

    async def _recover_commit(self, job: DownloadJob) -> bool:
        """Finish a job whose file an earlier run renamed into place and then died before
        recording it: record it (no download, no second copy) and drop a part left over."""
        final = _committed_file(job)  # no I/O unless a name was saved before a rename
        if final is None:
            return False
        state = job.transfer
        result = TransferResult(size=state.size, sha256=state.sha256, state=state)
        tags = TagValues.from_row(job.row)
        log.info("%s was committed before a restart: recording %s", job.key, final)
        await self._analyse(job, self._finish(job, result, final, TagResult(ok=True), tags))
        return True

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
        if warm_needed(ext):  # the finishing step's imports run beside the transfer
            with contextlib.suppress(RuntimeError):  # the engine shut down: _finalize imports
                self._executor.submit(warm_tagging, ext).add_done_callback(_consume)
        with self._reserve_lock:
            path = self._free_path(job, ext)
        # The name is saved before the part exists: a crash in between leaves no stray part
        # that would push the restarted job to "x (2).mp3", and a store that cannot be
        # written leaves no part it does not know of.
        try:
            self.store.update_job(job.id, path=str(path), transfer_json=json.dumps(asdict(state)))
        except StoreError:
            with self._reserve_lock:
                self._reserved.discard(str(path))
            raise
        job.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        reach("transfer.named")
        path.with_name(path.name + ".part").touch()
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
        from crateq.core.tagging import tag_copy, tag_reserved_mp3  # warmed: warm_tagging

        assert job.path is not None and job.part_path is not None
        part, final = job.part_path, job.path
        reserve = job.transfer.reserve
        checks = verify(part, result, final.suffix, parse=not reserve)
        self._call_soon(self._advance, job, JobState.VERIFYING, JobState.TAGGING)
        reach("tag.before")
        overwrite, profile = self.settings.overwrite_tags, self.tag_profile
        tagged = part  # what becomes the final file
        if reserve:  # MP3: tag in the reserved head, then the whole file must parse
            outcome = tag_reserved_mp3(part, reserve, tags, overwrite=overwrite, profile=profile)
            if verify_media(part, final.suffix):
                checks = in_order([*checks, "media"])
        else:  # other formats: a tagged copy; the part keeps the server's bytes till the end
            outcome, copy = tag_copy(
                part, tags, overwrite=overwrite, ext=final.suffix, profile=profile
            )
            tagged = copy or part
        reach("tag.written")
        if final.exists():  # something appeared there since we reserved it
            with self._reserve_lock:
                final = self._free_path(job, final.suffix)
        if job.stop.is_set():  # paused or cancelled meanwhile: the part stays a part
            if tagged != part:
                tagged.unlink(missing_ok=True)
            raise TransferInterrupted()
        try:
            self._save_intent(job, final, result, checks)
        except StoreError as exc:  # the file still goes in place: the next start adopts it
            log.warning("%s: could not note the file before its rename: %s", job.key, exc)
        commit_file(tagged, final)
        if tagged != part:  # a tagged copy took its place
            part.unlink(missing_ok=True)
        return final, outcome, checks

    def _free_path(self, job: DownloadJob, ext: str) -> Path:
        """A free final name for ``job`` (with the reserve lock held), now reserved."""
        path = target_path(
            job.dest,
            job.row,
            ext,
            folder_template=self.settings.folder_template,
            file_template=self.settings.file_template,
            taken=self._reserved,
        )
        self._reserved.add(str(path))
        return path

    def _save_intent(
        self, job: DownloadJob, final: Path, result: TransferResult, checks: list[str]
    ) -> None:
        """Note in the job's row, before the rename, which file it becomes and what the
        server sent, so a restart after the rename records the file instead of fetching it
        again (``_recover_commit``)."""
        state = job.transfer
        state.committed, state.sha256, state.size = str(final), result.sha256, result.size
        transfer_json = json.dumps(asdict(state))
        self.store.update_job(job.id, transfer_json=transfer_json, verified=",".join(checks))

    def _finish(
        self,
        job: DownloadJob,
        result: TransferResult,
        final: Path,
        outcome: TagResult,
        tags: TagValues,
    ) -> str:
        """Record a committed file: library, history and the job's row in one transaction
        (on the loop); returns the reason the job is done with (the analysis step then calls
        it done)."""
        with self._reserve_lock:
            self._reserved.discard(str(job.path))
        job.path = final
        job.tag_note = (
            f"Tagged: {', '.join(outcome.written)}." if outcome.written else outcome.reason
        )
        reason = "" if outcome.ok else outcome.reason
        self.store.record_download(
            job.id, job.row.pool, job.row.media_id, final, result.size, result.sha256,
            tags.items(), reason=reason,
        )  # fmt: skip
        job.bytes_done = result.size
        self._release(job)
        log.info("downloaded %s to %s (%d bytes)", job.key, final, result.size)
        return reason

    def _adopt(self, job: DownloadJob) -> None:
        """Record a file committed under the job's name by an earlier attempt whose library
        write failed: done, without downloading it a second time."""
        assert job.path is not None
        size = job.path.stat().st_size
        note = "Saved earlier; now recorded in the library."
        self.store.record_download(job.id, job.row.pool, job.row.media_id, job.path, size, "")
        job.bytes_done = size
        self._release(job)
        self._set(job, JobState.DONE, note)

    def _advance(self, job: DownloadJob, expected: JobState, state: JobState) -> None:
        """A step a worker thread reports: taken only if the job is still where it was (a
        pause or cancel in between wins)."""
        if job.state is expected:
            self._set(job, state, "")

    def _fail(self, job: DownloadJob, reason: str) -> None:
        self._set(job, JobState.FAILED, reason)
        self.store.add_history(job.row.pool, job.row.media_id, "failed", reason)

    def _pause_for_space(self, job: DownloadJob) -> None:
        """Pause (not fail) a job the disk has no room for, saying how much to free where;
        the part keeps what was written. It resumes on Resume or at the next start."""
        self._sync_bytes(job)
        folder = job.path.parent if job.path is not None else job.dest
        self._set(job, JobState.PAUSED, space_message(folder, job.transfer.total, job.bytes_done))

    def _sync_bytes(self, job: DownloadJob) -> None:
        """Bytes done from the part on disk (a chunk may have been written only in part)."""
        part = job.part_path
        on_disk = part.stat().st_size if part is not None and part.exists() else 0
        job.bytes_done = max(0, on_disk - job.transfer.reserve)

    def _discard_part(self, job: DownloadJob) -> None:
        """Throw a bad part away; the next attempt starts from byte 0. The part keeps its
        name, so it keeps the room for the tag that name's type was given (else an MP3 is
        tagged on a full copy instead of in place)."""
        if job.part_path is not None:
            job.part_path.unlink(missing_ok=True)
        job.transfer = TransferState(reserve=job.transfer.reserve)
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


def space_message(folder: Path, total: int | None, done: int) -> str:
    """What a job waiting for room says: "The disk is full: free at least 3 MB on FOLDER,
    then resume the download." (the bytes still to come, a tag's room and a margin, minus
    what is free now)."""
    start = DISK_FULL
    end = "then resume the download."
    if total is None:
        return f"{start} free some space on {folder}, {end}"
    existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        free = 0
    need = total - done + ID3_RESERVE + _MARGIN - free
    return f"{start} free at least {max(1, -(-need // 1_000_000))} MB on {folder}, {end}"


def _committed(job: DownloadJob) -> bool:
    """The job's file is in place under its final name (its part renamed)."""
    part = job.part_path
    return job.path is not None and job.path.exists() and not (part and part.exists())


def _ours(job: DownloadJob) -> bool:
    """The file at the job's name carries the engine's mark for this very track."""
    from crateq.core.library_scan import track_of

    return job.path is not None and track_of(job.path) == (job.row.pool, job.row.media_id)


def _consume(future: concurrent.futures.Future[T]) -> None:
    if not future.cancelled():
        future.exception()


def _committed_file(job: DownloadJob) -> Path | None:
    """The final file an earlier run renamed into place, if that is what happened: the name
    saved just before the rename (when it was free) exists now."""
    state = job.transfer
    if not state.committed or not state.sha256:
        return None
    final = Path(state.committed)
    if not final.is_file():
        return None
    if job.part_path is not None:  # a tagged copy was renamed; the part was not gone yet
        job.part_path.unlink(missing_ok=True)
    return final


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else exc.__class__.__name__
