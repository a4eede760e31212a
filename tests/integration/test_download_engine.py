# Quick file checks in async tests are fine here: nothing else runs on the test loop.
# ruff: noqa: ASYNC240
"""The download engine against the demo pools and their fault switches.

Rows and download URLs come from the real demo server (``demo_login``); the engine fetches
them with its own HTTP path. Waiting is on engine events, never on the clock; the engine's
backoff sleep is injected so a test can end a fault "while the engine waits".
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mutagen.id3 import ID3

from crateq.api.pool_models import MediaRow
from crateq.core.downloads import DownloadEngine, EngineThread, JobEvent, JobState, RetryPolicy
from crateq.core.settings import DownloadSettings
from crateq.core.store import Store
from crateq.core.tagging import read_tags
from crateq.demo.cluster import DemoCluster

DemoLogin = Callable[..., httpx.Client]
FAST = RetryPolicy(base=0.01, cap=0.05)


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
        raise AssertionError("not expected in these tests")

    async def fresh_row(self, row: MediaRow) -> MediaRow:
        """The row with a fresh ``auth`` (a job read back from the store has none)."""
        params = {"groupId": row.group_id, "size": 100}
        found = [r for r in self.rows(100, **params) if r.media_id == row.media_id]
        assert found, f"the pool no longer lists {row.key}"
        return found[0]

    def rows(self, count: int, **params: Any) -> list[MediaRow]:
        page = self.client.get("api/Content/Media", params={"size": count, **params}).json()
        rows = [MediaRow.model_validate(r) for r in page["data"]]
        for row in rows:
            row.pool = self.pool
        return rows

    def server_sha(self, row: MediaRow) -> str:
        body = self.client.get(f"api/Content/Download/{row.media_id}", params={"token": row.auth})
        return hashlib.sha256(body.content).hexdigest()


@pytest.fixture
def urban(demo_login: DemoLogin) -> DemoSource:
    return DemoSource(demo_login("urban-beats"), "urban-beats")


@pytest.fixture
def store(crateq_home: Path) -> Store:
    return Store()


def audio_sha(path: Path) -> str:
    """SHA-256 of the file minus the ID3v2 tag the engine added (the server's bytes)."""
    data = path.read_bytes()
    return hashlib.sha256(data[ID3(path).size :]).hexdigest()


def make_engine(store: Store, source: Any, **kw: Any) -> tuple[DownloadEngine, list[JobEvent]]:
    settings = kw.pop("settings", DownloadSettings())
    engine = DownloadEngine(store, {source.pool: source}, settings, retry=FAST, **kw)
    events: list[JobEvent] = []
    engine.subscribe(events.append)
    return engine, events


async def test_tracks_arrive_whole_named_tagged_and_recorded(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    engine, events = make_engine(store, urban)
    rows = urban.rows(4, sort="mediaId", dir="asc", audio="true")
    for row in rows:
        await engine.add(row, dest=tmp_path)
    jobs = await engine.wait()
    assert [j.state for j in jobs] == [JobState.DONE] * 4, [j.reason for j in jobs]
    for job, row in zip(jobs, rows, strict=True):
        path = Path(job.path)
        assert path.parent == tmp_path / "urban-beats"
        assert path.name == f"{row.artist} - {row.title}.mp3".replace("/", "_")
        assert audio_sha(path) == urban.server_sha(row)
        assert read_tags(path)["comment"] == f"CrateQ: pool urban-beats, mediaId {row.media_id}"
        assert store.have("urban-beats", row.media_id).sha256 == urban.server_sha(row)
    assert not list(tmp_path.rglob("*.part"))
    states = [e.job.state for e in events if e.kind == "state" and e.job.id == jobs[0].id]
    assert states[:1] == [JobState.CONNECTING] and states[-2:] == [JobState.TAGGING, JobState.DONE]
    await engine.shutdown()


async def test_a_track_in_the_library_is_not_downloaded_twice_unless_deleted(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    engine, _ = make_engine(store, urban)
    row = urban.rows(1)[0]
    await engine.add(row, dest=tmp_path)
    first = (await engine.wait())[0]
    again = await engine.add(row, dest=tmp_path)
    assert again.id == first.id and again.state is JobState.DONE
    engine2, _ = make_engine(store, urban)  # a later session asks the library
    later = await engine2.add(row, dest=tmp_path)
    assert later.skipped and later.state is JobState.DONE and later.path == first.path
    await engine2.shutdown()
    Path(first.path).unlink()
    third = await engine.add(row, dest=tmp_path)
    assert not third.skipped
    await engine.wait()
    assert Path(engine.job(third.id).path).exists()
    await engine.shutdown()


async def test_dropped_connections_at_random_offsets_resume_to_intact_files(
    urban: DemoSource, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    faults = demo_cluster.pools["urban-beats"].faults
    faults.drop_connection_random_seed = 7
    calls = 0

    async def sleep(_: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 12:  # the connection gets better after a while
            faults.drop_connection_random_seed = None

    engine, events = make_engine(store, urban, sleep=sleep)
    rows = urban.rows(3, audio="true")
    for row in rows:
        await engine.add(row, dest=tmp_path)
    jobs = await engine.wait()
    assert all(j.state is JobState.DONE for j in jobs), [j.reason for j in jobs]
    assert calls >= 3
    for job, row in zip(jobs, rows, strict=True):
        assert audio_sha(Path(job.path)) == urban.server_sha(row)
    assert any("Retrying" in e.job.reason for e in events)
    await engine.shutdown()


async def test_a_server_ignoring_range_makes_the_engine_restart_from_zero(
    urban: DemoSource, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    faults = demo_cluster.pools["urban-beats"].faults
    faults.drop_connection_after_bytes = 50_000

    async def sleep(_: float) -> None:
        faults.drop_connection_after_bytes = None
        faults.ignore_range = True

    engine, _ = make_engine(store, urban, sleep=sleep)
    row = urban.rows(1, audio="true")[0]
    job = await engine.add(row, dest=tmp_path)
    await engine.wait()
    done = engine.job(job.id)
    assert done.state is JobState.DONE, done.reason
    assert audio_sha(Path(done.path)) == urban.server_sha(row)
    assert done.bytes_done == done.total_bytes
    await engine.shutdown()


async def test_chunked_answers_without_length_still_verify(
    urban: DemoSource, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    demo_cluster.pools["urban-beats"].faults.chunked = True
    engine, _ = make_engine(store, urban)
    row = urban.rows(1, audio="true")[0]
    await engine.add(row, dest=tmp_path)
    (job,) = await engine.wait()
    assert job.state is JobState.DONE, job.reason
    assert audio_sha(Path(job.path)) == urban.server_sha(row)
    await engine.shutdown()


async def test_pause_mid_file_then_resume_continues_with_range(
    urban: DemoSource, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    faults = demo_cluster.pools["urban-beats"].faults
    faults.slow_bytes_per_second = 40_000
    engine, events = make_engine(store, urban)
    row = urban.rows(1, audio="true")[0]
    started = asyncio.Event()
    engine.subscribe(lambda e: e.kind == "progress" and e.job.bytes_done > 0 and started.set())
    job = await engine.add(row, dest=tmp_path)
    await started.wait()
    await engine.pause(job.id)
    await engine.wait()
    paused = engine.job(job.id)
    assert paused.state is JobState.PAUSED
    part = Path(paused.path + ".part")
    assert part.exists() and not Path(paused.path).exists()
    assert 0 < paused.bytes_done < paused.total_bytes
    faults.slow_bytes_per_second = None
    before_resume = len(events)
    await engine.resume(job.id)
    await engine.wait()
    done = engine.job(job.id)
    assert done.state is JobState.DONE, done.reason
    assert audio_sha(Path(done.path)) == urban.server_sha(row)
    # the resumed transfer goes on from where the .part ended (Range), never from byte 0;
    # unthrottled it may finish before the ~10 Hz progress sampler reports at all
    after = [e.job.bytes_done for e in events[before_resume:] if e.kind == "progress"]
    assert all(done_bytes >= paused.bytes_done for done_bytes in after)
    await engine.shutdown()


async def test_full_disk_pauses_with_a_message_and_corrupts_nothing(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    room = {"left": 100_000}

    def writer(fd: int, data: memoryview | bytes) -> int:
        if room["left"] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        count = os.write(fd, data[: room["left"]])
        room["left"] -= count
        return count

    engine, _ = make_engine(store, urban, writer=writer)
    row = urban.rows(1, audio="true")[0]
    job = await engine.add(row, dest=tmp_path)
    await engine.wait()
    paused = engine.job(job.id)
    assert paused.state is JobState.PAUSED
    assert "disk is full" in paused.reason
    assert not Path(paused.path).exists()
    assert paused.bytes_done == 100_000  # what the disk took is kept for the resume
    room["left"] = 10**9  # the user freed some space
    await engine.resume(job.id)
    await engine.wait()
    done = engine.job(job.id)
    assert done.state is JobState.DONE, done.reason
    assert audio_sha(Path(done.path)) == urban.server_sha(row)
    await engine.shutdown()


async def test_unfinished_jobs_resume_after_a_restart_without_duplicates(
    urban: DemoSource, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    faults = demo_cluster.pools["urban-beats"].faults
    faults.slow_bytes_per_second = 40_000
    engine, _ = make_engine(store, urban)
    rows = urban.rows(2, audio="true")
    started = asyncio.Event()
    engine.subscribe(lambda e: e.kind == "progress" and e.job.bytes_done > 0 and started.set())
    for row in rows:
        await engine.add(row, dest=tmp_path / "dl")
    await started.wait()
    await engine.shutdown()  # as on quit or Ctrl-C: running jobs pause
    faults.slow_bytes_per_second = None
    engine2, _ = make_engine(store, urban)
    resumed = await engine2.start()
    assert len(resumed) == 2
    jobs = await engine2.wait()
    assert all(j.state is JobState.DONE for j in jobs), [j.reason for j in jobs]
    files = sorted(p.name for p in (tmp_path / "dl").rglob("*") if p.is_file())
    assert len(files) == 2 and not any(f.endswith(".part") for f in files)
    assert len(store.library()) == 2
    await engine2.shutdown()


async def test_per_pool_and_total_limits_hold(
    demo_login: DemoLogin, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    for pool in ("urban-beats", "club-edits"):
        demo_cluster.pools[pool].faults.slow_bytes_per_second = 400_000
    urban = DemoSource(demo_login("urban-beats"), "urban-beats")
    club = DemoSource(demo_login("club-edits"), "club-edits")
    settings = DownloadSettings(per_pool_jobs=1, total_jobs=2)
    engine = DownloadEngine(store, {"urban-beats": urban, "club-edits": club}, settings)
    peak: dict[str, int] = {}
    total_peak = 0

    def watch(_: JobEvent) -> None:
        nonlocal total_peak
        # the limits count connections: verifying and tagging happen after them
        active = [
            j for j in engine.jobs() if j.state in (JobState.CONNECTING, JobState.DOWNLOADING)
        ]
        total_peak = max(total_peak, len(active))
        for pool in ("urban-beats", "club-edits"):
            peak[pool] = max(peak.get(pool, 0), sum(j.pool == pool for j in active))

    engine.subscribe(watch)
    for row in urban.rows(3, audio="true") + club.rows(3, audio="true"):
        await engine.add(row, dest=tmp_path)
    jobs = await engine.wait()
    assert all(j.state is JobState.DONE for j in jobs)
    assert peak == {"urban-beats": 1, "club-edits": 1} and total_peak == 2
    await engine.shutdown()


async def test_cancel_removes_the_partial_file_and_move_reorders(
    urban: DemoSource, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    demo_cluster.pools["urban-beats"].faults.slow_bytes_per_second = 40_000
    engine, _ = make_engine(store, urban, settings=DownloadSettings(per_pool_jobs=1))
    rows = urban.rows(3, audio="true")
    started = asyncio.Event()
    engine.subscribe(lambda e: e.kind == "progress" and e.job.bytes_done > 0 and started.set())
    jobs = [await engine.add(row, dest=tmp_path) for row in rows]
    await engine.move(jobs[2].id, 0)
    assert engine.jobs()[0].id == jobs[2].id
    await started.wait()
    running = next(j for j in engine.jobs() if j.state.active)
    await engine.cancel(running.id)
    assert engine.job(running.id).state is JobState.CANCELLED
    assert not list(tmp_path.rglob("*.part")) or all(
        not p.name.startswith(Path(running.path).name) for p in tmp_path.rglob("*.part")
    )
    for job in jobs:
        if job.id != running.id:
            await engine.cancel(job.id)
    await engine.wait()
    assert not list(tmp_path.rglob("*.part"))
    removed: list[int] = []
    engine.subscribe(lambda e: e.kind == "removed" and removed.append(e.job.id))
    await engine.remove(running.id)
    assert removed == [running.id] and running.id not in [j.id for j in engine.jobs()]
    assert store.job(running.id) is None
    await engine.shutdown()


def test_engine_runs_on_its_own_thread_and_reports_events(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    engine_thread = EngineThread(lambda: DownloadEngine(store, {"urban-beats": urban}))
    seen: list[JobEvent] = []
    engine_thread.engine.subscribe(seen.append)
    row = urban.rows(1, audio="true")[0]
    job = engine_thread.submit(engine_thread.engine.add(row, dest=tmp_path)).result(30)
    finished = engine_thread.submit(engine_thread.engine.wait()).result(60)
    engine_thread.stop()
    assert finished[0].state is JobState.DONE
    assert any(e.kind == "state" and e.job.state is JobState.DONE for e in seen)
    assert Path(engine_thread.engine.job(job.id).path).exists()


async def test_hostile_disposition_names_stay_inside_the_folder(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    rows = [r for r in urban.rows(500, sort="mediaId", dir="asc") if r.media_id % 97 == 13][:4]
    assert rows, "the demo catalog has rows with hostile file names"
    engine, _ = make_engine(store, urban)
    for row in rows:
        await engine.add(row, dest=tmp_path / "dl")
    jobs = await engine.wait()
    root = os.path.realpath(tmp_path / "dl")
    for job in jobs:
        assert job.state is JobState.DONE, job.reason
        assert os.path.commonpath([root, os.path.realpath(job.path)]) == root
    assert {p.parent for p in (tmp_path / "dl").rglob("*") if p.is_file()} <= {
        tmp_path / "dl" / "urban-beats"
    }
    await engine.shutdown()


async def test_a_crash_after_the_last_byte_finishes_without_downloading_again(
    urban: DemoSource, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    engine, _ = make_engine(store, urban)
    row = urban.rows(1, audio="true")[0]
    job = await engine.add(row, dest=tmp_path)
    await engine.wait()
    await engine.shutdown()
    final = Path(engine.job(job.id).path)
    # The state a crash while tagging leaves: every byte in the .part, the job unfinished.
    final.rename(final.with_name(final.name + ".part"))
    store.update_job(job.id, state="tagging")
    store.forget("urban-beats", row.media_id)
    demo_cluster.pools["urban-beats"].faults.fail_with_status = 500  # no request may succeed
    engine2, _ = make_engine(store, urban)
    await engine2.start()
    (done,) = await engine2.wait()
    assert done.state is JobState.DONE, done.reason
    assert audio_sha(final) == store.have("urban-beats", row.media_id).sha256
    assert not final.with_name(final.name + ".part").exists()
    await engine2.shutdown()


async def test_a_removed_job_no_longer_answers_for_its_track(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    engine, _ = make_engine(store, urban)
    row = urban.rows(1, audio="true")[0]
    first = await engine.add(row, dest=tmp_path)
    await engine.wait()
    assert (await engine.add(row, dest=tmp_path)).id == first.id  # done this session
    await engine.remove(first.id)
    again = await engine.add(row, dest=tmp_path)  # now the library answers, not the old job
    assert again.id != first.id and again.skipped and again.state is JobState.DONE
    assert [j.id for j in engine.jobs()] == [again.id]
    await engine.shutdown()
