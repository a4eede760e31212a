"""Client of one record pool (pool-api.md): login, search, look-up lists, queue, download URLs.

The file bytes themselves go through the one download transport (:mod:`crateq.api.transport`)
with this client's ``download_url`` and ``auth_headers``.

Everything a pool can do wrong is translated here into the typed errors of
:mod:`crateq.api.errors` (each carrying ``pool=<name>``), so services never see httpx
exceptions, status codes or the API's quirks (the 200-with-``[]`` search timeout, the toggling
UpdateQueue). Passwords, tokens and the API key are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError

from crateq.api.bounded import MAX_ANSWER_MB, Answer, AnswerTooLarge, read_bounded
from crateq.api.errors import (
    CrateQError,
    PoolAuthError,
    PoolNotFound,
    PoolProtocolError,
    PoolTimeout,
    PoolUnavailable,
    TokenExpired,
)
from crateq.api.netpolicy import (
    MAX_REDIRECTS,
    RedirectRefused,
    guard_for,
    require_verifying,
    trust_context,
)
from crateq.api.pool_models import (
    MAX_PAGE_SIZE,
    Genre,
    GenreCategory,
    LoginResult,
    MediaPage,
    MediaQuery,
    MediaRow,
    Playlist,
    QueueUpdateResult,
    VideoQuality,
)
from crateq.api.pool_wire import (
    RETRYABLE,
    certificate_error,
    decode_json,
    error_for,
    install_redaction,
    login_result,
    redirect_error,
    retry_after_seconds,
    timeout_for,
    unreadable,
)

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject, JSONValue

log = logging.getLogger(__name__)
install_redaction()


#: The pool's own search gives up after 30 s; reading must wait a little longer than that.
DEFAULT_TIMEOUT = timeout_for(45.0)
MAX_RETRIES = 3  # extra attempts on 429/503
MAX_RETRY_AFTER = 30.0  # seconds; a longer Retry-After is capped
MAX_QUEUE_PAGES = 200  # safety bound for queue_all


def default_ssl_context() -> ssl.SSLContext:
    """The system-trust context (``crateq.api.netpolicy``) the clients without their own
    ``verify`` share: building one loads the CA bundle under the GIL (one per client stalled
    start-up); sharing is safe, as every client sets the same ALPN protocols on it."""
    return trust_context(http2=True)


class PoolClient:
    """One configured pool account speaking the pool API over one shared HTTP/2-capable client.

    A 401 triggers one silent re-login with the password from ``password_provider``; 429/503
    are retried after ``Retry-After`` (capped) a bounded number of times. ``sleep`` is injected
    so tests never wait for real. ``verify`` is for pools behind a private CA (an SSL context
    with that CA, which must verify: there is no way to turn verification off), used only
    when no ``transport`` is given. Redirects: see :mod:`crateq.api.netpolicy`.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str,
        *,
        username: str = "",
        password_provider: Callable[[], Awaitable[str | None]] | None = None,
        token: str | None = None,
        on_token: Callable[[str], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timeout: httpx.Timeout | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.username = username
        self.token: str | None = token or None
        self.last_login: LoginResult | None = None
        self.busy_answers = 0  # 429/503 answers so far: a caller sending many slows down
        self._api_key = api_key
        self._password_provider = password_provider
        self._on_token = on_token
        self._sleep = sleep
        self._login_lock = asyncio.Lock()
        self._login_attempts = 0
        self._login_failure: CrateQError | None = None  # of the latest attempt
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport
            or httpx.AsyncHTTPTransport(
                http2=True,
                retries=0,
                verify=default_ssl_context() if verify is None else require_verifying(verify),
            ),
            http2=True,
            timeout=timeout or DEFAULT_TIMEOUT,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            event_hooks={"request": [guard_for(self.base_url)]},
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:  # no secrets
        return f"PoolClient({self.name!r}, {self.base_url!r})"

    # -- lifecycle -------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> PoolClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- public helpers --------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Headers every request but login carries (Bearer only once logged in)."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def download_url(self, media_id: int, token: str) -> str:
        """Absolute download URL with the API key and the row's ``auth`` token in it."""
        query = urlencode({"key": self._api_key, "token": token})
        return f"{self.base_url}api/Content/Download/{int(media_id)}?{query}"

    # -- auth ------------------------------------------------------------------------------

    async def login(self, password: str | None = None) -> LoginResult:
        """Log in, keep the JWT (``on_token`` is told) and the pool's status and message.

        The message (e.g. "Your subscription is expired…") is for the user; an expired
        account still logs in and may search, see :attr:`LoginResult.can_download`.
        """
        if password is None and self._password_provider is not None:
            password = await self._password_provider()
        if not password:
            raise PoolAuthError(
                f"No password is stored for pool {self.name}.",
                pool=self.name,
                hint="Log in to the pool again.",
            )
        body = {"username": self.username, "password": password}
        response = await self._send("POST", "api/Auth/Login", json_body=body, authed=False)
        result = login_result(response, self.name)
        self.token = result.token
        self.last_login = result
        log.info("logged in to pool %s (status %s)", self.name, result.status or "?")
        if self._on_token is not None:
            self._on_token(result.token)
        return result

    async def _relogin(self, stale_token: str | None) -> None:
        """Log in again unless another request already did since ``stale_token`` failed.

        Requests that waited for a login that failed get its error, not a login each: 50
        searches at an unreachable pool fail after one timeout, not after 50 in a row.
        """
        attempts = self._login_attempts
        async with self._login_lock:
            if self.token and self.token != stale_token:
                return
            if self._login_attempts != attempts and self._login_failure is not None:
                raise self._login_failure
            self._login_attempts += 1
            if self._password_provider is None:
                cls = TokenExpired if stale_token else PoolAuthError
                raise cls(
                    f"Pool {self.name} needs you to log in again.", pool=self.name, status=401
                )
            try:
                await self.login()
            except CrateQError as exc:
                self._login_failure = exc
                raise
            self._login_failure = None

    # -- catalog ---------------------------------------------------------------------------

    async def search(self, query: MediaQuery) -> MediaPage:
        """One page of the catalog; each row's ``pool`` is this client's name.

        Rows failing the client-side ``media`` filter are dropped; ``records``/``pages`` stay
        the server's. The pool's 200-with-``[]`` answer raises :class:`PoolTimeout`.
        """
        page = await self._page("api/Content/Media", query.to_params(), "search")
        if query.media is not None:
            page.data = [row for row in page.data if query.accepts(row)]
        return page

    async def genres(
        self, title: str | None = None, category_ids: Sequence[int] = ()
    ) -> list[Genre]:
        params: dict[str, str] = {}
        if title:
            params["title"] = title
        if category_ids:
            params["categoryId"] = ",".join(str(int(c)) for c in category_ids)
        return [Genre.model_validate(x) for x in await self._list("api/Content/Genres", params)]

    async def genre_categories(self) -> list[GenreCategory]:
        items = await self._list("api/Content/GenreCategories", {})
        return [GenreCategory.model_validate(x) for x in items]

    async def video_qualities(self) -> list[VideoQuality]:
        items = await self._list("api/Content/VideoQualities", {})
        return [VideoQuality.model_validate(x) for x in items]

    async def video_mixes(self) -> list[str]:
        items = await self._list("api/Content/VideoMixes", {}, objects=False)
        return [str(x).strip() for x in items if x is not None and str(x).strip()]

    async def playlists(self) -> list[Playlist]:
        """The pool's own playlists, newest first; none for a pool without (404 or ``[]``)."""
        try:
            items = await self._list("api/Content/Playlists", {})
        except PoolNotFound:
            return []
        found = [Playlist.model_validate(x) for x in items]
        for playlist in found:
            playlist.pool = self.name
        return [p for p in found if p.playlist_id]

    # -- queue -----------------------------------------------------------------------------

    async def queue(self, page: int = 1, size: int = 100) -> MediaPage:
        size = max(1, min(size, MAX_PAGE_SIZE))
        params = {"page": str(max(1, page)), "size": str(size)}
        return await self._page("api/Content/Queue", params, "queue listing")

    async def queue_all(self) -> list[MediaRow]:
        """Every row of the user's queue, all pages."""
        rows: list[MediaRow] = []
        for number in range(1, MAX_QUEUE_PAGES + 1):
            page = await self.queue(number, MAX_PAGE_SIZE)
            rows.extend(page.data)
            if not page.data or number >= page.pages:
                break
        return rows

    async def toggle_queue(self, row: MediaRow) -> QueueUpdateResult:
        """The raw UpdateQueue call: it REMOVES the media when it is already queued."""
        user_id: str | int = self.last_login.user_id if self.last_login else ""
        if isinstance(user_id, str) and user_id.isdigit():
            user_id = int(user_id)
        body: JSONObject = {
            "queueId": row.queue_id,
            "mediaId": row.media_id,
            "originatorId": self.last_login.originator if self.last_login else "",
            "userId": user_id,
            "source": row.source,
        }
        response = await self._send("POST", "api/Content/UpdateQueue", json_body=body)
        data = self._json(response)
        item = data[0] if isinstance(data, list) and data else data
        if not isinstance(item, dict):
            raise PoolProtocolError(
                f"Pool {self.name} answered the queue update with something unexpected.",
                pool=self.name,
                status=response.status_code,
            )
        return QueueUpdateResult.model_validate(item)

    async def queue_add(self, row: MediaRow) -> bool:
        """Add ``row`` unless already queued; never removes. True if this call added it."""
        if any(q.media_id == row.media_id for q in await self.queue_all()):
            return False
        result = await self.toggle_queue(row)
        if not result.added:  # queued meanwhile elsewhere: our toggle removed it, put it back
            await self.toggle_queue(row)
            return False
        return True

    async def queue_remove(self, media_id: int) -> bool:
        """Remove ``media_id`` if queued; never adds. True if this call removed it."""
        queued = next((q for q in await self.queue_all() if q.media_id == media_id), None)
        if queued is None:
            return False
        result = await self.toggle_queue(queued)
        if result.added:  # removed meanwhile elsewhere: our toggle re-added it, undo
            await self.toggle_queue(queued)
            return False
        return True

    async def fresh_row(self, row: MediaRow) -> MediaRow:
        """The same media with a fresh ``auth`` (download tokens live 15 minutes).

        There is no look-up by id: search by ``groupId`` (else artist + title), then the queue.
        """
        queries: list[MediaQuery] = []
        if row.group_id:
            queries.append(MediaQuery(group_id=row.group_id, size=MAX_PAGE_SIZE))
        if row.artist or row.title:
            queries.append(
                MediaQuery(artist=row.artist or None, title=row.title or None, size=MAX_PAGE_SIZE)
            )
        for query in queries:
            page = await self.search(query)
            found = next((r for r in page.data if r.media_id == row.media_id), None)
            if found is not None:
                return found
        for queued in await self.queue_all():
            if queued.media_id == row.media_id:
                queued.pool = self.name
                return queued
        raise PoolNotFound(
            f"Pool {self.name} no longer lists {row.artist} - {row.title}.",
            pool=self.name,
            status=404,
        )

    # -- the wire --------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Mapping[str, JSONValue] | None = None,
        headers: dict[str, str] | None = None,
        authed: bool = True,
    ) -> Answer:
        """Send with key, Bearer, one re-login on 401 and bounded 429/503 retries; the body
        is read up to :data:`~crateq.api.bounded.MAX_ANSWER_BYTES`."""
        relogged = False
        retries = 0
        if authed and not self.token:
            await self._relogin(None)
        while True:
            sent_token = self.token
            request_headers = self.auth_headers() if authed else {}
            request_headers.update(headers or {})
            # an absolute URL, encoded as httpx encodes ``params=``: httpx parses it once
            # instead of parsing, merging with the base URL and re-encoding
            query = urlencode({"key": self._api_key, **(params or {})})
            request = self._http.build_request(
                method,
                httpx.URL(f"{self.base_url}{path}?{query}"),
                json=json_body,
                headers=request_headers,
            )
            try:
                response = await read_bounded(self._http, request)
            except AnswerTooLarge as exc:
                raise PoolProtocolError(
                    f"Pool {self.name} sent an answer larger than {MAX_ANSWER_MB} MB; "
                    "CrateQ stopped reading it.",
                    pool=self.name,
                    code="answer_too_large",
                ) from exc
            except httpx.DecodingError as exc:
                raise PoolProtocolError(
                    f"Pool {self.name} sent a compressed answer that does not decompress.",
                    pool=self.name,
                    code="unreadable",
                ) from exc
            except httpx.ConnectTimeout as exc:
                raise PoolUnavailable(
                    f"Pool {self.name} could not be reached (connection timed out).",
                    pool=self.name,
                ) from exc
            except httpx.TimeoutException as exc:
                raise PoolTimeout(
                    f"Pool {self.name} did not answer in time.", pool=self.name
                ) from exc
            except httpx.TransportError as exc:
                raise certificate_error(self.name, exc) or PoolUnavailable(
                    f"Pool {self.name} could not be reached ({type(exc).__name__}).",
                    pool=self.name,
                ) from exc
            except (httpx.TooManyRedirects, RedirectRefused) as exc:
                raise redirect_error(self.name, exc) from exc
            status = response.status_code
            log.debug("pool %s %s %s -> %s", self.name, method, path, status)
            if response.is_success:
                return response
            if status in RETRYABLE and retries < MAX_RETRIES:
                wait = retry_after_seconds(response.headers)
                wait = min(MAX_RETRY_AFTER, wait if wait is not None else 2.0**retries)
                retries += 1
                self.busy_answers += 1
                log.info("pool %s busy (%s), retrying in %.1f s", self.name, status, wait)
                await self._sleep(wait)
                continue
            if status == 401 and authed and not relogged and self._password_provider:
                relogged = True
                await self._relogin(sent_token)
                continue
            raise error_for(
                response,
                self.name,
                had_token=bool(self.token),
                login=not authed,
                relogged=relogged,
            )

    def _json(self, response: Answer) -> JSONValue:
        return decode_json(response, self.name)

    async def _page(self, path: str, params: dict[str, str], what: str) -> MediaPage:
        response = await self._send("GET", path, params=params)
        page = self._listing(response.content)
        if page is None:  # not a JSON object (or JSON pydantic-core does not read): slow path
            page = self._odd_page(response, what)
        for row in page.data:
            # not ``row.pool = ...``: pydantic's __setattr__ is slow per row; ``pool`` is
            # not a wire field, so it need not be in ``model_fields_set``
            row.__dict__["pool"] = self.name
        return page

    @staticmethod
    def _listing(body: bytes) -> MediaPage | None:
        """The page parsed straight from the body's bytes by pydantic-core (no ``json.loads``
        and no dicts in between); None unless the body is a JSON object pydantic-core reads
        (then the caller takes the ``json`` module path)."""
        if body.lstrip()[:1] != b"{":
            return None
        try:
            return MediaPage.model_validate_json(body)
        except (ValidationError, RecursionError):  # broken JSON, or what only ``json.loads``
            return None  # accepts (NaN, UTF-16): the slow path says which

    def _odd_page(self, response: Answer, what: str) -> MediaPage:
        """Everything but a well-formed listing: the 200-with-``[]`` timeout, HTML, junk."""
        data = self._json(response)
        if isinstance(data, list) and not data:
            raise PoolTimeout(
                f"Pool {self.name} gave up on the {what} (it took too long); try a narrower one.",
                pool=self.name,
                code="server_timeout",
            )
        if not isinstance(data, dict):
            raise PoolProtocolError(
                f"Pool {self.name} answered the {what} with something that is not a listing.",
                pool=self.name,
                status=response.status_code,
            )
        try:
            return MediaPage.model_validate(data)
        except (ValidationError, RecursionError) as exc:  # nothing lenient can read
            raise unreadable(response, self.name, exc) from exc

    async def _list(
        self, path: str, params: dict[str, str], *, objects: bool = True
    ) -> list[JSONValue]:
        response = await self._send("GET", path, params=params)
        data = self._json(response)
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]
        if not isinstance(data, list):
            raise PoolProtocolError(
                f"Pool {self.name} answered {path} with something that is not a list.",
                pool=self.name,
                status=response.status_code,
            )
        return [x for x in data if isinstance(x, dict)] if objects else data
