"""`scripts/bench collections`: the wish list against the pools, and the grid between sources.

Two figures from one run:

* ``--wishes`` wishes (songs of the pools' own catalogs, one in ten unknown to every pool)
  checked by :class:`crateq.core.wishlist.WishChecker` against every demo pool at
  ``--pool-rows`` tracks each (one process per pool): total time of the first check and of a
  re-check, requests sent and answers 429/503 (target: none);
* switching the app's grid between collection sources of ``--entries`` tracks each
  (favorites, a crate, the bin) through the real window: from the click until the grid holds
  every row and has painted the visible ones, p50/p95 over ``--switches`` switches (target:
  p95 < 50 ms), after each source's first showing (which reads it from the store, printed
  on its own).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crateq.api.pool import PoolClient  # noqa: E402
from crateq.api.pool_models import MediaRow  # noqa: E402
from crateq.core.store import Store  # noqa: E402
from crateq.core.wishlist import WishChecker, WishList  # noqa: E402
from crateq.demo.bench_federated import Served, serve_pools  # noqa: E402
from crateq.demo.catalog import DEMO_POOLS, generate_catalog  # noqa: E402

TARGET_SWITCH_P95_MS = 50.0


class Counting(httpx.AsyncBaseTransport):
    """The client's own transport, counting requests and busy answers on the way."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests = 0
        self.busy = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        response = await self.inner.handle_async_request(request)
        if response.status_code in (429, 503):
            self.busy += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def add_wishes(wishes: WishList, pool_rows: int, count: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    rows = [r for spec in DEMO_POOLS for r in generate_catalog(spec, pool_rows)]
    for number in range(count):
        if number % 10 == 9:
            wishes.add(artist=f"Nobody {number}", title=f"Unheard Tune {number}")
        else:
            row = rng.choice(rows)
            wishes.add(artist=row.artist, title=row.title)


async def check_wishes(pools: list[Served], wishes: WishList) -> None:
    counter = Counting()
    clients = {
        p.name: PoolClient(p.name, p.url, p.api_key, username="demo", transport=counter)
        for p in pools
    }
    try:
        await asyncio.gather(*(c.login("demo") for c in clients.values()))
        checker = WishChecker(wishes, clients)
        for label in ("first check", "re-check"):
            sent, started = counter.requests, time.perf_counter()
            result = await checker.check()
            took = time.perf_counter() - started
            found, failed = len(result.matches), len(result.errors)
            print(f"  {label}: {took:.1f} s, {counter.requests - sent} requests, "
                  f"{found} new matches, {failed} pools failed")  # fmt: skip
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))
    verdict = "met" if counter.busy == 0 else "MISSED"
    print(f"  answers 429/503: {counter.busy} (target: none: {verdict})")


def fill_sources(store: Store, pool_rows: int, entries: int) -> None:
    """Favorites, the crate "Big" and the bin, ``entries`` distinct pool tracks each."""
    from crateq.core.collections import Collections
    from crateq.core.crates import Crates
    from crateq.core.tracks import Track

    spec = DEMO_POOLS[0]
    catalog = generate_catalog(spec, max(pool_rows, 3 * entries))
    tracks = []
    for n, item in enumerate(catalog[: 3 * entries]):
        row = MediaRow.model_validate({"mediaId": 10_000_000 + n, "artist": item.artist,
                                       "title": item.title, "bpm": 90 + n % 60})  # fmt: skip
        row.pool = spec.name
        tracks.append(Track.of_row(row))
    collections, crates = Collections(store), Crates(store)
    collections.favorite(tracks[:entries])
    crates.new("Big")
    crates.add("Big", tracks[entries : 2 * entries])
    collections.bin(tracks[2 * entries :])


def switch_grid(pools: list[Served], entries: int, switches: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from crateq.services import PoolSeed, Services, SettingsSeed
    from crateq.ui.collections.sources import BIN, CRATE, FAVORITES, Source
    from crateq.ui.shell.app import build

    _app = QApplication.instance() or QApplication([])
    services = Services(in_process_secrets=True)
    services.seed(SettingsSeed([PoolSeed(p.name, p.url, p.api_key, "demo", "demo")
                                for p in pools]))  # fmt: skip
    fill_sources(services.store, 1000, entries)
    gui = build(services=services, mode="app")
    gui.window.show()
    feature, window, search = gui.collections, gui.window, gui.controller
    assert feature is not None

    def wait(done: Callable[[], bool]) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if done() else None)
        timer.start(1)
        loop.exec()
        timer.stop()

    def settled() -> bool:
        return not search.tasks.running("search") and window.finished_run == search.current_run

    wait(settled)
    sources = [Source(FAVORITES, "Favorites"), Source(CRATE, "Big", "", "Big"),
               Source(BIN, "Bin")]  # fmt: skip

    def switch(source: Source) -> float:
        started = time.perf_counter()
        run = feature.choose(source)
        wait(lambda: window.finished_run >= run and settled())
        assert window.model.version_count() == entries, window.model.version_count()
        window.results.viewport().repaint()  # and shows them: the visible rows painted
        return (time.perf_counter() - started) * 1000

    first = [switch(source) for source in sources]  # each read from the store once
    times = [switch(sources[n % len(sources)]) for n in range(switches)]
    gui.shutdown()
    window.close()
    if os.environ.get("BENCH_VERBOSE"):
        print("  each:", " ".join(f"{t:.0f}" for t in times))
    p95 = sorted(times)[max(0, -(-len(times) * 95 // 100) - 1)]
    verdict = "met" if p95 < TARGET_SWITCH_P95_MS else "MISSED"
    print(f"  first showing of each source of {entries:,} tracks (read from the store): "
          + ", ".join(f"{t:.0f} ms" for t in first))
    print(f"  switching between them, {switches} switches: p50 "
          f"{statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
          f"(target p95 < {TARGET_SWITCH_P95_MS:.0f} ms: {verdict})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--wishes", type=int, default=100)
    parser.add_argument("--pool-rows", type=int, default=50_000, help="tracks per pool")
    parser.add_argument("--entries", type=int, default=10_000, help="tracks per source")
    parser.add_argument("--switches", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crateq-bench-home-") as home:
        os.environ["CRATEQ_HOME"] = home
        started = time.perf_counter()
        with serve_pools([s.name for s in DEMO_POOLS], args.pool_rows) as pools:
            print(f"{len(pools)} demo pools x {args.pool_rows:,} tracks built in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            wishes = WishList(Store(Path(home) / "wishes.db"))
            add_wishes(wishes, args.pool_rows, args.wishes)
            print(f"{args.wishes} wishes:")
            asyncio.run(check_wishes(pools, wishes))
            print("the grid:")
            switch_grid(pools, args.entries, args.switches)


if __name__ == "__main__":
    main()
