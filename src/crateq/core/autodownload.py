"""Batch and background downloads of the pools' server-side queues (Content/Queue).

"Download all" reads every pool's queue once and hands new rows to the engine. Auto mode
polls every pool on an interval (default 60 s); a pool that is down is polled with growing
backoff while the others carry on. After a successful download the track can be removed
from the server queue; UpdateQueue toggles, so removal goes through the client's
toggle-safe ``queue_remove`` and only for tracks that were really downloaded.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from crateq.api.errors import CrateQError
from crateq.api.pool_models import MediaRow
from crateq.core.download_jobs import JobEvent, JobSnapshot, JobState
from crateq.core.downloads import DownloadEngine

log = logging.getLogger(__name__)


class QueueSource(Protocol):
    """What auto-download needs from a pool client (``PoolClient`` fits)."""

    async def queue_all(self) -> list[MediaRow]: ...
    async def queue_remove(self, media_id: int) -> bool: ...


@dataclass
class PoolPoll:
    """Polling state of one pool: consecutive failures drive its backoff."""

    failures: int = 0
    next_due: float = 0.0
    last_error: str = ""


@dataclass
class QueueRun:
    """What one pass over the queues did."""

    added: list[JobSnapshot] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


class AutoDownloader:
    """Feeds pools' queues to a :class:`DownloadEngine`; one instance per engine."""

    def __init__(
        self,
        engine: DownloadEngine,
        sources: Mapping[str, QueueSource],
        *,
        dest: Path | None = None,
        remove_after: bool = False,
        interval: float = 60.0,
        max_backoff: float = 900.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.engine = engine
        self.sources = dict(sources)
        self.dest = dest
        self.remove_after = remove_after
        self.interval = interval
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._clock = clock
        self.polls = {name: PoolPoll() for name in self.sources}
        self._removed: set[str] = set()
        self._unsubscribe = engine.subscribe(self._on_event) if remove_after else None
        self._pending_removals: set[asyncio.Task[None]] = set()

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def run_once(self, *, only_due: bool = False) -> QueueRun:
        """Read each (due) pool's queue and queue the rows the engine does not have yet."""
        result = QueueRun()
        now = self._now()
        names = [n for n in self.sources if not only_due or self.polls[n].next_due <= now]
        answers = await asyncio.gather(
            *(self.sources[n].queue_all() for n in names), return_exceptions=True
        )
        for name, answer in zip(names, answers, strict=True):
            poll = self.polls[name]
            if isinstance(answer, BaseException):
                if not isinstance(answer, CrateQError | OSError):
                    raise answer
                poll.failures += 1
                poll.last_error = str(answer)
                backoff = min(self.max_backoff, self.interval * 2 ** (poll.failures - 1))
                poll.next_due = now + backoff * random.uniform(0.8, 1.2)
                result.errors[name] = poll.last_error
                log.warning("queue of %s unavailable: %s", name, answer)
                continue
            poll.failures, poll.last_error = 0, ""
            poll.next_due = now + self.interval
            for row in answer:
                row.pool = row.pool or name
                if self.engine.gave_up(row.key) is not None:
                    continue  # tried in this run and failed (or the DJ cancelled it)
                job = await self.engine.add(row, dest=self.dest)
                if job.state is not JobState.DONE:
                    result.added.append(job)
                elif self.remove_after:
                    self._schedule_removal(job)  # already in the library
        return result

    async def watch(self, stop: asyncio.Event | None = None) -> None:
        """Poll until ``stop`` is set; each pool on its own schedule (backoff when down)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            await self.run_once(only_due=True)
            due = min(p.next_due for p in self.polls.values()) if self.polls else 0.0
            wait = max(0.5, due - self._now())
            sleeper = asyncio.ensure_future(self._sleep(wait))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (sleeper, stopper):
                task.cancel()

    def _on_event(self, event: JobEvent) -> None:
        if event.kind == "state" and event.job.state is JobState.DONE:
            self._schedule_removal(event.job)

    def _schedule_removal(self, job: JobSnapshot) -> None:
        if job.key in self._removed or job.pool not in self.sources:
            return
        self._removed.add(job.key)
        task = asyncio.get_running_loop().create_task(self._remove(job))
        self._pending_removals.add(task)
        task.add_done_callback(self._pending_removals.discard)

    async def _remove(self, job: JobSnapshot) -> None:
        try:
            await self.sources[job.pool].queue_remove(job.media_id)
        except CrateQError as exc:
            self._removed.discard(job.key)  # try again on the next pass
            log.warning("could not remove %s from the server queue: %s", job.key, exc)

    async def drain(self) -> None:
        """Wait for pending server-queue removals (before closing the clients)."""
        if self._pending_removals:
            await asyncio.gather(*self._pending_removals, return_exceptions=True)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
