"""Benchmark search over HTTP: the demo server alone, and federated search across pools.

Every demo pool runs in its own process (real pools are remote: their work must not share
the client's interpreter). Two figures, both from the same run:

* demo server search latency at ``--rows`` tracks (one pool, one keep-alive connection,
  ``--queries`` mixed searches): p50/p95, target p95 < 25 ms;
* federated search through :func:`crateq.core.search.federated_search` with real
  :class:`~crateq.api.pool.PoolClient` s over loopback across every demo pool at
  ``--pool-rows`` tracks each, against the same queries sent to each pool alone (the same
  code path, one client); the ratio of federated to the slowest single pool, target <= 1.15.

Queries are interleaved (federated, then each pool alone) so a busy machine slows all sides
alike. Next to the latencies it prints the CPU per search of the pools and of the client, and
the ratio that CPU alone allows on this machine's cores (:class:`CpuFigures`).
``python -m crateq.demo.bench_federated --serve NAME --rows N`` is the child mode.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from crateq.core.search import PoolFailed, federated_search
from crateq.demo.catalog import DEMO_POOLS, all_artist_names

TARGET_SERVER_P95_MS = 25.0
TARGET_RATIO = 1.15
WORDS = ("love", "night", "dj", "fire", "remix", "soul", "club", "baby", "gold", "heart")


@dataclass(frozen=True)
class Served:
    name: str
    url: str
    api_key: str
    pid: int = 0


def cpu_seconds(pools: list[Served]) -> float:
    """User + system CPU the pool processes have used so far (0 where unreadable)."""
    import psutil

    total = 0.0
    for pool in pools:
        try:
            times = psutil.Process(pool.pid).cpu_times()
        except (psutil.Error, ValueError):
            continue
        total += times.user + times.system
    return total


# -- the pools, each in its own process ------------------------------------------------------


def _serve(name: str, rows: int, latency: str | None = None) -> None:
    """Child mode: serve one demo pool, print ``READY name url key``, stop at stdin EOF;
    with ``latency`` ("80-120" ms) every response waits a seeded draw from that range."""
    from crateq.demo.cluster import DemoCluster
    from crateq.demo.faults import parse_latency

    spec = next(s for s in DEMO_POOLS if s.name == name)
    with (
        tempfile.TemporaryDirectory(prefix="crateq-bench-media-") as media,
        DemoCluster(catalog_size=rows, specs=[spec], media_dir=Path(media)) as cluster,
    ):
        handle = cluster.pools[name]
        if latency:
            handle.faults.latency = parse_latency(latency)
            handle.faults.latency_seed = sum(map(ord, name))  # each pool its own draws
        print(f"READY {name} {handle.url} {handle.api_key}", flush=True)
        sys.stdin.read()


@contextmanager
def serve_pools(
    names: list[str], rows: int, latency: dict[str, str] | None = None
) -> Iterator[list[Served]]:
    """Start one process per pool (they build their catalogs in parallel); stop them after.
    ``latency`` maps a pool to its response delay range ("80-120", in ms)."""
    module = "crateq.demo.bench_federated"
    delays = latency or {}
    procs = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", module, "--serve", name, "--rows", str(rows)),
                *(["--latency", delays[name]] if name in delays else []),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    try:
        served = []
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().split()
            if len(line) != 4 or line[0] != "READY":
                raise RuntimeError(f"a demo pool failed to start (exit {proc.wait()})")
            served.append(Served(line[1], line[2], line[3], proc.pid))
        yield served
    finally:
        for proc in procs:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- the queries -----------------------------------------------------------------------------


def mixed_queries(count: int, seed: int = 7) -> list[MediaQuery]:
    """Searches like a DJ's: keywords, artists, bpm and year forms, lists, order, paging."""
    rng = random.Random(seed)
    artists = [a.split()[0].lower() for a in all_artist_names()]
    shapes: list[Callable[[], dict[str, object]]] = [  # MediaQuery's keyword arguments
        lambda: {"keywords": rng.choice(WORDS)},
        lambda: {"keywords": f"{rng.choice(WORDS)} {rng.choice(WORDS)}"},
        lambda: {"artist": rng.choice(artists)},
        lambda: {"keywords": rng.choice(WORDS), "bpm": f"{(b := rng.randint(70, 130))}-{b + 8}"},
        lambda: {"bpm": ",".join(str(rng.randint(80, 130)) for _ in range(3))},
        lambda: {"genre_ids": rng.sample(range(1, 13), 2), "release_year": "2019-2024"},
        lambda: {"release_year": str(rng.randint(2000, 2024)), "advisory": "Clean"},
        lambda: {"mix": ["Intro", "Clean"], "sort": "bpm", "dir": "asc"},
        lambda: {"chart": True, "days": 30},
        lambda: {"keywords": rng.choice(WORDS), "page": rng.randint(2, 5), "sort": "artist"},
        lambda: {},
    ]
    return [MediaQuery(**rng.choice(shapes)()) for _ in range(count)]


# -- measuring -------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples) * 1000, cuts[18] * 1000


def server_latency(pool: Served, queries: list[MediaQuery]) -> list[float]:
    """Seconds per search request to one pool (keep-alive, already logged in)."""
    with httpx.Client(base_url=pool.url, params={"key": pool.api_key}, timeout=60) as http:
        answer = http.post("api/Auth/Login", json={"username": "demo", "password": "demo"})
        answer.raise_for_status()
        http.headers["Authorization"] = f"Bearer {answer.json()[0]['token']}"
        timings = []
        for query in [*queries[:10], *queries]:  # the first ten warm the caches
            begin = time.perf_counter()
            http.get("api/Content/Media", params=query.to_params()).raise_for_status()
            timings.append(time.perf_counter() - begin)
    return timings[10:]


CLIENT_CPU: dict[str, float] = {"together": 0.0, "alone": 0.0}


async def _one_search(clients: dict[str, PoolClient], query: MediaQuery) -> float:
    begin, cpu = time.perf_counter(), time.process_time()
    async for event in federated_search(clients, query, limit=query.size):
        if isinstance(event, PoolFailed):
            raise RuntimeError(f"{event.pool}: {event.error}")
    CLIENT_CPU["together" if len(clients) > 1 else "alone"] += time.process_time() - cpu
    return time.perf_counter() - begin


async def federated_latency(
    pools: list[Served], queries: list[MediaQuery]
) -> tuple[list[float], dict[str, list[float]]]:
    """Seconds per search: all pools at once, and each pool alone, interleaved."""
    clients = {p.name: PoolClient(p.name, p.url, p.api_key, username="demo") for p in pools}
    try:
        await asyncio.gather(*(c.login("demo") for c in clients.values()))
        together: list[float] = []
        alone: dict[str, list[float]] = {name: [] for name in clients}
        for index, query in enumerate([*queries[:10], *queries]):
            spent = await _one_search(clients, query)
            singles = {n: await _one_search({n: c}, query) for n, c in clients.items()}
            if index >= 10:  # the first ten warm connections and caches
                together.append(spent)
                for name, seconds in singles.items():
                    alone[name].append(seconds)
        return together, alone
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))


# -- report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuFigures:
    """CPU per search (ms) and the least latency ratio it allows when nothing else counts.

    A federated search makes every pool do its search (``server`` each) and the client
    handle every answer (``client_all``, in one process); ``cores`` run them. Even with
    perfect overlap it takes at least the larger of the client's serial part and the
    whole CPU spread over the cores; a pool alone takes ``server + client_one`` when only
    CPU counts. Their quotient is the floor of the latency ratio: the target is reachable
    only when CPU per search is small next to what is not CPU (network, waiting).
    """

    server: float
    client_all: float
    client_one: float
    pools: int
    cores: int

    @property
    def total(self) -> float:
        return self.pools * self.server + self.client_all

    @property
    def floor_ms(self) -> float:
        return max(self.server, self.client_all, self.total / self.cores)

    @property
    def alone_ms(self) -> float:
        return self.server + self.client_one

    @property
    def floor_ratio(self) -> float:
        return self.floor_ms / self.alone_ms if self.alone_ms > 0 else float("nan")

    def lines(self) -> list[str]:
        return [
            f"CPU per search: server {self.server:.2f} ms per pool; client "
            f"{self.client_all:.2f} ms for {self.pools} pools, {self.client_one:.2f} ms for one",
            f"CPU floor: a federated search needs {self.total:.1f} ms of CPU "
            f"({self.pools} x {self.server:.2f} + {self.client_all:.2f}), at best "
            f"{self.floor_ms:.1f} ms on {self.cores} CPUs, against {self.alone_ms:.1f} ms "
            f"for one pool alone: ratio >= {self.floor_ratio:.2f}x while everything is "
            f"CPU-bound (target {TARGET_RATIO}x)",
        ]


def cpu_figures(
    server_seconds: float, client_seconds: dict[str, float], searches: int, pools: int, cores: int
) -> CpuFigures:
    """Per-search figures from the run's totals (each query ran together and alone)."""
    return CpuFigures(
        server=server_seconds / (searches * pools * 2) * 1000,
        client_all=client_seconds["together"] / searches * 1000,
        client_one=client_seconds["alone"] / searches / pools * 1000,
        pools=pools,
        cores=cores,
    )


def run(rows: int, pool_rows: int, count: int) -> bool:
    """Print every figure; True when both targets are met."""
    queries = mixed_queries(count)
    ok = True
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (the pools and this client share them)")
    with ExitStack() as stack:
        started = time.perf_counter()
        big = stack.enter_context(serve_pools([DEMO_POOLS[0].name], rows))[0]
        print(f"demo server: {big.name} at {rows} tracks built in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        spent = cpu_seconds([big])
        timings = server_latency(big, queries)
        spent = (cpu_seconds([big]) - spent) / (len(queries) + 10) * 1000
        p50, p95 = percentiles(timings)
        met = p95 < TARGET_SERVER_P95_MS
        ok &= met
        verdict = "met" if met else "MISSED"
        print(f"  {count} mixed searches over HTTP: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"(target p95 < {TARGET_SERVER_P95_MS:.0f} ms: {verdict}); "
              f"server CPU {spent:.1f} ms per search")  # fmt: skip
        slowest = sorted(zip(timings, queries, strict=True), key=lambda t: -t[0])[:3]
        for seconds, query in slowest:
            print(f"    slowest: {seconds * 1000:6.1f} ms  {query.to_params()}")
    with ExitStack() as stack:
        started = time.perf_counter()
        names = [spec.name for spec in DEMO_POOLS]
        pools = stack.enter_context(serve_pools(names, pool_rows))
        built = time.perf_counter() - started
        print(f"federated on loopback (no latency: pools and client share this machine's "
              f"cores, so this measures CPU contention, not distant pools): {len(pools)} demo "
              f"pools x {pool_rows} tracks built in {built:.1f} s")  # fmt: skip
        server_cpu = cpu_seconds(pools)
        together, alone = asyncio.run(federated_latency(pools, queries))
        server_cpu = cpu_seconds(pools) - server_cpu
    f50, f95 = percentiles(together)
    print(f"  all pools through core.search: p50 {f50:.1f} ms, p95 {f95:.1f} ms")
    searches = len(together) + 10
    cpu = cpu_figures(server_cpu, CLIENT_CPU, searches, len(pools), os.cpu_count() or 1)
    for line in cpu.lines():
        print(f"  {line}")
    figures = {name: percentiles(samples) for name, samples in alone.items()}
    for name, (a50, a95) in figures.items():
        print(f"  {name} alone: p50 {a50:.1f} ms, p95 {a95:.1f} ms")
    slowest_pool = max(figures, key=lambda name: figures[name][0])
    s50 = figures[slowest_pool][0]
    ratio50, ratio95 = f50 / s50, f95 / max(v[1] for v in figures.values())
    met = ratio50 <= TARGET_RATIO
    ok &= met
    print(f"  loopback ratio to the slowest pool alone ({slowest_pool}): p50 {ratio50:.2f}x, "
          f"p95 {ratio95:.2f}x (to the highest single-pool p95) "
          f"(target p50 <= {TARGET_RATIO}x: {'met' if met else 'MISSED'}; "
          f"the CPU floor above: {cpu.floor_ratio:.2f}x)")  # fmt: skip
    return ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000, help="tracks of the server figure")
    parser.add_argument("--pool-rows", type=int, default=50_000, help="tracks per pool")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--serve", metavar="POOL", help=argparse.SUPPRESS)
    parser.add_argument("--latency", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve, args.rows, args.latency)
        return
    run(args.rows, args.pool_rows, args.queries)


if __name__ == "__main__":
    main()
