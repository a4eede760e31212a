"""How crate's answers and failures become :class:`~crateq.api.errors.CrateError`: the
error envelope's code (else the status), network and redirect failures, Retry-After."""

from __future__ import annotations

import json
import math

import httpx
from pydantic import ValidationError

from crateq.api import errors
from crateq.api.bounded import Answer, plain_text
from crateq.api.crate_models import (
    ErrorEnvelope,
)
from crateq.api.netpolicy import (
    CERT_HINT,
    MAX_REDIRECTS,
    RedirectRefused,
    untrusted_certificate,
)


def describe_body(response: Answer) -> str:
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    kind = plain_text(kind, 60)
    return f"HTTP {response.status_code}, {kind}"


def redirect_error(exc: httpx.RequestError) -> errors.CrateProtocolError:
    if isinstance(exc, RedirectRefused):
        return errors.CrateProtocolError(
            f"crate redirected the request to another host; CrateQ {exc}.",
            code="redirect_refused",
        )
    return errors.CrateProtocolError(
        f"crate redirected the request more than {MAX_REDIRECTS} times (a redirect loop?).",
        code="redirect_loop",
        hint="Check the crate URL.",
    )


def network_error(exc: httpx.TransportError) -> errors.CrateError:
    reason = untrusted_certificate(exc)
    if reason is not None:
        return errors.CrateUnavailable(
            f"crate's certificate is not trusted ({reason}).",
            code="untrusted_certificate",
            hint=CERT_HINT,
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.CrateUnavailable("crate did not answer in time.", code="timeout")
    return errors.CrateUnavailable(
        "crate cannot be reached.", code="network", hint="Check the connection and the crate URL."
    )


_BY_CODE: dict[str, type[errors.CrateError]] = {
    "invalid_fields": errors.CrateInvalidFields,
    "use_resolve_for_locator": errors.CrateUseResolveForLocator,
    "rate_limited": errors.CrateRateLimited,
    "not_found": errors.CrateNotFound,
    "master_not_found": errors.CrateNotFound,
    "unauthorized": errors.CrateAuthError,
    "forbidden": errors.CrateAuthError,
    "invalid_api_key": errors.CrateAuthError,
    "missing_api_key": errors.CrateAuthError,
}

_BY_STATUS: dict[int, type[errors.CrateError]] = {
    400: errors.CrateBadRequest,
    401: errors.CrateAuthError,
    403: errors.CrateAuthError,
    404: errors.CrateNotFound,
    422: errors.CrateBadRequest,
    429: errors.CrateRateLimited,
}

_DEFAULT_MESSAGES: dict[type[errors.CrateError], str] = {
    errors.CrateAuthError: "crate rejected the API key",
    errors.CrateBadRequest: "crate refused the request",
    errors.CrateRateLimited: "crate is rate-limiting requests; try again shortly",
    errors.CrateNotFound: "crate has no such resource",
    errors.CrateUnavailable: "crate is unavailable right now",
    errors.CrateProtocolError: "crate sent an answer CrateQ cannot read",
}
_GATEWAY_MESSAGES = {
    502: "crate's gateway failed",
    503: "crate is overloaded",
    504: "crate timed out answering",
}


def error_from(response: Answer) -> errors.CrateError:
    """Map a 4xx/5xx answer to a typed error; a body that is not the envelope still maps."""
    status = response.status_code
    header_wait = retry_after_header(response.headers.get("retry-after"))
    fallback = _BY_STATUS.get(status) or (
        errors.CrateUnavailable if status >= 500 else errors.CrateProtocolError
    )
    try:
        body = json.loads(response.content)
        envelope = ErrorEnvelope.model_validate(body)
    except (ValueError, ValidationError, RecursionError):  # not the envelope, or too deep
        base = _GATEWAY_MESSAGES.get(status) or _DEFAULT_MESSAGES[fallback]
        return fallback(
            f"{base} ({describe_body(response)}, not crate's error format).",
            status=status,
            retry_after=header_wait,
        )
    if fallback is errors.CrateProtocolError:  # a well-formed envelope with an unusual status
        fallback = errors.CrateBadRequest
    cls = _BY_CODE.get(envelope.error) or fallback
    wait = finite_wait(envelope.retry_after_seconds)
    wait = wait if wait is not None else header_wait
    base = _GATEWAY_MESSAGES.get(status) or _DEFAULT_MESSAGES.get(cls, "crate refused")
    message = (
        plain_text(envelope.message or "")
        or f"{base} ({plain_text(envelope.error, 60)}, HTTP {status})."
    )
    return cls(
        message,
        status=status,
        code=envelope.error,
        hint=plain_text(envelope.hint) if envelope.hint else None,
        retry_after=wait,
        doc_url=envelope.doc_url,
        param=envelope.param,
        next_url=envelope.next,
        details=envelope.details,
        body=body if isinstance(body, dict) else {},
    )


def retry_after_header(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is not used by crate and is ignored)."""
    if value is None:
        return None
    try:
        return finite_wait(float(value))
    except ValueError:
        return None


def finite_wait(seconds: float | None) -> float | None:
    """A wait crate asked for, or None for none or a nonsense one (NaN, infinite)."""
    if seconds is None or not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
