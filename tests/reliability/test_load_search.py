"""Load: 50 federated searches at once over three pools, one of them black-holed.

The two live pools are the demo pools (real uvicorn servers on 127.0.0.1); the third is a
socket that accepts every connection and never answers. Everything goes through the app's
own path: ``Services`` (settings, accounts, the core loop's one client cache) and
``federated_search``. The live pools' latency is first measured without the black hole under
the same 50 searches; with the black hole added, every live pool's results must still arrive before
the black hole's timeout fires, within a generous multiple of that latency, and the black
hole must end every search with a timeout of its own (its chip: "did not answer in time").
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import reliability_log
from crateq.api.errors import ConfigError, PoolTimeout
from crateq.api.pool_models import MediaQuery
from crateq.core.errors import user_message
from crateq.core.search import PoolFailed, PoolFinished, PoolRows
from crateq.core.settings import Settings, load_settings, save_settings, set_value
from crateq.demo.cluster import DemoCluster
from crateq.services import PoolSeed, Services, SettingsSeed

SEARCHES = 50
LIVE = ("urban-beats", "club-edits")
HOLE = "black-hole"
TIMEOUT = 5.0  # search.timeout_seconds for this test: its lowest allowed value
RATIO, MARGIN = 3.0, 0.5  # generous: the check is behaviour, not wall-clock noise


class BlackHole:
    """A listening socket on 127.0.0.1 that accepts and keeps connections, never a byte."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.held.append(conn)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        self._listener.close()
        for conn in self.held:
            conn.close()
        self._thread.join(5)


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    yield hole
    hole.close()


@pytest.fixture
def services(
    crateq_home: Path, demo_cluster: DemoCluster, black_hole: BlackHole
) -> Iterator[Services]:
    save_settings(set_value(Settings(), "search.timeout_seconds", str(TIMEOUT)))
    live = [demo_cluster.pools[name] for name in LIVE]
    pools = [PoolSeed(p.name, p.url, p.api_key, "demo", "demo") for p in live]
    pools.append(PoolSeed(HOLE, black_hole.url, "k", "u", "p"))
    app = Services(in_process_secrets=True)
    app.seed(SettingsSeed(pools))
    yield app
    app.shutdown()


async def _one(app: Services, names: tuple[str, ...], started: float) -> dict[str, object]:
    """One federated search: per pool, (seconds from ``started`` to its end, its outcome)."""
    ends: dict[str, object] = {}
    rows: dict[str, int] = dict.fromkeys(names, 0)
    query = MediaQuery(size=25)
    async for event in app.search(query, names, limit=25):
        if isinstance(event, PoolRows):
            rows[event.pool] += len(event.rows)
        elif isinstance(event, PoolFinished | PoolFailed):
            ends[event.pool] = (time.monotonic() - started, event, rows[event.pool])
    return ends


async def _burst(app: Services, names: tuple[str, ...]) -> list[dict[str, object]]:
    started = time.monotonic()
    return list(await asyncio.gather(*(_one(app, names, started) for _ in range(SEARCHES))))


def burst(app: Services, names: tuple[str, ...]) -> list[dict[str, object]]:
    """``SEARCHES`` searches at once on the core loop (where the GUI runs them)."""
    return app.core.submit(_burst(app, names)).result(timeout=120)


def test_a_black_holed_pool_never_holds_back_the_others(services: Services) -> None:
    burst(services, LIVE)  # warm up: sign in, connections, the parsers' first run
    baseline = burst(services, LIVE)  # the live pools' own latency: the same load, no hole
    alone = {name: mixed_latest(baseline, name) for name in LIVE}
    mixed = burst(services, (*LIVE, HOLE))

    hole_ends = [run[HOLE] for run in mixed]
    first_timeout = min(end[0] for end in hole_ends)  # type: ignore[index]
    for name in LIVE:
        ends = [run[name] for run in mixed]
        assert all(isinstance(e[1], PoolFinished) and e[2] == 25 for e in ends)  # type: ignore[index]
        latest = max(e[0] for e in ends)  # type: ignore[index]
        assert latest < first_timeout, (name, latest, first_timeout)
        assert latest <= RATIO * alone[name] + MARGIN, (name, latest, alone[name])
    for end in hole_ends:
        seconds, event, count = end  # type: ignore[misc]
        assert isinstance(event, PoolFailed) and isinstance(event.error, PoolTimeout)
        assert event.error.pool == HOLE and count == 0
        assert user_message(event.error) == f"Pool {HOLE} did not answer in time."
        assert TIMEOUT * 0.9 <= seconds <= 2 * TIMEOUT + 2, seconds
    reliability_log.record(
        "load",
        f"{SEARCHES} concurrent federated searches over 3 pools, one black-holed "
        "(accepts, never answers)",
        "live pools' rows all arrived before the black hole's timeout, in "
        + ", ".join(f"{mixed_latest(mixed, n):.2f} s (without it {alone[n]:.2f} s)" for n in LIVE)
        + f"; the black hole reported 'did not answer in time' after {first_timeout:.1f} s "
        f"(timeout {TIMEOUT:g} s)",
        tries=SEARCHES,
    )


def mixed_latest(mixed: list[dict[str, object]], name: str) -> float:
    return max(run[name][0] for run in mixed)  # type: ignore[index]


def test_the_search_timeout_is_a_sane_setting(crateq_home: Path) -> None:
    from crateq.core.accounts import Accounts

    default = Settings().search.timeout_seconds
    assert 30 < default <= 60  # past the pools' own 30 s search limit, not forever
    for insane in ("0", "1", "-3", "1000", "soon"):
        with pytest.raises(ConfigError, match=r"search\.timeout_seconds"):
            set_value(Settings(), "search.timeout_seconds", insane)
    save_settings(set_value(Settings(), "search.timeout_seconds", "12"))
    assert load_settings().search.timeout_seconds == 12.0
    accounts = Accounts()
    accounts.add("p", "https://pool.example/", "k", "u")
    client = accounts.client("p")
    try:
        timeout = client._http.timeout
        assert timeout.read == 12.0 and timeout.connect is not None and timeout.connect <= 12.0
    finally:
        asyncio.run(client.aclose())
    reliability_log.record("load", "search.timeout_seconds set to 0, 1, -3, 1000, text; then 12",
                           "insane values refused with the setting's name; 12 s reached "
                           "every pool client", tries=6)  # fmt: skip
