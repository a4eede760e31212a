"""The Starlette app of one demo record pool, implementing pool-api.md.

Each endpoint is wrapped by :meth:`PoolApp._guard`, which applies, in order, the fault
switches that replace every answer, the rate limit, the API key (403) and the Bearer JWT
(401). File work and SQLite writes run in worker threads so the event loop keeps serving;
the catalog search runs on the loop itself: it is a short CPU-bound query under the store's
lock, which serialises every SQLite call anyway, so a worker thread would only add the CPU of
the hand-off (figures: docs/PERFORMANCE.md, "Demo servers").
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from crateq.demo import catalog
from crateq.demo.auth import DEMO_API_KEY, DemoAccount, TokenAuthority, clock, find_account
from crateq.demo.catalog import PoolSpec
from crateq.demo.faults import PoolFaults, RateLimiter
from crateq.demo.filters import BadRequest, SearchQuery, int_list, parse_paging, parse_search
from crateq.demo.mediafiles import MediaCache
from crateq.demo.pool_edits import record_from_update
from crateq.demo.stills import still_png
from crateq.demo.store import MediaSettings, PoolStore, format_length, format_size, layout_of
from crateq.demo.streaming import file_response

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject

_log = logging.getLogger(__name__)
Handler = Callable[[Request, DemoAccount | None], Awaitable[Response | ASGIApp]]


_BAD_GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": status, "message": message}, status, headers=headers)


@dataclass
class PoolState:
    """Everything one pool server holds; the cluster builds it, the app serves it."""

    spec: PoolSpec
    store: PoolStore
    media: MediaCache
    faults: PoolFaults = field(default_factory=PoolFaults)
    api_key: str = DEMO_API_KEY
    tokens: TokenAuthority = field(default_factory=lambda: TokenAuthority(secrets.token_bytes(32)))
    limiter: RateLimiter = field(default_factory=RateLimiter)


class PoolApp:
    """Routes of one demo pool; build with :func:`create_pool_app`."""

    def __init__(self, state: PoolState) -> None:
        self.state = state
        s = self
        self.routes = [
            Route("/api/Auth/Login", s._guard(s.login, user=False), methods=["POST"]),
            Route("/api/Content/Media", s._guard(s.media)),
            Route("/api/Content/Genres", s._guard(s.genres)),
            Route("/api/Content/GenreCategories", s._guard(s.categories)),
            Route("/api/Content/VideoQualities", s._guard(s.qualities)),
            Route("/api/Content/VideoMixes", s._guard(s.mixes)),
            Route("/api/Content/Playlists", s._guard(s.playlists)),
            Route("/api/Content/Queue", s._guard(s.queue)),
            Route("/api/Content/UpdateQueue", s._guard(s.update_queue), methods=["POST"]),
            Route("/api/Content/Download/{media_id}", s._guard(s.download),
                  methods=["GET", "HEAD"]),
            Route("/api/Content/Preview/{media_id}", s._guard(s.preview, key=False, user=False),
                  methods=["GET", "HEAD"]),
            Route("/img/{media_id}.png", s._guard(s.still, key=False, user=False)),
            Route("/api/UpdateMediaFunction/{originator_id}", s._guard(s.update_media),
                  methods=["POST"]),
        ]  # fmt: skip

    # -- the guard every endpoint goes through ------------------------------------------

    def _guard(
        self, handler: Handler, *, key: bool = True, user: bool = True
    ) -> Callable[[Request], Awaitable[Response | ASGIApp]]:
        async def endpoint(request: Request) -> Response | ASGIApp:  # Starlette calls either
            faults = self.state.faults
            delay = faults.response_delay()
            if delay:
                await asyncio.sleep(delay)
            if faults.html_error_page:
                return HTMLResponse(_BAD_GATEWAY_PAGE, 502)
            if faults.fail_with_status:
                return error(faults.fail_with_status, "The pool is unavailable.")
            if faults.rate_limit is not None and not self.state.limiter.allow(faults.rate_limit):
                retry = str(faults.retry_after_seconds)
                return error(429, "Too many requests.", {"Retry-After": retry})
            if key and request.query_params.get("key") != self.state.api_key:
                return error(403, "Invalid API key.")
            account = None
            if user:
                auth = request.headers.get("authorization", "")
                scheme, _, token = auth.partition(" ")
                account = (
                    self.state.tokens.user_of(token.strip()) if scheme.lower() == "bearer" else None
                )
                if account is None:
                    return error(401, "Authorization has been denied for this request.")
            try:
                return await handler(request, account)
            except BadRequest as exc:
                return error(400, str(exc))
            except Exception:  # a bug in the demo must still answer like a pool does
                _log.exception("demo pool %s failed on %s", self.state.spec.name, request.url.path)
                return error(500, "Internal server error.")

        return endpoint

    # -- login and look-up lists -------------------------------------------------------

    async def login(self, request: Request, _: DemoAccount | None) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        username, password = str(body.get("username") or ""), str(body.get("password") or "")
        if not username or not password:
            return error(400, "Username and Password are required.")
        account = find_account(username, password)
        if account is None:
            return error(401, "Invalid username or password.")
        token = self.state.tokens.issue_jwt(account, self.state.faults.jwt_ttl_seconds)
        answer = {"userId": account.user_id, "msg": account.msg, "status": account.status,
                  "country": account.country, "crateq": account.crateq,
                  "originator": self.state.spec.display, "token": token}  # fmt: skip
        return JSONResponse([answer])

    async def genres(self, request: Request, _: DemoAccount | None) -> Response:
        used = await run_in_threadpool(self.state.store.genre_ids)
        title = request.query_params.get("title", "").strip().lower()
        categories = request.query_params.get("categoryId", "").strip()
        wanted = set(int_list("categoryId", categories)) if categories else None
        names = dict(catalog.CATEGORIES)
        return JSONResponse([
            {"genreId": gid, "title": name, "category": names[cid], "categoryId": cid}
            for gid, name, cid, _, _ in catalog.GENRES
            if gid in used and title in name.lower() and (wanted is None or cid in wanted)
        ])  # fmt: skip

    async def categories(self, request: Request, _: DemoAccount | None) -> Response:
        return JSONResponse([{"categoryId": c, "title": t} for c, t in catalog.CATEGORIES])

    async def qualities(self, request: Request, _: DemoAccount | None) -> Response:
        return JSONResponse([
            {"qualityId": q, "title": t, "pixel_width": w, "pixel_height": h}
            for q, t, w, h in catalog.VIDEO_QUALITIES
        ])  # fmt: skip

    async def mixes(self, request: Request, _: DemoAccount | None) -> Response:
        return JSONResponse(list(catalog.VIDEO_MIXES))

    async def playlists(self, request: Request, _: DemoAccount | None) -> Response:
        """The pool's playlists that have tracks, newest first (by their newest track)."""
        found = await run_in_threadpool(self.state.store.playlists)
        names = dict(catalog.PLAYLISTS)
        return JSONResponse([
            {"playlistId": pid, "title": names.get(pid, f"Playlist {pid}"),
             "playlistDate": date, "count": count}
            for pid, count, date in sorted(found, key=lambda p: (p[2], p[0]), reverse=True)
        ])  # fmt: skip

    # -- search and queue --------------------------------------------------------------

    def _row(self, base: str, row: sqlite3.Row, account: DemoAccount, now: float) -> JSONObject:
        media_id = int(row["media_id"])
        tokens = self.state.tokens
        preview_token = tokens.preview_token(media_id, row["version"])
        preview = f"{base}api/Content/Preview/{media_id}?t={preview_token}"
        return {
            "mediaId": media_id, "artist": row["artist"], "title": row["title"],
            "genre": row["genre"], "bpm": row["bpm"], "advisory": row["advisory"],
            "editor": row["editor"], "length": format_length(row["seconds"]),
            "size": format_size(row["size_bytes"]), "tool": row["tool"],
            "releaseYear": row["release_year"], "quality": row["quality"], "date": row["date"],
            "preview": preview, "downloaded": bool(row["downloaded"]), "video": bool(row["video"]),
            "audio": bool(row["audio"]), "source": row["source"],
            "auth": tokens.download_token(account.user_id, media_id, now),
            "img": f"img/{media_id}.png" if row["video"] else "",
            "queueId": row["queue_id"] or 0, "groupId": row["group_id"],
        }  # fmt: skip

    def _page(
        self, request: Request, account: DemoAccount, query: SearchQuery, total: int,
        rows: list[sqlite3.Row], with_queue_date: bool = False,
    ) -> JSONResponse:  # fmt: skip
        now = clock()
        base = str(request.base_url)
        data = [self._row(base, row, account, now) for row in rows]
        if with_queue_date:
            for item, row in zip(data, rows, strict=True):
                item["queueDate"] = row["queue_date"] or ""
        offset = (query.page - 1) * query.size
        return JSONResponse({
            "records": total, "message": f"{offset}-{offset + len(data)}",
            "pages": -(-total // query.size), "page": query.page, "sort": query.sort,
            "dir": query.dir, "data": data,
        })  # fmt: skip

    async def media(self, request: Request, account: DemoAccount | None) -> Response:
        assert account is not None
        query = parse_search(request.query_params)
        timeout = self.state.faults.search_timeout_after_seconds
        if timeout is not None:
            await asyncio.sleep(timeout)
            return JSONResponse([])
        gate = self.state.faults.page_gate
        if gate is not None and query.page > 1:
            await run_in_threadpool(gate.wait, 60)
        now = clock()
        total, rows = self.state.store.search_json(
            query, account.user_id, self.state.tokens, str(request.base_url), now
        )
        offset = (query.page - 1) * query.size
        head = json.dumps(
            {"records": total, "message": f"{offset}-{offset + len(rows)}",
             "pages": -(-total // query.size), "page": query.page, "sort": query.sort,
             "dir": query.dir},
            ensure_ascii=False, separators=(",", ":"),
        )  # fmt: skip
        body = b"".join((head[:-1].encode(), b',"data":[', b",".join(rows), b"]}"))
        return Response(body, media_type="application/json")

    async def queue(self, request: Request, account: DemoAccount | None) -> Response:
        assert account is not None
        query = SearchQuery()
        parse_paging(query, request.query_params, "queueDate")
        store = self.state.store
        total, rows = await run_in_threadpool(store.search, query, account.user_id, True)
        return self._page(request, account, query, total, rows, with_queue_date=True)

    async def update_queue(self, request: Request, account: DemoAccount | None) -> Response:
        assert account is not None
        try:
            body = json.loads(await request.body() or b"{}")
            media_id = int(body.get("mediaId"))
        except (ValueError, TypeError, AttributeError):
            return error(400, "A numeric mediaId is required.")
        store = self.state.store
        if await run_in_threadpool(store.get, media_id) is None:
            return error(404, "Media not found.")
        queue_id, added = await run_in_threadpool(store.toggle_queue, account.user_id, media_id)
        message = "Media added to queue." if added else "Media removed from queue."
        return JSONResponse([{"id": queue_id, "message": message}])

    # -- files ---------------------------------------------------------------------------

    async def _media_row(self, request: Request) -> sqlite3.Row | None:
        text = request.path_params["media_id"]
        if not str(text).isdigit():
            raise BadRequest(f"Invalid media id: {text!r}.")
        return await run_in_threadpool(self.state.store.get, int(text))

    async def _serve(
        self, request: Request, row: sqlite3.Row, filename: str | None, preview: bool = False
    ) -> Response | ASGIApp:
        state = self.state
        layout = layout_of(row, state.store.media)
        make = state.media.preview if preview else state.media.get
        media_id, version = int(row["media_id"]), int(row["version"])
        media_file = await run_in_threadpool(make, state.spec.name, media_id, version, layout)
        kind = "video/mp4" if layout.kind == "mp4" and not preview else "audio/mpeg"
        body = file_response(
            request.headers, media_file.path, media_file.size, media_file.sha256,
            kind, filename, state.faults,
        )  # fmt: skip
        if isinstance(body, tuple):
            return error(body[0], "Requested range not satisfiable.", body[1])
        return body

    async def download(self, request: Request, account: DemoAccount | None) -> Response | ASGIApp:
        assert account is not None
        row = await self._media_row(request)
        if row is None:
            return error(404, "Media not found.")
        if not account.can_download:
            return error(403, account.msg or "Your account cannot download.")
        token = request.query_params.get("token", "")
        ttl = self.state.faults.download_token_ttl_seconds
        if not self.state.tokens.download_token_valid(
            token, account.user_id, int(row["media_id"]), ttl
        ):
            return error(403, "Download token expired.")
        await run_in_threadpool(
            self.state.store.mark_downloaded, account.user_id, int(row["media_id"])
        )
        return await self._serve(request, row, row["filename"])

    async def preview(self, request: Request, _: DemoAccount | None) -> Response | ASGIApp:
        row = await self._media_row(request)
        token = request.query_params.get("t", "")
        if row is None or not self.state.tokens.preview_token_valid(
            token, int(row["media_id"]), row["version"]
        ):
            return error(403, "Invalid preview link.")
        return await self._serve(request, row, None, preview=True)

    async def still(self, request: Request, _: DemoAccount | None) -> Response:
        row = await self._media_row(request)
        if row is None or not row["video"]:
            return error(404, "Image not found.")
        return Response(still_png(int(row["media_id"])), media_type="image/png")

    # -- pool side -----------------------------------------------------------------------

    async def update_media(self, request: Request, _: DemoAccount | None) -> Response:
        originator_id = request.path_params["originator_id"]
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            raise BadRequest("The body must be a JSON object.") from exc
        if not isinstance(body, dict):
            raise BadRequest("The body must be a JSON object.")
        store = self.state.store
        if str(body.get("mediaType", "")).lower() == "deleted":
            media_id = await run_in_threadpool(store.delete, originator_id)
            if media_id is None:
                return error(404, "Media not found.")
            return JSONResponse({"status": 200, "message": "Media deleted.", "mediaId": media_id})
        existing = await run_in_threadpool(store.by_originator, originator_id)
        record = record_from_update(originator_id, body, existing)
        media_id, created = await run_in_threadpool(store.upsert, record)
        message = "Media added." if created else "Media updated."
        return JSONResponse({"status": 200, "message": message, "mediaId": media_id})


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answer with the pool's JSON error body too."""
    status = int(getattr(exc, "status_code", 500))
    return error(status, str(getattr(exc, "detail", "")) or "Error.")


def create_pool_app(state: PoolState) -> Starlette:
    """The ASGI app of one pool (state shared with the handle that tests hold)."""
    return Starlette(routes=PoolApp(state).routes, exception_handlers={HTTPException: _http_error})


def build_state(
    spec: PoolSpec, db_path: Path, media: MediaCache, catalog_size: int, seed: int = 0,
    media_settings: MediaSettings | None = None,
) -> PoolState:  # fmt: skip
    """Generate the catalog of ``spec`` into a fresh database and wrap it for serving."""
    tokens = TokenAuthority(secrets.token_bytes(32))
    store = PoolStore(db_path, spec, media_settings or MediaSettings(), tokens.preview_token)
    store.load(catalog.generate_catalog(spec, catalog_size, seed))
    return PoolState(spec=spec, store=store, media=media, tokens=tokens)
