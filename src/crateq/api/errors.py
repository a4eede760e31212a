"""The wire's part of the one exception tree: every remote API the app speaks, plus the
input and local-configuration errors raised before a request.

httpx errors are translated at the wire (``raise PoolUnavailable(...) from exc``) and never
reach services or widgets. Every error carries one plain sentence for the user (``str(err)``)
plus what a caller needs to decide: the HTTP status, a machine code, a hint, and for rate
limits how long to wait.

    CrateQError
    ├── ApiError                      anything that went wrong talking to a remote API
    │   ├── PoolError                 record-pool API
    │   │   ├── PoolAuthError         401: wrong credentials / JWT rejected after re-login
    │   │   │   └── TokenExpired      401 on a JWT that was valid before (silently re-logged in)
    │   │   ├── PoolKeyError          403 on the API key
    │   │   ├── PoolForbidden         403 otherwise (e.g. download token expired, account expired)
    │   │   │   └── DownloadTokenExpired
    │   │   ├── PoolBadRequest        400, the server's message kept
    │   │   ├── PoolNotFound          404
    │   │   ├── PoolRangeRefused      416 on a resumed download: the partial file starts over
    │   │   ├── PoolRateLimited       429/503 after bounded retries (retry_after)
    │   │   ├── PoolTimeout           the "200 with []" search timeout, or a read timeout
    │   │   ├── PoolUnavailable       network failure, 5xx
    │   │   └── PoolProtocolError     a body that is not what the API promises (HTML page…)
    │   └── CrateError                crate artist-intelligence API (see crateq.api.crate)
    │       ├── CrateInputError       empty/unusable input, rejected before any request
    │       ├── CrateAuthError        401/403: key rejected (unauthorized, invalid_api_key…)
    │       ├── CrateBadRequest       400, crate's code kept (invalid_query, invalid_locator…)
    │       │   ├── CrateInvalidFields       invalid_fields: ``valid`` set and ``example`` kept
    │       │   └── CrateUseResolveForLocator  use_resolve_for_locator: ``next_url`` kept
    │       ├── CrateNotFound         404 (not_found, master_not_found)
    │       ├── CrateRateLimited      429 after bounded retries (retry_after)
    │       ├── CrateUnavailable      network failure, timeout, 5xx after bounded retries
    │       └── CrateProtocolError    a body that is neither the error envelope nor the schema
    ├── FilterError                   a search filter the user typed is malformed (bpm "80-")
    ├── ConfigError                   missing/invalid local configuration (no key, no pool…)
    │   ├── CrateKeyMissing           no crate API key set; no request was made
    │   ├── KeyringUnavailable        no usable OS keyring to store a secret (never plaintext)
    │   └── SettingsInvalid, StoreError   settings file, download database (the core's)
    └── DownloadError                 the local side of a download: verification, restart,
                                      disk full… (the core's)

The core's branches are defined in core/errors.py, which also re-exports this tree: the
core imports every error from there, its one door to the tree (this layer imports no core).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


class CrateQError(Exception):
    """Base of every error the app raises on purpose; ``str()`` is one sentence for the user."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigError(CrateQError):
    """Local configuration is missing or invalid; no request was made."""


class FilterError(CrateQError, ValueError):
    """A search filter (bpm, year, page size…) cannot be sent; raised before any request.

    Also a ``ValueError`` so pydantic validators and click callbacks accept it as is.
    """


class ApiError(CrateQError):
    """A remote API answered with an error, or could not be reached."""


class PoolError(ApiError):
    """An error from one record pool; ``pool`` names it so results from others can stand."""

    def __init__(
        self,
        message: str,
        *,
        pool: str | None = None,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, hint=hint)
        self.pool = pool


class PoolAuthError(PoolError):
    """Credentials or JWT rejected (401)."""


class TokenExpired(PoolAuthError):
    """The JWT expired; the client re-logs in once with stored credentials."""


class PoolKeyError(PoolError):
    """The pool rejected the API key (403 on every request)."""


class PoolForbidden(PoolError):
    """The pool refused this request (403), e.g. an expired subscription on download."""


class DownloadTokenExpired(PoolForbidden):
    """The row's ``auth`` download token expired; fetch a fresh row and resume."""


class PoolBadRequest(PoolError):
    """The pool rejected the request's parameters (400); the server's message is kept."""


class PoolNotFound(PoolError):
    """The pool does not know the requested item (404)."""


class PoolRangeRefused(PoolError):
    """The pool cannot serve the requested ``Range`` (416): a resumed file must start over."""


class PoolRateLimited(PoolError):
    """Too many requests (429/503) even after waiting; ``retry_after`` in seconds if known."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PoolTimeout(PoolError):
    """The pool gave up (its 200-with-[] search timeout) or did not answer in time."""


class PoolUnavailable(PoolError):
    """The pool could not be reached or failed (network error, 5xx)."""


class PoolProtocolError(PoolError):
    """The pool answered with something the API does not promise (e.g. an HTML error page)."""


class CrateError(ApiError):
    """An error from crate; carries its error envelope (``code`` is the envelope's ``error``).

    An honest gap (``present: false``, ``identity: null``) is never a CrateError: it is data.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
        doc_url: str | None = None,
        param: str | None = None,
        next_url: str | None = None,
        details: Sequence[object] | None = None,
        body: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, hint=hint)
        self.retry_after = retry_after
        self.doc_url = doc_url
        self.param = param
        self.next_url = next_url
        self.details: Sequence[object] = details or []
        self.body = body or {}


class CrateInputError(CrateError):
    """The input cannot be sent to crate (empty, too long); no request was made."""


class CrateAuthError(CrateError):
    """crate rejected the API key (401/403)."""


class CrateBadRequest(CrateError):
    """crate rejected the request's parameters (400); its code and hint are kept."""


class CrateInvalidFields(CrateBadRequest):
    """``?fields=`` named an unknown facet; ``valid`` lists the facets crate accepts."""

    @property
    def valid(self) -> list[str]:
        value = self.body.get("valid")
        return [str(v) for v in value] if isinstance(value, list) else []


class CrateUseResolveForLocator(CrateBadRequest):
    """A ``discogs:``/``mbid:`` locator was used as an artist key; ``next_url`` resolves it."""


class CrateNotFound(CrateError):
    """crate has no such resource (404); an unknown artist is a 200 honest gap instead."""


class CrateRateLimited(CrateError):
    """Too many requests (429) even after waiting; ``retry_after`` in seconds if known."""


class CrateUnavailable(CrateError):
    """crate could not be reached, timed out or failed (5xx) after bounded retries."""


class CrateProtocolError(CrateError):
    """crate answered with something the API does not promise (HTML page, broken JSON)."""


class CrateKeyMissing(ConfigError):
    """No crate API key is set; raised before any request is made."""


class KeyringUnavailable(ConfigError):
    """No usable OS keyring: a secret cannot be stored (it is never written in plaintext)."""
