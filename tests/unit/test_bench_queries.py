"""The search benchmark's queries: reproducible, varied, and all accepted by a demo pool."""

from __future__ import annotations

from crateq.demo.bench_federated import CpuFigures, cpu_figures, mixed_queries, percentiles
from crateq.demo.filters import parse_search


def test_mixed_queries_are_reproducible_varied_and_valid() -> None:
    queries = mixed_queries(200)
    assert queries == mixed_queries(200)
    shapes = {tuple(sorted(q.to_params())) for q in queries}
    assert len(shapes) >= 10
    for query in queries:
        parse_search(query.to_params())  # raises BadRequest on anything a pool would reject


def test_percentiles_are_in_milliseconds() -> None:
    p50, p95 = percentiles([i / 1000 for i in range(1, 101)])
    assert (round(p50, 1), round(p95, 2)) == (50.5, 95.05)


def test_cpu_floor_of_the_ratio() -> None:
    # the figures: 3 pools at 4.2 ms, the client 5.5 ms for all and 2.0 for one
    run = {"together": 5.5 * 210 / 1000, "alone": 2.0 * 3 * 210 / 1000}
    cpu = cpu_figures(4.2 * 210 * 3 * 2 / 1000, run, 210, 3, 2)
    assert (round(cpu.server, 2), round(cpu.client_all, 2), round(cpu.client_one, 2)) == (
        4.2,
        5.5,
        2.0,
    )
    assert round(cpu.total, 2) == 18.1 and round(cpu.floor_ms, 2) == 9.05
    assert round(cpu.floor_ratio, 2) == 1.46
    assert "ratio >= 1.46x" in cpu.lines()[1]
    # a client that does everything in one process is its own floor, whatever the cores
    client_bound = CpuFigures(server=0.1, client_all=5.0, client_one=1.0, pools=3, cores=64)
    assert client_bound.floor_ms == 5.0
