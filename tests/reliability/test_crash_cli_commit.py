"""`crateq download --queue`, the real command in a subprocess against the demo pools,
killed with SIGKILL while a finished file is committed and recorded: between fsync and
rename, after the rename before the database knows, after a job's row is inserted, before a
job's row is updated, and inside the transaction that records a download. The same command
run again must finish every file correctly, with no second copy and no second history row
(crash_support.check_downloads). Crashes mid-body and mid-tag: test_crash_cli_transfer.py.
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

POINTS = ("commit.fsynced", "commit.renamed", "store.job_added", "store.job_write")
POINTS += ("store.download",)


@pytest.mark.parametrize("seed", range(2 * len(POINTS)))
def test_killed_while_committing_or_recording_the_next_run_finishes(
    seed: int, home: Path, tracks: list[Track], tmp_path: Path
) -> None:
    point = crash_and_restart(seed, POINTS, home, tmp_path / "dl", tracks)
    fault = f"`crateq download --queue` SIGKILLed at {point}"
    reliability_log.record("crash", fault, OUTCOME, tries=1)


@pytest.mark.long
@pytest.mark.parametrize("seed", range(100, 100 + 12 * len(POINTS)))
def test_killed_while_committing_or_recording_the_next_run_finishes_long(
    seed: int, home: Path, tracks: list[Track], tmp_path: Path
) -> None:
    point = crash_and_restart(seed, POINTS, home, tmp_path / "dl", tracks)
    fault = f"`crateq download --queue` SIGKILLed at {point} (long seeds)"
    reliability_log.record("crash", fault, OUTCOME, tries=1)
