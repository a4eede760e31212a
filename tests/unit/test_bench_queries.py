"""The search benchmark's queries: reproducible, varied, and all accepted by a demo pool."""

from __future__ import annotations

from crateq.demo.bench_federated import mixed_queries, percentiles
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
