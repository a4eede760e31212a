"""PoolClient against the real demo pools on loopback (login, search, lists, queue), and its
download URLs and headers through the one download transport."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from crateq.api.errors import (
    DownloadTokenExpired,
    PoolAuthError,
    PoolForbidden,
    PoolKeyError,
    PoolRateLimited,
    PoolTimeout,
    PoolUnavailable,
)
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.api.transport import open_download
from crateq.demo.cluster import DemoCluster

MakeClient = Callable[..., Awaitable[PoolClient]]


async def _no_wait(_: float) -> None:
    """Retry-After is honoured through the injected sleep; tests never wait for real."""


@pytest.fixture
async def make_client(demo_cluster: DemoCluster) -> AsyncIterator[MakeClient]:
    clients: list[PoolClient] = []

    async def make(
        pool: str = "urban-beats",
        username: str = "demo",
        password: str = "demo",
        *,
        api_key: str | None = None,
        login: bool = True,
    ) -> PoolClient:
        handle = demo_cluster.pools[pool]

        async def stored_password() -> str:
            return password

        client = PoolClient(
            pool,
            handle.url,
            handle.api_key if api_key is None else api_key,
            username=username,
            password_provider=stored_password,
            sleep=_no_wait,
        )
        clients.append(client)
        if login:
            await client.login()
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_login_keeps_status_and_message_of_an_expired_account(
    make_client: MakeClient,
) -> None:
    client = await make_client(username="expired", password="expired", login=False)
    result = await client.login()
    assert result.status == "expired" and not result.can_download
    assert result.msg.startswith("Your subscription is expired.")
    assert client.token and client.last_login is result


async def test_wrong_password_and_wrong_key_are_told_apart(make_client: MakeClient) -> None:
    client = await make_client(password="nope", login=False)
    with pytest.raises(PoolAuthError):
        await client.login()
    client = await make_client(api_key="wrong", login=False)
    with pytest.raises(PoolKeyError) as err:
        await client.login()
    assert err.value.pool == "urban-beats"


async def test_search_filters_reach_the_pool(make_client: MakeClient) -> None:
    client = await make_client()
    page = await client.search(MediaQuery(bpm="80-140", mix=["Intro", "Dirty"], size=20))
    assert page.data and len(page.data) <= 20
    assert all(80 <= r.bpm <= 140 and r.tool in {"Intro", "Dirty"} for r in page.data)
    assert {r.pool for r in page.data} == {"urban-beats"}
    assert all(r.auth and r.media_id for r in page.data)


async def test_video_only_filter_on_a_mixed_pool(make_client: MakeClient) -> None:
    client = await make_client("vj-vault")
    page = await client.search(MediaQuery(media="video", size=50))
    assert page.data and all(r.video for r in page.data)


async def test_look_up_lists(make_client: MakeClient) -> None:
    client = await make_client("club-edits")
    genres = await client.genres()
    assert genres and all(g.genre_id and g.title for g in genres)
    categories = await client.genre_categories()
    assert {g.category_id for g in genres} <= {c.category_id for c in categories}
    some = await client.genres(category_ids=[genres[0].category_id])
    assert some and {g.category_id for g in some} == {genres[0].category_id}
    assert await client.video_qualities()
    assert "Extended" in await client.video_mixes()


async def test_search_timeout_quirk_is_a_timeout(
    demo_cluster: DemoCluster, make_client: MakeClient
) -> None:
    client = await make_client()
    demo_cluster.pools["urban-beats"].faults.search_timeout_after_seconds = 0
    with pytest.raises(PoolTimeout):
        await client.search(MediaQuery(keywords="a"))


async def test_dead_pool_behind_a_proxy_and_busy_pool(
    demo_cluster: DemoCluster, make_client: MakeClient
) -> None:
    client = await make_client()
    faults = demo_cluster.pools["urban-beats"].faults
    faults.html_error_page = True
    with pytest.raises(PoolUnavailable) as err:
        await client.search(MediaQuery())
    assert err.value.status == 502
    faults.html_error_page = False
    faults.rate_limit = 0
    with pytest.raises(PoolRateLimited) as limited:
        await client.search(MediaQuery())
    assert limited.value.retry_after == faults.retry_after_seconds


async def test_expired_jwt_is_renewed_silently(
    demo_cluster: DemoCluster, make_client: MakeClient
) -> None:
    faults = demo_cluster.pools["urban-beats"].faults
    faults.jwt_ttl_seconds = -1  # the next token is born expired
    client = await make_client()
    stale = client.token
    faults.reset()
    page = await client.search(MediaQuery(size=5))
    assert page.data and client.token != stale


async def test_queue_add_and_remove_are_toggle_safe(make_client: MakeClient) -> None:
    # "vip" is the account whose queue no other test uses.
    client = await make_client("club-edits", "vip", "vip")
    row = (await client.search(MediaQuery(size=1))).data[0]
    before = {r.media_id for r in await client.queue_all()}
    assert row.media_id not in before
    try:
        assert await client.queue_add(row) is True
        assert await client.queue_add(row) is False
        assert row.media_id in {r.media_id for r in await client.queue_all()}
    finally:
        assert await client.queue_remove(row.media_id) is True
    assert await client.queue_remove(row.media_id) is False
    assert {r.media_id for r in await client.queue_all()} == before


def _body(
    http: httpx.Client, client: PoolClient, row: MediaRow, offset: int = 0
) -> tuple[int, bytes]:
    """The file through the one download transport, with the URL and headers the engine uses."""
    headers = client.auth_headers()
    if offset:
        headers["Range"] = f"bytes={offset}-"
    url = client.download_url(row.media_id, row.auth)
    with open_download(http, url, headers, pool=client.name) as response:
        return response.status_code, b"".join(bytes(chunk) for chunk in response.chunks())


async def test_download_resume_and_fresh_token(
    demo_cluster: DemoCluster, make_client: MakeClient, direct_client: httpx.Client
) -> None:
    client = await make_client()
    row = (await client.search(MediaQuery(size=1, media="audio"))).data[0]
    status, whole = _body(direct_client, client, row)
    assert status == 200 and len(whole) > 1000
    status, tail = _body(direct_client, client, row, offset=1000)
    assert status == 206 and tail == whole[1000:]
    faults = demo_cluster.pools["urban-beats"].faults
    faults.download_token_ttl_seconds = -1
    with pytest.raises(DownloadTokenExpired):
        _body(direct_client, client, row)
    faults.reset()
    fresh = await client.fresh_row(row)
    assert fresh.media_id == row.media_id
    again = _body(direct_client, client, fresh)
    assert hashlib.sha256(again[1]).digest() == hashlib.sha256(whole).digest()


async def test_expired_account_download_is_forbidden_not_a_token_problem(
    make_client: MakeClient, direct_client: httpx.Client
) -> None:
    client = await make_client(username="expired", password="expired")
    row = (await client.search(MediaQuery(size=1))).data[0]
    with pytest.raises(PoolForbidden) as err:
        _body(direct_client, client, row)
    assert not isinstance(err.value, DownloadTokenExpired)
    assert "subscription is expired" in str(err.value)


async def test_connection_dropped_mid_download_is_unavailable(
    demo_cluster: DemoCluster, make_client: MakeClient, direct_client: httpx.Client
) -> None:
    client = await make_client()
    row = (await client.search(MediaQuery(size=1, media="audio"))).data[0]
    demo_cluster.pools["urban-beats"].faults.drop_connection_after_bytes = 500
    with pytest.raises(PoolUnavailable):
        _body(direct_client, client, row)
