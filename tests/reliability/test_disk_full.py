# Quick file checks in async tests are fine here: nothing else runs on the test loop.
# ruff: noqa: ASYNC240
"""A full disk: downloads pause with a plain message and finish once space is freed.

The download folder is a real 8 MiB tmpfs (mounted by the test, so root only: skipped with
the reason otherwise) filled with a filler file until a few tracks cannot fit. Through the
real `crateq download` process and through the services' engine in-process: the jobs that
do not fit pause (never fail), say how much to free where, leave no final file holding
partial content, and after the filler is deleted and the jobs resume, every file matches
the server's bytes. A full disk under the database gives the store's plain sentence.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mutagen.id3 import ID3

import reliability_log
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.downloads import JobState
from crateq.core.errors import StoreError
from crateq.core.store import Store
from crateq.demo.cluster import DemoCluster
from crateq.services import Services

DemoLogin = Callable[..., httpx.Client]
TRACKS = 5


def _mount_tmpfs(where: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs (a small full disk) needs root")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs, unmounted afterwards."""
    where = tmp_path / "small-disk"
    _mount_tmpfs(where, "8m")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """A filler file taking all but ``leave`` bytes of ``disk``; deleting it frees them."""
    filler = disk / "filler.bin"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as out:
        out.write(b"\0" * max(0, free - leave))
    assert shutil.disk_usage(disk).free <= leave + 4096
    return filler


def _rows(cluster: DemoCluster, count: int) -> list[MediaRow]:
    handle = cluster.pools["urban-beats"]

    async def password() -> str:
        return "demo"

    async def fetch() -> list[MediaRow]:
        async with PoolClient(
            "urban-beats", handle.url, handle.api_key, username="demo", password_provider=password
        ) as client:
            await client.login()
            page = await client.search(MediaQuery(media="audio", size=count, sort="mediaId"))
            return page.data[:count]

    return asyncio.run(fetch())


def _server_sha(client: httpx.Client, row: MediaRow) -> str:
    body = client.get(f"api/Content/Download/{row.media_id}", params={"token": row.auth})
    body.raise_for_status()
    return hashlib.sha256(body.content).hexdigest()


def _audio_sha(path: Path) -> str:
    """SHA-256 of the file minus the ID3v2 tag the engine added (the server's bytes)."""
    data = path.read_bytes()
    return hashlib.sha256(data[ID3(path).size :]).hexdigest()


def _crateq(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRATEQ_HOME": str(home)}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    code = "import sys; from crateq.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _finals(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.mp3") if p.is_file())


def test_cli_download_pauses_on_a_full_disk_and_finishes_after_space_is_freed(
    small_disk: Path, crateq_home: Path, demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    handle = demo_cluster.pools["urban-beats"]
    added = _crateq(
        crateq_home, "pool", "add", "urban-beats", "--url", handle.url, "--api-key",
        handle.api_key, "--username", "demo", "--password-stdin", stdin="demo\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    off = _crateq(crateq_home, "config", "set", "analysis.enabled", "false")
    assert off.returncode == 0, off.stderr
    rows = _rows(demo_cluster, TRACKS)
    client = demo_login("urban-beats")
    shas = {r.media_id: _server_sha(client, r) for r in rows}
    keys = [f"urban-beats:{r.media_id}" for r in rows]
    filler = _fill(small_disk, leave=700_000)  # room for one track, not five
    args = ["download", *keys, "--dest", str(small_disk), "--jobs", "2", "--json"]
    first = _crateq(crateq_home, *args, "--password-stdin", stdin="demo\n")
    assert first.returncode == 1, first.stderr  # not everything arrived: say so
    summary = _lines(first.stdout)[-1]
    assert summary["event"] == "summary" and summary["failed"] == 0, summary
    assert summary["no_room"] >= 1 and summary["done"] + summary["no_room"] == TRACKS
    folder = small_disk / "urban-beats"
    assert "The disk is full: free at least" in first.stderr
    assert f"MB on {folder}, then resume the download." in first.stderr
    assert "run the command again" in first.stderr and "Traceback" not in first.stderr
    paused = [e for e in _lines(first.stdout) if e.get("state") == "paused"]
    assert paused and all(e["reason"].startswith("The disk is full:") for e in paused)
    for path in _finals(small_disk):  # no final file holds partial content
        assert _audio_sha(path) in shas.values(), path
    assert len(_finals(small_disk)) == summary["done"]
    assert list(small_disk.rglob("*.part")), "the paused jobs keep their parts"

    filler.unlink()  # the DJ frees space and runs the command again
    second = _crateq(crateq_home, *args, "--password-stdin", stdin="demo\n")
    assert second.returncode == 0, second.stderr
    again = _lines(second.stdout)[-1]
    assert again["failed"] == 0 and again["no_room"] == 0 and again["paused"] == 0, again
    finals = _finals(small_disk)
    assert len(finals) == TRACKS, finals  # each once: no duplicates
    assert sorted(_audio_sha(p) for p in finals) == sorted(shas.values())
    assert not list(small_disk.rglob("*.part"))
    reliability_log.record(
        "resources", "download folder full (tmpfs, crateq download)",
        "jobs paused with 'free N MB on FOLDER', exit 1; after freeing, rerun finishes, "
        "every file matches the server's sha256, no .part, no duplicates", tries=TRACKS,
    )  # fmt: skip


class DemoSource:
    """Download URL and Bearer of one signed-in demo pool (what the engine asks a client)."""

    def __init__(self, client: httpx.Client, pool: str) -> None:
        self.client, self.pool = client, pool

    def download_url(self, media_id: int, token: str) -> str:
        url = self.client.base_url.join(f"api/Content/Download/{media_id}")
        return str(url.copy_merge_params({"key": self.client.params["key"], "token": token}))

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self.client.headers["Authorization"]}

    async def login(self) -> None:
        raise AssertionError("not expected")

    async def fresh_row(self, row: MediaRow) -> MediaRow:
        raise AssertionError("not expected")


async def test_services_engine_pauses_and_resumes_on_a_full_download_folder(
    small_disk: Path, crateq_home: Path, demo_cluster: DemoCluster, demo_login: DemoLogin
) -> None:
    from crateq.ui.downloads.job_columns import status_text  # the queue row's state cell

    client = demo_login("urban-beats")
    source = DemoSource(client, "urban-beats")
    rows = await asyncio.to_thread(_rows, demo_cluster, TRACKS)
    shas = sorted([_server_sha(client, r) for r in rows])
    services = Services()
    settings = services.settings().downloads
    engine = services.download_engine({"urban-beats": source}, settings)
    filler = _fill(small_disk, leave=300_000)  # not even one track fits
    jobs = [await engine.add(r, dest=small_disk) for r in rows]
    waited = await engine.wait()
    assert all(j.state is JobState.PAUSED for j in waited), [j.reason for j in waited]
    assert all(j.waits_for_space for j in waited)
    cell = status_text(waited[0])
    assert cell.startswith("Paused: The disk is full: free at least ")
    assert str(small_disk / "urban-beats") in cell
    assert not _finals(small_disk)  # nothing partial became a final file
    stored = services.store.jobs()
    assert all(j["state"] == "paused" and j["auto_resume"] == 1 for j in stored)

    filler.unlink()
    for job in jobs:
        await engine.resume(job.id)
    done = await engine.wait()
    assert [j.state for j in done] == [JobState.DONE] * TRACKS, [j.reason for j in done]
    assert sorted(_audio_sha(Path(j.path)) for j in done) == shas
    assert not list(small_disk.rglob("*.part"))
    await engine.shutdown()
    services.shutdown()
    reliability_log.record(
        "resources", "download folder full (tmpfs, Services engine)",
        "every job paused (not failed) with the room to free in its state cell; "
        "Resume after freeing finishes all with verified content", tries=TRACKS,
    )  # fmt: skip


def test_a_full_disk_under_the_database_is_a_plain_store_error(tmp_path: Path) -> None:
    disk = tmp_path / "db-disk"
    _mount_tmpfs(disk, "1m")
    try:
        path = disk / "crateq.sqlite3"
        store = Store(path, timeout=0.5)
        store.add_job("urban-beats", 1, "{}", str(tmp_path))
        filler = _fill(disk, leave=0)
        with pytest.raises(StoreError, match="disk holding the download database is full"):
            for number in range(2, 2000):  # the WAL must grow: it cannot
                store.add_history("urban-beats", number, "note", "x" * 2000)
        filler.unlink()
        store.add_job("urban-beats", 2, "{}", str(tmp_path))  # space back: works again
        assert [j["media_id"] for j in store.jobs()] == [1, 2]
        store.close()
        reopened = Store(path)
        assert reopened.recovery is None and len(reopened.jobs()) == 2
        reopened.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
    reliability_log.record(
        "resources", "database disk full (tmpfs)",
        "StoreError 'disk holding the download database is full'; writes work once freed, "
        "the file opens clean", tries=1,
    )  # fmt: skip


@pytest.fixture
def small_data_disk(crateq_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``$CRATEQ_HOME/data`` (where the database lives) on a 1 MiB tmpfs."""
    monkeypatch.setenv("CRATEQ_DB_TIMEOUT", "0.5")
    where = crateq_home / "data"
    _mount_tmpfs(where, "1m")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


async def test_a_full_database_disk_pauses_downloads_and_duplicates_nothing(
    small_data_disk: Path, tmp_path: Path, demo_login: DemoLogin
) -> None:
    client = demo_login("urban-beats")
    source = DemoSource(client, "urban-beats")
    page = client.get("api/Content/Media", params={"size": 3, "audio": "true"}).json()
    rows = [MediaRow.model_validate(r) for r in page["data"]]
    for row in rows:
        row.pool = "urban-beats"
    shas = sorted(_server_sha(client, r) for r in rows)
    dest = tmp_path / "music"
    services = Services()
    engine = services.download_engine({"urban-beats": source}, services.settings().downloads)
    fillers: list[Path] = []

    def fill_when_verifying(event: Any) -> None:  # the last track: full just before commit
        job = event.job
        if job.media_id == rows[-1].media_id and job.state is JobState.VERIFYING and not fillers:
            fillers.append(_fill(small_data_disk, leave=0))

    engine.subscribe(fill_when_verifying)
    last = await engine.add(rows[-1], dest=dest)
    await engine.wait()
    saved = engine.job(last.id)  # committed on the music disk, its library row not written
    assert saved.state is JobState.DONE and "not recorded in the library" in saved.reason
    with pytest.raises(StoreError, match="download database is full"):
        await engine.add(rows[0], dest=dest)
    await engine.shutdown()
    services.shutdown()

    fillers[0].unlink()  # space freed; the next start
    services = Services()
    engine = services.download_engine({"urban-beats": source}, services.settings().downloads)
    restored = await engine.start()
    assert [j.media_id for j in restored] == [rows[-1].media_id]
    for row in rows[:-1]:
        await engine.add(row, dest=dest)
    done = await engine.wait()
    assert [j.state for j in done] == [JobState.DONE] * 3, [j.reason for j in done]
    finals = _finals(dest)
    assert len(finals) == 3, finals  # the saved track was not fetched a second time
    assert sorted(_audio_sha(p) for p in finals) == shas
    assert not list(dest.rglob("*.part"))
    assert {e.media_id for e in services.store.library()} == {r.media_id for r in rows}
    await engine.shutdown()
    services.shutdown()
    reliability_log.record(
        "resources", "database disk full mid-download (tmpfs)",
        "committed file kept and recorded at the next start (no second copy); new jobs "
        "refused with a plain StoreError; after freeing all files verified", tries=3,
    )  # fmt: skip


async def test_jobs_that_cannot_record_their_file_pause_and_leave_no_orphan_part(
    small_data_disk: Path, tmp_path: Path, demo_login: DemoLogin
) -> None:
    client = demo_login("urban-beats")
    source = DemoSource(client, "urban-beats")
    page = client.get("api/Content/Media", params={"size": 2, "audio": "true"}).json()
    rows = [MediaRow.model_validate(r) for r in page["data"]]
    for row in rows:
        row.pool = "urban-beats"
    dest = tmp_path / "music"
    services = Services()
    engine = services.download_engine({"urban-beats": source}, services.settings().downloads)
    jobs = [await engine.add(row, dest=dest) for row in rows]
    filler = _fill(small_data_disk, leave=0)  # full before the jobs name their files
    paused = await engine.wait()
    assert all(j.state is JobState.PAUSED for j in paused), [j.reason for j in paused]
    assert all("download database is full" in j.reason for j in paused)
    assert all("resume it once that is fixed" in j.reason for j in paused)
    assert not list(dest.rglob("*.part")) and not _finals(dest)
    filler.unlink()
    for job in jobs:
        await engine.resume(job.id)
    done = await engine.wait()
    assert [j.state for j in done] == [JobState.DONE] * 2, [j.reason for j in done]
    names = sorted(p.name for p in _finals(dest))
    assert len(names) == 2 and not any("(2)" in n for n in names), names
    assert sorted(_audio_sha(p) for p in _finals(dest)) == sorted(
        _server_sha(client, r) for r in rows
    )
    await engine.shutdown()
    services.shutdown()
    reliability_log.record(
        "resources", "database disk full before a job names its file (tmpfs)",
        "jobs pause with the store's sentence, no orphan .part; Resume after freeing "
        "finishes under the first names, verified", tries=2,
    )  # fmt: skip


def test_tagging_a_reserved_head_on_a_full_disk_raises_and_keeps_the_audio(
    small_disk: Path, tmp_path: Path
) -> None:
    """A part whose head room is a hole (as parts made before the head was written are)
    needs new pages to take its tag: on a full disk that is the disk-full error (the job
    pauses), never a final file with a zeroed head and no tag."""
    from tests.unit.test_tagging import ROW, make_mp3

    from crateq.core.tag_values import ID3_RESERVE
    from crateq.core.tagging import TagValues, tag_reserved_mp3

    audio = make_mp3(tmp_path / "audio.mp3").read_bytes()
    part = small_disk / "a.mp3.part"
    with part.open("wb") as out:
        out.truncate(ID3_RESERVE)  # a hole: no page behind the head room
        out.seek(ID3_RESERVE)
        out.write(audio)
    _fill(small_disk, leave=0)
    with pytest.raises(OSError) as raised:
        tag_reserved_mp3(part, ID3_RESERVE, TagValues.from_row(ROW))
    assert raised.value.errno == errno.ENOSPC
    assert part.read_bytes()[ID3_RESERVE:] == audio


def test_a_fresh_mp3_part_has_its_head_room_written_before_the_audio(tmp_path: Path) -> None:
    """The tag's head room is real bytes (a valid empty ID3v2 tag), so tagging in place
    later never needs a new disk block."""
    from crateq.core.download_transfer import TransferState, _stream_body
    from crateq.core.tag_values import ID3_RESERVE

    part = tmp_path / "b.mp3.part"
    state = TransferState(reserve=ID3_RESERVE)
    _stream_body([b"\xff\xfb" * 100], part, 0, state, lambda _d: None, threading.Event(),
                 os.write)  # fmt: skip
    data = part.read_bytes()
    assert data[:3] == b"ID3" and ID3(part).size == ID3_RESERVE
    assert data[ID3_RESERVE:] == b"\xff\xfb" * 100
    assert os.stat(part).st_blocks * 512 >= len(data)  # no hole
