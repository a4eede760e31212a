"""Benchmark the demo pool search at catalog scale (default 100k rows).

``python -m crateq.demo.bench_search [--rows N] [--repeat N] [--json]`` builds one pool's
database in a temporary folder, then times typical searches (count + one page each) and
prints build time, median and worst latency, and SQLite's plan for each. Then (unless
``--json`` or ``--store-only``) the HTTP figures of :mod:`crateq.demo.bench_federated`: the
demo server's p50/p95 at ``--rows`` tracks and federated search over every demo pool at
``--pool-rows`` tracks each on loopback, with its ratio to the slowest pool alone; then
:mod:`crateq.demo.bench_latency`: the same with each pool at its own network latency
(``--latency-only`` runs just that part).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import TypedDict

from crateq.demo.catalog import DEMO_POOLS, generate_catalog
from crateq.demo.filters import parse_search
from crateq.demo.store import MediaSettings, PoolStore

QUERIES: tuple[dict[str, str], ...] = (
    {},
    {"keywords": "love"},
    {"keywords": "love dj"},
    {"keywords": "zz"},
    {"artist": "xavier", "genreId": "1,4"},
    {"bpm": "120-128", "sort": "artist", "dir": "asc"},
    {"mix": "Intro,Clean", "releaseYear": "2019-2024"},
    {"chart": "top", "days": "30"},
    {"groupId": "55"},
    {"page": "900", "size": "100"},
)


class QueryFigures(TypedDict):
    params: dict[str, str]
    records: int
    median_ms: float
    max_ms: float
    plan: list[str]


class SearchReport(TypedDict):
    rows: int
    generate_s: float
    load_s: float
    queries: list[QueryFigures]


def run(rows: int, repeat: int) -> SearchReport:
    spec = DEMO_POOLS[0]
    with tempfile.TemporaryDirectory(prefix="crateq-bench-") as folder:
        started = time.perf_counter()
        catalog = generate_catalog(spec, rows)
        generated = time.perf_counter()
        store = PoolStore(Path(folder) / "bench.sqlite", spec, MediaSettings())
        store.load(catalog)
        loaded = time.perf_counter()
        results: list[QueryFigures] = []
        for params in QUERIES:
            query = parse_search(params)
            timings = []
            for _ in range(repeat):
                begin = time.perf_counter()
                total, _page = store.search(query, "1001")
                timings.append((time.perf_counter() - begin) * 1000)
            results.append({
                "params": params, "records": total,
                "median_ms": round(statistics.median(timings), 2),
                "max_ms": round(max(timings), 2), "plan": store.explain(query, "1001"),
            })  # fmt: skip
        store.close()
    return {
        "rows": rows, "generate_s": round(generated - started, 2),
        "load_s": round(loaded - generated, 2), "queries": results,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--store-only", action="store_true", help="skip the HTTP figures")
    parser.add_argument("--pool-rows", type=int, default=50_000, help="tracks per pool")
    parser.add_argument("--queries", type=int, default=200, help="mixed searches over HTTP")
    parser.add_argument("--latency-queries", type=int, default=40,
                        help="mixed searches with latency")  # fmt: skip
    parser.add_argument("--latency-only", action="store_true",
                        help="only federated search with latency")  # fmt: skip
    args = parser.parse_args(argv)
    if args.latency_only:
        from crateq.demo.bench_latency import run as run_latency

        run_latency(args.pool_rows, args.latency_queries)
        return
    report = run(args.rows, args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['rows']} rows: generated in {report['generate_s']} s, "
          f"loaded and indexed in {report['load_s']} s")  # fmt: skip
    for item in report["queries"]:
        print(f"{item['median_ms']:8.2f} ms median {item['max_ms']:8.2f} ms max "
              f"{item['records']:7d} rows  {item['params']}")  # fmt: skip
    if not args.store_only:
        from crateq.demo.bench_federated import run as run_http
        from crateq.demo.bench_latency import run as run_latency

        print()
        run_http(args.rows, args.pool_rows, args.queries)
        print()
        run_latency(args.pool_rows, args.latency_queries)


if __name__ == "__main__":
    main()
