"""A hostile crate over real HTTP: the crate stand-in's own answers with hypothesis swapping
leaves for junk, dropping and adding keys, plus any JSON or broken bytes at all, served to
the real CrateClient (resolve, artist, search), CrateService (artist card, discovery) and
`crateq artist`.

Every answer ends as a model or as one clear CrateError; never a crash, never an input error
blamed on the user for what crate sent. Waits for retries go through a no-op sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import strategies as st

import reliability_log
from crateq.api import errors
from crateq.api.crate import CrateClient
from crateq.api.pool import default_ssl_context
from crateq.cli import main
from crateq.core.crate_service import CrateService
from crateq.core.errors import CrateQError, user_message
from crateq.demo.crate_server import CrateStandIn
from hostile_bodies import any_body, encode, mangled, mutated, replies
from hostile_runs import AREA, MARKUP, run_examples, summary
from hostile_server import HostileServer, Reply, endless, json_reply

TODAY = dt.date.today()
KEY = "ck_test_hostile"
PATHS = {
    "resolve": "/api/v2/resolve",
    "artist": "/api/v2/artist/",
    "label": "/api/v2/label/",
    "search": "/api/v2/search",
    "breakouts": "/api/v2/breakouts",
    "tastemakers": "/api/v2/tastemakers",
    "ones-to-watch": "/api/v2/tastemakers/ones-to-watch",
}


@pytest.fixture(scope="module")
def valid() -> dict[str, Any]:
    """One well-formed answer of each endpoint, from the real stand-in."""
    with CrateStandIn(today=TODAY) as stand_in:
        artist = next(a for a in stand_in.app.state.data.artists if a.tier == "verified")
        label = artist.labels[0] if artist.labels else "warp"
        with httpx.Client(base_url=stand_in.url, headers={"X-API-Key": stand_in.api_key}) as http:
            asks = {
                "resolve": ("/api/v2/resolve", {"q": artist.name}),
                "artist": (f"/api/v2/artist/{artist.cluster_id}", {}),
                "label": (f"/api/v2/label/{label.lower().replace(' ', '-')}", {}),
                "search": ("/api/v2/search", {"q": artist.name}),
                "breakouts": ("/api/v2/breakouts", {}),
                "tastemakers": ("/api/v2/tastemakers", {}),
                "ones-to-watch": ("/api/v2/tastemakers/ones-to-watch", {}),
            }
            found = {name: http.get(path, params=params) for name, (path, params) in asks.items()}
    for name, response in found.items():
        assert response.status_code == 200, (name, response.text)
    return {name: response.json() for name, response in found.items()} | {"name": artist.name}


@pytest.fixture(scope="module")
def crate(valid: dict[str, Any]) -> Iterator[HostileServer]:
    with HostileServer() as server:
        for name, path in PATHS.items():
            server.serve(path, json_reply(valid[name]))
        yield server


async def _no_wait(_: float) -> None:
    return None


def _client(
    server: HostileServer, sleep: Callable[[float], Awaitable[None]] = _no_wait
) -> CrateClient:
    # the pool client's shared SSL context: building one per client loads the CA bundle
    transport = httpx.AsyncHTTPTransport(verify=default_ssl_context())
    return CrateClient(server.url.rstrip("/"), KEY, transport=transport, sleep=sleep)


def assert_clear(error: BaseException) -> str:
    """``error`` is a CrateError (not one blaming the user's input), one plain sentence."""
    assert isinstance(error, errors.CrateError), repr(error)
    assert not isinstance(error, errors.CrateInputError), error
    message = user_message(error)
    assert message and message.strip() == message, message  # crate's own words, or ours
    assert "\n" not in message and len(message) <= 700 and not MARKUP.search(message), message
    for leak in ("Traceback", "validation error", "pydantic"):
        assert leak not in message, message
    return message


def hostile_reply(document: Any) -> st.SearchStrategy[Reply]:
    """Mostly the valid answer with junk in it under a 200, sometimes anything at all."""
    near = mutated(document).map(encode).flatmap(mangled).map(lambda body: Reply(body=body))
    return st.one_of(near, near, replies(any_body))


CALLS: dict[str, Callable[[CrateClient, str], Awaitable[object]]] = {
    "resolve": lambda client, name: client.resolve(name),
    "artist": lambda client, name: client.artist("some-artist-slug"),
    "search": lambda client, name: client.search(name, limit=5),
}


@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.long)])
@pytest.mark.parametrize("endpoint", list(CALLS))
def test_crate_endpoints_survive_any_answer(
    crate: HostileServer, valid: dict[str, Any], endpoint: str, long: bool
) -> None:
    path, call = PATHS[endpoint], CALLS[endpoint]

    def check(reply: Reply) -> str:
        crate.serve(path, reply)

        async def go() -> str:
            async with _client(crate) as client:
                try:
                    await call(client, valid["name"])
                except CrateQError as exc:
                    assert_clear(exc)
                    return "clear errors"
            return "answers read"

        return asyncio.run(go())

    try:
        outcomes = run_examples(hostile_reply(valid[endpoint]), check, long=long)
    finally:
        crate.serve(path, json_reply(valid[endpoint]))
    assert outcomes["clear errors"]
    reliability_log.record(
        AREA, f"crate {endpoint}: the stand-in's answer mutated by hypothesis, or any body",
        summary(outcomes), tries=sum(outcomes.values()),
    )  # fmt: skip


SERVICE_PARTS = ("resolve", "artist", "label")
DISCOVERY = ("breakouts", "tastemakers", "ones-to-watch")


@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.long)])
def test_the_artist_card_and_discovery_survive_mutated_answers(
    crate: HostileServer, valid: dict[str, Any], long: bool
) -> None:
    parts = (*SERVICE_PARTS, *DISCOVERY)
    strategy = st.sampled_from(parts).flatmap(  # one hostile part at a time, the rest valid
        lambda part: hostile_reply(valid[part]).map(lambda reply: (part, reply))
    )

    def check(hostile: tuple[str, Reply]) -> str:
        for name in parts:
            crate.serve(PATHS[name], json_reply(valid[name]))
        crate.serve(PATHS[hostile[0]], hostile[1])

        async def go() -> str:
            service = CrateService(_client(crate))
            failed = 0
            try:
                for call in (
                    lambda: service.artist_card(valid["name"]),
                    *(lambda kind=kind: service.discovery(kind, today=TODAY) for kind in DISCOVERY),
                ):
                    try:
                        await call()
                    except CrateQError as exc:
                        assert_clear(exc)
                        failed += 1
            finally:
                await service.aclose()
            return f"{failed} of 4 look-ups failed clearly"

        return asyncio.run(go())

    try:
        outcomes = run_examples(strategy, check, long=long)
    finally:
        for name in parts:
            crate.serve(PATHS[name], json_reply(valid[name]))
    reliability_log.record(
        AREA, "artist card and discovery lists over mutated crate answers (hypothesis)",
        summary(outcomes), tries=sum(outcomes.values()),
    )  # fmt: skip


# -- focused regressions --------------------------------------------------------------------


def test_ranks_and_strengths_too_big_for_a_number_are_no_crash(
    crate: HostileServer, valid: dict[str, Any]
) -> None:
    """JSON allows 1e999 (infinity to a float) and 10**400 (too big for a float)."""
    listing = dict(valid["tastemakers"])
    listing["leaderboard"] = [dict(item, rank=1e999) for item in listing["leaderboard"]][:2]
    assert len(listing["leaderboard"]) == 2
    crate.serve(PATHS["tastemakers"], Reply(body=encode(listing).replace(b"Infinity", b"1e999")))
    dossier = valid["artist"]
    signals = dossier["behavioral"]["signals"]
    strong = dict(signals, travelsWith=[{"name": "Far", "sharedCollectors": 10**400}])
    behavioral = {"state": "present", "signals": strong}
    crate.serve(PATHS["artist"], json_reply(dict(dossier, behavioral=behavioral)))

    async def go() -> tuple[Any, Any]:
        service = CrateService(_client(crate))
        try:
            return await service.discovery("tastemakers", today=TODAY), await service.artist_card(
                valid["name"]
            )
        finally:
            await service.aclose()

    try:
        listing_seen, card = asyncio.run(go())
    finally:
        crate.serve(PATHS["tastemakers"], json_reply(valid["tastemakers"]))
        crate.serve(PATHS["artist"], json_reply(valid["artist"]))
    assert [e.rank for e in listing_seen.entries] == [1, 2]  # the list's own order
    assert card.travels_with is not None and card.travels_with[0].name == "Far"
    assert card.travels_with[0].strength is None
    reliability_log.record(AREA, "crate numbers beyond a float (1e999 ranks, 10**400 counts)",
                           "the list keeps its order, the value is 'not known'")  # fmt: skip


@pytest.mark.parametrize("bad", ["", "x" * 300, "a/b?c"], ids=["empty", "too-long", "slashes"])
def test_an_unusable_key_from_resolve_is_crate_s_fault_not_the_user_s(
    crate: HostileServer, valid: dict[str, Any], bad: str
) -> None:
    crate.serve(PATHS["resolve"], json_reply(dict(valid["resolve"], cluster_id=bad, slug=None)))

    async def go() -> BaseException | object:
        service = CrateService(_client(crate))
        try:
            return await service.artist_card(valid["name"])
        except CrateQError as exc:
            return exc
        finally:
            await service.aclose()

    try:
        outcome = asyncio.run(go())
    finally:
        crate.serve(PATHS["resolve"], json_reply(valid["resolve"]))
    if isinstance(outcome, BaseException):
        assert_clear(outcome)
    reliability_log.record(
        AREA,
        "crate resolves to an unusable artist key",
        "a crate error (or the card), never 'type an artist name'",
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply(429, b'{"error": "rate_limited", "retry_after_seconds": NaN}'),
        Reply(500, b'{"error": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
        Reply(
            400, encode({"error": "x" * 100_000, "message": "m\n" * 50_000, "hint": "h" * 10**5})
        ),
        Reply(200, b"\x1f\x8b garbage", headers=(("Content-Encoding", "gzip"),)),
        Reply(chunks=endless(b'{"results": [', b'{"masterId": 1},')),
    ],
    ids=["nan-retry-after", "deep-error", "huge-error", "bad-gzip", "endless"],
)
def test_odd_error_answers_are_one_clear_crate_error(crate: HostileServer, reply: Reply) -> None:
    crate.serve(PATHS["search"], reply)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def go() -> BaseException | None:
        async with _client(crate, sleep) as client:
            try:
                await client.search("x")
            except CrateQError as exc:
                return exc
        return None

    error = asyncio.run(go())
    assert error is not None
    message = assert_clear(error)
    assert len(message) <= 700
    retry_after = getattr(error, "retry_after", None)
    assert all(map(math.isfinite, waits)), waits  # a NaN "wait" is no wait at all
    assert retry_after is None or math.isfinite(retry_after), retry_after
    reliability_log.record(
        AREA,
        "crate error answers: NaN waits, deep or huge envelopes, bad gzip, an endless body",
        "one clear crate error each",
        tries=1,
    )


# -- the CLI --------------------------------------------------------------------------------


@pytest.fixture
def cli(crate: HostileServer, crateq_home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CRATEQ_CRATE_URL", crate.url.rstrip("/"))
    monkeypatch.setenv("CRATEQ_CRATE_API_KEY", KEY)
    original = CrateService.from_settings.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        CrateService, "from_settings",
        classmethod(lambda cls, **kw: original(cls, sleep=_no_wait, **kw)),
    )  # fmt: skip
    return CliRunner()


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"[" * 10_000),
        Reply(body=b'{"cluster_id": "\xff\xfe"}'),
        Reply(body=b"<html>maintenance</html>", content_type="text/html"),
        Reply(503, b"null"),
        Reply(body=encode({"cluster_id": None, "slug": None, "locators": None})),
    ],
    ids=["deep", "bad-utf8", "html", "503-null", "wrong-types"],
)
def test_crateq_artist_says_what_went_wrong_in_one_line(
    cli: CliRunner, crate: HostileServer, valid: dict[str, Any], reply: Reply
) -> None:
    crate.serve(PATHS["resolve"], reply)
    try:
        result = cli.invoke(main, ["artist", valid["name"]], catch_exceptions=False)
    finally:
        crate.serve(PATHS["resolve"], json_reply(valid["resolve"]))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "crate" in lines[0] and "Traceback" not in result.stderr
    reliability_log.record(
        AREA, "`crateq artist` against a hostile /resolve answer", "exit 1 with one stderr line"
    )
