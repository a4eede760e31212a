"""The crate client on the wire: routing, key handling, retries, error mapping, rate limits.

These use httpx.MockTransport because they are about wire quirks (exact retry counts, waits,
bodies that are not crate's); the behaviour against a real server is in
tests/integration/test_crate_standin.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from crateq.api import errors
from crateq.api.crate import CrateClient, is_locator, route_query

HEX = "a" * 64
RESOLVED = {
    "cluster_id": HEX,
    "slug": "four-tet",
    "display": "Four Tet",
    "locators": {
        "discogs": 1,
        "mbid": None,
        "bandcamp": [],
        "soundcloud": [],
        "instagram": [],
        "spotify": [],
        "youtube": [],
        "website": [],
    },
    "resolved_via": "discogs",
    "resolved_from": "name",
}
UNRESOLVED = {**RESOLVED, "cluster_id": None, "slug": None, "display": None, "resolved_via": None}


class Clock:
    """A fake monotonic clock that sleeping advances; records every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def make_client(
    handler: Callable[[httpx.Request], httpx.Response], clock: Clock | None = None, **kw: Any
) -> CrateClient:
    clock = clock or Clock()
    return CrateClient(
        "https://crate.test",
        kw.pop("api_key", "ck_test_x"),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        **kw,
    )


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("Four Tet", {"q": "Four Tet"}),
        ("  808 State ", {"q": "808 State"}),
        ("discogs:2783124", {"discogs": "2783124"}),
        ("2783124", {"discogs": "2783124"}),
        (
            "mbid:3bd76d40-7f0e-4f4f-8c2b-0a5b1c5b2a10",
            {"mbid": "3bd76d40-7f0e-4f4f-8c2b-0a5b1c5b2a10"},
        ),
        ("3BD76D40-7F0E-4F4F-8C2B-0A5B1C5B2A10", {"mbid": "3bd76d40-7f0e-4f4f-8c2b-0a5b1c5b2a10"}),
        ("https://fourtet.bandcamp.com", {"url": "https://fourtet.bandcamp.com"}),
        ("www.discogs.com/artist/1-x", {"url": "https://www.discogs.com/artist/1-x"}),
        (HEX, {"cluster": HEX}),
    ],
)
def test_input_is_routed_like_the_official_sdk(text: str, params: dict[str, str]) -> None:
    assert route_query(text) == params


def test_only_locators_are_sent_to_resolve_first() -> None:
    assert is_locator("discogs:1") and is_locator("123") and is_locator("https://x.y/z")
    assert not is_locator(HEX) and not is_locator("four-tet")


async def test_no_key_fails_before_any_request() -> None:
    calls: list[httpx.Request] = []
    client = make_client(lambda r: calls.append(r) or httpx.Response(200), api_key=None)
    for call in (client.resolve("Four Tet"), client.artist(HEX), client.breakouts()):
        with pytest.raises(errors.CrateKeyMissing):
            await call
    assert calls == []


async def test_empty_input_is_rejected_before_any_request() -> None:
    calls: list[httpx.Request] = []
    client = make_client(lambda r: calls.append(r) or httpx.Response(200))
    for call in (client.resolve("  "), client.artist(""), client.label(" "), client.search("")):
        with pytest.raises(errors.CrateInputError):
            await call
    assert calls == []


async def test_key_is_sent_in_the_header_and_preview_goes_without_it() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("preview/artist"):
            return httpx.Response(
                200, json={"object": "artist.preview", "present": False, "note": "?"}
            )
        return httpx.Response(200, json=RESOLVED)

    client = make_client(handler, api_key=None)
    preview = await client.preview_artist("Nobody")
    assert preview.present is False and "x-api-key" not in seen[0].headers
    client.api_key = "ck_test_k"
    await client.resolve("Four Tet")
    assert seen[1].headers["x-api-key"] == "ck_test_k"
    assert seen[1].url.params["q"] == "Four Tet"


async def test_locator_key_is_resolved_then_fetched_by_cluster_id() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/api/v2/resolve":
            assert request.url.params["discogs"] == "1"
            return httpx.Response(200, json=RESOLVED)
        return httpx.Response(
            200, json={"slug": "four-tet", "display": "Four Tet", "identity": None}
        )

    dossier = await make_client(handler).artist("discogs:1", fields=["identity"])
    assert paths == ["/api/v2/resolve", f"/api/v2/artist/{HEX}"]
    assert dossier.resolution is not None and dossier.resolution.verified


async def test_unresolved_locator_is_an_honest_gap_without_a_second_request() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json=UNRESOLVED)

    dossier = await make_client(handler).artist("mbid:3bd76d40-7f0e-4f4f-8c2b-0a5b1c5b2a10")
    assert paths == ["/api/v2/resolve"]
    assert dossier.known is False and dossier.identity is None


async def test_429_waits_retry_after_seconds_then_succeeds() -> None:
    answers = [
        httpx.Response(429, json={"error": "rate_limited", "retry_after_seconds": 7}),
        httpx.Response(200, json=RESOLVED, headers={"X-RateLimit-Remaining": "9"}),
    ]
    clock = Clock()
    client = make_client(lambda r: answers.pop(0), clock)
    assert (await client.resolve("Four Tet")).cluster_id == HEX
    assert clock.waits == [7]
    assert client.last_rate_limit is not None and client.last_rate_limit.remaining == 9


async def test_retry_after_header_is_used_when_the_body_has_no_wait() -> None:
    answers = [
        httpx.Response(503, text="busy", headers={"Retry-After": "3"}),
        httpx.Response(200, json=RESOLVED),
    ]
    clock = Clock()
    await make_client(lambda r: answers.pop(0), clock).resolve("x")
    assert clock.waits == [3]


async def test_a_wait_longer_than_60_seconds_is_not_waited() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, json={"error": "rate_limited", "retry_after_seconds": 600})

    clock = Clock()
    with pytest.raises(errors.CrateRateLimited) as caught:
        await make_client(handler, clock).resolve("x")
    assert caught.value.retry_after == 600 and clock.waits == [] and len(calls) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retried_twice_with_backoff_then_raised(status: int) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json={"error": "upstream", "message": "Boom."})

    clock = Clock()
    with pytest.raises(errors.CrateUnavailable) as caught:
        await make_client(handler, clock).tastemakers()
    assert len(calls) == 3 and clock.waits == [1.0, 2.0]
    assert caught.value.status == status and str(caught.value) == "Boom."


async def test_backoff_is_capped_at_8_seconds_and_the_deadline_stops_retries() -> None:
    clock = Clock()
    client = make_client(lambda r: httpx.Response(503), clock, max_retries=6, deadline=20)
    with pytest.raises(errors.CrateUnavailable):
        await client.breakouts()
    assert clock.waits == [1.0, 2.0, 4.0, 8.0]  # the next 8 s would pass the 20 s deadline
    clock = Clock()
    client = make_client(lambda r: httpx.Response(503), clock, max_retries=6, deadline=1000)
    with pytest.raises(errors.CrateUnavailable):
        await client.breakouts()
    assert clock.waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


async def test_network_errors_are_retried_then_a_clear_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(errors.CrateUnavailable) as caught:
        await make_client(handler).resolve("x")
    assert len(calls) == 3 and "cannot be reached" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_timeouts_are_retried_then_reported_as_timeouts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(errors.CrateUnavailable) as caught:
        await make_client(handler).resolve("x")
    assert caught.value.code == "timeout"


async def test_400_is_not_retried_and_keeps_the_envelope() -> None:
    calls: list[httpx.Request] = []
    body = {
        "error": "invalid_fields",
        "message": "Unknown field(s): nope.",
        "hint": "Use only fields from `valid`.",
        "param": "fields",
        "valid": ["identity", "discography"],
        "example": "/api/v2/artist/x?fields=identity",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400, json=body)

    with pytest.raises(errors.CrateInvalidFields) as caught:
        await make_client(handler).artist(HEX, fields=["nope"])
    err = caught.value
    assert len(calls) == 1 and calls[0].url.params["fields"] == "nope"
    assert (err.status, err.code, err.param) == (400, "invalid_fields", "fields")
    assert err.valid == ["identity", "discography"]
    assert str(err) == "Unknown field(s): nope. Use only fields from `valid`."


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "use_resolve_for_locator", "next": "https://c/api/v2/resolve?discogs=1"},
         errors.CrateUseResolveForLocator),
        (401, {"error": "unauthorized"}, errors.CrateAuthError),
        (403, {"error": "forbidden"}, errors.CrateAuthError),
        (404, {"error": "not_found"}, errors.CrateNotFound),
        (400, {"error": "missing_locator"}, errors.CrateBadRequest),
        (418, {"error": "teapot"}, errors.CrateBadRequest),
    ],
)  # fmt: skip
async def test_errors_are_typed_by_code(
    status: int, body: dict[str, Any], expected: type[errors.CrateError]
) -> None:
    with pytest.raises(expected) as caught:
        await make_client(lambda r: httpx.Response(status, json=body)).label("warp")
    assert caught.value.code == body["error"] and caught.value.status == status
    if "next" in body:
        assert caught.value.next_url == body["next"]


async def test_an_html_error_page_still_gives_a_clear_error() -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    handler = lambda r: httpx.Response(502, text=page, headers={"content-type": "text/html"})  # noqa: E731
    with pytest.raises(errors.CrateUnavailable) as caught:
        await make_client(handler).resolve("x")
    assert "text/html" in str(caught.value) and caught.value.status == 502


async def test_a_200_that_is_not_the_schema_is_a_protocol_error() -> None:
    for content in (b"\x00{not json", b'{"unexpected": true}', b"[]"):
        client = make_client(lambda r, c=content: httpx.Response(200, content=c))
        with pytest.raises(errors.CrateProtocolError):
            await client.resolve("x")


async def test_rate_limit_headers_are_exposed() -> None:
    headers = {
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "42",
        "X-RateLimit-Reset": "1700000000",
    }
    client = make_client(lambda r: httpx.Response(200, json=RESOLVED, headers=headers))
    assert client.last_rate_limit is None
    await client.resolve("x")
    limit = client.last_rate_limit
    assert limit is not None and (limit.limit, limit.remaining, limit.reset) == (
        100,
        42,
        1700000000,
    )


async def test_each_attempt_fits_in_what_is_left_of_the_deadline() -> None:
    timeouts: list[float] = []
    clock = Clock()

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        clock.now += 25  # each answer takes 25 s of the deadline
        return httpx.Response(503)

    client = make_client(handler, clock, timeout=30, deadline=60)
    with pytest.raises(errors.CrateUnavailable):
        await client.resolve("x")
    assert timeouts == [30, 30, 7]  # the last try gets only the 7 s left of the 60 s deadline
