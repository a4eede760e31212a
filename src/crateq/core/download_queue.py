"""The scheduler's view of the queue: per pool, its jobs in queue order.

Made once from the jobs, then kept: an added job joins its pool's end (its priority is the
largest), a moved or resumed job, or a restore, has it made again. Each pool is read from
a head past which every job has left the queue for good, so starting the next job of a
10,000-job queue looks at a few jobs, not at all of them (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping

from crateq.core.download_jobs import DownloadJob, JobState


class QueueOrder:
    """Queued jobs per pool, in priority order; touch it only on the engine's loop."""

    def __init__(self) -> None:
        self._pools: dict[str, list[DownloadJob]] | None = None
        self._heads: dict[str, int] = {}

    def invalidate(self) -> None:
        """Priorities or states changed behind the heads: make it again on next use."""
        self._pools = None

    def append(self, job: DownloadJob) -> None:
        """``job`` was added at the end of the queue."""
        if self._pools is not None:
            self._pools.setdefault(job.row.pool, []).append(job)

    def candidates(
        self,
        jobs: Mapping[int, DownloadJob],
        busy: Container[int],
        room: Callable[[str], int],
    ) -> list[DownloadJob]:
        """Up to ``room(pool)`` queued jobs of each pool not in ``busy``, in queue order."""
        if self._pools is None:
            self._pools, self._heads = {}, {}
            for job in sorted(jobs.values(), key=lambda j: j.priority):
                self._pools.setdefault(job.row.pool, []).append(job)

        def waiting(job: DownloadJob) -> bool:
            return job.state is JobState.QUEUED and job.id not in busy and jobs.get(job.id) is job

        found: list[DownloadJob] = []
        for pool, queue in self._pools.items():
            want = room(pool)
            if want <= 0:
                continue
            head = self._heads.get(pool, 0)
            while head < len(queue) and (
                queue[head].state is not JobState.QUEUED or jobs.get(queue[head].id) is None
            ):
                head += 1  # started, finished or gone: it never waits again unless resumed
            self._heads[pool] = head
            taken = 0
            for index in range(head, len(queue)):
                if taken >= want:
                    break
                if waiting(queue[index]):
                    found.append(queue[index])
                    taken += 1
        found.sort(key=lambda j: j.priority)
        return found
