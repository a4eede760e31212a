"""Async client of the crate v2 artist-intelligence API (wire level: httpx + pydantic).

What callers may rely on:

* Every answer is a pydantic model from :mod:`crateq.api.crate_models`; an honest gap
  (HTTP 200 with ``identity: null``, ``present: false``…) is returned as data, never raised.
* Every failure is a :class:`~crateq.api.errors.CrateError` subclass chosen by crate's
  ``error`` code (falling back to the status), or :class:`CrateKeyMissing` /
  :class:`CrateInputError` raised before any request is made.
* Retries: up to ``max_retries`` (2) on 429/500/502/503/504 and network errors, exponential
  backoff capped at 8 s, ``Retry-After`` / ``retry_after_seconds`` honoured up to 60 s, all
  within a 120 s deadline. ``sleep`` and ``clock`` are injectable so tests never really wait.
* Redirects: at most ``MAX_REDIRECTS``, and ``X-API-Key`` never goes to another host
  (:mod:`crateq.api.netpolicy`); certificates are checked against the system trust store.
* ``last_rate_limit`` holds the ``X-RateLimit-*`` headers of the latest answer.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypedDict, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from crateq import __version__
from crateq.api import errors
from crateq.api.bounded import MAX_ANSWER_MB, Answer, AnswerTooLarge, read_bounded
from crateq.api.crate_list_models import (
    BreakoutsResponse,
    OnesToWatchResponse,
    SearchResponse,
    TastemakersResponse,
)
from crateq.api.crate_models import (
    ArtistDossier,
    ArtistPreview,
    IdentityResolution,
    LabelDossier,
)
from crateq.api.crate_wire import (
    describe_body,
    error_from,
    network_error,
    redirect_error,
)
from crateq.api.netpolicy import (
    MAX_REDIRECTS,
    RedirectRefused,
    guard_for,
    trust_context,
)

DEFAULT_CRATE_URL = "https://crate.hosaka.fm"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_KEY_LENGTH = 200

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DIGITS = re.compile(r"^[0-9]+$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_PREFIXED = re.compile(r"^(discogs|mbid|cluster|isrc)\s*:\s*(\S+)$", re.IGNORECASE)

ModelT = TypeVar("ModelT", bound=BaseModel)
Sleep = Callable[[float], Awaitable[None]]
#: A query-string value as httpx encodes it (a sequence repeats the parameter).
QueryValue: TypeAlias = "str | int | float | bool | Sequence[str | int | float | bool] | None"


@dataclass(frozen=True)
class RateLimit:
    """The ``X-RateLimit-*`` headers of one answer; ``reset`` is a Unix epoch in seconds."""

    limit: int | None
    remaining: int | None
    reset: int | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        values = [_int_or_none(headers.get(f"x-ratelimit-{n}")) for n in ("limit", "remaining")]
        reset = _int_or_none(headers.get("x-ratelimit-reset"))
        if values == [None, None] and reset is None:
            return None
        return cls(limit=values[0], remaining=values[1], reset=reset)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def route_query(text: str) -> dict[str, str]:
    """Turn what a user typed into one ``/resolve`` locator, as the official SDK does.

    A URL goes to ``url``; ``discogs:123`` or bare digits to ``discogs``; ``mbid:<uuid>`` or a
    bare UUID to ``mbid``; a 64-hex cluster id to ``cluster``; anything else is a name (``q``).
    """
    value = text.strip()
    if not value:
        raise errors.CrateInputError("Type an artist name, a link or an id.", code="empty_input")
    if len(value) > 256:
        raise errors.CrateInputError("That is too long to be an artist name or link.")
    if _URL.match(value):
        return {"url": value if "://" in value else f"https://{value}"}
    prefixed = _PREFIXED.match(value)
    if prefixed:
        return {prefixed.group(1).lower(): prefixed.group(2)}
    if _DIGITS.match(value):
        return {"discogs": value}
    if _UUID.match(value):
        return {"mbid": value.lower()}
    if _HEX64.match(value):
        return {"cluster": value}
    return {"q": value}


def is_cluster_id(key: str) -> bool:
    return bool(_HEX64.match(key))


def is_locator(key: str) -> bool:
    """Keys that ``/artist/{key}`` refuses (400 use_resolve_for_locator): resolve them first."""
    return "q" not in route_query(key) and not is_cluster_id(key.strip())


class CrateClientOptions(TypedDict, total=False):
    """:class:`CrateClient`'s keyword options, for the factories that pass them on."""

    transport: httpx.AsyncBaseTransport | None
    timeout: float
    max_retries: int
    backoff_base: float
    backoff_cap: float
    max_retry_after: float
    deadline: float
    sleep: Sleep
    clock: Callable[[], float]


class CrateClient:
    """One crate API endpoint and key; share one instance per app, close it with ``aclose``."""

    def __init__(
        self,
        base_url: str = DEFAULT_CRATE_URL,
        api_key: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        backoff_base: float = 1.0,
        backoff_cap: float = 8.0,
        max_retry_after: float = 60.0,
        deadline: float = 120.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = (api_key or "").strip() or None
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.deadline = deadline
        self._sleep = sleep
        self._clock = clock
        self.last_rate_limit: RateLimit | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            verify=trust_context(),
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            event_hooks={"request": [guard_for(self.base_url)]},
            headers={"User-Agent": f"crateq/{__version__}", "Accept": "application/json"},
        )

    async def __aenter__(self) -> CrateClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- identity ---------------------------------------------------------------------------

    async def resolve(self, query: str) -> IdentityResolution:
        """Resolve a name, pasted link or id (routed by :func:`route_query`)."""
        return await self.resolve_by(route_query(query))

    async def resolve_by(self, params: Mapping[str, str]) -> IdentityResolution:
        """Resolve with explicit locator parameters (``q``, ``url``, ``discogs``, ``mbid``…)."""
        clean = {k: v.strip() for k, v in params.items() if v and v.strip()}
        if not clean:
            raise errors.CrateInputError("Type an artist name, a link or an id.", code="empty")
        return await self._get("/api/v2/resolve", IdentityResolution, params=clean)

    async def artist(self, key: str, fields: Sequence[str] | None = None) -> ArtistDossier:
        """The artist dossier by 64-hex cluster id or slug; locators are resolved first.

        For a locator (``discogs:123``, an MBID, a link) the resolution is kept on the result
        (``dossier.resolution``); if it does not resolve, the dossier is the honest gap
        (``identity is None``) without a second request.
        """
        key = _check_key(key)
        if not is_locator(key):
            return await self._artist_at(f"/api/v2/artist/{_path(key)}", fields)
        resolution = await self.resolve(key)
        target = resolution.cluster_id or resolution.slug
        if target is None:
            return ArtistDossier(display=resolution.display, resolution=resolution)
        dossier = await self._artist_at(f"/api/v2/artist/{_path(target)}", fields)
        dossier.resolution = resolution
        return dossier

    async def artist_dossier(self, slug: str, fields: Sequence[str] | None = None) -> ArtistDossier:
        """The artist dossier by slug (``/dossier/artist/{slug}``, an alias of ``artist``)."""
        return await self._artist_at(f"/api/v2/dossier/artist/{_path(_check_key(slug))}", fields)

    async def label(self, key: str) -> LabelDossier:
        """The label dossier by 64-hex label cluster id or name slug."""
        return await self._get(f"/api/v2/label/{_path(_check_key(key))}", LabelDossier)

    async def label_dossier(self, slug: str) -> LabelDossier:
        return await self._get(f"/api/v2/dossier/label/{_path(_check_key(slug))}", LabelDossier)

    async def preview_artist(self, query: str) -> ArtistPreview:
        """The keyless teaser (name, slug or cluster id); works without an API key."""
        query = query.strip()
        if not query:
            raise errors.CrateInputError("Type an artist name.", code="empty_input")
        return await self._get(
            "/api/v2/preview/artist", ArtistPreview, params={"q": query}, keyed=False
        )

    # --- catalogue and discovery ------------------------------------------------------------

    async def search(
        self,
        query: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **filters: QueryValue,
    ) -> SearchResponse:
        """Master-grain search; ``filters`` are crate's facet parameters (genre=…, year_from=…)."""
        if not query.strip():
            raise errors.CrateInputError("Type something to search for.", code="empty_input")
        params: dict[str, QueryValue] = {"q": query.strip(), **filters}
        if limit is not None:
            params["limit"] = limit
        if offset is not None:
            params["offset"] = offset
        return await self._get("/api/v2/search", SearchResponse, params=params)

    async def breakouts(
        self, *, limit: int | None = None, tier: str | None = None, corroboration: str | None = None
    ) -> BreakoutsResponse:
        params = _drop_none(limit=limit, tier=tier, corroboration=corroboration)
        return await self._get("/api/v2/breakouts", BreakoutsResponse, params=params)

    async def tastemakers(self, *, limit: int | None = None) -> TastemakersResponse:
        params = _drop_none(limit=limit)
        return await self._get("/api/v2/tastemakers", TastemakersResponse, params=params)

    async def ones_to_watch(self, *, limit: int | None = None) -> OnesToWatchResponse:
        params = _drop_none(limit=limit)
        path = "/api/v2/tastemakers/ones-to-watch"
        return await self._get(path, OnesToWatchResponse, params=params)

    # --- the wire ---------------------------------------------------------------------------

    async def _artist_at(self, path: str, fields: Sequence[str] | None) -> ArtistDossier:
        params = {"fields": ",".join(f.strip() for f in fields)} if fields else None
        return await self._get(path, ArtistDossier, params=params)

    async def _get(
        self,
        path: str,
        model: type[ModelT],
        *,
        params: Mapping[str, QueryValue] | None = None,
        keyed: bool = True,
    ) -> ModelT:
        headers: dict[str, str] = {}
        if keyed:
            if self.api_key is None:
                raise errors.CrateKeyMissing(
                    "No crate API key is set.",
                    hint="Set one with `crateq config set-secret crate.api_key`.",
                )
            headers["X-API-Key"] = self.api_key
        response = await self._send_with_retries(path, params, headers)
        return _parse(response, model)

    async def _send_with_retries(
        self, path: str, params: Mapping[str, QueryValue] | None, headers: dict[str, str]
    ) -> Answer:
        started = self._clock()
        attempt = 0
        while True:
            try:
                left = self.deadline - (self._clock() - started)
                timeout = httpx.Timeout(max(0.1, min(self.timeout, left)))
                request = self._http.build_request(
                    "GET", path, params=params, headers=headers, timeout=timeout
                )
                response = await read_bounded(self._http, request)
            except (httpx.TooManyRedirects, RedirectRefused) as exc:
                raise redirect_error(exc) from exc
            except AnswerTooLarge as exc:
                raise errors.CrateProtocolError(
                    f"crate sent an answer larger than {MAX_ANSWER_MB} MB; CrateQ stopped "
                    "reading it.",
                    code="answer_too_large",
                ) from exc
            except httpx.DecodingError as exc:
                raise errors.CrateProtocolError(
                    "crate sent a compressed answer that does not decompress.",
                    code="unreadable_answer",
                ) from exc
            except httpx.TransportError as exc:
                failure: errors.CrateError = network_error(exc)
                failure.__cause__ = exc
                if failure.code == "untrusted_certificate":
                    raise failure from exc  # the same certificate again: retrying cannot help
                retry_after: float | None = None
            else:
                self.last_rate_limit = RateLimit.from_headers(response.headers) or (
                    self.last_rate_limit
                )
                if response.status_code < 400:
                    return response
                failure = error_from(response)
                if response.status_code not in RETRY_STATUSES:
                    raise failure
                retry_after = failure.retry_after
            if attempt >= self.max_retries:
                raise failure
            if retry_after is not None and retry_after > self.max_retry_after:
                raise failure  # crate asks for longer than we are willing to wait
            delay = (
                retry_after
                if retry_after is not None
                else min(self.backoff_cap, self.backoff_base * 2**attempt)
            )
            if self._clock() - started + delay > self.deadline:
                raise failure
            await self._sleep(delay)
            attempt += 1


def _check_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise errors.CrateInputError("Type an artist name, a link or an id.", code="empty_input")
    if len(key) > MAX_KEY_LENGTH:
        raise errors.CrateInputError("That key is too long for crate (200 characters at most).")
    return key


def _path(segment: str) -> str:
    return quote(segment, safe="")


def _drop_none(**params: QueryValue) -> dict[str, QueryValue]:
    return {k: v for k, v in params.items() if v is not None}


def _parse(response: Answer, model: type[ModelT]) -> ModelT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise errors.CrateProtocolError(
            f"crate sent an answer CrateQ cannot read ({describe_body(response)}).",
            status=response.status_code,
            code="unreadable_answer",
        ) from exc
