"""The composition root: every service the app uses, built once from settings.

The GUI and the CLI are two faces over one ``Services`` object: accounts (pools and their
credentials), settings, the store, the download engine, federated search, the pools'
server-side queues and the crate service. It owns the core event loop (``crateq.core_loop``)
and one cache of pool clients per loop (``services_pools.PoolClients``), resets them when
the pools change and closes them once at shutdown.

Everything is made on first use, and this module imports neither httpx, pydantic, keyring
nor asyncio at its top: the GUI builds its ``Services`` before the window's first paint.
Settings that come from outside the settings file (the demo servers' URLs, keys and
in-process passwords) arrive as a ``SettingsSeed``, the same path a real pool takes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Unpack

from crateq.core_loop import CoreLoop

if TYPE_CHECKING:
    import concurrent.futures

    from crateq.api.crate import CrateClientOptions
    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import LoginResult, MediaQuery
    from crateq.core.accounts import Accounts
    from crateq.core.collections import Collections
    from crateq.core.crate_service import CrateService
    from crateq.core.crates import Crates
    from crateq.core.download_thread import EngineThread
    from crateq.core.downloads import DownloadEngine, DownloadSource
    from crateq.core.history import History
    from crateq.core.search import SearchEvent
    from crateq.core.setprep import SetPrep
    from crateq.core.settings import DownloadSettings, Settings
    from crateq.core.store import Store
    from crateq.core.suggest import Suggestions
    from crateq.core.wishlist import WishList
    from crateq.services_pools import PoolClients, PoolQueues

log = logging.getLogger(__name__)
CrateFactory = Callable[[], "CrateService"]


class PoolSeed:
    """One pool handed in from outside the settings file; its password stays in-process."""

    def __init__(self, name: str, url: str, api_key: str, username: str, password: str) -> None:
        self.name, self.url, self.api_key = name, url, api_key
        self.username, self.password = username, password


class SettingsSeed:
    """Settings from a source other than the user's file (the demo servers): pools, crate's
    URL and key (held in-process, never stored), and what to call at shutdown (stop the
    servers) and once the process is done with them (remove a temporary home)."""

    def __init__(
        self,
        pools: Sequence[PoolSeed],
        *,
        crate_url: str | None = None,
        crate_key: str | None = None,
        stop: Callable[[], None] | None = None,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        self.pools = list(pools)
        self.crate_url, self.crate_key = crate_url, crate_key
        self.stop, self.cleanup = stop, cleanup


class Services:
    """Accounts, settings, store, engine, search, queues and crate over one core loop.

    ``accounts`` and ``store`` may be given (tests); otherwise they are made on first use
    from the settings file. ``in_process_secrets`` keeps every secret in this process (no
    OS keyring), as the demo does.
    """

    def __init__(
        self,
        *,
        accounts: Accounts | None = None,
        store: Store | None = None,
        in_process_secrets: bool = False,
        core: CoreLoop | None = None,
    ) -> None:
        self.core = core or CoreLoop()
        self._accounts = accounts
        self._store = store
        self._store_error: Exception | None = None  # why the store could not be opened
        self._collections: Collections | None = None
        self._suggestions: Suggestions | None = None
        self._in_process = in_process_secrets
        self._lock = threading.RLock()  # the GUI and the core thread may both ask first
        self._core_clients: PoolClients | None = None
        self._engine_clients: PoolClients | None = None
        self._engine: EngineThread[DownloadEngine] | None = None
        self._on_shutdown: list[Callable[[], None]] = []

    # -- settings and accounts ---------------------------------------------------------------
    @property
    def accounts(self) -> Accounts:
        """Pools and credentials (imports httpx and keyring: made on first use)."""
        with self._lock:
            if self._accounts is None:
                from crateq.core.accounts import Accounts
                from crateq.core.secrets import SecretStore

                secrets = None
                if self._in_process:
                    from keyring.backends import fail

                    no_keyring = fail.Keyring()  # type: ignore[no-untyped-call]  # untyped lib
                    secrets = SecretStore(backend=no_keyring)
                self._accounts = Accounts(secrets)
            return self._accounts

    def settings(self) -> Settings:
        """The validated settings, read afresh (a CLI may have changed the file)."""
        return self.accounts.settings()

    def save_settings(self, settings: Settings) -> None:
        from crateq.core.settings import save_settings

        save_settings(settings)

    def pool_names(self) -> list[str]:
        """The enabled pools, in settings order."""
        return [p.name for p in self.accounts.pools() if p.enabled]

    def seed(self, seed: SettingsSeed) -> None:
        """Take pools and crate from ``seed`` the way a real pool is added: settings get the
        accounts and crate's URL, passwords and the crate key are held in this process."""
        from crateq.core.secrets import config_secret

        accounts = self.accounts
        for pool in seed.pools:
            accounts.add(pool.name, pool.url, pool.api_key, pool.username)
            accounts.hold_password(pool.name, pool.password)
        if seed.crate_url is not None:
            settings = self.settings()
            settings.crate.url = seed.crate_url
            self.save_settings(settings)
        name = config_secret("crate.api_key")
        keyed = os.environ.get("CRATEQ_CRATE_API_KEY") or accounts.secrets.get(name)
        if seed.crate_key and not keyed:
            accounts.secrets.hold(name, seed.crate_key)
        if seed.stop is not None:
            self.add_shutdown(seed.stop)

    # -- store and downloads -----------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The download jobs, library and history (SQLite), opened on first use; a damaged
        file is set aside and replaced (``store.recovery``), a locked one raises StoreError
        (then again at once on each later call, without another busy wait)."""
        with self._lock:
            if self._store_error is not None:  # locked: one busy wait per process is enough
                raise self._store_error
            if self._store is None:
                from crateq.core.errors import StoreError
                from crateq.core.store import Store

                try:
                    self._store = Store()
                except StoreError as exc:
                    self._store_error = exc
                    raise
            return self._store

    def opened_store(self) -> Store | None:
        """The store when something opened it already, else None (never opens it)."""
        return self._store

    @property
    def suggestions(self) -> Suggestions:
        """The auto-complete index (core.suggest, its own file in the cache folder)."""
        with self._lock:
            if self._suggestions is None:
                from crateq.core.suggest import Suggestions, default_path

                self._suggestions = Suggestions(default_path())
                self.add_shutdown(self._suggestions.close)
            return self._suggestions

    # -- the DJ's collections (over the store) -------------------------------------------------
    @property
    def collections(self) -> Collections:
        """Favorites and the bin (``bin_filter()`` is what every result list filters with)."""
        with self._lock:
            if self._collections is None:
                from crateq.core.collections import Collections

                self._collections = Collections(self.store)
            return self._collections

    @property
    def crates(self) -> Crates:
        from crateq.core.crates import Crates

        return Crates(self.store)

    @property
    def history(self) -> History:
        from crateq.core.history import History

        return History(self.store)

    @property
    def wishes(self) -> WishList:
        from crateq.core.wishlist import WishList

        return WishList(self.store)

    def download_engine(
        self,
        sources: Mapping[str, DownloadSource] | Callable[[str], DownloadSource],
        settings: DownloadSettings,
    ) -> DownloadEngine:
        """An engine over the store, on the caller's loop (the CLI's ``asyncio.run``)."""
        from crateq.core.downloads import DownloadEngine

        engine = DownloadEngine(self.store, sources, settings, analysis=self.settings().analysis)
        engine.tag_profile = self.settings().tags.profile
        return engine

    @property
    def engine_clients(self) -> PoolClients:
        """The download engine loop's pool clients (touch them only on that loop)."""
        with self._lock:
            if self._engine_clients is None:
                from crateq.services_pools import PoolClients

                self._engine_clients = PoolClients(lambda: self.accounts)
            return self._engine_clients

    def start_engine(self, settings: DownloadSettings) -> EngineThread[DownloadEngine]:
        """The GUI's engine: its own asyncio loop in a worker thread, pool clients of its own."""
        from crateq.core.download_thread import EngineThread
        from crateq.core.export_auto import watch

        sources = self.engine_clients
        self._engine = EngineThread(
            lambda: watch(self.download_engine(sources, settings), self.store, self.settings())
        )
        return self._engine

    # -- the core loop's pool clients ----------------------------------------------------------
    @property
    def core_clients(self) -> PoolClients:
        with self._lock:
            if self._core_clients is None:
                from crateq.services_pools import PoolClients

                self._core_clients = PoolClients(lambda: self.accounts)
            return self._core_clients

    def pool_clients(self) -> dict[str, PoolClient]:
        """The enabled pools' clients (core loop only): one set shared by every feature."""
        return self.core_clients.enabled()

    def pool_client(self, name: str) -> PoolClient:
        """The client of pool ``name`` (core loop only)."""
        return self.core_clients(name)

    def reset_pools(self) -> concurrent.futures.Future[None]:
        """After the pools changed: close the core loop's clients; new ones on next use."""
        return self.core.submit(self.core_clients.aclose())

    def search(
        self, query: MediaQuery, names: Iterable[str], *, limit: int
    ) -> AsyncGenerator[SearchEvent, None]:
        """Federated search of the named pools with the core loop's clients (core loop)."""
        from crateq.core.search import federated_search

        wanted = set(names)
        clients = {n: c for n, c in self.pool_clients().items() if n in wanted}
        return federated_search(clients, query, limit=limit)

    def set_prep(self) -> SetPrep:
        """Tracklist matching (``core.setprep``) over the core loop's clients, by the
        ``prefer.*`` settings as they are now, with the library for "have" (core loop only;
        one per tracklist, as the settings and the library change between lists)."""
        from crateq.core.setprep import SetPrep
        from crateq.core.songs import LibraryIndex

        return SetPrep(self.pool_clients(), self.settings().prefer, LibraryIndex(self.store))

    @property
    def queues(self) -> PoolQueues:
        """The pools' server-side queues, read and changed on the core loop."""
        from crateq.services_pools import PoolQueues

        return PoolQueues(self.core, self.core_clients)

    async def probe_pool(
        self, name: str, url: str, api_key: str, username: str, password: str
    ) -> LoginResult:
        """Sign in with values not saved yet and make one API call (accounts dialog)."""
        from crateq.services_pools import probe_pool

        return await probe_pool(name, url, api_key, username, password)

    # -- crate ---------------------------------------------------------------------------------
    def crate_service(self, **client_options: Unpack[CrateClientOptions]) -> CrateService:
        """crate at the settings' URL with the key the accounts' secret store holds (both
        overridable by ``CRATEQ_CRATE_URL`` / ``CRATEQ_CRATE_API_KEY``); the caller closes it."""
        from crateq.core.crate_service import CrateService

        return CrateService.from_settings(secret_store=self.accounts.secrets, **client_options)

    def crate_factory(self, **client_options: Unpack[CrateClientOptions]) -> CrateFactory:
        """A ``crate_service`` to call later (on the core thread: a slow keyring never
        blocks the window)."""
        return lambda: self.crate_service(**client_options)

    # -- lifecycle -----------------------------------------------------------------------------
    def add_shutdown(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` at the end of ``shutdown`` (after the core loop stopped)."""
        self._on_shutdown.append(callback)

    def shutdown(self) -> None:
        """Cancel core tasks, close the core loop's clients, stop the loop, close the store,
        then the shutdown callbacks (e.g. stop the demo servers). Stop the engine first."""
        clients = self._core_clients
        self.core.stop(clients.aclose() if clients is not None else None)
        if self._store is not None:
            self._store.close()
            self._store = None
            self._collections = None
        callbacks, self._on_shutdown = self._on_shutdown, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one failing step must not skip the others
                log.exception("a shutdown step failed")
