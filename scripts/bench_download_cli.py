"""The whole-process scenario of `scripts/bench download`: `crateq download POOL:ID` against
`curl -o` plus an fsync of the same file, from the same server, in one run.

The server is nginx in front of a demo pool: the pool's API (login, queue, search) is proxied
to the demo server, and every ``api/Content/Download/…`` is nginx serving one generated MP3
(``--cli-mb``, default 300 MB) with sendfile and its own ETag, which is no checksum, as
most pools send. CrateQ runs as a user runs it — a fresh process of the installed command,
its bytecode compiled (by a first run, not counted), the pool's session token cached in the
keyring (a file keyring for the bench, see :mod:`bench_keyring`) — and is timed from its
start to its exit; curl from its start to the end of the fsync of its file. Pairs alternate;
each pair's ratio is curl+fsync / CrateQ. Each side removes its file from the pair before
just before it runs (the fsync after a removal commits it to the journal, so neither side pays
for the other's).
The first byte is when nginx received CrateQ's download request (its access log's ``$msec``
less ``$request_time``), counted from the start of the process. Each pair also times the
first byte of :mod:`bench_floor`, a process that imports CrateQ's libraries and sends the same
GET with none of CrateQ's code: the machine's floor for a start-up target in seconds, printed
beside CrateQ's first byte (and the difference, CrateQ's own start-up).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

TARGET_RATIO = 0.8
TARGET_FIRST_BYTE = 0.35


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nginx(work: Path, served: Path, upstream: str) -> tuple[subprocess.Popen[bytes], str]:
    """nginx on a free port: downloads from ``served``, the rest proxied to ``upstream``."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = _free_port()
    tmp = work / "nginx-tmp"
    tmp.mkdir(exist_ok=True)
    conf = work / "nginx-cli.conf"
    conf.write_text(
        f"""daemon off; worker_processes 1; pid {work}/nginx-cli.pid;
error_log {work}/error-cli.log;
events {{ worker_connections 256; }}
http {{ sendfile on; tcp_nopush on;
  log_format timing '$msec $request_time $status $body_bytes_sent $uri';
  access_log {work}/access-cli.log timing;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{ listen 127.0.0.1:{port};
    location /api/Content/Download/ {{ root {served}; default_type audio/mpeg;
      rewrite ^ /big.mp3 break;
      add_header Content-Disposition 'attachment; filename="bench big file.mp3"'; }}
    location / {{ proxy_pass {upstream}; proxy_http_version 1.1;
      proxy_set_header Connection ""; }} }} }}
"""
    )
    proc = subprocess.Popen([nginx, "-c", str(conf)])
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("nginx did not start")


def _crateq_command() -> list[str]:
    script = Path(sys.executable).with_name("crateq")
    return [str(script)] if script.exists() else [sys.executable, "-m", "crateq.launch"]


def _download_started(log: Path, after: float) -> float | None:
    """When nginx received the last download request logged (epoch seconds)."""
    for line in reversed(log.read_text().splitlines()):
        msec, request_time, _status, _sent, uri = line.split(" ", 4)
        if uri.startswith("/big.mp3") or "/Download/" in uri:
            started = float(msec) - float(request_time)
            return started if started >= after else None
    return None


def _seconds(started: float | None, since: float) -> str:
    return "?" if started is None else f"{started - since:.3f} s"


def _floor(work: Path, url: str, env: dict[str, str]) -> tuple[float | None, float]:
    """The first byte of :mod:`bench_floor` (CrateQ's libraries, none of its code) on ``url``:
    (when nginx received its GET, when it started), epoch seconds."""
    wall = time.time()
    subprocess.run([sys.executable, str(Path(__file__).with_name("bench_floor.py")), url],
                   env=env, check=True)  # fmt: skip
    return _download_started(work / "access-cli.log", wall), wall


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run(work: Path, size_bytes: int, pairs: int, unit: bytes) -> None:
    """Print each pair's figures and the ratios' range."""
    from bench_media import write_mp3 as _write_mp3

    from crateq.demo.catalog import DEMO_POOLS
    from crateq.demo.cluster import DemoCluster

    served = work / "cli-served"
    served.mkdir()
    _write_mp3(served / "big.mp3", size_bytes, unit)
    size = (served / "big.mp3").stat().st_size
    home, dest, out = work / "cli-home", work / "cli-dest", work / "cli-curl"
    out.mkdir()
    env = {**os.environ, "CRATEQ_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "bench_keyring.FileKeyring",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                       os.environ.get("PYTHONPATH")])),
           "PYTHONPYCACHEPREFIX": str(work / "pycache")}  # fmt: skip
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app has its bytecode compiled
    crateq = _crateq_command()
    with DemoCluster(catalog_size=200, specs=DEMO_POOLS[:1], media_dir=work / "cli-media") as demo:
        pool = demo.pools[DEMO_POOLS[0].name]
        nginx, url = _nginx(work, served, pool.url.rstrip("/"))
        try:
            added = subprocess.run(
                [*crateq, "pool", "add", "bench", "--url", url, "--api-key", pool.api_key,
                 "--username", "demo", "--password-stdin"],
                input="demo\n", env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if added.returncode:
                raise RuntimeError(f"pool add failed: {added.stderr}")
            with httpx.Client(base_url=url, params={"key": pool.api_key}) as http:
                token = http.post("api/Auth/Login", json={"username": "demo", "password": "demo"})
                bearer = {"Authorization": f"Bearer {token.json()[0]['token']}"}
                page = http.get("api/Content/Media", params={"size": 50}, headers=bearer).json()
            row = next(r for r in page["data"] if r["audio"])
            file_url = f"{url}api/Content/Download/{row['mediaId']}?key={pool.api_key}&token=x"
            print(f"whole process, one {size / 1e6:.0f} MB file (nginx in front of the demo "
                  f"pool; CrateQ with its session token cached):")  # fmt: skip
            ratios: list[float] = []
            firsts: list[float] = []
            floors: list[float] = []
            for index in range(-1, pairs):  # -1: a first run compiles the bytecode, not counted
                # Each side removes its own file of the pair before: the fsync that follows
                # a removal commits it, so neither pays for the other's.
                (out / "big.mp3").unlink(missing_ok=True)
                began = time.perf_counter()
                subprocess.run(["curl", "-s", "-f", "-o", str(out / "big.mp3"), file_url],
                               check=True)  # fmt: skip
                _fsync(out / "big.mp3")
                curl = time.perf_counter() - began
                shutil.rmtree(dest, ignore_errors=True)
                wall, began = time.time(), time.perf_counter()
                done = subprocess.run(
                    [*crateq, "download", f"bench:{row['mediaId']}", "--dest", str(dest),
                     "--json"], env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                ours = time.perf_counter() - began
                summary = json.loads(done.stdout.splitlines()[-1]) if done.stdout else {}
                if done.returncode:
                    raise RuntimeError(f"crateq download failed: {done.stderr or summary}")
                started = _download_started(work / "access-cli.log", wall)
                floor = _floor(work, file_url, env)
                if index < 0:
                    continue
                ratios.append(curl / ours)
                print(f"  pair {index + 1}: curl -o + fsync {curl:.2f} s, crateq download "
                      f"{ours:.2f} s: ratio {curl / ours:.2f}x; first byte at "
                      f"{_seconds(started, wall)} (floor {_seconds(*floor)})")  # fmt: skip
                if started is not None and floor[0] is not None:
                    firsts.append(started - wall)
                    floors.append(floor[0] - floor[1])
        finally:
            nginx.terminate()
            nginx.wait()
    verdict = "met" if min(ratios) >= TARGET_RATIO else "MISSED"
    print(f"  ratio {min(ratios):.2f}-{max(ratios):.2f}x over {pairs} pairs "
          f"(target >= {TARGET_RATIO}x in every pair: {verdict})")  # fmt: skip
    if firsts:
        late = sum(first >= TARGET_FIRST_BYTE for first in firsts)
        verdict = "met" if not late else f"MISSED in {late} of {len(firsts)}"
        own = [first - floor for first, floor in zip(firsts, floors, strict=True)]
        print(f"  first byte {min(firsts):.3f}-{max(firsts):.3f} s (target < "
              f"{TARGET_FIRST_BYTE} s: {verdict}); the floor {min(floors):.3f}-"
              f"{max(floors):.3f} s, CrateQ's own start-up {min(own):.3f}-{max(own):.3f} s "
              "above it")  # fmt: skip
