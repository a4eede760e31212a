"""A pool written apart from the demo app, misbehaving over real HTTP: the client, federated
search and `crateq search` tolerate it and say what went wrong in one sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.api.errors import PoolProtocolError, PoolTimeout, PoolUnavailable
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery
from crateq.core.search import PoolFailed, PoolFinished, PoolRows, federated_search
from memory_keyring import MemoryKeyring
from quirky_pool import (
    HTML_200,
    HTML_500,
    SEARCH_TIMEOUT,
    QuirkyPool,
    json_answer,
    rate_limited,
)


@pytest.fixture
def quirky() -> Iterator[QuirkyPool]:
    with QuirkyPool() as pool:
        yield pool


@pytest.fixture
async def client(quirky: QuirkyPool) -> AsyncIterator[PoolClient]:
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async def password() -> str:
        return quirky.password

    pool = PoolClient(
        "quirky", quirky.url, quirky.api_key, username=quirky.username,
        password_provider=password, sleep=no_wait,
    )  # fmt: skip
    pool.waits = waits  # type: ignore[attr-defined]
    async with pool:
        yield pool


async def test_odd_rows_parse_and_junk_rows_are_dropped(client: PoolClient) -> None:
    page = await client.search(MediaQuery(keywords="odd"))
    assert page.records == 4 and page.pages == 0
    rows = {row.media_id: row for row in page.data}
    assert sorted(rows) == [501, 502, 503, 504]
    first = rows[501]
    assert (first.bpm, first.release_year, first.group_id, first.queue_id) == (124, 2021, 9, 0)
    assert (first.downloaded, first.video, first.audio) == (False, False, True)
    assert (first.length_seconds, first.pool, first.genre) == (245, "quirky", "")
    assert (rows[502].artist, rows[502].bpm, rows[502].preview) == ("", 0, "")
    assert (rows[503].title, rows[503].auth, rows[503].published) == ("", "", None)
    assert (rows[504].bpm, rows[504].release_year, rows[504].length_seconds) == (0, 0, None)
    assert client.last_login is not None and client.last_login.user_id == "77"


async def test_empty_array_is_a_timeout_never_no_results(
    client: PoolClient, quirky: QuirkyPool
) -> None:
    quirky.then(SEARCH_TIMEOUT)
    with pytest.raises(PoolTimeout, match="gave up on the search") as err:
        await client.search(MediaQuery(keywords="odd"))
    assert err.value.code == "server_timeout" and err.value.pool == "quirky"


async def test_429_waits_for_retry_after_then_succeeds(
    client: PoolClient, quirky: QuirkyPool
) -> None:
    quirky.then(rate_limited("2"), rate_limited("1"))
    page = await client.search(MediaQuery())
    assert len(page.data) == 4
    assert client.waits == [2.0, 1.0]  # type: ignore[attr-defined]


async def test_401_logs_in_again_once_and_retries(client: PoolClient, quirky: QuirkyPool) -> None:
    await client.search(MediaQuery())
    quirky.expire_tokens()
    page = await client.search(MediaQuery())
    assert len(page.data) == 4
    assert quirky.logins == 2
    assert quirky.search_tokens == ["quirk-token-1", "quirk-token-1", "quirk-token-2"]


@pytest.mark.parametrize(
    ("answer", "expected", "words"),
    [
        (HTML_500, PoolUnavailable, "HTTP 500"),
        (HTML_200, PoolProtocolError, "text/html page instead of data"),
        (json_answer(200, {"records": 1, "data": "nope"}), None, ""),
    ],
)
async def test_html_pages_are_typed_errors_without_the_markup(
    client: PoolClient,
    quirky: QuirkyPool,
    answer: object,
    expected: type[Exception] | None,
    words: str,
) -> None:
    quirky.then(answer)  # type: ignore[arg-type]
    if expected is None:  # a page whose data is not a list: no rows, not a crash
        assert (await client.search(MediaQuery())).data == []
        return
    with pytest.raises(expected) as err:
        await client.search(MediaQuery())
    assert words in str(err.value) and "<" not in str(err.value)


async def test_federated_search_keeps_the_good_pool_when_the_other_misbehaves(
    client: PoolClient,
) -> None:
    with QuirkyPool() as other:
        other.then(HTML_500)
        async with PoolClient(
            "broken", other.url, other.api_key, username=other.username,
            password_provider=_const(other.password),
        ) as broken:  # fmt: skip
            events = [
                e
                async for e in federated_search(
                    {"quirky": client, "broken": broken}, MediaQuery(), limit=10
                )
            ]
    rows = [r for e in events if isinstance(e, PoolRows) for r in e.rows]
    assert sorted(r.media_id for r in rows) == [501, 502, 503, 504]
    failed = [e for e in events if isinstance(e, PoolFailed)]
    assert [(f.pool, type(f.error)) for f in failed] == [("broken", PoolUnavailable)]
    assert [e.pool for e in events if isinstance(e, PoolFinished)] == ["quirky"]


def _const(value: str):  # type: ignore[no-untyped-def]
    async def provide() -> str:
        return value

    return provide


# -- the real `crateq search` command -------------------------------------------------------


@pytest.fixture
def cli(crateq_home: Path, quirky: QuirkyPool) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        added = harness(
            "pool", "add", "quirky", "--url", quirky.url, "--api-key", quirky.api_key,
            "--username", quirky.username, "--password-stdin", input=quirky.password + "\n",
        )  # fmt: skip
        assert added.exit_code == 0, added.stderr
        yield harness


def test_cli_shows_odd_rows(cli: CliHarness) -> None:
    body = cli.search_json("odd")
    assert body["errors"] == []
    assert sorted(r["mediaId"] for r in body["results"]) == [501, 502, 503, 504]
    table = cli("search", "odd")
    assert table.exit_code == 0, table.stderr
    assert "Strings For Numbers" in table.stdout and "quirky:501" in table.stdout


def test_cli_rides_out_429_and_an_expired_session(cli: CliHarness, quirky: QuirkyPool) -> None:
    quirky.then(rate_limited("0"))
    assert len(cli.search_json("odd")["results"]) == 4
    logins = quirky.logins
    quirky.expire_tokens()
    assert len(cli.search_json("odd")["results"]) == 4
    assert quirky.logins == logins + 1


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (SEARCH_TIMEOUT, "quirky: Pool quirky gave up on the search"),
        (HTML_500, "quirky: Pool quirky failed: HTTP 500"),
        (HTML_200, "quirky: Pool quirky answered with a text/html page instead of data"),
    ],
)
def test_cli_says_what_went_wrong_in_one_line(
    cli: CliHarness, quirky: QuirkyPool, answer: object, words: str
) -> None:
    quirky.then(answer)  # type: ignore[arg-type]
    result = cli("search", "odd")
    assert result.exit_code == 1
    assert words in result.stderr
    assert "<" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.strip() == ""
