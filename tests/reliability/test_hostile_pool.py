"""Hostile record pools over real HTTP: hypothesis-generated answers (wrong types, nulls,
huge strings, deep nesting, invalid UTF-8, truncated JSON, JSON that is not an object) to the
real PoolClient, federated search, playlists, charts, sign-in and the CLI.

Every answer must end as data or as one clear per-pool error from the one error tree; in a
federated search the other pools' rows still arrive. Bodies are bounded: a 10 MB page parses,
an endless one stops at the client's cap with a plain message.
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import strategies as st

import reliability_log
from cli_harness import CliHarness, using_keyring
from crateq.api.bounded import MAX_ANSWER_BYTES
from crateq.api.errors import PoolError, PoolProtocolError, PoolUnavailable
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaPage, MediaQuery
from crateq.core import pool_lists
from crateq.core.errors import CrateQError, user_message
from crateq.core.search import PoolFailed, PoolFinished, PoolRows, federated_search
from hostile_bodies import any_body, encode, json_values, listing_body, mangled, mutated, replies
from hostile_runs import AREA, MARKUP, run_examples, summary
from hostile_server import (
    LOGIN_PATH,
    PLAYLISTS_PATH,
    SEARCH_PATH,
    TOKEN,
    HostileServer,
    Reply,
    endless,
    json_reply,
)
from memory_keyring import MemoryKeyring

GOOD_ROWS = [{"mediaId": 900 + n, "artist": "Good", "title": f"Row {n}"} for n in range(3)]
GOOD_PAGE = json_reply({"records": 3, "pages": 1, "page": 1, "data": GOOD_ROWS})


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture(scope="module")
def good() -> Iterator[HostileServer]:
    with HostileServer() as server:
        server.serve(SEARCH_PATH, GOOD_PAGE)
        server.serve(PLAYLISTS_PATH, json_reply([{"playlistId": 7, "title": "Picks"}]))
        yield server


async def _no_wait(_: float) -> None:
    return None


async def _password() -> str:
    return "pw"


def _client(name: str, server: HostileServer, *, token: str | None = TOKEN) -> PoolClient:
    return PoolClient(
        name, server.url, "hostile-key", username="dj", password_provider=_password,
        token=token, sleep=_no_wait,
    )  # fmt: skip


def assert_clear(error: BaseException, pool: str) -> str:
    """``error`` is the pool's typed error and its message one plain sentence; returns it."""
    assert isinstance(error, PoolError), repr(error)
    assert error.pool == pool
    message = user_message(error)
    assert pool in message and message.strip() == message
    assert "\n" not in message and "\r" not in message and len(message) <= 600, message
    assert not MARKUP.search(message), message
    for leak in ("Traceback", "validation error", "pydantic", "Searching "):
        assert leak not in message, message
    return message


# -- pool search ----------------------------------------------------------------------------


def _search_case(server: HostileServer) -> Callable[[Reply], str]:
    def check(reply: Reply) -> str:
        server.serve(SEARCH_PATH, reply)

        async def go() -> str:
            async with _client("hostile", server) as client:
                try:
                    page = await client.search(MediaQuery(keywords="x"))
                except CrateQError as exc:
                    assert_clear(exc, "hostile")
                    return "clear errors"
            assert isinstance(page, MediaPage)
            assert all(row.pool == "hostile" for row in page.data)
            return "pages parsed"

        return asyncio.run(go())

    return check


@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.long)])
def test_search_survives_any_answer(hostile: HostileServer, long: bool) -> None:
    outcomes = run_examples(replies(listing_body), _search_case(hostile), long=long)
    assert outcomes["clear errors"] and outcomes["pages parsed"]
    reliability_log.record(
        AREA, "pool search: hypothesis answers (types, nulls, nesting, bad UTF-8, truncation)",
        summary(outcomes), tries=sum(outcomes.values()),
    )  # fmt: skip


def _federated_case(hostile: HostileServer, good: HostileServer) -> Callable[[Reply], str]:
    def check(reply: Reply) -> str:
        hostile.serve(SEARCH_PATH, reply)

        async def go() -> str:
            clients = {"one": _client("one", good), "hostile": _client("hostile", hostile),
                       "two": _client("two", good)}  # fmt: skip
            try:
                events = [e async for e in federated_search(clients, MediaQuery(), limit=20)]
            finally:
                for client in clients.values():
                    await client.aclose()
            rows = Counter(e.pool for e in events if isinstance(e, PoolRows) for _ in e.rows)
            assert rows["one"] == rows["two"] == len(GOOD_ROWS)
            ends = [e for e in events if isinstance(e, PoolFinished | PoolFailed)]
            assert sorted(e.pool for e in ends) == ["hostile", "one", "two"]
            failed = [e for e in ends if isinstance(e, PoolFailed)]
            assert [e.pool for e in failed] in ([], ["hostile"])
            for event in failed:
                assert_clear(event.error, "hostile")
            return "hostile pool failed clearly" if failed else "hostile pool answered"

        return asyncio.run(go())

    return check


@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.long)])
def test_federated_search_keeps_the_other_pools(
    hostile: HostileServer, good: HostileServer, long: bool
) -> None:
    outcomes = run_examples(replies(listing_body), _federated_case(hostile, good), long=long)
    assert outcomes["hostile pool failed clearly"]
    reliability_log.record(
        AREA, "federated search, one of 3 pools hostile (hypothesis answers)",
        "the 2 good pools' rows arrive every time; " + summary(outcomes),
        tries=sum(outcomes.values()),
    )  # fmt: skip


# -- playlists, charts, sign-in -------------------------------------------------------------


def _lists_case(hostile: HostileServer, good: HostileServer) -> Callable[[Reply], str]:
    def check(reply: Reply) -> str:
        hostile.serve(SEARCH_PATH, reply).serve(PLAYLISTS_PATH, reply)

        async def go() -> str:
            clients = {"good": _client("good", good), "hostile": _client("hostile", hostile)}
            try:
                found = await pool_lists.playlists(clients)
                charts = await pool_lists.charts(clients, limit=10)
            finally:
                for client in clients.values():
                    await client.aclose()
            assert [p.playlist_id for p in found.playlists["good"]] == [7]
            assert len(charts.rows["good"]) == len(GOOD_ROWS)
            for error in (*found.errors.values(), *charts.errors.values()):
                assert_clear(error, "hostile")
            assert set(found.errors) | set(charts.errors) <= {"hostile"}
            return f"{len(found.errors) + len(charts.errors)} of 2 lists failed clearly"

        return asyncio.run(go())

    return check


@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.long)])
def test_playlists_and_charts_survive_any_answer(
    hostile: HostileServer, good: HostileServer, long: bool
) -> None:
    outcomes = run_examples(replies(listing_body), _lists_case(hostile, good), long=long)
    reliability_log.record(
        AREA, "playlists and charts listing, one pool hostile (hypothesis answers)",
        "the good pool's lists arrive; " + summary(outcomes), tries=sum(outcomes.values()),
    )  # fmt: skip


_LOGIN_ITEM = {"userId": 1, "msg": "", "status": "active", "token": TOKEN, "originator": "o"}
login_bodies = st.one_of(
    st.fixed_dictionaries({}, optional={k: json_values for k in _LOGIN_ITEM})
    .flatmap(lambda item: st.sampled_from([item, [item], [item, item], {"data": item}]))
    .map(encode)
    .flatmap(mangled),
    st.fixed_dictionaries({"token": st.text(min_size=1, max_size=40)}).map(lambda d: encode([d])),
    any_body,
)
#: a real sign-in answer under a 200 with a few odd values: most still sign in
odd_sign_ins = mutated([_LOGIN_ITEM]).map(lambda doc: Reply(body=encode(doc)))


def _login_case(server: HostileServer) -> Callable[[Reply], str]:
    def check(reply: Reply) -> str:
        server.serve(LOGIN_PATH, reply).serve(SEARCH_PATH, GOOD_PAGE)

        async def go() -> str:
            async with _client("hostile", server, token=None) as client:
                try:
                    result = await client.login("pw")
                    page = await client.search(MediaQuery())  # the token must be usable
                except CrateQError as exc:
                    assert_clear(exc, "hostile")
                    return "clear errors"
            assert result.token and len(page.data) == len(GOOD_ROWS)
            assert len(result.msg) <= 500 and "\n" not in result.msg
            return "sign-ins"

        return asyncio.run(go())

    return check


@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.long)])
def test_sign_in_survives_any_answer(hostile: HostileServer, long: bool) -> None:
    try:
        strategy = st.one_of(replies(login_bodies), odd_sign_ins, odd_sign_ins)
        outcomes = run_examples(strategy, _login_case(hostile), long=long)
    finally:
        hostile.serve(LOGIN_PATH, json_reply(_LOGIN_ITEM))
    assert outcomes["clear errors"] and outcomes["sign-ins"]
    reliability_log.record(
        AREA, "sign-in answers (hypothesis: odd tokens, nulls, wrong shapes, broken JSON)",
        summary(outcomes), tries=sum(outcomes.values()),
    )  # fmt: skip


# -- size: 10 MB, endless, a lying Content-Length -------------------------------------------


async def _search_once(server: HostileServer) -> MediaPage | CrateQError:
    async with _client("hostile", server) as client:
        try:
            return await client.search(MediaQuery())
        except CrateQError as exc:
            return exc


def test_a_10_mb_page_parses_and_10_mb_of_junk_is_one_clear_error(
    hostile: HostileServer,
) -> None:
    row = {"mediaId": 1, "artist": "A" * 200, "title": "T" * 200, "bpm": "128"}
    count = (10 << 20) // len(encode(row))
    body = encode({"records": count, "pages": 1, "data": [row] * count})
    hostile.serve(SEARCH_PATH, Reply(body=body))
    page = asyncio.run(_search_once(hostile))
    assert isinstance(page, MediaPage) and len(page.data) == count
    hostile.serve(SEARCH_PATH, Reply(body=b'{"data": [' + b"\xff" * (10 << 20) + b"]}"))
    error = asyncio.run(_search_once(hostile))
    assert isinstance(error, PoolProtocolError) and assert_clear(error, "hostile")
    reliability_log.record(
        AREA, "10 MB bodies (a 10 MB page; 10 MB of invalid UTF-8)",
        f"the page parses ({count} rows); the junk is one clear per-pool error", tries=2,
    )  # fmt: skip


ENDLESS = {
    "endless rows": Reply(chunks=endless(b'{"records": 1, "data": [', b'{"mediaId": 1},')),
    "endless nesting": Reply(chunks=endless(b"", b"[")),
    "1 GB declared": Reply(body=b"{}", headers=(("Content-Length", str(1 << 30)),)),
}


@pytest.mark.parametrize("case", list(ENDLESS))
def test_an_endless_body_stops_at_the_cap_with_a_plain_message(
    hostile: HostileServer, case: str
) -> None:
    reply = ENDLESS[case]  # a declared length is refused before a byte is read
    hostile.serve(SEARCH_PATH, reply)
    tracemalloc.start()
    try:
        error = asyncio.run(_search_once(hostile))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, PoolProtocolError), error
    message = assert_clear(error, "hostile")
    assert "16 MB" in message
    assert peak < 3 * MAX_ANSWER_BYTES, peak
    reliability_log.record(
        AREA, f"oversized JSON body: {case}",
        "reading stops at the 16 MB cap (peak memory under 48 MB), one clear per-pool error",
    )  # fmt: skip


# -- focused regressions: each answer once crashed the client or read unclearly ---------------

DEEP = b"[" * 10_000 + b"]" * 10_000
REGRESSIONS = {
    "deep nesting under a 200": (
        Reply(body=b'{"data": ' + DEEP + b"}"),
        PoolProtocolError,
        "Pool hostile sent an answer CrateQ cannot read (nested too deeply).",
    ),
    "deep nesting under a 500": (
        Reply(500, DEEP),
        PoolUnavailable,
        "Pool hostile failed: HTTP 500",
    ),
    "broken JSON said to be JSON": (
        Reply(body=b'{"records": 2, "data": [{"mediaId'),
        PoolProtocolError,
        "Pool hostile sent an answer CrateQ cannot read (broken JSON).",
    ),
    "a gzip body that does not decompress": (
        Reply(body=b"\x1f\x8b not gzip at all", headers=(("Content-Encoding", "gzip"),)),
        PoolProtocolError,
        "Pool hostile sent a compressed answer that does not decompress.",
    ),
    "a huge multi-line server message": (
        json_reply({"status": 500, "message": "line\n\x1b[31m" * 100_000}, 500),
        PoolUnavailable,
        "Pool hostile failed: line [31mline [31mline",
    ),
}


@pytest.mark.parametrize("case", list(REGRESSIONS))
def test_regressions_end_as_one_clear_error(hostile: HostileServer, case: str) -> None:
    reply, kind, words = REGRESSIONS[case]
    hostile.serve(SEARCH_PATH, reply)
    error = asyncio.run(_search_once(hostile))
    assert isinstance(error, kind), error
    message = assert_clear(error, "hostile")
    assert message.startswith(words) and "\x1b" not in message, message
    reliability_log.record(AREA, f"pool search: {case}", "one clear per-pool error")


def test_a_login_token_that_cannot_be_sent_back_is_refused(hostile: HostileServer) -> None:
    for token in ("tok\u00e9n", "two words", "t" * 20_000):
        hostile.serve(LOGIN_PATH, json_reply([{"token": token, "msg": "hi\n" * 10_000}]))

        async def go() -> CrateQError | None:
            async with _client("hostile", hostile, token=None) as client:
                try:
                    await client.login("pw")
                except CrateQError as exc:
                    return exc
            return None

        error = asyncio.run(go())
        assert isinstance(error, PoolProtocolError) and error.code == "unusable_token", error
        assert_clear(error, "hostile")
    hostile.serve(LOGIN_PATH, json_reply([{"token": TOKEN, "msg": "hi\n" * 10_000}]))

    async def message() -> str:
        async with _client("hostile", hostile, token=None) as client:
            return (await client.login("pw")).msg

    shown = asyncio.run(message())
    assert "\n" not in shown and len(shown) <= 500 and shown.startswith("hi hi")
    hostile.serve(LOGIN_PATH, json_reply(_LOGIN_ITEM))
    reliability_log.record(AREA, "sign-in tokens that cannot go in a header; a huge message",
                           "refused in one clear sentence; the message clipped to one line",
                           tries=4)  # fmt: skip


# -- the CLI --------------------------------------------------------------------------------

CLI_CASES = {
    "deep nesting": Reply(body=b'{"data": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
    "invalid UTF-8": Reply(body=b'{"records": 1, "data": [{"title": "\xff\xfe"}'),
    "truncated JSON": Reply(body=b'{"records": 2, "data": [{"mediaId": 1, "ti'),
    "not an object": Reply(body=b'"just a string"'),
    "HTML under 200": Reply(body=b"<!DOCTYPE html><html>oops</html>", content_type="text/html"),
    "endless body": Reply(chunks=endless(b'{"data": [', b'{"mediaId": 1},')),
}


@pytest.fixture
def cli(crateq_home: Path, hostile: HostileServer, good: HostileServer) -> Iterator[CliHarness]:
    hostile.serve(LOGIN_PATH, json_reply(_LOGIN_ITEM))
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        for name, server in (("good", good), ("hostile", hostile)):
            added = harness(
                "pool", "add", name, "--url", server.url, "--api-key", "k", "--username", "dj",
                "--password-stdin", input="pw\n",
            )  # fmt: skip
            assert added.exit_code == 0, added.stderr
        yield harness


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_search_shows_the_good_pool_and_one_line_for_the_hostile_one(
    cli: CliHarness, hostile: HostileServer, case: str
) -> None:
    hostile.serve(SEARCH_PATH, CLI_CASES[case])
    body = cli.search_json("x")
    assert sorted(r["mediaId"] for r in body["results"]) == [900, 901, 902]
    assert [e["pool"] for e in body["errors"]] == ["hostile"]
    message = body["errors"][0]["error"]
    assert "hostile" in message and "\n" not in message and not MARKUP.search(message)
    table = cli("search", "x")
    assert table.exit_code == 0 and "Traceback" not in table.stderr
    assert any(line.startswith("Error: hostile: ") for line in table.stderr.splitlines()), (
        table.stderr
    )
    reliability_log.record(
        AREA,
        f"`crateq search`, one pool hostile: {case}",
        "exit 0, the good pool's rows, one stderr line for the hostile pool",
    )


def test_cli_charts_and_playlists_report_the_hostile_pool(
    cli: CliHarness, hostile: HostileServer
) -> None:
    deep = CLI_CASES["deep nesting"]
    hostile.serve(SEARCH_PATH, deep).serve(PLAYLISTS_PATH, deep)
    for command in ("charts", "playlists"):
        result = cli(command, "--json")
        assert result.exit_code == 0, result.stderr
        body = json.loads(result.stdout)
        assert [e["pool"] for e in body["errors"]] == ["hostile"]
        assert {r["pool"] for r in body["results"]} == {"good"}
    reliability_log.record(
        AREA,
        "`crateq charts` and `crateq playlists`, one pool deeply nested",
        "exit 0, the good pool's lists, the hostile pool's error",
        tries=2,
    )


@pytest.mark.parametrize(
    "reply",
    [
        CLI_CASES["deep nesting"],
        json_reply([{"token": "tok\u00e9n\n", "status": "active"}]),
        json_reply([{"token": "t" * 20_000}]),
        Reply(body=b'[{"token": "abc", "msg": "\xff'),
    ],
    ids=["deep", "token-not-ascii", "token-huge", "truncated"],
)
def test_cli_sign_in_with_a_hostile_answer_fails_in_one_line(
    cli: CliHarness, hostile: HostileServer, reply: Reply
) -> None:
    hostile.serve(LOGIN_PATH, reply)
    result = cli("pool", "login", "hostile", "--password-stdin", input="pw\n")
    assert result.exit_code == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "hostile" in lines[0] and "Traceback" not in result.stderr
    reliability_log.record(
        AREA, "`crateq pool login` against a hostile sign-in answer", "exit 1 with one stderr line"
    )
