"""The asyncio loop the core runs on: a worker thread next to the GUI thread (Qt-free).

Why not run the core on the GUI loop: httpx on the Qt loop (through qasync) stalls the
window for long stretches (DESIGN.md, docs/PERFORMANCE.md). Here the GUI thread only paints
and handles input; searches, queue calls and look-ups run on this loop and hand results back with
Qt signals, which Qt queues into the GUI thread. ``TaskGroup`` adds names: starting a task
under a name cancels the older one (search-as-you-type).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # asyncio is slow to import: not before the window's first paint
    import asyncio
    import concurrent.futures
    import selectors

log = logging.getLogger(__name__)
T = TypeVar("T")


class GuiTurn:
    """Lets the GUI thread paint the grid without fighting the core thread for the GIL.

    A grid paint calls into Python thousands of times (``data``, ``flags``, ``rowCount`` per
    cell); each call takes the GIL, and while the core thread parses a page it holds the
    GIL for up to the switch interval, so a paint stretched many times over while a big
    search streamed in (docs/PERFORMANCE.md). While the GUI holds a turn (``with
    GUI_TURN:``), the core loop does not start its next round of callbacks: it waits in its
    selector, GIL released, for at most ``MAX_WAIT`` (a stuck paint must not stall the
    network for long).
    """

    MAX_WAIT = 0.1

    def __init__(self) -> None:
        self.held = 0
        self._free = threading.Condition()

    def __enter__(self) -> None:
        self.held += 1  # GUI thread only: no lock needed to count

    def __exit__(self, *exc: object) -> None:
        self.held -= 1
        if not self.held:
            with self._free:
                self._free.notify_all()

    def wait(self) -> None:
        """Core thread: return once the GUI holds no turn (or after ``MAX_WAIT``)."""
        if self.held:
            with self._free:
                self._free.wait_for(lambda: not self.held, self.MAX_WAIT)


GUI_TURN = GuiTurn()


def _gated_selector() -> selectors.BaseSelector:
    """The default selector, giving the GUI thread the GIL between rounds of callbacks."""
    import selectors
    import time

    class GatedSelector(selectors.DefaultSelector):
        _mark = 0.0

        def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
            spent = time.thread_time() - self._mark  # CPU (≈ GIL) the last round used
            if spent > BREATHE_AFTER:
                time.sleep(min(spent, BREATHE_MAX))
            ready = super().select(timeout)
            GUI_TURN.wait()
            self._mark = time.thread_time()
            return ready

    return GatedSelector()


# The longest the GUI thread waits for the GIL while the core thread runs Python (Python's
# default is 5 ms). Every call between Qt and Python may hand the GIL over, and a paint makes
# hundreds, so under a streaming search each wait of the default showed as lag. Set by the
# GUI's ``AppController``.
GUI_SWITCH_INTERVAL = 0.0005
BREATHE_AFTER = 0.002
BREATHE_MAX = 0.02


class CoreLoop:
    """An asyncio loop in a daemon thread; ``submit`` is safe to call from any thread.

    The thread (and asyncio) starts on first use, not on construction, so building the
    window costs nothing here and the first search starts it.
    """

    def __init__(self, name: str = "crateq-core") -> None:
        self._ready = threading.Event()
        self._start_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread and wait for its loop (idempotent, any thread)."""
        with self._start_lock:
            if self._thread.ident is None:
                self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        import asyncio

        loop = asyncio.SelectorEventLoop(_gated_selector())
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        self.start()
        assert self._loop is not None
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self.loop.is_running()

    def submit(self, coro: Coroutine[object, None, T]) -> concurrent.futures.Future[T]:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[object, None, T], timeout: float = 10.0) -> T:
        """Run a coroutine to completion from another thread (shutdown, tests)."""
        return self.submit(coro).result(timeout)

    def stop(
        self, cleanup: Coroutine[object, None, object] | None = None, timeout: float = 5.0
    ) -> None:
        """Cancel every task, run ``cleanup`` (close clients), then stop and join the thread."""
        import asyncio
        import concurrent.futures

        if not self._thread.is_alive():
            if cleanup is not None:
                cleanup.close()
            return

        async def finish() -> None:
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if cleanup is not None:
                try:
                    await cleanup
                except Exception:  # closing must not block shutdown
                    log.exception("cleanup failed during shutdown")
            await self.loop.shutdown_asyncgens()

        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            self.submit(finish()).result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)


class TaskGroup:
    """Named tasks on a CoreLoop: a newer task of the same name cancels the older one.

    ``on_error`` is called (on the core thread) with the task name and the exception of any
    task that fails; cancellation is not a failure.
    """

    def __init__(self, core: CoreLoop, on_error: Callable[[str, BaseException], None]) -> None:
        self._core = core
        self._on_error = on_error
        self._tasks: dict[str, concurrent.futures.Future[Any]] = {}  # Any: Future is invariant
        self._lock = threading.Lock()

    def start(
        self, name: str, coro: Coroutine[object, None, T]
    ) -> concurrent.futures.Future[T | None]:
        future = self._core.submit(self._guard(name, coro))
        with self._lock:
            older = self._tasks.get(name)
            self._tasks[name] = future
        if older is not None and not older.done():
            older.cancel()
        return future

    def running(self, name: str) -> bool:
        with self._lock:
            future = self._tasks.get(name)
        return future is not None and not future.done()

    def cancel_all(self) -> None:
        with self._lock:
            futures = list(self._tasks.values())
            self._tasks.clear()
        for future in futures:
            future.cancel()

    async def _guard(self, name: str, coro: Coroutine[object, None, T]) -> T | None:
        import asyncio

        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("task %s failed: %s", name, exc, exc_info=True)
            self._on_error(name, exc)
            return None
