"""The reliability suite's record of what it tried: each test says which fault it injected,
how many times, and what happened, and `scripts/bench reliability` turns the records into the
table in docs/RELIABILITY.md. Outside that script the records go nowhere."""

from __future__ import annotations

import json
import os
from pathlib import Path

LOG_ENV = "CRATEQ_RELIABILITY_LOG"
LONG_ENV = "CRATEQ_RELIABILITY_LONG"


def long_runs() -> bool:
    """True when the long seeded runs are asked for (`scripts/bench reliability --long`)."""
    return os.environ.get(LONG_ENV) == "1"


def scaled(fast: int, long: int) -> int:
    """How many seeded cases to run: `fast` in CI, `long` in the long runs."""
    return long if long_runs() else fast


def record(area: str, fault: str, outcome: str, *, tries: int = 1, ok: bool = True) -> None:
    """Note that `fault` was injected `tries` times in `area` with `outcome` (plain words:
    "file matches the server's sha256, no .part left"). Call it after the test's asserts, so
    a failing test records nothing and shows up as a failure in the table instead."""
    target = os.environ.get(LOG_ENV)
    if not target:
        return
    line = {"area": area, "fault": fault, "outcome": outcome, "tries": tries, "ok": ok}
    with Path(target).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
