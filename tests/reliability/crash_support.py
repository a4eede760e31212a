"""What the crash tests share: the server queues they download, the real `crateq` command
as a subprocess, and the checks that a restart left every file and the database right.

``queue_tracks`` puts a few small files in the demo pools' server queues of one user (two
MP3s, one MP4: the in-place ID3 path and the tagged-copy path) and returns what the servers
hold for each. ``crash_and_restart`` runs `crateq download --queue` killed at a seeded crash
point (``crateq.core.crashpoints``), then again; ``check_downloads`` proves the outcome from
the outside: the files on disk against the servers' bytes, and the SQLite file opened on its
own.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import ID3, ID3NoHeaderError

from cli_harness import CliHarness, using_keyring
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.crashpoints import POINTS
from crateq.core.tag_values import ID3_RESERVE
from crateq.core.tagging import read_tags
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring

USER = "vip"  # may download everything; the tests put its queues back as they were
QUEUE = (("urban-beats", "audio", 2), ("vj-vault", "video", 1))
# arrivals every run reaches at each point: 3 files, one of them an MP4, rows written often
ARRIVALS = {name: 3 for name in POINTS} | {"tag.copy": 1, "store.job_write": 8}


@dataclass(frozen=True)
class Track:
    """One queued track and what its server sends: the whole body's sha256 and size, and
    the sha256 of its media payload (what tagging must never change)."""

    row: MediaRow
    ext: str
    sha256: str
    size: int
    payload_sha256: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.row.pool, self.row.media_id)


def _client(cluster: DemoCluster, pool: str) -> PoolClient:
    handle = cluster.pools[pool]

    async def password() -> str:
        return USER

    return PoolClient(pool, handle.url, handle.api_key, username=USER, password_provider=password)


async def _queue(cluster: DemoCluster, pool: str, media: str, count: int) -> list[MediaRow]:
    async with _client(cluster, pool) as client:
        await client.login()
        for queued in await client.queue_all():
            await client.queue_remove(queued.media_id)
        if not count:
            return []
        page = await client.search(MediaQuery(media=media, size=8, sort="mediaId"))
        rows = sorted(page.data, key=lambda r: r.size_bytes or 0)[:count]  # smallest files
        for row in rows:
            row.pool = pool
            await client.queue_add(row)
        return rows


def queue_tracks(cluster: DemoCluster) -> list[Track]:
    """Fill ``USER``'s server queues with ``QUEUE``; what each server will send."""
    tracks = []
    for pool, media, count in QUEUE:
        for row in asyncio.run(_queue(cluster, pool, media, count)):
            served = cluster.media_file(pool, row.media_id)
            payload = payload_sha256(served.path)
            tracks.append(Track(row, served.path.suffix, served.sha256, served.size, payload))
    return tracks


def clear_queues(cluster: DemoCluster) -> None:
    for pool, media, _count in QUEUE:
        asyncio.run(_queue(cluster, pool, media, 0))


def payload_sha256(path: Path) -> str:
    """SHA-256 of a file's media without its tags: an MP3 after its ID3v2 head, an MP4's
    ``mdat`` boxes. Equal for the server's file and a correctly tagged download."""
    data = path.read_bytes()
    if path.suffix == ".mp3":
        try:
            head = ID3(path).size
        except ID3NoHeaderError:
            head = 0
        return hashlib.sha256(data[head:]).hexdigest()
    digest, at, boxes = hashlib.sha256(), 0, 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        start = at + 8
        if size == 1:
            size, start = int.from_bytes(data[at + 8 : at + 16], "big"), at + 16
        elif size == 0:
            size = len(data) - at
        if kind == b"mdat":
            digest.update(data[start : at + size])
            boxes += 1
        at += max(size, 8)
    assert boxes, f"{path.name}: no mdat box"
    return digest.hexdigest()


def configure_home(home: Path, cluster: DemoCluster) -> None:
    """Both pools in ``home``'s settings (no password stored: it comes on stdin)."""
    with using_keyring(MemoryKeyring()):
        cli = CliHarness(home)
        for pool in dict.fromkeys(pool for pool, _media, _count in QUEUE):
            handle = cluster.pools[pool]
            added = cli("pool", "add", pool, "--url", handle.url, "--api-key", handle.api_key,
                        "--username", USER)  # fmt: skip
            assert added.exit_code == 0, added.stderr
        # analysis on arrival is not what is tried here, and its worker processes cost seconds
        assert cli("config", "set", "analysis.enabled", "false").exit_code == 0


def draw(seed: int, points: tuple[str, ...]) -> tuple[str, int, int]:
    """(crash point, its n-th arrival, parallel jobs) for ``seed``: the seeds cycle through
    ``points``, so a run of 2 x len(points) seeds tries each point twice."""
    rng = random.Random(seed)
    point = points[seed % len(points)]
    return point, rng.randint(1, ARRIVALS[point]), rng.choice((1, 2))


def _download(home: Path, dest: Path, jobs: int, **env: str) -> subprocess.CompletedProcess[str]:
    args = ["download", "--queue", "--json", "--password-stdin", "--dest", str(dest),
            "--jobs", str(jobs)]  # fmt: skip
    return subprocess.run(
        crateq(*args), input=USER + "\n", capture_output=True, text=True,
        env=subprocess_env(home, **env), timeout=90, check=False,
    )  # fmt: skip


def crash_and_restart(
    seed: int, points: tuple[str, ...], home: Path, dest: Path, tracks: list[Track]
) -> str:
    """Kill `crateq download --queue` at the seed's point, run it again, check everything;
    returns the point tried."""
    point, arrival, jobs = draw(seed, points)
    crashed = _download(home, dest, jobs, CRATEQ_CRASH_AT=f"{point}:{arrival}")
    assert crashed.returncode == -signal.SIGKILL, (
        f"{point}:{arrival} was not reached (exit {crashed.returncode}): {crashed.stderr[-2000:]}"
    )
    whole = on_disk_whole(home, tracks)
    again = _download(home, dest, jobs)
    assert again.returncode == 0, again.stderr[-3000:]
    events = [json.loads(line) for line in again.stdout.splitlines()]
    summary = events[-1]
    assert summary["event"] == "summary" and summary["failed"] == 0, summary
    assert summary["done"] + summary["skipped"] == len(tracks), summary
    fetched = {e["key"] for e in events if e.get("state") == "downloading"}
    assert not fetched & whole, f"downloaded again though on disk whole: {fetched & whole}"
    check_downloads(home, dest, tracks)
    return point


def on_disk_whole(home: Path, tracks: list[Track]) -> set[str]:
    """Keys of the jobs whose every byte a crash left on disk (a whole part, tagged or
    not, or the final file): the restart must not fetch them again."""
    sizes = {f"{t.row.pool}:{t.row.media_id}": t.size for t in tracks}
    db = sqlite3.connect(f"file:{database(home)}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT pool, media_id, path FROM jobs WHERE path != ''").fetchall()
    finally:
        db.close()
    whole = set()
    for pool, media_id, path in rows:
        key, final = f"{pool}:{media_id}", Path(path)
        part = final.with_name(final.name + ".part")
        reserve = ID3_RESERVE if final.suffix == ".mp3" else 0
        if final.exists() or (part.exists() and part.stat().st_size - reserve == sizes[key]):
            whole.add(key)
    return whole


OUTCOME = (
    "the next run finished every file: the server's bytes, tagged, once; no part or "
    "temporary file left; database consistent (integrity_check, each job, library entry "
    "and history row once)"
)


def crateq(*args: str) -> list[str]:
    """The console script of this environment (the real entry point), with ``args``."""
    script = Path(sys.executable).with_name("crateq")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "crateq.cli"]
    return [*base, *args]


def subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CRATEQ_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **extra,
    }
    if "CRATEQ_CRASH_AT" not in extra:
        env.pop("CRATEQ_CRASH_AT", None)
    return env


def database(home: Path) -> Path:
    (found,) = home.rglob("crateq.sqlite3")
    return found


def check_downloads(home: Path, dest: Path, tracks: list[Track]) -> None:
    """Every track once, whole and tagged under ``dest``; nothing else there; the database
    consistent and pointing at those files."""
    files = sorted(p for p in dest.rglob("*") if p.is_file())
    assert len(files) == len(tracks), [p.name for p in files]  # no "(2)", .part, .tagging
    db = sqlite3.connect(f"file:{database(home)}?mode=ro", uri=True)
    try:
        _check_database(db, tracks, files)
    finally:
        db.close()
    for track in tracks:
        path = _library_path(home, track)
        assert path.suffix == track.ext and path in files
        assert payload_sha256(path) == track.payload_sha256, f"{path.name}: media changed"
        assert read_tags(path).get("title") == track.row.title, f"{path.name}: not tagged"


def _library_path(home: Path, track: Track) -> Path:
    db = sqlite3.connect(f"file:{database(home)}?mode=ro", uri=True)
    try:
        (path,) = db.execute(
            "SELECT path FROM library WHERE pool = ? AND media_id = ?", track.key
        ).fetchone()
    finally:
        db.close()
    return Path(path)


def _check_database(db: sqlite3.Connection, tracks: list[Track], files: list[Path]) -> None:
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    wanted = sorted(t.key for t in tracks)
    jobs = db.execute("SELECT pool, media_id, state, path FROM jobs").fetchall()
    assert sorted((p, m) for p, m, _s, _f in jobs) == wanted, jobs  # each job exactly once
    assert {s for _p, _m, s, _f in jobs} == {"done"}, jobs
    rows = db.execute("SELECT pool, media_id, path, size, sha256 FROM library").fetchall()
    library = {(p, m): (Path(f), size, sha) for p, m, f, size, sha in rows}
    assert sorted(library) == wanted
    for track in tracks:
        path, size, sha = library[track.key]
        assert (size, sha) == (track.size, track.sha256), f"{path.name}: not the server's bytes"
        assert path in files
    for pool, media_id, _state, path in jobs:
        assert Path(path) == library[(pool, media_id)][0]
    history = db.execute("SELECT pool, media_id, event, detail FROM history").fetchall()
    assert sorted((p, m) for p, m, _e, _d in history) == wanted, history  # none twice
    for pool, media_id, event, detail in history:
        assert event == "downloaded" and Path(detail) == library[(pool, media_id)][0]
