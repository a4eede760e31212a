"""The download benchmarks' fixtures: generated MP3s, nginx on loopback, and the probes of
a server's CPU and the machine's load (shared by ``bench_download.py`` and
``bench_download_cli.py``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

MIB = 1 << 20


def mp3_unit() -> bytes:
    import math
    import struct

    import lameenc

    enc = lameenc.Encoder()
    enc.set_bit_rate(320)
    enc.set_in_sample_rate(44100)
    enc.set_channels(2)
    enc.set_quality(7)
    pcm = b"".join(
        struct.pack("<hh", int(8000 * math.sin(i * 0.05)), int(6000 * math.sin(i * 0.03)))
        for i in range(44100 * 4)
    )
    return bytes(enc.encode(pcm) + enc.flush())


def write_mp3(path: Path, size: int, unit: bytes) -> None:
    """A valid MP3 of at least ``size`` bytes: one encoded unit repeated."""
    block = unit * max(1, (8 * MIB) // len(unit))
    with open(path, "wb") as out:
        done = 0
        while done < size:
            out.write(block)
            done += len(block)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_nginx(root: Path, work: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not nginx and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], check=False)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not nginx or not Path(nginx).exists():
        print("nginx not available: skipping the nginx rows", file=sys.stderr)
        return None
    port = free_port()
    tmp = work / "nginx-tmp"
    tmp.mkdir()
    conf = work / "nginx.conf"
    conf.write_text(
        f"""daemon off; worker_processes 2; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; types {{ audio/mpeg mp3; }}
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
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
    return None


# -- probes: the server's CPU and the machine's load over one run ----------------------------
def server_cpu(pid: int, children: bool) -> dict[int, float]:
    """CPU seconds (user + system) so far of ``pid`` and, with ``children``, its children.

    nginx: the master and its workers. The demo: the bench process alone (its children are
    the clients being measured); its threads are the pool servers, and psutil's figure for a
    process covers all its threads.
    """
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children()] if children else [proc]
    except psutil.Error:
        return {}
    cpu: dict[int, float] = {}
    for each in procs:
        try:
            times = each.cpu_times()
        except psutil.Error:
            continue
        cpu[each.pid] = times.user + times.system
    return cpu


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores from /proc/stat; busy leaves out idle and iowait."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    ticks = [int(x) for x in fields[1:9]]  # user..steal; guest is already counted in user
    total = sum(ticks)
    return total - ticks[3] - ticks[4], total
