"""`crateq download --queue`, the real command in a subprocess against the demo pools,
killed with SIGKILL while the bytes arrive and while they are tagged: after a chunk, between
saving the final name and creating the part, before the tag, with a non-MP3's tagged copy not
yet renamed over the part, and after tagging. The same command run again must finish every
file correctly (crash_support.check_downloads). The rename and the database writes are
tried in test_crash_cli_commit.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crash_support import (
    OUTCOME,
    Track,
    crash_and_restart,
)

import reliability_log

POINTS = ("transfer.chunk", "transfer.named", "tag.before", "tag.copy", "tag.written")


@pytest.mark.parametrize("seed", range(2 * len(POINTS)))
def test_killed_while_downloading_or_tagging_the_next_run_finishes(
    seed: int, home: Path, tracks: list[Track], tmp_path: Path
) -> None:
    point = crash_and_restart(seed, POINTS, home, tmp_path / "dl", tracks)
    fault = f"`crateq download --queue` SIGKILLed at {point}"
    reliability_log.record("crash", fault, OUTCOME, tries=1)


@pytest.mark.long
@pytest.mark.parametrize("seed", range(100, 100 + 12 * len(POINTS)))
def test_killed_while_downloading_or_tagging_the_next_run_finishes_long(
    seed: int, home: Path, tracks: list[Track], tmp_path: Path
) -> None:
    point = crash_and_restart(seed, POINTS, home, tmp_path / "dl", tracks)
    fault = f"`crateq download --queue` SIGKILLed at {point} (long seeds)"
    reliability_log.record("crash", fault, OUTCOME, tries=1)
