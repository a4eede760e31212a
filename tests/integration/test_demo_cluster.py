"""DemoCluster: in-process servers on loopback, extra apps beside the pools, clean stop."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crateq.demo.catalog import DEMO_POOLS
from crateq.demo.cluster import DemoCluster, default_extra_apps


def _echo_app(cluster: DemoCluster) -> Starlette:
    pools = sorted(cluster.pools)

    async def hello(request: Request) -> JSONResponse:
        return JSONResponse({"pools": pools})

    return Starlette(routes=[Route("/hello", hello)])


def test_extra_apps_are_served_next_to_the_pools(tmp_path: Path) -> None:
    cluster = DemoCluster(catalog_size=5, media_dir=tmp_path, specs=DEMO_POOLS[:2],
                          extra_apps=[("echo", _echo_app)])  # fmt: skip
    others = set(_cluster_threads())  # the session's demo pools may be serving too
    with cluster:
        ours = set(_cluster_threads()) - others
        extra = cluster.extras["echo"]
        assert extra.url.startswith("http://127.0.0.1:") and extra.url.endswith("/")
        assert httpx.get(extra.url + "hello").json() == {"pools": ["club-edits", "urban-beats"]}
        urls = {handle.url for handle in cluster.pools.values()} | {extra.url}
        assert len(urls) == 3
    with pytest.raises(httpx.ConnectError):
        httpx.get(extra.url + "hello")
    assert len(ours) == 1 and not any(t.is_alive() for t in ours)


def _cluster_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "demo-cluster"]


def test_the_crate_stand_in_is_served_by_default_extras(tmp_path: Path) -> None:
    extras = default_extra_apps()
    assert [name for name, _ in extras] == ["crate"]
    with DemoCluster(catalog_size=5, media_dir=tmp_path, specs=DEMO_POOLS[:1],
                     extra_apps=extras) as cluster:  # fmt: skip
        answer = httpx.get(cluster.extras["crate"].url + "api/v2/resolve", params={"name": "x"})
    assert answer.status_code == 401  # the stand-in answers: it wants its API key
    assert answer.json()["error"] == "unauthorized"
