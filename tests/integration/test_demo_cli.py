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
        ready: dict[str, tuple[str, str]] = {}
        while "crate" not in ready or "vj-vault" not in ready:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "no output"
            word, name, url, key = line.split()
            assert word == "READY" and url.startswith("http://127.0.0.1:") and url.endswith("/")
            ready[name] = (url, key)
        assert {"urban-beats", "club-edits", "vj-vault", "crate"} <= set(ready)
        url, key = ready["urban-beats"]
        assert key == "demo-key"
        login = httpx.post(url + "api/Auth/Login", params={"key": key},
                           json={"username": "demo", "password": "demo"})  # fmt: skip
        assert login.status_code == 200
        crate_url, crate_key = ready["crate"]  # the key the README's set-secret step reads
        keyless = httpx.get(crate_url + "api/v2/search", params={"q": "a"})
        keyed = httpx.get(crate_url + "api/v2/search", params={"q": "a"},
                          headers={"X-API-Key": crate_key})  # fmt: skip
        assert keyless.status_code == 401 and keyed.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
