"""Wire helpers of the pool client: error mapping, Retry-After, and log redaction.

Kept apart from :mod:`crateq.api.pool` so the mapping from a pool's answer to the typed
errors of :mod:`crateq.api.errors` reads as one table.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from typing import TYPE_CHECKING

import httpx
from pydantic import ValidationError

from crateq.api.bounded import Answer, plain_text
from crateq.api.errors import (
    DownloadTokenExpired,
    PoolAuthError,
    PoolBadRequest,
    PoolError,
    PoolForbidden,
    PoolKeyError,
    PoolNotFound,
    PoolProtocolError,
    PoolRangeRefused,
    PoolRateLimited,
    PoolUnavailable,
    TokenExpired,
)
from crateq.api.netpolicy import (
    CERT_HINT,
    MAX_REDIRECTS,
    RedirectRefused,
    untrusted_certificate,
)
from crateq.api.pool_models import ApiErrorBody, LoginResult

if TYPE_CHECKING:
    from crateq.api.json_types import JSONValue

RETRYABLE = (429, 503)
MAX_LOGIN_MESSAGE = 500  # characters of the pool's sign-in message shown to the user
#: A token that fits in an ``Authorization`` header: visible ASCII, at most 16 kB (JWTs are).
_USABLE_TOKEN = re.compile(r"[\x21-\x7e]{1,16384}")

_SECRET_PARAM = re.compile(r"([?&](?:key|token|t)=)[^&\s\"']+", re.IGNORECASE)


class _RedactQuerySecrets(logging.Filter):
    """httpx logs every request URL at INFO; the API key and download tokens ride in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        redacted = _SECRET_PARAM.sub(r"\1***", text)
        if redacted != text:
            record.msg, record.args = redacted, ()
        return True


def install_redaction() -> None:
    """Hide ``key=``/``token=`` values in httpx's request logs (idempotent)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactQuerySecrets) for f in logger.filters):
            logger.addFilter(_RedactQuerySecrets())


def certificate_error(pool: str, exc: BaseException) -> PoolUnavailable | None:
    """The sentence for a pool whose TLS certificate failed verification, else None."""
    reason = untrusted_certificate(exc)
    if reason is None:
        return None
    return PoolUnavailable(
        f"Pool {pool}'s certificate is not trusted ({reason}).",
        pool=pool,
        code="untrusted_certificate",
        hint=CERT_HINT,
    )


def redirect_error(pool: str, exc: Exception, *, what: str = "the request") -> PoolProtocolError:
    """The sentence for a redirect CrateQ stopped following: a loop (more than
    ``MAX_REDIRECTS``) or one that would carry a request body to another host."""
    if isinstance(exc, RedirectRefused):
        return PoolProtocolError(
            f"Pool {pool} redirected {what} to another host; CrateQ {exc}.",
            pool=pool,
            code="redirect_refused",
        )
    return PoolProtocolError(
        f"Pool {pool} redirected {what} more than {MAX_REDIRECTS} times (a redirect loop?).",
        pool=pool,
        code="redirect_loop",
        hint="Check the pool's URL.",
    )


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for(
    response: Answer,
    name: str,
    *,
    had_token: bool = False,
    download: bool = False,
    login: bool = False,
    relogged: bool = False,
) -> PoolError:
    """The typed error for a non-2xx answer; ``name`` is the pool's, on the error too."""
    return answer_error(
        response.status_code,
        response.headers,
        response.content,
        name,
        had_token=had_token,
        download=download,
        login=login,
        relogged=relogged,
    )


def answer_error(
    status: int,
    headers: httpx.Headers,
    body: bytes,
    name: str,
    *,
    had_token: bool = False,
    download: bool = False,
    login: bool = False,
    relogged: bool = False,
) -> PoolError:
    """:func:`error_for` from an answer's parts (the download transport reads only the
    head of an error body); the one table from a pool's answer to the typed errors."""
    text = server_message(body) or f"HTTP {status}"
    if status == 400:
        return PoolBadRequest(f"Pool {name} rejected the request: {text}", pool=name, status=400)
    if status == 401:
        if login:
            return PoolAuthError(
                f"Pool {name} rejected the username or password: {text}",
                pool=name,
                status=401,
            )
        cls = TokenExpired if had_token and not relogged else PoolAuthError
        return cls(
            f"Pool {name} rejected the session: {text}",
            pool=name,
            status=401,
            hint="Log in to the pool again.",
        )
    if status == 403:
        lowered = text.lower()
        if download and "token" in lowered and "expired" in lowered:
            return DownloadTokenExpired(
                f"The download link from pool {name} expired.", pool=name, status=403
            )
        if download and "key" not in lowered:
            return PoolForbidden(f"Pool {name} refused the download: {text}", pool=name, status=403)
        return PoolKeyError(
            f"Pool {name} rejected the API key: {text}",
            pool=name,
            status=403,
            hint="Check the API key in the pool's settings.",
        )
    if status == 404:
        return PoolNotFound(f"Pool {name} does not know that item: {text}", pool=name, status=404)
    if status == 416 and download:
        return PoolRangeRefused(
            f"Pool {name} cannot resume the download from there.", pool=name, status=416
        )
    if status in RETRYABLE:
        return PoolRateLimited(
            f"Pool {name} is busy; try again shortly.",
            retry_after=retry_after_seconds(headers),
            pool=name,
            status=status,
        )
    if status >= 500:
        return PoolUnavailable(f"Pool {name} failed: {text}", pool=name, status=status)
    return PoolProtocolError(
        f"Pool {name} answered with an unexpected HTTP {status}: {text}",
        pool=name,
        status=status,
    )


def server_message(body: bytes) -> str:
    """The ``message`` of an error body as one plain line (clipped), or "" when the body is
    not the error envelope."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # broken JSON, bad UTF-8, nested too deep
        return ""
    if isinstance(data, dict):
        return plain_text(ApiErrorBody.model_validate(data).message)
    return ""


def decode_json(response: Answer, name: str) -> JSONValue:
    """The JSON body, or :class:`PoolProtocolError` for an HTML page or unreadable JSON."""
    try:
        body: JSONValue = json.loads(response.content)
        return body
    except (ValueError, RecursionError) as exc:
        raise unreadable(response, name, exc) from exc


def unreadable(response: Answer, name: str, exc: BaseException | None = None) -> PoolProtocolError:
    """The error for a body that is not the data the API promises, saying what it was."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and "json" not in kind:
        message = (
            f"Pool {name} answered with a {plain_text(kind, 60)} page instead of data; "
            "it may be down for maintenance or the URL may be wrong."
        )
    else:
        what = (
            "nested too deeply" if isinstance(exc, RecursionError)
            else "not UTF-8" if isinstance(exc, UnicodeDecodeError)
            else "broken JSON" if isinstance(exc, ValueError)
            else "not the API's format"
        )  # fmt: skip
        message = f"Pool {name} sent an answer CrateQ cannot read ({what})."
    return PoolProtocolError(message, pool=name, status=response.status_code, code="unreadable")


def login_result(response: Answer, name: str) -> LoginResult:
    """The pool's login answer (an object, or a list holding one), its message as one plain
    line; :class:`PoolProtocolError` when it is not a login result or its token cannot be
    sent back in a header, :class:`PoolAuthError` when it carries no token."""
    data = decode_json(response, name)
    item = data[0] if isinstance(data, list) and data else data
    if not isinstance(item, dict):
        raise PoolProtocolError(
            f"Pool {name} answered the login with something that is not a login result.",
            pool=name,
            status=response.status_code,
        )
    try:
        result = LoginResult.model_validate(item)
    except (ValidationError, RecursionError) as exc:
        raise unreadable(response, name, exc) from exc
    result.msg = plain_text(result.msg, MAX_LOGIN_MESSAGE)
    if not result.token:
        raise PoolAuthError(
            f"Pool {name} accepted the login but sent no token"
            + (f": {result.msg}" if result.msg else "."),
            pool=name,
            status=response.status_code,
        )
    if not _USABLE_TOKEN.fullmatch(result.token):
        raise PoolProtocolError(
            f"Pool {name} accepted the login but sent a token CrateQ cannot use.",
            pool=name,
            status=response.status_code,
            code="unusable_token",
        )
    return result


def timeout_for(read: float) -> httpx.Timeout:
    """The client's timeouts for a wait of ``read`` seconds on an answer (the setting
    ``search.timeout_seconds``); connecting never waits longer than that either."""
    return httpx.Timeout(connect=min(10.0, read), read=read, write=30.0, pool=10.0)
