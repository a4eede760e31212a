"""The client parses a listing straight from its bytes: exactly what ``json.loads`` +
``model_validate`` gave, for odd rows and for every page of the demo catalog."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaPage, MediaQuery
from crateq.demo import auth as demo_auth
from crateq.demo.app import build_state, create_pool_app
from crateq.demo.catalog import DEMO_POOLS
from crateq.demo.mediafiles import MediaCache

_ODD = st.one_of(
    st.none(), st.text(max_size=8), st.integers(), st.floats(), st.booleans(),
    st.sampled_from(["  12 ", "7.9", "yes", " Clean ", "", "1e3", "03:05", "75.26 MB"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.none()),
)  # fmt: skip
_FIELDS = ["mediaId", "artist", "bpm", "length", "size", "video", "queueId", "queueDate", "x"]
_ROW = st.dictionaries(st.sampled_from(_FIELDS), _ODD)
_ITEM = st.one_of(_ROW, _ROW, st.none(), st.text(max_size=3), st.integers())


def _slow(body: bytes) -> MediaPage:
    return MediaPage.model_validate(json.loads(body))


@given(
    data=st.one_of(st.lists(_ITEM, max_size=5), st.none(), st.text(max_size=3), _ROW),
    records=_ODD,
    pages=_ODD,
)
def test_bytes_parse_equals_the_json_module_parse(
    data: object, records: object, pages: object
) -> None:
    body = json.dumps({"records": records, "pages": pages, "data": data, "extra": 1}).encode()
    fast = PoolClient._listing(b" \n" + body)
    if b"NaN" in body or b"Infinity" in body:  # JSON's extension only ``json`` reads
        assert fast is None or fast == _slow(body)
    else:
        assert fast is not None
        assert fast == _slow(body)
        assert [type(r.media_id) for r in fast.data] == [int] * len(fast.data)


@pytest.mark.parametrize(
    "body", [b"[]", b"<html>502</html>", b'{"records": 1, "data": [', b"", b'"x"', b"[{}]"]
)
def test_what_is_not_a_listing_object_takes_the_checked_path(body: bytes) -> None:
    assert PoolClient._listing(body) is None


@pytest.fixture(scope="module")
def pool_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starlette]:
    folder = tmp_path_factory.mktemp("pages")
    state = build_state(DEMO_POOLS[1], folder / "p.sqlite", MediaCache(folder / "m"), 1500)
    yield create_pool_app(state)
    state.store.close()


@pytest.fixture
async def client(pool_app: Starlette) -> AsyncIterator[PoolClient]:
    transport = httpx.ASGITransport(app=pool_app)
    async with PoolClient(
        "club-edits", "http://pool.test/", "demo-key", username="demo", transport=transport
    ) as client:
        await client.login("demo")
        yield client


@pytest.mark.parametrize(
    "params",
    [{}, {"keywords": "night"}, {"artist": "dj"}, {"searchType": "audio", "size": "500"},
     {"sort": "bpm", "dir": "asc", "page": "3"}, {"chart": "top", "days": "30"}],
)  # fmt: skip
async def test_demo_pages_parse_the_same_both_ways(
    client: PoolClient, params: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both requests must sign download tokens in the same second, or a second boundary
    # between them makes the rows differ in their token alone.
    frozen = time.time()
    monkeypatch.setattr(demo_auth, "time", SimpleNamespace(time=lambda: frozen))
    response = await client._send("GET", "api/Content/Media", params=params)
    fast = PoolClient._listing(response.content)
    assert fast is not None and fast.data
    assert fast == _slow(response.content)
    page = await client._page("api/Content/Media", params, "search")
    assert {row.pool for row in page.data} == {"club-edits"}
    assert [r.model_dump(exclude={"pool"}) for r in page.data] == [
        r.model_dump(exclude={"pool"}) for r in fast.data
    ]


async def test_the_query_string_is_what_httpx_params_make() -> None:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"records": 0, "data": []})

    base = "https://pool.test/v1/"
    transport = httpx.MockTransport(answer)
    async with PoolClient("p", base, "k&=+ é/", token="t", transport=transport) as client:
        query = MediaQuery(keywords="love & dj+ ü/%", mix=["Intro", "Clean"], bpm="80-90")
        await client.search(query)
    expected = httpx.Request(
        "GET", base + "api/Content/Media", params={"key": "k&=+ é/", **query.to_params()}
    ).url
    assert seen == [expected]
    assert seen[0].raw_path == expected.raw_path
