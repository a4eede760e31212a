"""Download benchmark: the CrateQ engine side by side with curl, in the same run.

Scenarios: one big file (default 1 GiB) and many files (default 200 x 10 MiB) with 4 and 8
jobs, served by nginx (started on 127.0.0.1 with a temporary config, when installed) and by
the demo pool server. Every CrateQ run is a fresh child process running the full engine
(stream to .part, SHA-256, verify with mutagen, tag, fsync, rename, SQLite); curl runs as
``curl -o`` (single) and ``curl --parallel --parallel-max N`` (many), with the engine's
per-pool and total job limits both set to N. Figures: MB/s, CPU seconds per GiB and peak RSS
of the downloading process (each tool's median run by MB/s; RSS the peak of all runs).

Ratios come from pairs, not from two medians: the tools alternate, five runs each by default,
and each CrateQ run is divided by the curl run just before it; the median of these ratios is
shown with their range. On a shared virtual machine one run's MB/s moves 2-3x between runs
(curl's own: 300-1000 MB/s), and where that comes from other work on the machine, a pair's two
runs, seconds apart, share it, which a ratio of two medians taken minutes apart does not
cancel. The durable ratio divides by the same curl run followed by an fsync of its files
(CrateQ fsyncs every file before renaming it; curl leaves its bytes in the page cache, so on a
disk slower than loopback the plain ratio also measures the disk).

Each run also records the server's CPU (nginx: its master and workers; the demo: this bench
process, whose pool servers are threads of it while its main thread only waits) and the busy
cores of the whole machine (/proc/stat; blank without it), so a slow run shows whether the
machine was loaded (both are counted in 10 ms ticks: coarse for small --big-mib sizes). On 2
cores the server competes with the client for CPU, so the MB/s ratio partly measures CPU per
GiB; the CPU-bound ratio, (server + curl CPU) / (server + CrateQ CPU) per GiB, is the ratio
the tools would show if the machine's CPU were the only limit. MB/s, CPU and the run's server
CPU and load of the CrateQ child are measured inside it from the first job queued to the last
one done (interpreter start-up and imports excluded; curl has none to speak of); peak RSS is
the whole child's. Generated files live in a temporary folder, deleted at the end.

    scripts/bench download [--big-mib 1024] [--count 200] [--each-mib 10] [--repeats 5] [--no-demo]
                           [--work DIR] [--cli-mb 300] [--cli-pairs 5] [--cli-only]

Then (unless ``--cli-mb 0``) :mod:`bench_download_cli`: whole-process ``crateq download`` of
one file against ``curl -o`` plus fsync, through nginx in front of a demo pool.

``--work`` puts every file (served and downloaded) in another folder; on a tmpfs (e.g.
``/dev/shm``) fsync costs nothing, so the ratios then measure the two programs without the disk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_media import machine_ticks, mp3_unit, server_cpu, start_nginx, write_mp3

MIB = 1 << 20
GIB = 1 << 30


@dataclass
class Figure:
    server: str
    scenario: str
    tool: str
    seconds: float
    nbytes: int
    cpu: float
    rss_mb: float
    failed: int = 0
    fsync_seconds: float = 0.0
    """curl only: fsyncing its files after it ended (CrateQ's figures include its fsyncs)."""
    server_cpu: float = 0.0
    """CPU seconds of the server during the run (nginx master + workers, or the demo's)."""
    busy_cores: float | None = None
    """Busy cores of the whole machine during the run; None without /proc/stat."""
    ratios: list[float] = field(default_factory=list)
    """CrateQ's median run only: its scenario's per-pair ratios, CrateQ MB/s / curl MB/s."""
    durable_ratios: list[float] = field(default_factory=list)
    """The same against curl + fsync of that curl run's files."""

    @property
    def mbps(self) -> float:
        return self.nbytes / self.seconds / 1e6 if self.seconds else 0.0

    @property
    def durable_mbps(self) -> float:
        """MB/s with the bytes on disk: the transfer, then fsync of every file."""
        seconds = self.seconds + self.fsync_seconds
        return self.nbytes / seconds / 1e6 if seconds else 0.0

    @property
    def cpu_per_gib(self) -> float:
        return self.cpu / (self.nbytes / GIB) if self.nbytes else 0.0

    @property
    def server_cpu_per_gib(self) -> float:
        return self.server_cpu / (self.nbytes / GIB) if self.nbytes else 0.0


class _Window:
    """The server's CPU seconds and the machine's busy cores from creation to ``end()``."""

    def __init__(self, server_pid: int, children: bool) -> None:
        self.server_pid, self.children = server_pid, children
        self.cpu = server_cpu(server_pid, children)
        self.ticks = machine_ticks()

    def end(self) -> tuple[float, float | None]:
        cpu = server_cpu(self.server_pid, self.children)
        # a worker that appeared mid-run counts from 0; one that ended is lost (rare)
        server = sum(max(0.0, v - self.cpu.get(pid, 0.0)) for pid, v in cpu.items())
        ticks = machine_ticks()
        if self.ticks is None or ticks is None or ticks[1] <= self.ticks[1]:
            return server, None
        busy = (ticks[0] - self.ticks[0]) / (ticks[1] - self.ticks[1])
        return server, busy * (os.cpu_count() or 1)


# -- worker: the CrateQ engine in a child process -------------------------------------------
class _StaticSource:
    """Download URLs known up front (nginx, or demo rows listed by the parent)."""

    def __init__(self, urls: dict[int, str], headers: dict[str, str]) -> None:
        self.urls, self.headers = urls, headers

    def download_url(self, media_id: int, token: str) -> str:
        return self.urls[media_id]

    def auth_headers(self) -> dict[str, str]:
        return dict(self.headers)

    async def login(self) -> None:
        return None

    async def fresh_row(self, row: Any) -> Any:
        return row


async def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    from crateq.api.pool_models import MediaRow
    from crateq.core.downloads import DownloadEngine
    from crateq.core.settings import DownloadSettings
    from crateq.core.store import Store

    urls = {int(k): v for k, v in spec["urls"].items()}
    jobs = int(spec["jobs"])
    settings = DownloadSettings(per_pool_jobs=min(jobs, 16), total_jobs=jobs)
    store = Store(Path(spec["dest"]) / "bench.sqlite3")
    engine = DownloadEngine(store, lambda _: _StaticSource(urls, spec["headers"]), settings)
    window = _Window(int(spec["server_pid"]), bool(spec["server_children"]))
    wall, cpu = time.perf_counter(), time.process_time()
    for media_id in urls:
        row = MediaRow(mediaId=media_id, artist="Bench", title=f"Track {media_id}", pool="b")
        await engine.add(row, dest=Path(spec["dest"]) / "out")
    done = await engine.wait()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server_cpu, busy_cores = window.end()
    await engine.shutdown()
    ok = [j for j in done if j.state == "done"]
    return {
        "rss_mb": _own_peak_rss_mb(),
        "seconds": wall,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "busy_cores": busy_cores,
        "bytes": sum(j.bytes_done for j in ok),
        "failed": len(done) - len(ok),
        "reasons": sorted({j.reason for j in done if j.state != "done"})[:3],
    }


def _own_peak_rss_mb() -> float:
    """Peak RSS of this process image (VmHWM). ru_maxrss would also count the memory of the
    parent this child was forked from (the bench itself, with the demo servers)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- parent: runs ----------------------------------------------------------------------------
def _wait4(proc: subprocess.Popen[bytes]) -> tuple[int, Any]:
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage


Server = tuple[int, bool]
"""Whose CPU is the server's: a pid, and whether its children count (nginx's workers)."""


def _run_curl(
    urls: dict[int, str], headers: dict[str, str], out: Path, jobs: int, server: Server
) -> Figure:
    out.mkdir(parents=True, exist_ok=True)
    config = out / "curl.cfg"
    lines = [f'header = "{k}: {v}"' for k, v in headers.items()]
    for media_id, url in urls.items():
        lines += [f'url = "{url}"', f'output = "{out}/{media_id}.mp3"']
    config.write_text("\n".join(lines) + "\n")
    cmd = ["curl", "-s", "--no-progress-meter", "-f", "-K", str(config)]
    if len(urls) > 1:
        cmd += ["--parallel", "--parallel-max", str(jobs)]
    stats = out / "time.txt"
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else "")
    if gnu_time:  # GNU time forks curl from a small image, so its peak RSS is curl's own
        cmd = [gnu_time, "-q", "-f", "%M", "-o", str(stats), *cmd]
    window = _Window(*server)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    code, usage = _wait4(proc)
    seconds = time.perf_counter() - start
    server_cpu, busy_cores = window.end()
    rss = int(stats.read_text().split()[-1]) / 1024 if gnu_time else usage.ru_maxrss / 1024
    size = sum(p.stat().st_size for p in out.glob("*.mp3"))
    synced = _fsync_all(out)
    shutil.rmtree(out)
    return Figure("", "", "curl", seconds, size, usage.ru_utime + usage.ru_stime, rss,
                  failed=int(code != 0), fsync_seconds=synced, server_cpu=server_cpu,
                  busy_cores=busy_cores)  # fmt: skip


def _fsync_all(folder: Path) -> float:
    """fsync every file curl wrote and the folder; the seconds it took.

    CrateQ fsyncs each file before its atomic rename, curl never does: on a disk slower
    than loopback HTTP the plain curl figure can exceed what any durable download reaches.
    curl + this time is the durable reference, shown beside the plain one (not instead).
    """
    start = time.perf_counter()
    for path in folder.glob("*.mp3"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - start


def _run_crateq(
    urls: dict[int, str], headers: dict[str, str], out: Path, jobs: int, server: Server
) -> Figure:
    """The engine in a fresh child, which measures its own window and the server's CPU."""
    out.mkdir(parents=True, exist_ok=True)
    spec = {"urls": urls, "headers": headers, "dest": str(out), "jobs": jobs,
            "server_pid": server[0], "server_children": server[1]}  # fmt: skip
    (out / "spec.json").write_text(json.dumps(spec))
    env = {**os.environ, "CRATEQ_HOME": str(out / "home")}
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", str(out / "spec.json")],
        stdout=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    text = proc.stdout.read().decode()
    _wait4(proc)
    shutil.rmtree(out)
    result = json.loads(text.strip().splitlines()[-1])
    if result["failed"]:
        print(f"  crateq failures: {result['failed']} {result['reasons']}", file=sys.stderr)
    return Figure("", "", "crateq", result["seconds"], result["bytes"], result["cpu"],
                  result["rss_mb"], failed=result["failed"], server_cpu=result["server_cpu"],
                  busy_cores=result["busy_cores"])  # fmt: skip


REPEATS = 5


def _pair(
    server: str,
    scenario: str,
    urls: dict[int, str],
    headers: dict[str, str],
    work: Path,
    jobs: int,
    repeats: int,
    probe: Server,
) -> list[Figure]:
    """curl and CrateQ alternating ``repeats`` times; each tool's median run by MB/s, the
    CrateQ one carrying the ratios of each CrateQ run to the curl run just before it.

    One run each was not enough on a shared virtual machine: curl's own figure for the same
    scenario moved by 2-3x between runs. Every run starts after ``sync`` so the writeback
    of the one before is not billed to it.
    """
    runs: dict[str, list[Figure]] = {"curl": [], "crateq": []}
    for _ in range(repeats):
        for tool, runner in (("curl", _run_curl), ("crateq", _run_crateq)):
            os.sync()
            fig = runner(urls, headers, work / f"run-{tool}", jobs, probe)
            fig.server, fig.scenario = server, scenario
            busy = f"{fig.busy_cores:4.1f}" if fig.busy_cores is not None else "   -"
            line = f"  {server:6} {scenario:22} {tool:6} {fig.mbps:7.0f} MB/s"
            line += f"  server {fig.server_cpu_per_gib:5.2f} CPU s/GiB  busy cores {busy}"
            print(line, file=sys.stderr)
            runs[tool].append(fig)
    chosen = []
    for figs in runs.values():
        ordered = sorted(figs, key=lambda f: f.mbps)
        median = ordered[len(ordered) // 2]
        median.failed = sum(f.failed for f in figs)
        median.rss_mb = max(f.rss_mb for f in figs)
        chosen.append(median)
    pairs = [(c, q) for c, q in zip(runs["curl"], runs["crateq"], strict=True) if c.mbps > 0]
    chosen[1].ratios = [q.mbps / c.mbps for c, q in pairs]
    chosen[1].durable_ratios = [q.mbps / c.durable_mbps for c, q in pairs if c.durable_mbps]
    return chosen


def _scenarios(
    server: str,
    big: dict[int, str],
    many: dict[int, str],
    headers: dict[str, str],
    work: Path,
    repeats: int,
    probe: Server,
) -> list[Figure]:
    figures: list[Figure] = []
    plan = [("1 file", big, 1)] + [(f"{len(many)} files, {n} jobs", many, n) for n in (4, 8)]
    for scenario, urls, jobs in plan:
        figures += _pair(server, scenario, urls, headers, work, jobs, repeats, probe)
    return figures


def _nginx(work: Path, args: argparse.Namespace, unit: bytes) -> list[Figure]:
    root = work / "www"
    root.mkdir()
    write_mp3(root / "big.mp3", args.big_mib * MIB, unit)
    for i in range(args.count):
        write_mp3(root / f"f{i:03}.mp3", args.each_mib * MIB, unit)
    os.sync()  # flush the generated files first: their writeback must not skew the runs
    started = start_nginx(root, work)
    if started is None:
        return []
    proc, url = started
    try:
        big = {1: f"{url}big.mp3"}
        many = {i + 1: f"{url}f{i:03}.mp3" for i in range(args.count)}
        return _scenarios("nginx", big, many, {}, work, args.repeats, (proc.pid, True))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(root)


def _demo_urls(cluster: Any, count: int) -> tuple[dict[int, str], dict[str, str]]:
    import httpx

    pool = cluster.pools["urban-beats"]
    with httpx.Client(base_url=pool.url, params={"key": pool.api_key}, timeout=60) as client:
        login = client.post("api/Auth/Login", json={"username": "demo", "password": "demo"})
        token = login.json()[0]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        page = client.get("api/Content/Media", params={"size": 500}, headers=headers).json()
    rows = [r for r in page["data"] if not r.get("video")][:count]
    urls = {
        int(r["mediaId"]): f"{pool.url}api/Content/Download/{r['mediaId']}"
        f"?key={pool.api_key}&token={r['auth']}"
        for r in rows
    }
    return urls, headers


def _demo(work: Path, args: argparse.Namespace) -> list[Figure]:
    from crateq.demo.cluster import DemoCluster
    from crateq.demo.store import MediaSettings

    figures: list[Figure] = []
    for label, size, count in (("big", args.big_mib * MIB, 1), ("many", args.each_mib * MIB,
                                                                  args.count)):  # fmt: skip
        media = MediaSettings(size_bytes=size)
        with DemoCluster(catalog_size=max(300, count * 3), media=media,
                         media_dir=work / f"demo-{label}") as cluster:  # fmt: skip
            urls, headers = _demo_urls(cluster, count)
            probe = (os.getpid(), False)  # the pool servers are threads of this process
            warm = _run_curl(urls, headers, work / "warm", 8, probe)  # files are built lazily
            os.sync()
            if warm.failed:
                print("  warm-up failed", file=sys.stderr)
            plan = [("1 file", 1)] if label == "big" else [(f"{count} files, {n} jobs", n)
                                                            for n in (4, 8)]  # fmt: skip
            for scenario, jobs in plan:
                figures += _pair("demo", scenario, urls, headers, work, jobs, args.repeats, probe)
        shutil.rmtree(work / f"demo-{label}", ignore_errors=True)
    return figures


def _spread(ratios: list[float]) -> str:
    """Median of the per-pair ratios with their range, e.g. ``0.74x (0.61-0.88)``."""
    if not ratios:
        return ""
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def _table(figures: list[Figure]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Downloads: CrateQ engine vs curl (same run)")
    cols = ("server", "scenario", "tool", "MB/s", "CPU s/GiB", "server CPU s/GiB",
            "peak RSS MB", f"busy cores (of {os.cpu_count()})", "ratio MB/s",
            "curl+fsync MB/s", "ratio durable", "CPU-bound ratio")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="right" if col not in ("server", "scenario") else "left")
    curl = {(f.server, f.scenario): f for f in figures if f.tool == "curl"}
    for f in figures:
        ref = curl.get((f.server, f.scenario))
        ours = f.tool == "crateq" and ref is not None
        bound = ""
        if ours and ref is not None and f.nbytes and ref.nbytes:
            theirs = ref.server_cpu_per_gib + ref.cpu_per_gib
            bound = f"{theirs / (f.server_cpu_per_gib + f.cpu_per_gib):.2f}x"
        busy = f"{f.busy_cores:.1f}" if f.busy_cores is not None else ""
        curl_durable = f"{f.durable_mbps:.0f}" if f.tool == "curl" else ""
        fail = f" ({f.failed} failed)" if f.failed else ""
        table.add_row(f.server, f.scenario, f.tool + fail, f"{f.mbps:.0f}",
                      f"{f.cpu_per_gib:.2f}", f"{f.server_cpu_per_gib:.2f}", f"{f.rss_mb:.0f}",
                      busy, _spread(f.ratios), curl_durable, _spread(f.durable_ratios),
                      bound)  # fmt: skip
    Console(width=190).print(table)
    print("ratios: median (range) of each CrateQ run's MB/s / that of the curl run just before it")
    print(
        "CPU-bound ratio: (server + curl CPU) / (server + CrateQ CPU) per GiB of the median runs,"
        " the ratio if the machine's CPU (shared by client and server) were the only limit"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--each-mib", type=int, default=10)
    parser.add_argument("--no-nginx", action="store_true")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="runs per tool (median)")
    parser.add_argument("--work", type=Path, help="folder for all files (default: the temp dir)")
    parser.add_argument(
        "--cli-mb",
        type=int,
        default=300,
        help="whole-process crateq download vs curl: MB of the file (0: skip)",
    )
    parser.add_argument("--cli-pairs", type=int, default=5)
    parser.add_argument("--cli-only", action="store_true", help="only the whole-process pairs")
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(Path(args.worker).read_text())
        print(json.dumps(asyncio.run(_worker(spec))))
        return
    work = Path(tempfile.mkdtemp(prefix="crateq-bench-", dir=args.work))
    work.chmod(0o755)  # nginx workers run as an unprivileged user
    figures: list[Figure] = []
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    try:
        unit = mp3_unit()
        if not args.no_nginx and not args.cli_only:
            figures += _nginx(work, args, unit)
        if not args.no_demo and not args.cli_only:
            figures += _demo(work, args)
        if figures:
            _table(figures)
        if args.cli_mb and not args.no_nginx:
            from bench_download_cli import run as run_cli

            run_cli(work, args.cli_mb * 1_000_000, args.cli_pairs, unit)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if load_before is not None:  # other work on the machine moves every figure, curl's too
        print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
