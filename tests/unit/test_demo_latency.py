"""The demo pools' latency switch: seeded draws within the range, and `--latency` parsing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crateq.cli import main
from crateq.demo.faults import PoolFaults, parse_latency


def test_delays_are_seeded_draws_within_the_range() -> None:
    draws = []
    for _ in range(2):
        faults = PoolFaults(latency=(80.0, 250.0), latency_seed=3)
        draws.append([faults.response_delay() for _ in range(50)])
    assert draws[0] == draws[1]  # the same seed, the same delays in the same order
    assert all(0.080 <= d <= 0.250 for d in draws[0])
    assert len(set(draws[0])) > 40  # jitter, not one fixed delay
    other = PoolFaults(latency=(80.0, 250.0), latency_seed=4)
    assert [other.response_delay() for _ in range(50)] != draws[0]


def test_no_latency_by_default_and_after_reset() -> None:
    faults = PoolFaults(latency=(10.0, 20.0))
    assert faults.response_delay() > 0
    faults.reset()
    assert faults.latency is None and faults.response_delay() == 0.0


@pytest.mark.parametrize(("text", "expected"), [("80-250", (80.0, 250.0)), ("120", (120.0, 120.0))])
def test_parse_latency(text: str, expected: tuple[float, float]) -> None:
    assert parse_latency(text) == expected


@pytest.mark.parametrize("text", ["250-80", "fast", "-5", "1-2-3"])
def test_demo_serve_rejects_a_malformed_latency_before_starting(text: str) -> None:
    result = CliRunner().invoke(main, ["demo", "serve", "--latency", text])
    assert result.exit_code == 2
    assert "--latency" in result.output
