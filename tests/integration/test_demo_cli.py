"""``crateq demo serve`` as a user runs it: READY lines on stdout, clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx


def test_demo_serve_prints_ready_lines_and_stops_on_sigterm(crateq_home: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from crateq.cli import main; main()",
            "demo",
            "serve",
            "--catalog-size",
            "50",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CRATEQ_HOME": str(crateq_home)},
    )
    try:
        assert process.stdout is not None
        ready = {}
        while len(ready) < 3 or "vj-vault" not in ready:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "no output"
            word, name, url = line.split()
            assert word == "READY" and url.startswith("http://127.0.0.1:") and url.endswith("/")
            ready[name] = url
        assert {"urban-beats", "club-edits", "vj-vault"} <= set(ready)
        login = httpx.post(ready["urban-beats"] + "api/Auth/Login", params={"key": "demo-key"},
                           json={"username": "demo", "password": "demo"})  # fmt: skip
        assert login.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
