"""The demo search's rows built by SQLite are the rows the Python listing code builds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.requests import Request

from crateq.demo.app import PoolApp, PoolState, build_state
from crateq.demo.auth import DEMO_ACCOUNTS
from crateq.demo.catalog import DEMO_POOLS
from crateq.demo.filters import parse_search
from crateq.demo.mediafiles import MediaCache
from crateq.demo.pool_edits import record_from_update

BASE = "http://127.0.0.1:8123/"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoolState]:
    folder = tmp_path_factory.mktemp("json")
    state = build_state(DEMO_POOLS[2], folder / "pool.sqlite", MediaCache(folder / "m"), 3000)
    odd = {"artist": 'Zoë "Q" \\ Tab\tNew\nline', "title": "Ünïcode ✓ nightfall",
           "mediaType": "video", "bpm": "99"}  # fmt: skip
    state.store.upsert(record_from_update("odd-1", odd, None))
    user = DEMO_ACCOUNTS[0].user_id
    for media_id in (1, 2, 3):
        first = state.store.search(parse_search({"size": "3"}), user)[1][media_id - 1]
        state.store.toggle_queue(user, int(first["media_id"]))
        if media_id != 2:
            state.store.mark_downloaded(user, int(first["media_id"]))
    yield state
    state.store.close()


def _python_rows(state: PoolState, params: dict[str, str], now: float) -> list[dict[str, object]]:
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1:8123")], "scheme": "http",
             "server": ("127.0.0.1", 8123), "root_path": ""}  # fmt: skip
    request = Request(scope)
    assert str(request.base_url) == BASE
    app, account = PoolApp(state), DEMO_ACCOUNTS[0]
    _, rows = state.store.search(parse_search(params), account.user_id)
    return [app._row(BASE, row, account, now) for row in rows]


@pytest.mark.parametrize(
    "params",
    [{}, {"keywords": "night"}, {"keywords": "zoë"}, {"artist": "tab"},
     {"sort": "downloaded", "dir": "desc", "size": "10"}, {"sort": "queueId", "size": "5"},
     {"searchType": "video", "page": "2", "size": "50"}, {"chart": "top"},
     {"sort": "size", "dir": "asc"}, {"sort": "length"}, {"page": "999"}],
)  # fmt: skip
def test_sql_built_rows_equal_the_python_built_rows(
    state: PoolState, params: dict[str, str]
) -> None:
    now = 1_763_900_000.7
    user = DEMO_ACCOUNTS[0].user_id
    total, rows = state.store.search_json(parse_search(params), user, state.tokens, BASE, now)
    expected = _python_rows(state, params, now)
    assert [json.loads(row) for row in rows] == expected
    assert total == state.store.search(parse_search(params), user)[0]
    if params.get("sort") == "downloaded":
        assert [row["downloaded"] for row in expected[:2]] == [True, True]


def test_sql_built_rows_carry_working_tokens(state: PoolState) -> None:
    user = DEMO_ACCOUNTS[0].user_id
    _, rows = state.store.search_json(parse_search({"size": "5"}), user, state.tokens, BASE, 1e9)
    for text in rows:
        row = json.loads(text)
        token = row["preview"].rpartition("?t=")[2]
        version = int(state.store.get(row["mediaId"])["version"])  # type: ignore[index]
        assert state.tokens.preview_token_valid(token, row["mediaId"], version)
        assert state.tokens.download_token_valid(row["auth"], user, row["mediaId"], 1e12)
        assert not state.tokens.download_token_valid(row["auth"], "1002", row["mediaId"], 1e12)


def test_the_listing_envelope_is_valid_json_with_the_rows(tmp_path: Path) -> None:
    """Through the app: the spliced body parses and counts its rows."""
    from starlette.testclient import TestClient

    from crateq.demo.app import create_pool_app

    state = build_state(DEMO_POOLS[0], tmp_path / "p.sqlite", MediaCache(tmp_path / "m"), 300)
    with TestClient(create_pool_app(state)) as client:
        login = client.post(
            "/api/Auth/Login?key=demo-key", json={"username": "demo", "password": "demo"}
        )
        headers = {"Authorization": f"Bearer {login.json()[0]['token']}"}
        answer = client.get("/api/Content/Media?key=demo-key&size=7&page=2", headers=headers)
        empty = client.get("/api/Content/Media?key=demo-key&page=99", headers=headers)
    state.store.close()
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert (body["records"], body["message"], body["pages"], body["page"]) == (300, "7-14", 43, 2)
    assert len(body["data"]) == 7 and body["data"][0]["preview"].startswith("http://testserver/")
    assert empty.json()["data"] == [] and empty.json()["message"] == "9800-9800"
