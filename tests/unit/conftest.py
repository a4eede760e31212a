"""Fixtures shared by the unit tests of the direct download path."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from crateq.core import http_body


@pytest.fixture
def direct_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """The engine's kind of client with no proxy in the environment, so requests take the
    direct path; its kept connections are closed afterwards."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    with httpx.Client(timeout=httpx.Timeout(30.0, connect=15.0), follow_redirects=True) as c:
        yield c
    http_body.close_idle(c)
