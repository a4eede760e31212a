"""The pool side of the composition root: one client cache per event loop, the pools'
server-side queues, and the accounts dialog's throwaway probe.

An httpx client belongs to the loop it is used on, so each loop that talks to the pools (the
core loop, the download engine's loop) has one ``PoolClients`` of its own; the ``Services``
object resets them together when the pools change and closes them once at shutdown. Nothing
here is Qt: results go back to the GUI as ``concurrent.futures`` futures, which the widgets
hand to ``relay``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crateq.core.errors import user_message

if TYPE_CHECKING:  # httpx, pydantic, keyring: not before the window's first paint
    import concurrent.futures

    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import LoginResult, MediaRow
    from crateq.core.accounts import Accounts
    from crateq.core_loop import CoreLoop

log = logging.getLogger(__name__)


class PoolClients:
    """The signed-in clients of one event loop, made on first use and kept until ``aclose``.

    Touch it only on its loop. ``enabled()`` is the settings' enabled pools as of the first
    call after a reset; a client for a named pool is made even when the pool is disabled
    (the caller asked for it).
    """

    def __init__(self, accounts: Callable[[], Accounts]) -> None:
        self._accounts = accounts
        self._clients: dict[str, PoolClient] = {}
        self._enabled: list[str] | None = None
        self._lock = threading.Lock()  # the engine asks from its worker threads too

    def __call__(self, name: str) -> PoolClient:
        """The client of pool ``name`` (the download engine's source callable)."""
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self._accounts().client(name)
            return self._clients[name]

    def enabled(self) -> dict[str, PoolClient]:
        if self._enabled is None:
            self._enabled = [p.name for p in self._accounts().pools() if p.enabled]
        return {name: self(name) for name in self._enabled}

    async def aclose(self) -> None:
        """Close every client; the next use makes new ones (after the pools changed)."""
        with self._lock:
            clients, self._clients = self._clients, {}
            self._enabled = None
        for client in clients.values():
            try:
                await client.aclose()
            except Exception:  # closing must not block shutdown
                log.debug("closing a pool client failed", exc_info=True)


@dataclass
class QueueSnapshot:
    """One read of every pool's queue: rows per pool, and the pools that failed."""

    rows: dict[str, list[MediaRow]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class PoolQueues:
    """The pools' server-side download queues (Content/Queue), on the core loop.

    Every method is safe on any thread and returns a future. Adding and removing use the
    client's toggle-safe ``queue_add``/``queue_remove`` (UpdateQueue toggles).
    """

    def __init__(self, core: CoreLoop, clients: PoolClients) -> None:
        self._core = core
        self._clients = clients

    def read_all(self) -> concurrent.futures.Future[QueueSnapshot]:
        return self._core.submit(self._read_all())

    async def _read_all(self) -> QueueSnapshot:
        import asyncio

        clients = self._clients.enabled()
        answers = await asyncio.gather(
            *(client.queue_all() for client in clients.values()), return_exceptions=True
        )
        snap = QueueSnapshot()
        for name, answer in zip(clients, answers, strict=True):
            if isinstance(answer, BaseException):
                snap.errors[name] = user_message(answer)
            else:
                snap.rows[name] = list(answer)
        return snap

    def change(self, rows: Sequence[MediaRow], *, adding: bool) -> concurrent.futures.Future[int]:
        """Put rows on (or take them off) their pools' queues; the future gives how many
        changed (never toggles one the wrong way)."""
        return self._core.submit(self._change(list(rows), adding))

    async def _change(self, rows: list[MediaRow], adding: bool) -> int:
        changed = 0
        for row in rows:
            client = self._clients(row.pool)
            if adding:
                changed += bool(await client.queue_add(row))
            else:
                changed += bool(await client.queue_remove(row.media_id))
        return changed


async def probe_pool(
    name: str, url: str, api_key: str, username: str, password: str
) -> LoginResult:
    """Log in and make one API call with throwaway credentials; nothing is stored."""
    from crateq.api.pool import PoolClient

    client = PoolClient(name, url, api_key, username=username)
    try:
        result = await client.login(password)
        await client.queue(1, 1)  # the key and the new token also work for API calls
        return result
    finally:
        await client.aclose()
