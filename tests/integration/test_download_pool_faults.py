"""The engine with the real PoolClient: expiring download tokens and JWTs, 429 storms, and
auto-download of the pools' server-side queues (toggle-safe removal after success)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from mutagen.id3 import ID3

from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.api.transport import open_download
from crateq.core.autodownload import AutoDownloader
from crateq.core.downloads import DownloadEngine, JobState, RetryPolicy
from crateq.core.store import Store
from crateq.demo.cluster import DemoCluster
from crateq.demo.faults import DEFAULT_DOWNLOAD_TOKEN_TTL_SECONDS, DEFAULT_JWT_TTL_SECONDS

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


@pytest.fixture
def store(crateq_home: Path) -> Store:
    return Store()


async def _rows(client: PoolClient, count: int) -> list[MediaRow]:
    page = await client.search(MediaQuery(media="audio", size=count, sort="mediaId", dir="asc"))
    rows = page.data[:count]
    for row in rows:
        row.pool = "club-edits"
    return rows


def _audio_sha(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha256(data[ID3(path).size :]).hexdigest()


def _server_sha(http: httpx.Client, client: PoolClient, row: MediaRow) -> str:
    """The server's bytes, fetched again through the one download transport."""
    digest = hashlib.sha256()
    url = client.download_url(row.media_id, row.auth)
    with open_download(http, url, client.auth_headers(), pool=client.name) as response:
        for chunk in response.chunks():
            digest.update(chunk)
    return digest.hexdigest()


async def test_a_download_token_expiring_mid_file_gets_a_fresh_row_and_resumes(
    client: PoolClient,
    store: Store,
    tmp_path: Path,
    demo_cluster: DemoCluster,
    direct_client: httpx.Client,
) -> None:
    faults = demo_cluster.pools["club-edits"].faults
    faults.drop_connection_after_bytes = 60_000
    refreshed: list[str] = []

    async def sleep(_: float) -> None:  # while the engine waits, the row's token expires
        faults.drop_connection_after_bytes = None
        faults.download_token_ttl_seconds = 0.0

    class Refreshing:
        """The real client; fetching a fresh row is observed and restores token lifetimes."""

        def __getattr__(self, name: str) -> object:
            return getattr(client, name)

        async def fresh_row(self, row: MediaRow) -> MediaRow:
            faults.download_token_ttl_seconds = DEFAULT_DOWNLOAD_TOKEN_TTL_SECONDS
            fresh = await client.fresh_row(row)
            refreshed.append(fresh.auth)
            return fresh

    engine = DownloadEngine(store, {"club-edits": Refreshing()}, retry=FAST, sleep=sleep)
    row = (await _rows(client, 1))[0]
    job = await engine.add(row, dest=tmp_path)
    await engine.wait()
    done = engine.job(job.id)
    assert done.state is JobState.DONE, done.reason
    assert len(refreshed) == 1  # one 403 "token expired", one fresh row, then resumed
    assert _audio_sha(Path(done.path)) == _server_sha(direct_client, client, row)
    await engine.shutdown()


async def test_an_expired_jwt_is_renewed_by_logging_in_again(
    client: PoolClient, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    faults = demo_cluster.pools["club-edits"].faults
    row = (await _rows(client, 1))[0]
    faults.jwt_ttl_seconds = -10.0
    await client.login()  # this JWT is already expired
    faults.jwt_ttl_seconds = DEFAULT_JWT_TTL_SECONDS
    stale = client.token
    engine = DownloadEngine(store, {"club-edits": client}, retry=FAST)
    job = await engine.add(row, dest=tmp_path)
    await engine.wait()
    done = engine.job(job.id)
    assert done.state is JobState.DONE, done.reason
    assert client.token != stale
    await engine.shutdown()


async def test_a_429_storm_is_waited_out_honouring_retry_after(
    client: PoolClient, store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    faults = demo_cluster.pools["club-edits"].faults
    rows = await _rows(client, 6)
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)
        if len(waits) >= 6:
            faults.rate_limit = None  # the storm passes

    faults.rate_limit = 1
    faults.retry_after_seconds = 2
    engine = DownloadEngine(store, {"club-edits": client}, retry=FAST, sleep=sleep)
    for row in rows:
        await engine.add(row, dest=tmp_path)
    jobs = await engine.wait()
    assert all(j.state is JobState.DONE for j in jobs), [j.reason for j in jobs]
    assert waits and min(waits) >= 2.0  # Retry-After wins over the short backoff
    await engine.shutdown()


async def test_queue_download_all_then_remove_from_server_queue(
    demo_cluster: DemoCluster, store: Store, tmp_path: Path
) -> None:
    handle = demo_cluster.pools["club-edits"]

    async def password() -> str:
        return "vip"

    async with PoolClient(
        "club-edits", handle.url, handle.api_key, username="vip", password_provider=password
    ) as dj:
        await dj.login()
        for queued in await dj.queue_all():  # start from an empty server queue
            await dj.queue_remove(queued.media_id)
        rows = await _rows(dj, 3)
        for row in rows:
            assert await dj.queue_add(row)
        engine = DownloadEngine(store, {"club-edits": dj}, retry=FAST)
        auto = AutoDownloader(engine, {"club-edits": dj}, dest=tmp_path, remove_after=True)
        first = await auto.run_once()
        assert {j.media_id for j in first.added} == {r.media_id for r in rows}
        jobs = await engine.wait()
        await auto.drain()
        assert all(j.state is JobState.DONE for j in jobs)
        assert await dj.queue_all() == []
        again = await auto.run_once()  # nothing new: nothing downloaded twice
        assert again.added == [] and len(store.library()) == 3
        auto.close()
        await engine.shutdown()


async def test_auto_download_backs_off_from_a_pool_that_is_down(
    store: Store, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    handle = demo_cluster.pools["club-edits"]
    faults = handle.faults

    async def no_wait(_: float) -> None:
        return None

    client = PoolClient(
        "club-edits", handle.url, handle.api_key, username="demo", password_provider=_password,
        sleep=no_wait,
    )  # fmt: skip
    await client.login()
    faults.fail_with_status = 503
    now = [1000.0]
    engine = DownloadEngine(store, {"club-edits": client}, retry=FAST)
    auto = AutoDownloader(engine, {"club-edits": client}, interval=60, clock=lambda: now[0])
    first = await auto.run_once(only_due=True)
    assert "club-edits" in first.errors
    gap1 = auto.polls["club-edits"].next_due - now[0]
    now[0] = auto.polls["club-edits"].next_due
    await auto.run_once(only_due=True)
    gap2 = auto.polls["club-edits"].next_due - now[0]
    assert gap2 > gap1 >= 60 * 0.8
    faults.fail_with_status = None
    now[0] = auto.polls["club-edits"].next_due
    ok = await auto.run_once(only_due=True)
    assert ok.errors == {} and auto.polls["club-edits"].failures == 0
    await engine.shutdown()
    await client.aclose()
