"""The one download transport: a GET whose body the caller reads from reused buffers.

Every download of the app goes through :func:`open_download`: it sends the GET (with the
client's headers, timeouts and redirect policy), raises the typed error of
:mod:`crateq.api.errors` for any answer but 200/206 and for any network failure, and hands
the caller the body as views into a few reused buffers (:mod:`crateq.api.transport_conn`
reads the socket itself: no allocation or copy per chunk under the GIL). The caller writes
and hashes each view before it asks for the next ``BUFFERS - 1``.

When a proxy is configured in the environment (httpx honours ``HTTP(S)_PROXY``/
``ALL_PROXY``) the request goes through the httpx client instead, read in ``PROXY_READ``
chunks through httpx's public streaming API.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.request
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol, TypeVar

import httpx

from crateq.api.errors import PoolUnavailable
from crateq.api.netpolicy import (
    RedirectRefused,
    same_origin,
    strip_secrets,
    without_secrets,
)
from crateq.api.pool_wire import answer_error, certificate_error, redirect_error
from crateq.api.transport_conn import (
    BUFFERS,
    DEFAULT_PORTS,
    READ_BUFFER,
    DirectResponse,
    close_idle,
    idle_for,
)
from crateq.api.transport_sniff import document_type, not_the_file

__all__ = ["BUFFERS", "READ_BUFFER", "BodyResponse", "close_idle", "direct_possible"]
__all__ += ["open_download", "open_get"]

PROXY_READ = 256 << 10
"""Chunk size of a body read through httpx (the proxy path)."""
_ERROR_HEAD = 2048  # bytes of an error answer's body read for its message
_REDIRECTS = (301, 302, 303, 307, 308)


class BodyResponse(Protocol):
    """What a download needs from an answer, whichever path fetched it."""

    status_code: int
    headers: httpx.Headers

    def head_of_body(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the body (an error page); b"" when unreadable."""
        ...

    def chunks(self) -> Iterator[memoryview | bytes]:
        """The raw body; a yielded view stays valid while ``BUFFERS - 1`` more are read."""
        ...


@contextlib.contextmanager
def open_download(
    client: httpx.Client, url: str, headers: Mapping[str, str], *, pool: str
) -> Iterator[BodyResponse]:
    """GET a file of ``pool``; yields only a 200 or 206 answer.

    Any other status raises the pool's typed error before the body is yielded (a 416 is
    :class:`~crateq.api.errors.PoolRangeRefused`); a network failure, also one while the
    caller reads the body inside the ``with``, raises :class:`PoolUnavailable`; a redirect
    loop or a refused redirect (:mod:`crateq.api.netpolicy`) raises :class:`PoolProtocolError`.
    A 200 or 206 whose Content-Type is a document (HTML, JSON, XML) raises the error
    :func:`~crateq.api.transport_sniff.not_the_file` gives.
    """
    try:
        with open_get(client, url, headers) as response:
            if response.status_code not in (200, 206):
                body = response.head_of_body(_ERROR_HEAD)
                raise answer_error(
                    response.status_code,
                    response.headers,
                    body,
                    pool,
                    had_token=any(k.lower() == "authorization" for k in headers),
                    download=True,
                )
            what = document_type(response.headers.get("Content-Type"))
            if what is not None:  # a web page or JSON under a 200: never the file
                body = response.head_of_body(_ERROR_HEAD)
                raise not_the_file(what, body, response.headers, response.status_code, pool)
            yield response
    except httpx.TransportError as exc:
        raise certificate_error(pool, exc) or PoolUnavailable(
            f"The connection to {pool} broke during the download ({exc.__class__.__name__}).",
            pool=pool,
        ) from exc
    except (httpx.TooManyRedirects, RedirectRefused) as exc:
        raise redirect_error(pool, exc, what="the download") from exc


@contextlib.contextmanager
def open_get(client: httpx.Client, url: str, headers: Mapping[str, str]) -> Iterator[BodyResponse]:
    """GET ``url`` with the client's headers, timeouts and redirect policy; any status.

    The client's transport is used only on the proxy path: a client built with its own
    transport, proxy or mounts would be bypassed (the engine's plain client has none).
    Network failures are raised as httpx exceptions.
    """
    parsed = httpx.URL(url)  # once per file: parsing is a noticeable part of its CPU
    if not direct_possible(client, parsed):

        def through_httpx(target: httpx.URL, sent: httpx.Headers) -> httpx.Response:
            request = client.build_request("GET", target, headers=sent)
            return client.send(request, stream=True, follow_redirects=False)

        response = _following(client, parsed, httpx.Headers(headers), through_httpx)
        try:
            yield _HttpxResponse(response)
        finally:
            response.close()
        return
    sent = httpx.Headers(client.headers)
    sent.update(headers)
    sent["Accept-Encoding"] = "identity"  # the file's own bytes: they are hashed as they come
    idle = idle_for(client)

    def direct(target: httpx.URL, sent: httpx.Headers) -> DirectResponse:
        return DirectResponse.fetch(target, sent, client.timeout, idle)

    answer = _following(client, parsed, sent, direct)
    try:
        yield answer
    finally:
        answer.close()


def direct_possible(client: httpx.Client, url: str | httpx.URL) -> bool:
    """False when httpx would route ``url`` through a proxy (or the scheme is unusual).

    Any HTTP(S)/ALL proxy in the environment counts (NO_PROXY is left to httpx): such
    setups are rare on a DJ laptop and httpx then does exactly what it did before.
    """
    if (url if isinstance(url, httpx.URL) else httpx.URL(url)).scheme not in DEFAULT_PORTS:
        return False
    if not client.trust_env:
        return True
    with _proxied_lock:
        proxied = _proxied.get(client)
    if proxied is None:
        proxied = _environment_proxied()
        with _proxied_lock:
            _proxied[client] = proxied
    return not proxied


_proxied: weakref.WeakKeyDictionary[httpx.Client, bool] = weakref.WeakKeyDictionary()
"""Per client, as httpx reads the proxy settings once, when a client is made (looking them
up per request walks the whole environment)."""
_proxied_lock = threading.Lock()


def _environment_proxied() -> bool:
    found = urllib.request.getproxies()  # what httpx reads too (environment, OS settings)
    if "*" in (host.strip() for host in found.get("no", "").split(",")):
        return False
    return any(found.get(scheme) for scheme in ("http", "https", "all"))


class _HttpxResponse:
    """An httpx streaming response seen through :class:`BodyResponse`."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def head_of_body(self, limit: int) -> bytes:
        try:
            return self._response.read()[:limit]
        except httpx.HTTPError:
            return b""

    def chunks(self) -> Iterator[memoryview | bytes]:
        return self._response.iter_raw(PROXY_READ)


_AnswerT = TypeVar("_AnswerT", DirectResponse, httpx.Response)


def _following(
    client: httpx.Client,
    url: httpx.URL,
    sent: httpx.Headers,
    fetch: Callable[[httpx.URL, httpx.Headers], _AnswerT],
) -> _AnswerT:
    """GET ``url`` with ``fetch``, following up to ``client.max_redirects`` redirects; one
    to another origin carries no credentials (:mod:`crateq.api.netpolicy`)."""
    home = url
    for _ in range(client.max_redirects + 1):
        answer = fetch(url, sent)
        location = answer.headers.get("Location")
        if not (client.follow_redirects and answer.status_code in _REDIRECTS and location):
            return answer
        answer.close()
        url = url.join(location)
        if not same_origin(home, url):
            strip_secrets(sent)
            url = without_secrets(url)
    raise httpx.TooManyRedirects(f"Exceeded {client.max_redirects} redirects.")
