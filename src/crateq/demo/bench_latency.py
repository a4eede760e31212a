"""Benchmark federated search as a DJ meets it: three pools at different distances.

Each demo pool runs in its own process and delays every response by a seeded draw from its
own range (``LATENCIES``, as pools across the internet answer). For the same mixed queries,
sent all together through :func:`crateq.core.search.federated_search` and to each pool alone
(interleaved, so a busy machine slows every side alike), it prints two ratios of medians:

* every pool's rows merged in the result (grouped into songs), to the slowest pool alone,
  target <= 1.15;
* the first visible rows, to the fastest pool alone, target <= 1.1.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field

from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.search import PoolFailed, PoolRows, federated_search, group_versions
from crateq.demo.bench_federated import Served, mixed_queries, serve_pools

#: Response delay per pool, in milliseconds: near, middle and far away.
LATENCIES = {"urban-beats": "80-120", "club-edits": "140-190", "vj-vault": "200-250"}
TARGET_MERGED = 1.15
TARGET_FIRST = 1.1
WARM_UP = 5


@dataclass
class Timings:
    """Seconds per search: to the first rows shown, and to every pool's rows merged."""

    first: list[float] = field(default_factory=list)
    merged: list[float] = field(default_factory=list)

    def median(self) -> tuple[float, float]:
        return statistics.median(self.first), statistics.median(self.merged)


async def timed_search(clients: dict[str, PoolClient], query: MediaQuery) -> tuple[float, float]:
    """(first rows, all merged) for one search; a search without rows counts its end."""
    begin = time.perf_counter()
    first: float | None = None
    rows: list[MediaRow] = []
    async for event in federated_search(clients, query, limit=query.size):
        if isinstance(event, PoolRows):
            rows.extend(event.rows)
            if first is None:
                first = time.perf_counter() - begin
        elif isinstance(event, PoolFailed):
            raise RuntimeError(f"{event.pool}: {event.error}")
    group_versions(rows)  # what a grid or the CLI shows: the merged result
    merged = time.perf_counter() - begin
    return (merged if first is None else first), merged


async def measure(pools: list[Served], queries: list[MediaQuery]) -> dict[str, Timings]:
    """Timings of every pool together (key ``"all"``) and of each pool alone."""
    clients = {p.name: PoolClient(p.name, p.url, p.api_key, username="demo") for p in pools}
    out = {"all": Timings(), **{name: Timings() for name in clients}}
    try:
        await asyncio.gather(*(c.login("demo") for c in clients.values()))
        for index, query in enumerate([*queries[:WARM_UP], *queries]):
            runs = [("all", clients), *((n, {n: c}) for n, c in clients.items())]
            for name, group in runs:
                first, merged = await timed_search(group, query)
                if index >= WARM_UP:
                    out[name].first.append(first)
                    out[name].merged.append(merged)
        return out
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))


def run(pool_rows: int, count: int) -> bool:
    """Print the figures of one run; True when both targets are met."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    ranges = ", ".join(f"{name} {ms} ms" for name, ms in LATENCIES.items())
    print(f"federated with latency ({ranges}; {os.cpu_count()} CPUs, load {load}):")
    with serve_pools(list(LATENCIES), pool_rows, LATENCIES) as pools:
        timings = asyncio.run(measure(pools, mixed_queries(count)))
    together_first, together_merged = timings["all"].median()
    alone = {name: t.median() for name, t in timings.items() if name != "all"}
    for name, (first, merged) in alone.items():
        print(f"  {name} alone: first rows {first * 1000:.0f} ms, merged {merged * 1000:.0f} ms")
    print(f"  all pools: first rows {together_first * 1000:.0f} ms, "
          f"merged {together_merged * 1000:.0f} ms ({count} queries, medians)")  # fmt: skip
    slowest = max(alone, key=lambda name: alone[name][1])
    fastest = min(alone, key=lambda name: alone[name][0])
    merged_ratio = together_merged / alone[slowest][1]
    first_ratio = together_first / alone[fastest][0]
    ok_merged, ok_first = merged_ratio <= TARGET_MERGED, first_ratio <= TARGET_FIRST
    print(f"  every pool merged / slowest pool alone ({slowest}): {merged_ratio:.2f}x "
          f"(target <= {TARGET_MERGED}x: {'met' if ok_merged else 'MISSED'})")  # fmt: skip
    print(f"  first visible rows / fastest pool alone ({fastest}): {first_ratio:.2f}x "
          f"(target <= {TARGET_FIRST}x: {'met' if ok_first else 'MISSED'})")  # fmt: skip
    return ok_merged and ok_first
