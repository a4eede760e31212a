"""Re-checks the wish list on a schedule, in the background (plain asyncio, Qt-free).

Every wish is checked again ``interval`` seconds (default 30 minutes) after its last check;
a pool that failed is left out of the checks for a backoff that starts at ``interval`` and
doubles with each failure (capped at ``max_backoff``), while the other pools carry on. New
matches go to ``on_result`` (the GUI's notification and status line). The GUI runs
:meth:`run` on its core loop; :meth:`poke` makes it look again at once (a wish was added).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from crateq.core.wishlist import CheckResult, WishChecker

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 30 * 60.0


@dataclass
class PoolBackoff:
    failures: int = 0
    next_due: float = 0.0


class WishScheduler:
    """Runs a :class:`WishChecker` for the wishes that are due, pool backoff applied."""

    def __init__(
        self,
        checker: WishChecker,
        *,
        interval: float = DEFAULT_INTERVAL,
        max_backoff: float = 6 * 3600.0,
        on_result: Callable[[CheckResult], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.checker = checker
        self.interval = interval
        self.max_backoff = max_backoff
        self.on_result = on_result
        self._clock = clock
        self.pools = {name: PoolBackoff() for name in checker.clients}
        self._wake = asyncio.Event()

    def due(self, now: float) -> list[int]:
        """Ids of the wishes never checked, or checked ``interval`` ago or more."""
        return [
            w.id
            for w in self.checker.wishes.wishes()
            if w.last_checked is None or w.last_checked + self.interval <= now
        ]

    async def run_once(self) -> CheckResult:
        """Check the due wishes on the pools that are not backing off."""
        now = self._clock()
        wishes = self.due(now)
        pools = [name for name, p in self.pools.items() if p.next_due <= now]
        if not wishes or not pools:
            return CheckResult()
        result = await self.checker.check(wishes, pools)
        for name in pools:
            state = self.pools[name]
            if name in result.errors:
                state.failures += 1
                backoff = min(self.max_backoff, self.interval * 2 ** (state.failures - 1))
                state.next_due = now + backoff * random.uniform(1.0, 1.2)  # never sooner
                log.warning("wish list: pool %s is down: %s", name, result.errors[name])
            else:
                state.failures, state.next_due = 0, 0.0
        if self.on_result is not None and (result.matches or result.errors):
            self.on_result(result)
        return result

    def next_wake(self, now: float) -> float:
        """Seconds until a wish is due (at least 1, at most ``interval``)."""
        times = [(w.last_checked or 0.0) + self.interval for w in self.checker.wishes.wishes()]
        soonest = min(times, default=now + self.interval)
        return max(1.0, min(self.interval, soonest - now))

    def poke(self) -> None:
        """Look for due wishes now (call after adding a wish)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Check due wishes until ``stop`` is set; a failing check is logged, not fatal."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # one bad round must not end the background checks
                log.exception("wish list check failed")
            self._wake.clear()
            waiters = {
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self._wake.wait()),
            }
            await asyncio.wait(
                waiters, timeout=self.next_wake(self._clock()), return_when="FIRST_COMPLETED"
            )
            for task in waiters:
                task.cancel()
