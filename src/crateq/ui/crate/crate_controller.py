"""The artist card's and discovery panel's door into crate (and, for "queue all", the pools).

Same shape as ``crateq.ui.search.controller``: widgets call plain methods, each starts a named task
on the core loop, results come back as Qt signals queued into the GUI thread. A newer card
lookup cancels the older one (``crate:card``), and every card signal carries the lookup's
number so an answer already queued for a row the DJ has moved past is dropped by the card.
Recent cards are kept (GUI thread only) so going back to a row answers without a request.

Failures never leave their panel: a card failure comes back as ``card_failed``, a list's
as ``discovery_failed``; a missing or rejected key is its own state (``NO_KEY``) that says
how to set one. Nothing here waits on or blocks the results grid.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from crateq.api.errors import CrateAuthError, CrateKeyMissing, CrateQError
from crateq.api.pool_models import MediaRow
from crateq.core.crate_service import ArtistCard, CrateService, DiscoveryKind
from crateq.core_loop import TaskGroup

if TYPE_CHECKING:
    from crateq.services import CrateFactory, Services

log = logging.getLogger(__name__)

KEY_HINT = (
    "Set your crate API key under ☰ → Accounts… (crate API key), or run "
    "`crateq config set-secret crate.api_key`."
)
CACHE_SIZE = 64
DISCOVERY_LIMIT = 10
_FEATURING = re.compile(r"\s+(?:feat\.?|ft\.?|featuring|with)\s+.*$", re.IGNORECASE)


def primary_artist(artist: str) -> str:
    """The artist a crate lookup is about: "A feat. B" is A ("A & The B" stays whole)."""
    return _FEATURING.sub("", " ".join(artist.split())).strip()


def cache_key(query: str) -> str:
    return primary_artist(query).casefold()


def is_key_problem(exc: BaseException) -> bool:
    """No key, or a key crate refuses: both are fixed in the same place."""
    return isinstance(exc, CrateKeyMissing | CrateAuthError)


def explain(exc: BaseException) -> str:
    if isinstance(exc, CrateKeyMissing):
        return f"No crate API key is set. {KEY_HINT}"
    if isinstance(exc, CrateAuthError):
        return f"crate refused the API key ({exc}). {KEY_HINT}"
    if isinstance(exc, CrateQError):
        return str(exc)
    return f"crate look-up failed ({exc.__class__.__name__})."


def best_match(rows: list[MediaRow], artist: str) -> MediaRow | None:
    """The one version to queue for ``artist``: their own track (not a feature), full-length
    mixes before edits, newest first. None when no row is really by them."""
    from crateq.core.search import version_rank

    want = artist.casefold()
    theirs = [r for r in rows if primary_artist(r.artist).casefold() == want]
    if not theirs:
        theirs = [r for r in rows if want in r.artist.casefold()]
    if not theirs:
        return None
    newest = sorted(theirs, key=lambda r: r.date, reverse=True)
    return min(newest, key=version_rank)  # min is stable: the newest of the best rank


class CrateController(QObject):
    """Starts crate look-ups for the panels over ``services`` (crate, and the core loop's
    pool clients for "queue all found"); ``row_changed`` tells the grid what got queued."""

    card_loading = Signal(int, str)  # lookup number, query
    card_ready = Signal(int, str, object)  # lookup number, query, ArtistCard
    card_failed = Signal(int, str, str, bool)  # lookup number, query, message, key problem
    discovery_loading = Signal(str)  # kind
    discovery_ready = Signal(str, object)  # kind, DiscoveryList
    discovery_failed = Signal(str, str, bool)  # kind, message, key problem
    queue_progress = Signal(str, str)  # kind, one line of progress
    queue_finished = Signal(str, int, str)  # kind, tracks newly queued, summary sentence
    search_requested = Signal(str)  # an artist or label to search in every pool
    row_changed = Signal(str, dict)  # POOL:ID, changed fields (a row now on a pool's queue)
    notice = Signal(str)
    _card_done = Signal(int, str, object)  # core thread -> GUI thread (fills the cache)

    def __init__(
        self,
        services: Services,
        *,
        service_factory: CrateFactory | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.core = services.core
        self._factory = service_factory or services.crate_factory()
        self._service: CrateService | None = None  # core thread only
        self.tasks = TaskGroup(self.core, self._task_failed)
        self.lookup_number = 0
        self.cache: OrderedDict[str, ArtistCard] = OrderedDict()
        self._card_done.connect(self._remember)

    # -- artist card ---------------------------------------------------------------------------
    def lookup_artist(self, query: str, *, refresh: bool = False) -> int:
        """Show ``query``'s card: from the cache at once, else from crate (cancelling any
        older look-up). Returns the look-up number the answer will carry."""
        self.lookup_number += 1
        number = self.lookup_number
        query = primary_artist(query)
        key = cache_key(query)
        cached = None if refresh else self.cache.get(key)
        if cached is not None:
            self.cache.move_to_end(key)
            self.card_ready.emit(number, query, cached)
            return number
        self.card_loading.emit(number, query)
        self.tasks.start("crate:card", self._card(number, query))
        return number

    async def _card(self, number: int, query: str) -> None:
        try:
            card = await self._svc().artist_card(query)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._forget_service_on(exc)
            log.info("artist card for %r failed: %s", query, exc)
            self.card_failed.emit(number, query, explain(exc), is_key_problem(exc))
            return
        self._card_done.emit(number, query, card)

    def _remember(self, number: int, query: str, card: ArtistCard) -> None:
        self.cache[cache_key(query)] = card
        self.cache.move_to_end(cache_key(query))
        while len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)
        self.card_ready.emit(number, query, card)

    # -- discovery -----------------------------------------------------------------------------
    def load_discovery(self, kind: DiscoveryKind, limit: int = DISCOVERY_LIMIT) -> None:
        self.discovery_loading.emit(kind)
        self.tasks.start(f"crate:discovery:{kind}", self._discovery(kind, limit))

    async def _discovery(self, kind: DiscoveryKind, limit: int) -> None:
        try:
            listing = await self._svc().discovery(kind, limit=limit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._forget_service_on(exc)
            log.info("discovery list %s failed: %s", kind, exc)
            self.discovery_failed.emit(kind, explain(exc), is_key_problem(exc))
            return
        self.discovery_ready.emit(kind, listing)

    # -- pools ---------------------------------------------------------------------------------
    def find_in_pools(self, name: str) -> None:
        """Ask the window for a search of every pool (it owns the search bar and grid)."""
        if name.strip():
            self.search_requested.emit(name.strip())

    def queue_all_found(self, kind: str, artists: list[str]) -> None:
        """Search every pool for each artist and queue the best match of each (toggle-safe)."""
        names = list(dict.fromkeys(a.strip() for a in artists if a.strip()))
        task = f"crate:queue:{kind}" + (f":{names[0]}" if len(names) == 1 else "")
        self.tasks.start(task, self._queue_all(kind, names))

    async def _queue_all(self, kind: str, names: list[str]) -> None:
        clients = self.services.pool_clients()  # the signed-in pools' shared sessions
        if not clients:
            message = "No pool is signed in: nothing was queued."
            self.queue_finished.emit(kind, 0, message)
            return
        added = already = missing = failed = 0
        changed_pools: set[str] = set()
        for i, name in enumerate(names, 1):
            self.queue_progress.emit(kind, f"Finding {name} in the pools ({i} of {len(names)})…")
            try:
                row = await self._find_best(list(clients), name)
                if row is None:
                    missing += 1
                    continue
                if await clients[row.pool].queue_add(row):
                    added += 1
                    changed_pools.add(row.pool)
                else:
                    already += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one artist failing must not stop the others
                log.info("queue all: %s failed: %s", name, exc)
                failed += 1
        await self._report_queue_ids(changed_pools)
        parts = [f"Queued {added} of {len(names)} artists' best matches"]
        if already:
            parts.append(f"{already} already queued")
        if missing:
            parts.append(f"{missing} not found in any pool")
        if failed:
            parts.append(f"{failed} failed")
        summary = "; ".join(parts) + "."
        self.queue_finished.emit(kind, added, summary)
        self.notice.emit(summary)

    async def _find_best(self, pools: list[str], name: str) -> MediaRow | None:
        from crateq.core import search as core_search

        query = core_search.query_from_filters(keywords=name)
        rows: list[MediaRow] = []
        async for event in self.services.search(query, pools, limit=50):
            if isinstance(event, core_search.PoolRows):
                rows.extend(event.rows)
        return best_match(rows, name)

    async def _report_queue_ids(self, pools: set[str]) -> None:
        """Tell the grid (and the pool-queue panel) which rows are now queued."""
        for pool in sorted(pools):
            try:
                for queued in await self.services.pool_client(pool).queue_all():
                    key = f"{pool}:{queued.media_id}"
                    self.row_changed.emit(key, {"queue_id": queued.queue_id})
            except CrateQError as exc:
                log.info("reading the %s queue failed: %s", pool, exc)

    # -- plumbing ------------------------------------------------------------------------------
    def set_service_factory(self, factory: CrateFactory) -> None:
        """Reach crate another way from the next call on (another URL, retry policy, tests)."""
        self._factory = factory
        self.cache.clear()
        self.core.submit(self._drop_service())

    async def _drop_service(self) -> None:
        old, self._service = self._service, None
        if old is not None:
            await old.aclose()

    def _svc(self) -> CrateService:
        if self._service is None:
            self._service = self._factory()
        return self._service

    def _forget_service_on(self, exc: BaseException) -> None:
        """After a key problem, read the key afresh next time (the DJ may have just set it)."""
        if is_key_problem(exc) and self._service is not None:
            old, self._service = self._service, None
            asyncio.get_running_loop().create_task(old.aclose())

    def _task_failed(self, name: str, exc: BaseException) -> None:
        self.notice.emit(f"crate: {explain(exc)}")

    def shutdown(self) -> None:
        """Cancel crate tasks and close the crate client (before the core loop stops)."""
        self.tasks.cancel_all()
        service, self._service = self._service, None
        if service is not None and self.core.running:
            try:
                self.core.call(service.aclose(), timeout=5)
            except Exception:
                log.debug("closing the crate client failed", exc_info=True)
