"""The first-byte floor of `scripts/bench download`: what a Python process built on CrateQ's
libraries pays before it can send a GET, on this machine, in this run.

It imports what a one-file ``crateq download`` imports before its first byte (click,
asyncio, httpx, pydantic, keyring, sqlite3, httpcore with anyio), with the same two imports
left out as ``crateq`` leaves out (:func:`crateq.launch.skip_unused_imports`), then streams
``URL`` with a plain ``httpx.Client`` and closes after the first chunk. Nothing of CrateQ's own
runs: the time from this process's start to the server's receipt of its GET is the floor a
start-up target in seconds meets or misses on this machine, whatever CrateQ does.

    python scripts/bench_floor.py URL
"""

from __future__ import annotations

import sys

from crateq.launch import skip_unused_imports

skip_unused_imports()

import asyncio  # noqa: E402,F401  (imported for its cost, as crateq download imports it)
import sqlite3  # noqa: E402,F401

import click  # noqa: E402,F401
import httpcore  # noqa: E402,F401
import httpx  # noqa: E402
import keyring  # noqa: E402,F401
from pydantic import BaseModel  # noqa: E402


class _Row(BaseModel):  # one model, so that pydantic's model machinery is loaded
    media_id: int


def main(url: str) -> None:
    _Row(media_id=1)
    with httpx.Client() as http, http.stream("GET", url) as answer:
        answer.raise_for_status()
        next(answer.iter_raw(1 << 16), b"")


if __name__ == "__main__":
    main(sys.argv[1])
