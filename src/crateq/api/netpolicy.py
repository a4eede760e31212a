"""What every client of the app does about trust and redirects, in one place.

* TLS: certificates are verified against the system trust store (``truststore``: the OS's
  own store on Windows and macOS, OpenSSL's system bundle on Linux). There is no switch to
  turn verification off; a pool or crate behind a private CA is trusted by naming its CA
  file in ``CRATEQ_CA_FILE`` (added to the system store, and listed by ``crateq doctor``).
* Redirects: at most :data:`MAX_REDIRECTS`; a request that leaves its origin (another
  scheme, host or port; http->https on the same host excepted, as httpx does) loses the
  ``Authorization`` and ``X-API-Key`` headers and the ``key`` query parameter, and a request
  with a body (a login's password) is never sent to another origin at all.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Awaitable, Callable

import httpx
import truststore

from crateq.api.errors import CrateQError

MAX_REDIRECTS = 5
"""Redirects followed per request; a longer chain (a loop) is an error that says so."""
CA_FILE_ENV = "CRATEQ_CA_FILE"
"""A PEM file of extra CAs to trust besides the system store (a private pool's CA)."""
OPENSSL_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR")
"""OpenSSL's own variables: on Linux they replace the system bundle (``crateq doctor``
lists them when set)."""
SECRET_HEADERS = ("authorization", "x-api-key")
SECRET_PARAMS = ("key",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class RedirectRefused(httpx.RequestError, CrateQError):
    """A redirect CrateQ does not follow: it would carry a request body to another origin.
    An httpx error where it is raised (an httpx hook), in the one tree for the test of it;
    the clients turn it into their pool's or crate's error."""


def extra_ca_file() -> str | None:
    """The CA file named in ``CRATEQ_CA_FILE``, or None."""
    return os.environ.get(CA_FILE_ENV, "").strip() or None


def trust_context(*, http2: bool = False) -> ssl.SSLContext:
    """The verifying context for the current ``CRATEQ_CA_FILE``, made once per ALPN list.

    Shared by every client that speaks the same protocols: httpcore sets the ALPN list on
    the context per connection, so HTTP/2 clients and HTTP/1.1-only ones get their own.
    """
    openssl = tuple(os.environ.get(name) for name in OPENSSL_ENV)
    return _context(http2, extra_ca_file(), openssl)


@functools.cache
def _context(http2: bool, ca_file: str | None, _openssl: tuple[str | None, ...]) -> ssl.SSLContext:
    """One context per ALPN list and trust environment (``_openssl`` keys the cache: on
    Linux the system store is OpenSSL's, which ``SSL_CERT_FILE``/``SSL_CERT_DIR`` move)."""
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ssl.SSLError(f"{CA_FILE_ENV}={ca_file} cannot be loaded: {exc}") from exc
    context.set_alpn_protocols(["http/1.1", "h2"] if http2 else ["http/1.1"])
    return context


CERT_HINT = (
    f"If it uses a private certificate authority, name its CA file in {CA_FILE_ENV}; "
    "certificate checks cannot be turned off."
)


def untrusted_certificate(exc: BaseException) -> str | None:
    """The verifier's reason when ``exc`` (or what caused it) is a certificate that failed
    verification (self-signed, expired, another host's), else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or str(current)
        current = current.__cause__ or current.__context__
    return None


def require_verifying(context: ssl.SSLContext) -> ssl.SSLContext:
    """``context`` itself, or ValueError when it would not check the certificate and host."""
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise ValueError("CrateQ only connects with certificate and host name verification on.")
    return context


def origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 0)


def same_origin(home: httpx.URL, url: httpx.URL) -> bool:
    """True for ``home``'s own origin, and its https upgrade (http:80 -> https:443)."""
    if origin(home) == origin(url):
        return True
    return origin(home) == ("http", url.host, 80) and origin(url) == ("https", url.host, 443)


def without_secrets(url: httpx.URL) -> httpx.URL:
    """``url`` without the API-key query parameter."""
    for name in SECRET_PARAMS:
        if name in url.params:
            url = url.copy_remove_param(name)
    return url


def strip_secrets(headers: httpx.Headers) -> None:
    for name in SECRET_HEADERS:
        headers.pop(name, None)


def has_body(headers: httpx.Headers) -> bool:
    return headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers


def guard_for(home: str) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook: a request to another origin than ``home`` (a redirect)
    carries none of the credentials, and none with a body is sent there."""
    home_url = httpx.URL(home)

    async def guard(request: httpx.Request) -> None:
        if same_origin(home_url, request.url):
            return
        if has_body(request.headers):
            raise RedirectRefused(
                f"refused to send the request's body on to another host ({request.url.host})",
                request=request,
            )
        strip_secrets(request.headers)
        request.url = without_secrets(request.url)

    return guard
