"""The reliability suite: tests that try hard to break the app (faults on the wire, crashes,
full disks, damaged databases, load, hostile input, secrets, upgrades). The fast part runs in
CI; tests marked `long` run only from `scripts/bench reliability --long`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_support import Track, clear_queues, configure_home, queue_tracks

from crateq.demo.cluster import DemoCluster
from reliability_log import long_runs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if long_runs():
        return
    skip = pytest.mark.skip(reason="a long seeded run: scripts/bench reliability --long")
    for item in items:
        if item.get_closest_marker("long") is not None:
            item.add_marker(skip)


@pytest.fixture
def tracks(demo_cluster: DemoCluster) -> Iterator[list[Track]]:
    """The crash tests' tracks on the demo pools' server queues, cleared afterwards."""
    queued = queue_tracks(demo_cluster)
    yield queued
    clear_queues(demo_cluster)


@pytest.fixture
def home(crateq_home: Path, demo_cluster: DemoCluster) -> Path:
    """A home whose settings point at the demo pools (the crash tests' `crateq` runs)."""
    configure_home(crateq_home, demo_cluster)
    return crateq_home
