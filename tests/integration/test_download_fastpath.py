"""The direct body path of ``transfer()`` against the real demo pool and its fault switches.

The engine tests cover the same faults end to end; these call ``transfer()`` itself, so
each attempt's outcome (the error raised, the bytes kept in the part, the Range sent on
the next attempt) is checked where it happens. The client is set up as the engine's, with
no proxy in the environment, so every request here takes the direct path.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from crateq.api.errors import (
    DownloadTokenExpired,
    PoolError,
    PoolProtocolError,
    PoolRateLimited,
    PoolUnavailable,
)
from crateq.api.pool_models import MediaRow
from crateq.api.transport import direct_possible
from crateq.core.download_transfer import (
    TransferResult,
    TransferState,
    transfer,
)
from crateq.core.errors import TransferInterrupted
from crateq.demo.cluster import DemoCluster

DemoLogin = Callable[..., httpx.Client]
POOL = "urban-beats"


@pytest.fixture
def engine_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with httpx.Client(timeout=httpx.Timeout(30.0, connect=15.0), follow_redirects=True) as c:
        yield c


class Pool:
    """The signed-in demo pool: rows, download URLs and the server's own bytes."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api

    def row(self) -> MediaRow:
        page = self.api.get("api/Content/Media", params={"size": 1, "audio": "true"}).json()
        return MediaRow.model_validate(page["data"][0])

    def url(self, row: MediaRow) -> str:
        url = self.api.base_url.join(f"api/Content/Download/{row.media_id}")
        return str(url.copy_merge_params({"key": self.api.params["key"], "token": row.auth}))

    def headers(self) -> dict[str, str]:
        return {"Authorization": self.api.headers["Authorization"]}

    def body(self, row: MediaRow) -> bytes:
        return self.api.get(
            f"api/Content/Download/{row.media_id}", params={"token": row.auth}
        ).content


@pytest.fixture
def pool(demo_login: DemoLogin) -> Pool:
    return Pool(demo_login(POOL))


def attempt(
    client: httpx.Client,
    pool: Pool,
    row: MediaRow,
    part: Path,
    state: TransferState,
    *,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> TransferResult:
    url = pool.url(row)
    assert direct_possible(client, url)
    return transfer(
        client, url, pool.headers(), part, state, choose_part=lambda _: part, pool=POOL,
        progress=progress, stop=stop or threading.Event(),
    )  # fmt: skip


def test_random_drops_keep_the_arrived_prefix_and_resume_to_the_servers_bytes(
    engine_client: httpx.Client, pool: Pool, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    row = pool.row()
    expected = pool.body(row)
    demo_cluster.pools[POOL].faults.drop_connection_random_seed = 11
    part, state = tmp_path / "d.part", TransferState()
    drops = 0
    for _ in range(50):
        try:
            result = attempt(engine_client, pool, row, part, state)
            break
        except PoolUnavailable:
            drops += 1
            kept = part.read_bytes()
            assert kept == expected[: len(kept)]  # never a wrong byte, only a shorter file
    else:
        pytest.fail("the download never completed")
    assert drops >= 1
    assert part.read_bytes() == expected
    assert result.sha256 == hashlib.sha256(expected).hexdigest()


def test_a_server_ignoring_range_gives_the_whole_file_from_byte_zero(
    engine_client: httpx.Client, pool: Pool, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    row = pool.row()
    expected = pool.body(row)
    faults = demo_cluster.pools[POOL].faults
    faults.drop_connection_after_bytes = 70_000
    part, state = tmp_path / "i.part", TransferState()
    with pytest.raises(PoolUnavailable):
        attempt(engine_client, pool, row, part, state)
    assert part.stat().st_size == 70_000
    faults.drop_connection_after_bytes = None
    faults.ignore_range = True
    result = attempt(engine_client, pool, row, part, state)
    assert part.read_bytes() == expected and result.size == len(expected)


def test_an_expired_download_token_is_its_own_error(
    engine_client: httpx.Client, pool: Pool, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    row = pool.row()
    demo_cluster.pools[POOL].faults.download_token_ttl_seconds = 0.0
    with pytest.raises(DownloadTokenExpired):
        attempt(engine_client, pool, row, tmp_path / "t.part", TransferState())


def test_a_429_storm_reports_the_servers_retry_after(
    engine_client: httpx.Client, pool: Pool, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    row = pool.row()
    faults = demo_cluster.pools[POOL].faults
    faults.rate_limit, faults.retry_after_seconds = 1, 3
    outcomes: list[PoolError | TransferResult] = []
    for _ in range(4):  # one request per second passes; the others within it are refused
        try:
            outcomes.append(attempt(engine_client, pool, row, tmp_path / "r.part", TransferState()))
        except PoolRateLimited as exc:
            outcomes.append(exc)
    limited = [o for o in outcomes if isinstance(o, PoolRateLimited)]
    assert limited and all(o.status == 429 and o.retry_after == 3.0 for o in limited)


def test_a_slow_server_is_left_as_soon_as_the_engine_stops(
    engine_client: httpx.Client, pool: Pool, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    row = pool.row()
    expected = pool.body(row)
    demo_cluster.pools[POOL].faults.slow_bytes_per_second = 200_000
    stop = threading.Event()

    def progress(done: int) -> None:
        if done:
            stop.set()

    part = tmp_path / "s.part"
    with pytest.raises(TransferInterrupted):
        attempt(engine_client, pool, row, part, TransferState(), stop=stop, progress=progress)
    kept = part.read_bytes()
    assert 0 < len(kept) < len(expected) and kept == expected[: len(kept)]


def test_an_html_proxy_page_and_chunked_bodies(
    engine_client: httpx.Client, pool: Pool, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    row = pool.row()
    expected = pool.body(row)
    faults = demo_cluster.pools[POOL].faults
    faults.html_error_page = True
    with pytest.raises(PoolUnavailable, match="HTTP 502"):
        attempt(engine_client, pool, row, tmp_path / "h.part", TransferState())
    faults.html_error_page = False
    faults.chunked = True
    part = tmp_path / "c.part"
    result = attempt(engine_client, pool, row, part, TransferState())
    assert part.read_bytes() == expected and result.state.total is None
    assert result.sha256 == hashlib.sha256(expected).hexdigest()
    faults.chunked = False
    faults.fail_with_status = 404
    with pytest.raises(PoolError) as caught:
        attempt(engine_client, pool, row, tmp_path / "n.part", TransferState())
    assert caught.value.status == 404 and not isinstance(caught.value, PoolProtocolError)
