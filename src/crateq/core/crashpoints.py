"""Crash points: a TEST HOOK that kills this process at a named place in the code.

The reliability suite (tests/reliability/test_crash_cli.py) runs the real ``crateq`` with
``CRATEQ_CRASH_AT="name:n"`` (several as ``"a:1,b:2"``); the process sends itself SIGKILL
the n-th time it reaches :func:`reach` with that ``name``, so a crash lands exactly between
an fsync and a rename, inside a database transaction or between two tagging steps, and the
test proves a restart repairs it. Not a user setting: without the variable (every normal
run) ``reach`` costs one dict lookup. The names, and where they sit, are in ``POINTS``.
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "CRATEQ_CRASH_AT"
POINTS = {
    "transfer.chunk": "a body chunk was written to the .part (hash and counter not yet)",
    "transfer.named": "the final name is in the job's row, its .part not created yet",
    "tag.before": "the part is verified, its tag not written yet",
    "tag.copy": "a non-MP3's tagged copy is fsynced, not yet renamed to the final name",
    "tag.written": "the part is tagged, not yet fsynced and renamed",
    "commit.fsynced": "the part is fsynced, not yet renamed to its final name",
    "commit.renamed": "the final file exists (a non-MP3's part still too), nothing recorded",
    "store.job_added": "a job's row was inserted, the engine has not seen it yet",
    "store.job_write": "a job's row is about to be updated (state, progress, path)",
    "store.download": "inside the transaction recording a download: library row written",
}
_SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # Windows: TerminateProcess either way


def _parse(text: str) -> dict[str, int]:
    armed: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, count = item.partition(":")
        armed[name] = int(count) if count.strip().isdigit() else 1
    return armed


_armed = _parse(os.environ.get(ENV, ""))
_lock = threading.Lock()


def reach(name: str) -> None:
    """Kill the process if ``name`` is armed and this is its n-th arrival; else nothing."""
    if name not in _armed:
        return
    with _lock:
        _armed[name] -= 1
        if _armed[name] > 0:
            return
    os.kill(os.getpid(), _SIGKILL)
