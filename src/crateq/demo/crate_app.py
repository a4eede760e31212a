"""The crate stand-in: a Starlette app answering like crate v2.47 for the demo's artists.

It serves ``/resolve``, ``/artist/{key}``, the artist and label dossiers, ``/label/{key}``,
the keyless ``/preview/artist``, ``/search`` and the three discovery lists, with crate's
error envelope, ``X-API-Key`` checks and ``X-RateLimit-*`` headers. :class:`CrateDemoControl`
is the switchboard tests (and ``POST /_demo/fault``) use to inject 429/5xx faults, change
the discovery lists' condition, or count the requests that reached the server.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crateq.demo import crate_discovery, crate_labels, crate_lookup, crate_payloads
from crateq.demo.crate_data import DemoCrateData
from crateq.demo.crate_discovery import DEFAULT_MODES, ListMode
from crateq.demo.crate_lookup import DemoCrateError

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject, JSONValue

DEMO_API_KEY = "ck_test_CrateQDemo0000000000000000000000"  # ck_test_ + 32 base62
FaultMode = Literal["429", "500", "503", "504", "html", "garbage"]
FAULT_MODES: tuple[FaultMode, ...] = ("429", "500", "503", "504", "html", "garbage")
Handler: TypeAlias = "Callable[[Request], JSONObject]"  # a handler returns a JSON body
Endpoint = Callable[[Request], Awaitable[Response]]
_LOCATOR = re.compile(r"^(discogs|mbid)\s*:\s*(.*)$", re.IGNORECASE)


def demo_artist_names() -> list[str]:
    """The demo pools' artists (crate knows most of them, as it would in real life)."""
    from crateq.demo.catalog import all_artist_names

    return all_artist_names()


@dataclass
class Fault:
    """Answer the next ``remaining`` requests (None: all) with this failure."""

    mode: FaultMode
    remaining: int | None = None
    retry_after: float = 2.0


@dataclass
class CrateDemoControl:
    """Mutable switches of one stand-in instance (thread-safe enough: simple assignments)."""

    api_keys: set[str] = field(default_factory=lambda: {DEMO_API_KEY})
    modes: dict[str, ListMode] = field(default_factory=lambda: dict(DEFAULT_MODES))
    fault: Fault | None = None
    rate_limit: int = 1000
    window_seconds: int = 60
    requests: list[str] = field(default_factory=list)
    _used: dict[str, int] = field(default_factory=dict)
    _window_start: float = field(default_factory=time.time)

    def reset(self) -> None:
        """Back to a well-behaved server: no fault, default lists, fresh limits and log."""
        self.fault = None
        self.modes = dict(DEFAULT_MODES)
        self.rate_limit = 1000
        self.requests.clear()
        self._used.clear()
        self._window_start = time.time()

    def set_fault(
        self, mode: FaultMode | None, count: int | None = None, retry_after: float = 2.0
    ) -> None:
        self.fault = Fault(mode, count, retry_after) if mode else None

    def take_fault(self) -> Fault | None:
        fault = self.fault
        if fault is None:
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.fault = None
        return fault

    def spend(self, key: str) -> tuple[dict[str, str], bool]:
        """Count one request for ``key``; returns the X-RateLimit headers and if it is over."""
        now = time.time()
        if now - self._window_start >= self.window_seconds:
            self._window_start, self._used = now, {}
        used = self._used.get(key, 0) + 1
        self._used[key] = used
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - used)),
            "X-RateLimit-Reset": str(int(self._window_start + self.window_seconds)),
        }
        return headers, used > self.rate_limit


def _error(status: int, code: str, message: str, **extra: JSONValue) -> DemoCrateError:
    return DemoCrateError(status, code, message, **extra)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise _error(
            400,
            "invalid_query",
            f"?{name}= must be an integer {low}..{high}.",
            param=name,
            details=[{"path": [name], "message": f"Expected integer {low}..{high}"}],
        )
    return int(raw)


def _enum_param(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is not None and raw not in allowed:
        raise _error(400, "invalid_query", f"?{name}= must be one of {', '.join(allowed)}.")
    return raw


class CrateStandInApp:
    """Builds the Starlette app over one :class:`DemoCrateData` and one control object."""

    def __init__(
        self,
        names: list[str] | None = None,
        *,
        today: dt.date | None = None,
        control: CrateDemoControl | None = None,
    ) -> None:
        self.data = DemoCrateData(
            names if names is not None else demo_artist_names(), today or dt.date.today()
        )
        self.control = control or CrateDemoControl()
        self.app = Starlette(routes=self._routes())

    def _routes(self) -> list[Route]:
        keyed = self._keyed
        return [
            Route("/api/v2/resolve", keyed(self.resolve)),
            Route("/api/v2/artist/{key:path}", keyed(self.artist)),
            Route("/api/v2/dossier/artist/{key:path}", keyed(self.artist)),
            Route("/api/v2/label/{key:path}", keyed(self.label)),
            Route("/api/v2/dossier/label/{key:path}", keyed(self.label)),
            Route("/api/v2/preview/artist", self._wrap(self.preview, keyed=False)),
            Route("/api/v2/search", keyed(self.search)),
            Route("/api/v2/breakouts", keyed(self.breakouts)),
            Route("/api/v2/tastemakers", keyed(self.tastemakers)),
            Route("/api/v2/tastemakers/ones-to-watch", keyed(self.ones_to_watch)),
            Route("/_demo/fault", self.set_fault, methods=["POST"]),
            Route("/{rest:path}", self._wrap(self.not_found, keyed=False)),
        ]

    def _keyed(self, handler: Handler) -> Endpoint:
        return self._wrap(handler, keyed=True)

    def _wrap(self, handler: Handler, *, keyed: bool) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            self.control.requests.append(request.url.path)
            fault = self.control.take_fault()
            if fault is not None:
                return _fault_response(fault)
            headers: dict[str, str] = {}
            try:
                if keyed:
                    key = request.headers.get("x-api-key", "")
                    if key not in self.control.api_keys:
                        raise _error(
                            401,
                            "unauthorized",
                            "A valid X-API-Key header is required."
                            if not key
                            else "The X-API-Key is not valid.",
                            hint="Send your ck_live_/ck_test_ key in the X-API-Key header.",
                        )
                    headers, over = self.control.spend(key)
                    if over:
                        wait = max(1, int(headers["X-RateLimit-Reset"]) - int(time.time()))
                        return _rate_limited(wait, headers)
                body = handler(request)
            except DemoCrateError as exc:
                return JSONResponse(exc.body, status_code=exc.status, headers=headers)
            return JSONResponse(body, headers=headers)

        return endpoint

    # --- handlers (sync: pure functions of the data) -----------------------------------------

    def resolve(self, request: Request) -> JSONObject:
        params = {k: v for k, v in request.query_params.items() if v.strip()}
        return crate_lookup.resolve(self.data, params)

    def artist(self, request: Request) -> JSONObject:
        key = request.path_params["key"].strip()
        if not key or len(key) > 200:
            raise _error(400, "invalid_artist_key", "The artist key must be 1..200 characters.")
        locator = _LOCATOR.match(key)
        if locator or key.isdigit():
            kind, value = (
                (locator.group(1).lower(), locator.group(2)) if locator else ("discogs", key)
            )
            raise _error(
                400,
                "use_resolve_for_locator",
                f"{kind}: locators are not a canonical artist address.",
                param="key",
                hint=f"GET /api/v2/resolve?{kind}=<id>, then /api/v2/artist/<cluster_id>.",
                next=f"{request.base_url}api/v2/resolve?{kind}={value}",
            )
        body = crate_payloads.artist_dossier(self.data, key)
        fields = request.query_params.get("fields")
        return body if fields is None else _trim(body, fields, key)

    def label(self, request: Request) -> JSONObject:
        key = request.path_params["key"].strip()
        if not key or _LOCATOR.match(key) or len(key) > 200:
            raise _error(
                400,
                "invalid_label_key",
                "Address a label by its 64-hex label_cluster_id or its name-slug.",
                param="key",
                hint="e.g. /api/v2/label/warp",
            )
        return crate_labels.label_dossier(self.data, key)

    def preview(self, request: Request) -> JSONObject:
        query = request.query_params.get("q", "").strip()
        if not query or len(query) > 256:
            raise _error(400, "invalid_query", "?q= must be 1..256 characters.", param="q")
        return crate_lookup.preview(self.data, query)

    def search(self, request: Request) -> JSONObject:
        limit = _int_param(request, "limit", 50, 1, 100)
        offset = _int_param(request, "offset", 0, 0, 10_000)
        return crate_lookup.search(self.data, request.query_params.get("q"), limit, offset)

    def breakouts(self, request: Request) -> JSONObject:
        limit = min(_int_param(request, "limit", 50, 1, 10**9), 200)  # clamped, as crate does
        tier = _enum_param(request, "tier", ("breakout", "rising"))
        corroboration = _enum_param(request, "corroboration", ("corroborated", "booking_ahead"))
        mode = self.control.modes["breakouts"]
        return crate_discovery.breakouts(self.data, mode, limit, tier, corroboration)

    def tastemakers(self, request: Request) -> JSONObject:
        limit = _int_param(request, "limit", 50, 1, 200)
        return crate_discovery.tastemakers(self.data, self.control.modes["tastemakers"], limit)

    def ones_to_watch(self, request: Request) -> JSONObject:
        limit = _int_param(request, "limit", 50, 1, 200)
        mode = self.control.modes["ones-to-watch"]
        return crate_discovery.ones_to_watch(self.data, mode, limit)

    def not_found(self, request: Request) -> JSONObject:
        raise _error(404, "not_found", f"No route {request.url.path}.", hint="GET /api/v2")

    async def set_fault(self, request: Request) -> Response:
        """``POST /_demo/fault?mode=429|500|503|504|html|garbage&count=N&retry_after=S``."""
        params = request.query_params
        asked = params.get("mode") or None
        mode = next((known for known in FAULT_MODES if known == asked), None)
        if asked is not None and mode is None:
            return JSONResponse({"error": "invalid_query", "message": "unknown mode"}, 400)
        count = int(params["count"]) if params.get("count", "").isdigit() else None
        self.control.set_fault(mode, count, float(params.get("retry_after", "2")))
        return JSONResponse({"fault": mode, "count": count})


def _trim(body: JSONObject, fields: str, key: str) -> JSONObject:
    """``?fields=`` keeps the named facets (the envelope always stays)."""
    valid = sorted(crate_payloads.FACETS)
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    keep = set(crate_payloads.ENVELOPE) | set(crate_payloads.ENVELOPE_TAIL)
    unknown = [f for f in wanted if f not in valid and f not in keep]
    if unknown or not wanted:
        raise _error(
            400,
            "invalid_fields",
            f"Unknown field(s): {', '.join(unknown) or '(none given)'}.",
            param="fields",
            hint="Use only fields from `valid`, or omit ?fields= for the full dossier.",
            valid=valid,
            example=f"/api/v2/artist/{key}?fields=identity,discography",
        )
    return {k: v for k, v in body.items() if k in keep or k in wanted}


def _rate_limited(wait: float, headers: dict[str, str]) -> Response:
    body = {
        "error": "rate_limited",
        "message": "Rate limit exceeded.",
        "hint": "Back off retry_after_seconds, then retry.",
        "doc_url": "https://crate.hosaka.fm/docs/api#error-rate_limited",
        "retry_after_seconds": wait,
    }
    headers = {**headers, "Retry-After": str(math.ceil(wait))}
    return JSONResponse(body, status_code=429, headers=headers)


def _fault_response(fault: Fault) -> Response:
    if fault.mode == "429":
        return _rate_limited(fault.retry_after, {"X-RateLimit-Remaining": "0"})
    if fault.mode == "html":
        page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
        return Response(page, status_code=502, media_type="text/html")
    if fault.mode == "garbage":
        return Response(b"\x00{not json", status_code=200, media_type="application/json")
    messages = {
        "500": ("internal_error", "Internal server error."),
        "503": ("service_unavailable", "Database pool exhausted; retry after 5s."),
        "504": ("deadline_exceeded", "Request deadline (15s) exceeded."),
    }
    code, message = messages[fault.mode]
    return JSONResponse({"error": code, "message": message}, status_code=int(fault.mode))


def create_app(
    names: list[str] | None = None,
    *,
    today: dt.date | None = None,
    control: CrateDemoControl | None = None,
) -> Starlette:
    """The ASGI app (``CrateStandInApp(...).app``); ``app.state.control`` is its switchboard,
    ``app.state.api_key`` the key it accepts (what ``crateq demo serve`` prints)."""
    stand_in = CrateStandInApp(names, today=today, control=control)
    stand_in.app.state.control = stand_in.control
    stand_in.app.state.api_key = DEMO_API_KEY
    stand_in.app.state.data = stand_in.data
    return stand_in.app
