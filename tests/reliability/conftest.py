"""The reliability suite: tests that try hard to break the app (faults on the wire, crashes,
full disks, damaged databases, load, hostile input, secrets, upgrades). The fast part runs in
CI; tests marked `long` run only from `scripts/bench reliability --long`."""

from __future__ import annotations

import pytest

from reliability_log import long_runs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if long_runs():
        return
    skip = pytest.mark.skip(reason="a long seeded run: scripts/bench reliability --long")
    for item in items:
        if item.get_closest_marker("long") is not None:
            item.add_marker(skip)
