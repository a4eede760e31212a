"""PoolClient against httpx.MockTransport: the wire quirks and every error mapping."""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from crateq.api.errors import (
    PoolAuthError,
    PoolBadRequest,
    PoolKeyError,
    PoolNotFound,
    PoolProtocolError,
    PoolRateLimited,
    PoolTimeout,
    PoolUnavailable,
    TokenExpired,
)
from crateq.api.pool import MAX_RETRIES, MAX_RETRY_AFTER, PoolClient, default_ssl_context
from crateq.api.pool_models import MediaQuery

KEY = "k-123"
PASSWORD = "s3cret-pw"
Handler = Callable[[httpx.Request], httpx.Response]


def login_answer(token: str, **extra: Any) -> httpx.Response:
    return httpx.Response(
        200,
        json=[{"userId": 7, "msg": "", "status": "active", "token": token, **extra}],
    )


class Recorder:
    """Records every request and answers with the handler."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(
    handler: Handler, *, token: str | None = "tok-1", with_password: bool = True
) -> tuple[PoolClient, Recorder, Sleeps]:
    recorder = Recorder(handler)
    sleeps = Sleeps()

    async def password() -> str:
        return PASSWORD

    client = PoolClient(
        "test-pool",
        "https://pool.example/v1",
        KEY,
        username="dj",
        password_provider=password if with_password else None,
        token=token,
        transport=httpx.MockTransport(recorder),
        sleep=sleeps,
    )
    return client, recorder, sleeps


def page(*rows: dict[str, Any], records: int | None = None, pages: int = 1) -> httpx.Response:
    body = {"records": records if records is not None else len(rows), "pages": pages}
    return httpx.Response(200, json={**body, "page": 1, "data": list(rows)})


async def test_login_sends_key_and_credentials_without_bearer_and_keeps_the_message() -> None:
    seen: list[str] = []
    msg = "Your subscription is expired. Renew at https://pool.example/renew"
    client, rec, _ = make_client(lambda r: login_answer("jwt-9", status="expired", msg=msg))
    client._on_token = seen.append
    result = await client.login()
    request = rec.requests[0]
    assert request.url.path == "/v1/api/Auth/Login"
    assert request.url.params["key"] == KEY
    assert "authorization" not in request.headers
    assert json.loads(request.content) == {"username": "dj", "password": PASSWORD}
    assert (client.token, seen, result.msg, result.can_download) == ("jwt-9", ["jwt-9"], msg, False)
    assert client.last_login is result


async def test_wrong_credentials_raise_auth_error_and_missing_ones_bad_request() -> None:
    client, _, _ = make_client(lambda r: httpx.Response(401, json={"status": 401, "message": "No"}))
    with pytest.raises(PoolAuthError) as err:
        await client.login("wrong")
    assert err.value.pool == "test-pool" and not isinstance(err.value, TokenExpired)
    text = "Username and Password are required."
    client, _, _ = make_client(lambda r: httpx.Response(400, json={"status": 400, "message": text}))
    with pytest.raises(PoolBadRequest, match=text):
        await client.login("x")


async def test_search_sends_filters_key_and_bearer_and_tolerates_odd_rows() -> None:
    odd = {"mediaId": "42", "bpm": "128.0", "releaseYear": None, "artist": None, "new": [1]}
    client, rec, _ = make_client(lambda r: page(odd, {"title": "only a title"}, records=2))
    result = await client.search(MediaQuery(keywords="house", bpm="120-130", genre_ids=[3, 7]))
    request = rec.requests[0]
    assert request.headers["authorization"] == "Bearer tok-1"
    assert request.headers["content-type"] == "application/json"
    assert dict(request.url.params) == {
        "key": KEY, "keywords": "house", "bpm": "120-130", "genreId": "3,7",
        "page": "1", "size": "100",
    }  # fmt: skip
    assert [(r.media_id, r.bpm, r.artist, r.pool) for r in result.data] == [
        (42, 128, "", "test-pool"),
        (0, 0, "", "test-pool"),
    ]


async def test_media_filter_is_applied_on_the_client() -> None:
    rows = ({"mediaId": 1, "audio": True}, {"mediaId": 2, "video": "true"})
    client, rec, _ = make_client(lambda r: page(*rows))
    result = await client.search(MediaQuery(media="video"))
    assert [r.media_id for r in result.data] == [2]
    assert "media" not in rec.requests[0].url.params


async def test_empty_array_answer_is_a_timeout_never_no_results() -> None:
    client, _, _ = make_client(lambda r: httpx.Response(200, json=[]))
    with pytest.raises(PoolTimeout) as err:
        await client.search(MediaQuery(keywords="x"))
    assert err.value.pool == "test-pool"


async def test_html_page_instead_of_json_is_a_protocol_error() -> None:
    html = "<html><body><h1>Maintenance</h1></body></html>"
    client, _, _ = make_client(
        lambda r: httpx.Response(200, text=html, headers={"content-type": "text/html"})
    )
    with pytest.raises(PoolProtocolError, match="text/html page instead of data"):
        await client.search(MediaQuery())


async def test_html_bad_gateway_is_unavailable() -> None:
    client, _, _ = make_client(
        lambda r: httpx.Response(502, text="<h1>502</h1>", headers={"content-type": "text/html"})
    )
    with pytest.raises(PoolUnavailable) as err:
        await client.genres()
    assert err.value.status == 502


async def test_expired_jwt_relogs_in_once_and_retries_with_the_new_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("Login"):
            return login_answer("tok-2")
        if request.headers.get("authorization") == "Bearer tok-2":
            return page({"mediaId": 5})
        return httpx.Response(401, json={"status": 401, "message": "Denied"})

    tokens: list[str] = []
    client, rec, _ = make_client(handler)
    client._on_token = tokens.append
    result = await client.search(MediaQuery())
    assert [r.media_id for r in result.data] == [5]
    assert rec.paths() == ["/v1/api/Content/Media", "/v1/api/Auth/Login", "/v1/api/Content/Media"]
    assert tokens == ["tok-2"] and client.token == "tok-2"


async def test_jwt_rejected_after_relogin_is_an_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("Login"):
            return login_answer("tok-2")
        return httpx.Response(401, json={"status": 401, "message": "Denied"})

    client, rec, _ = make_client(handler)
    with pytest.raises(PoolAuthError):
        await client.queue()
    assert len(rec.requests) == 3


async def test_expired_jwt_without_a_stored_password_is_token_expired() -> None:
    client, rec, _ = make_client(
        lambda r: httpx.Response(401, json={"status": 401, "message": "Denied"}),
        with_password=False,
    )
    with pytest.raises(TokenExpired):
        await client.video_mixes()
    assert len(rec.requests) == 1


async def test_first_request_without_token_logs_in_first() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("Login"):
            return login_answer("tok-new")
        return httpx.Response(200, json=["Extended", None, " Intro "])

    client, rec, _ = make_client(handler, token=None)
    assert await client.video_mixes() == ["Extended", "Intro"]
    assert rec.paths()[0].endswith("Login")


async def test_429_waits_for_retry_after_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "2"}, json={"status": 429, "message": ""}),
            httpx.Response(503, headers={"Retry-After": "600"}),
            httpx.Response(200, json=[{"categoryId": "3", "title": "House"}]),
        ]
    )
    client, rec, sleeps = make_client(lambda r: next(answers))
    categories = await client.genre_categories()
    assert [(c.category_id, c.title) for c in categories] == [(3, "House")]
    assert sleeps.calls == [2.0, MAX_RETRY_AFTER]
    assert len(rec.requests) == 3


async def test_429_storm_gives_up_with_rate_limited() -> None:
    client, rec, sleeps = make_client(
        lambda r: httpx.Response(429, headers={"Retry-After": "5"}, json={"status": 429})
    )
    with pytest.raises(PoolRateLimited) as err:
        await client.search(MediaQuery())
    assert err.value.retry_after == 5.0 and err.value.pool == "test-pool"
    assert len(rec.requests) == MAX_RETRIES + 1
    assert sleeps.calls == [5.0] * MAX_RETRIES


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ConnectError("refused"), PoolUnavailable),
        (httpx.ConnectTimeout("slow connect"), PoolUnavailable),
        (httpx.ReadTimeout("slow read"), PoolTimeout),
        (httpx.RemoteProtocolError("peer closed"), PoolUnavailable),
    ],
)
async def test_network_failures_are_typed(failure: Exception, expected: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    client, _, _ = make_client(handler)
    with pytest.raises(expected) as err:
        await client.search(MediaQuery())
    assert err.value.pool == "test-pool"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(403, PoolKeyError), (404, PoolNotFound), (500, PoolUnavailable), (418, PoolProtocolError)],
)
async def test_status_codes_map_to_typed_errors(status: int, expected: type[Exception]) -> None:
    client, _, _ = make_client(
        lambda r: httpx.Response(status, json={"status": status, "message": "Nope."})
    )
    with pytest.raises(expected, match="Nope"):
        await client.genres(title="house", category_ids=[1, 2])


async def test_secrets_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("Login"):
            return login_answer("jwt-secret-token")
        return page({"mediaId": 1, "auth": "dl-token"})

    caplog.set_level(logging.DEBUG)
    client, _, _ = make_client(handler, token=None)
    await client.search(MediaQuery())
    await client.aclose()
    text = caplog.text + repr(client)
    assert caplog.records
    for secret in (PASSWORD, "jwt-secret-token", KEY, "dl-token"):
        assert secret not in text


async def test_default_transport_offers_http2_and_sane_timeouts() -> None:
    client = PoolClient("p", "https://pool.example", "k")
    transport = client._http._transport
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    assert transport._pool._http2 is True
    assert client._http.timeout.connect == 10.0
    assert client._http.timeout.read is not None and client._http.timeout.read > 30.0
    assert client.base_url == "https://pool.example/"
    await client.aclose()


async def test_clients_share_one_default_ssl_context_and_keep_a_given_one() -> None:
    """Loading the CA bundle once, not per pool (it holds the GIL for tens of ms)."""
    first = PoolClient("a", "https://a.example", "k")
    second = PoolClient("b", "https://b.example", "k")
    context = ssl.create_default_context()
    private = PoolClient("c", "https://c.example", "k", verify=context)
    contexts = [c._http._transport._pool._ssl_context for c in (first, second, private)]  # type: ignore[attr-defined]
    assert contexts[0] is contexts[1] is default_ssl_context()
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname
    assert contexts[2] is context
    for client in (first, second, private):
        await client.aclose()


def test_download_url_is_absolute_with_key_and_token() -> None:
    client = PoolClient("p", "https://pool.example/base", "a b&c")
    url = httpx.URL(client.download_url(17, "t/1"))
    assert url.path == "/base/api/Content/Download/17"
    assert dict(url.params) == {"key": "a b&c", "token": "t/1"}
