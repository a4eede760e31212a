"""Run every demo server (pools, plus extra apps such as the crate stand-in) in-process.

The servers live on their own asyncio loop in a background thread, so a test, the CLI or
the GUI can use them without sharing its own loop. Sockets are bound on 127.0.0.1 before
the thread starts, so every URL is known (and connectable) when ``start()`` returns.

    with DemoCluster(catalog_size=500) as cluster:
        pool = cluster.pools["urban-beats"]
        httpx.post(pool.url + "api/Auth/Login", params={"key": pool.api_key}, ...)
        pool.faults.ignore_range = True

Extra servers: pass ``extra_apps=[("crate", lambda cluster: make_app(...))]``; each factory
gets the cluster (pools already built) and returns an ASGI app, served like the pools and
listed in ``cluster.extras`` (with the key in the app's ``state.api_key``, when it takes one).
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from crateq.demo.app import PoolState, build_state, create_pool_app
from crateq.demo.catalog import DEFAULT_CATALOG_SIZE, DEMO_POOLS, PoolSpec
from crateq.demo.faults import PoolFaults
from crateq.demo.mediafiles import MediaCache, MediaFile
from crateq.demo.store import MediaSettings, layout_of
from crateq.demo.streaming import hide_intentional_drops

#: uvicorn's C parser (httptools) when installed: less CPU per request than h11.
HTTP_IMPL = "httptools" if importlib.util.find_spec("httptools") else "h11"
ExtraAppFactory = Callable[["DemoCluster"], ASGIApp]


@dataclass
class ServerHandle:
    """One running server: its name, base URL (ending with ``/``) and the API key it takes
    ("" for a server that needs none)."""

    name: str
    url: str
    api_key: str = ""


@dataclass(kw_only=True)
class DemoPoolHandle(ServerHandle):
    """A running demo pool: what a client needs, and the switches a test flips."""

    faults: PoolFaults
    state: PoolState


class DemoCluster:
    """All demo pools (and extra apps) served on loopback from one background thread."""

    def __init__(
        self,
        *,
        catalog_size: int = DEFAULT_CATALOG_SIZE,
        seed: int = 0,
        media: MediaSettings | None = None,
        media_dir: Path | None = None,
        specs: Sequence[PoolSpec] = DEMO_POOLS,
        extra_apps: Sequence[tuple[str, ExtraAppFactory]] = (),
        port_base: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.catalog_size = catalog_size
        self.seed = seed
        self.media = media or MediaSettings()
        self._media_dir = media_dir
        self.specs = tuple(specs)
        self.extra_apps = tuple(extra_apps)
        self.port_base = port_base
        self.host = host
        self.pools: dict[str, DemoPoolHandle] = {}
        self.extras: dict[str, ServerHandle] = {}
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._state_dir: Path | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def _bind(self, index: int) -> socket.socket:
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says
        # TCP, and without it every small answer waits ~40 ms for the delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port_base + index if self.port_base else 0))
        sock.listen(128)
        return sock

    def start(self) -> DemoCluster:
        """Build catalogs, bind sockets, start serving; returns when all servers are up."""
        if self._thread is not None:
            return self
        hide_intentional_drops()
        if self._media_dir is None:
            from crateq.core.paths import cache_dir

            self._media_dir = cache_dir() / "demo-media"
        media_cache = MediaCache(self._media_dir)
        self._state_dir = Path(tempfile.mkdtemp(prefix="crateq-demo-"))
        apps: list[tuple[str, ASGIApp, socket.socket]] = []
        try:
            for index, spec in enumerate(self.specs):
                state = build_state(
                    spec, self._state_dir / f"{spec.name}.sqlite", media_cache,
                    self.catalog_size, self.seed, self.media,
                )  # fmt: skip
                sock = self._bind(index)
                url = self._url(sock)
                self.pools[spec.name] = DemoPoolHandle(
                    spec.name, url, state.api_key, faults=state.faults, state=state
                )
                apps.append((spec.name, create_pool_app(state), sock))
            for offset, (name, factory) in enumerate(self.extra_apps, start=len(self.specs)):
                sock = self._bind(offset)
                app = factory(self)
                key = str(getattr(getattr(app, "state", None), "api_key", ""))  # when it takes one
                self.extras[name] = ServerHandle(name, self._url(sock), key)
                apps.append((name, app, sock))
        except BaseException:
            for _, _, sock in apps:
                sock.close()
            self._cleanup()
            raise
        self._thread = threading.Thread(
            target=self._run, args=(apps,), name="demo-cluster", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(30) or self._failure is not None:
            self.stop()
            raise RuntimeError("demo servers failed to start") from self._failure
        return self

    def _url(self, sock: socket.socket) -> str:
        host, port = sock.getsockname()[:2]
        return f"http://{host}:{port}/"

    def _run(self, apps: list[tuple[str, ASGIApp, socket.socket]]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(apps))
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._failure = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self, apps: list[tuple[str, ASGIApp, socket.socket]]) -> None:
        tasks = []
        for _, app, sock in apps:
            config = uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="off", http=HTTP_IMPL,
                timeout_graceful_shutdown=2,
            )  # fmt: skip
            server = uvicorn.Server(config)
            self._servers.append(server)
            tasks.append(asyncio.ensure_future(server.serve(sockets=[sock])))
        while not all(s.started for s in self._servers):
            done = [t for t in tasks if t.done()]
            if done:
                done[0].result()  # a server that ended before starting: raise its error
                raise RuntimeError("a demo server stopped while starting")
            await asyncio.sleep(0.01)
        self._ready.set()
        await asyncio.gather(*tasks)

    def stop(self) -> None:
        """Stop every server, wait for the thread, delete the per-run databases."""
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        self._cleanup()

    def _cleanup(self) -> None:
        for handle in self.pools.values():
            handle.state.store.close()
        if self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None

    def media_file(self, pool: str, media_id: int) -> MediaFile:
        """The file a download of ``media_id`` serves (generated now if needed): lets a
        benchmark warm a big file first and a test compare a download with its sha256."""
        state = self.pools[pool].state
        row = state.store.get(media_id)
        if row is None:
            raise KeyError(f"{pool} has no media {media_id}")
        layout = layout_of(row, state.store.media)
        return state.media.get(pool, media_id, int(row["version"]), layout)

    def reset_faults(self) -> None:
        for handle in self.pools.values():
            handle.faults.reset()

    def __enter__(self) -> DemoCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def default_extra_apps() -> list[tuple[str, ExtraAppFactory]]:
    """Extra servers the CLI and GUI demo run next to the pools.

    Hook for the crate stand-in: ``crateq.demo.crate_app`` is served as ``crate``, built by
    its ``create_crate_app(cluster)`` when it has one, else by its ``create_app()``.
    """
    try:
        from crateq.demo import crate_app
    except ImportError:
        return []
    with_cluster = getattr(crate_app, "create_crate_app", None)
    if callable(with_cluster):
        return [("crate", with_cluster)]
    plain = getattr(crate_app, "create_app", None)
    if callable(plain):
        return [("crate", lambda cluster: plain())]
    return []
