"""Shared fixtures: a temporary ``$CRATEQ_HOME`` and the demo record pools on loopback.

``demo_cluster`` is started once per session (building catalogs and media costs time); its
fault switches are reset around every test that uses it, so a test flips them freely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from crateq.api import transport
from crateq.demo.cluster import DemoCluster

DEMO_TEST_CATALOG_SIZE = 600


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "analysis: runs the audio analysis (essentia) for real")


@pytest.fixture(autouse=True)
def _analysis_only_where_tested(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Analysis on arrival costs seconds a track: tests not marked ``analysis`` run as if
    essentia were not installed (the app's behaviour without the extra)."""
    if request.node.get_closest_marker("analysis") is None:
        from crateq.core import analysis

        monkeypatch.setattr(analysis, "available", lambda: False)


@pytest.fixture
def crateq_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty ``$CRATEQ_HOME`` for this test."""
    home = tmp_path / "crateq-home"
    home.mkdir()
    monkeypatch.setenv("CRATEQ_HOME", str(home))
    return home


@pytest.fixture
def direct_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """The engine's kind of client with no proxy in the environment, so downloads take the
    transport's direct path; its kept connections are closed afterwards."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with httpx.Client(timeout=httpx.Timeout(30.0, connect=15.0), follow_redirects=True) as c:
        yield c
    transport.close_idle(c)


@pytest.fixture(scope="session")
def demo_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCluster]:
    """All demo pools (urban-beats, club-edits, vj-vault) on 127.0.0.1, for the session."""
    media_dir = tmp_path_factory.mktemp("demo-media")
    cluster = DemoCluster(catalog_size=DEMO_TEST_CATALOG_SIZE, media_dir=media_dir)
    with cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _reset_demo_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Well-behaved pools at the start and end of every test that uses ``demo_cluster``."""
    if "demo_cluster" not in request.fixturenames:
        yield
        return
    cluster: DemoCluster = request.getfixturevalue("demo_cluster")
    cluster.reset_faults()
    yield
    cluster.reset_faults()


DemoLogin = Callable[..., httpx.Client]


@pytest.fixture
def demo_login(demo_cluster: DemoCluster) -> Iterator[DemoLogin]:
    """``demo_login(pool="urban-beats", username="demo", password="demo")``: an httpx client
    on that pool's base URL, already sending ``key=`` and the Bearer token of a fresh login."""
    clients: list[httpx.Client] = []

    def login(
        pool: str = "urban-beats", username: str = "demo", password: str = "demo"
    ) -> httpx.Client:
        handle = demo_cluster.pools[pool]
        client = httpx.Client(base_url=handle.url, params={"key": handle.api_key}, timeout=30)
        clients.append(client)
        answer = client.post("api/Auth/Login", json={"username": username, "password": password})
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()[0]['token']}"
        return client

    yield login
    for client in clients:
        client.close()
