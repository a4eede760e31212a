"""Which checks a download passed: length, Content-Range, media and — only where the ETag is
a SHA-256 — sha256; the job, its stored record and `crateq download --json` say so."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.downloads import DownloadEngine, JobState, RetryPolicy
from crateq.core.store import Store
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring

FAST = RetryPolicy(base=0.01, cap=0.05)


async def _password() -> str:
    return "demo"


@pytest.fixture
async def client(demo_cluster: DemoCluster) -> AsyncIterator[PoolClient]:
    handle = demo_cluster.pools["club-edits"]
    async with PoolClient(
        "club-edits", handle.url, handle.api_key, username="demo", password_provider=_password
    ) as pool_client:
        await pool_client.login()
        yield pool_client


async def _row(client: PoolClient, index: int) -> MediaRow:
    page = await client.search(MediaQuery(media="audio", size=10, sort="mediaId", dir="asc"))
    row = page.data[index]
    row.pool = "club-edits"
    return row


async def _download(client: PoolClient, row: MediaRow, home: Path, dest: Path) -> tuple[
    JobState, str, tuple[str, ...], str
]:  # fmt: skip
    """(state, reason, verified, the stored job's verified column) of one download."""
    store = Store()
    engine = DownloadEngine(store, {"club-edits": client}, retry=FAST)
    try:
        job = await engine.add(row, dest=dest)
        await engine.wait()
        done = engine.job(job.id)
        record = store.job(job.id)
        assert record is not None
        return done.state, done.reason, done.verified, record["verified"]
    finally:
        await engine.shutdown()


async def test_a_sha256_etag_is_checked_with_length_and_media(
    client: PoolClient, demo_cluster: DemoCluster, crateq_home: Path, tmp_path: Path
) -> None:
    state, reason, verified, stored = await _download(
        client, await _row(client, 0), crateq_home, tmp_path
    )
    assert state is JobState.DONE, reason
    assert verified == ("length", "media", "sha256")
    assert stored == "length,media,sha256"


async def test_without_a_checksum_the_file_is_done_on_length_and_media(
    client: PoolClient, demo_cluster: DemoCluster, crateq_home: Path, tmp_path: Path
) -> None:
    demo_cluster.pools["club-edits"].faults.opaque_etag = True
    state, reason, verified, _ = await _download(
        client, await _row(client, 1), crateq_home, tmp_path
    )
    assert state is JobState.DONE, reason
    assert verified == ("length", "media")


async def test_a_resumed_body_adds_the_content_range_check(
    client: PoolClient, demo_cluster: DemoCluster, crateq_home: Path, tmp_path: Path
) -> None:
    faults = demo_cluster.pools["club-edits"].faults
    faults.opaque_etag = True
    faults.drop_connection_after_bytes = 60_000
    store = Store()

    async def sleep(_: float) -> None:  # the retry resumes from the part, on a whole body
        faults.drop_connection_after_bytes = None

    engine = DownloadEngine(store, {"club-edits": client}, retry=FAST, sleep=sleep)
    try:
        job = await engine.add(await _row(client, 2), dest=tmp_path)
        await engine.wait()
        done = engine.job(job.id)
    finally:
        await engine.shutdown()
    assert done.state is JobState.DONE, done.reason
    assert done.verified == ("length", "content-range", "media")


async def test_a_corrupted_body_under_a_sha256_etag_is_still_caught(
    client: PoolClient, demo_cluster: DemoCluster, crateq_home: Path, tmp_path: Path
) -> None:
    demo_cluster.pools["club-edits"].faults.corrupt_body_at = 5_000  # same length, one byte off
    state, reason, verified, _ = await _download(
        client, await _row(client, 3), crateq_home, tmp_path / "music"
    )
    assert state is JobState.FAILED
    assert "SHA-256" in reason and verified == ()
    assert _finished_files(tmp_path / "music") == []  # nothing landed in the library folder


def _finished_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".part")]


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        assert harness.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
        yield harness


def test_download_json_events_say_which_checks_ran(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    demo_cluster.pools["urban-beats"].faults.opaque_etag = True
    key = next(r["key"] for r in cli.search_json("--pool", "urban-beats", "--audio")["results"])
    result = cli("download", key, "--dest", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    done = [e for e in events if e.get("event") == "state" and e.get("state") == "done"]
    assert done and done[-1]["verified"] == ["length", "media"]
    assert all(e["verified"] == [] for e in events if e.get("state") == "downloading")
