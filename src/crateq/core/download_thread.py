"""Run an engine (the download engine) on its own asyncio loop in a worker thread.

Bulk byte moving and file writes then never stall the GUI loop; the GUI submits coroutines
and receives engine events on this thread (re-emitted as queued Qt signals). The thread
knows the engine only as something that can be shut down, so this module imports no
engine (``crateq.core.downloads`` imports it and re-exports :class:`EngineThread`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Engine(Protocol):
    """What the thread needs from the engine it runs: a clean stop on its loop."""

    async def shutdown(self) -> None: ...


E = TypeVar("E", bound=Engine)


class EngineThread(Generic[E]):
    """Runs the engine ``factory`` makes (a ``DownloadEngine``) on its own asyncio loop in a
    daemon thread.

    The GUI uses this so byte moving and file writes never stall its loop; it talks to the
    engine with :meth:`submit` (returns a ``concurrent.futures.Future``) and receives events
    through ``engine.subscribe`` on this thread (re-emit them as a queued Qt signal).
    """

    def __init__(self, factory: Callable[[], E]) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="crateq-engine", daemon=True)
        self._thread.start()
        self.engine: E = self.call(factory)

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

    def submit(self, coro: Coroutine[object, None, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def stop(self, timeout: float = 40.0) -> None:
        """Shut the engine down (running jobs pause) and end the thread."""
        self.submit(self.engine.shutdown()).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()
