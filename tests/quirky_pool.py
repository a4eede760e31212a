"""A second record pool, written apart from the demo app, that answers like a badly behaved one.

``QuirkyPool`` is a plain ``http.server`` on 127.0.0.1 (port 0) in a background thread. It
speaks just enough of pool-api.md (login, catalog search) and answers the catalog search from
a script a test queues with ``then(...)``; once the script is empty it answers a page of rows
shaped like real servers send them (strings for numbers, nulls, missing and extra fields, a
row that is not an object, no ``pages``). ``expire_tokens()`` makes every JWT issued so far
answer 401, as a real pool does when a token runs out.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from server_thread import ServerThread


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status: int, value: Any, **headers: str) -> Answer:
    return Answer(status, json.dumps(value).encode(), headers=dict(headers))


def html_answer(status: int, title: str) -> Answer:
    page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
    page += "<p>nginx</p></body></html>"
    return Answer(status, page.encode(), content_type="text/html; charset=utf-8")


SEARCH_TIMEOUT = json_answer(200, [])  # the pool gave up after 30 s: HTTP 200 with []
HTML_500 = html_answer(500, "500 Internal Server Error")
HTML_200 = html_answer(200, "Scheduled maintenance")


def rate_limited(retry_after: str) -> Answer:
    return json_answer(
        429, {"status": 429, "message": "Too many requests."}, **{"Retry-After": retry_after}
    )


QUIRKY_ROWS: list[Any] = [
    {  # numbers as strings, nulls, an extra nested field
        "mediaId": "501", "artist": "Odd Row", "title": "Strings For Numbers", "bpm": "124.0",
        "releaseYear": "2021", "queueId": None, "groupId": "9", "downloaded": "false",
        "video": None, "audio": "true", "length": "4:05", "size": "9.5 MB", "tool": "Clean",
        "genre": None, "somethingNew": {"nested": [1, 2]}, "source": "elsewhere",
    },
    {"mediaId": 502, "title": "Only A Title"},  # nearly every field missing
    {  # nulls everywhere a value should be
        "mediaId": 503, "artist": None, "title": None, "bpm": None, "releaseYear": None,
        "length": None, "size": None, "date": None, "preview": None, "auth": None,
    },
    {"mediaId": "504", "artist": "Odd Row", "title": "Garbage Numbers", "bpm": "fast",
     "releaseYear": "n/a", "length": "??", "size": "big", "date": "someday"},
    "not a row",
    None,
]  # fmt: skip


def quirky_page() -> Answer:
    """The default catalog answer: counts as strings, no ``pages``, odd rows."""
    return json_answer(200, {"records": "4", "page": None, "message": "0-4", "data": QUIRKY_ROWS})


class QuirkyPool:
    """One misbehaving pool; ``url`` is its base URL once started (a context manager)."""

    def __init__(self, *, api_key: str = "quirk-key", username: str = "dj", password: str = "pw"):
        self.api_key = api_key
        self.username = username
        self.password = password
        self.logins = 0
        self.search_tokens: list[str] = []  # the Bearer token of every catalog request
        self._script: deque[Answer] = deque()
        self._valid: set[str] = set()
        self._lock = threading.Lock()
        self._served = ServerThread(_handler_for(self))
        self.url = self._served.url

    def __enter__(self) -> QuirkyPool:
        self._served.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._served.stop()

    def then(self, *answers: Answer) -> QuirkyPool:
        """Queue answers for the next catalog searches (one each, in order)."""
        with self._lock:
            self._script.extend(answers)
        return self

    def expire_tokens(self) -> None:
        with self._lock:
            self._valid.clear()

    # -- called from the server threads ----------------------------------------------------

    def _login(self, body: dict[str, Any]) -> Answer:
        if body.get("username") != self.username or body.get("password") != self.password:
            return json_answer(401, {"status": 401, "message": "Invalid username or password."})
        with self._lock:
            self.logins += 1
            token = f"quirk-token-{self.logins}"  # opaque, not a JWT: clients must not care
            self._valid.add(token)
        # userId as a string, msg null, an extra field, no originator
        return json_answer(200, [{"userId": "77", "msg": None, "status": "active",
                                  "token": token, "plan": {"tier": 2}}])  # fmt: skip

    def _search(self, bearer: str) -> Answer:
        with self._lock:
            self.search_tokens.append(bearer)
            if bearer not in self._valid:
                return json_answer(401, {"status": 401, "message": "Token expired."})
            return self._script.popleft() if self._script else quirky_page()


def _handler_for(pool: QuirkyPool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _answer(self, answer: Answer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)

        def _route(self, method: str) -> Answer:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            if query.get("key") != [pool.api_key]:
                return json_answer(403, {"status": 403, "message": "Invalid API key."})
            if method == "POST" and parts.path == "/api/Auth/Login":
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                return pool._login(body if isinstance(body, dict) else {})
            if method == "GET" and parts.path == "/api/Content/Media":
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                return pool._search(bearer)
            return json_answer(404, {"status": 404, "message": "Not found."})

        def do_GET(self) -> None:
            self._answer(self._route("GET"))

        def do_POST(self) -> None:
            self._answer(self._route("POST"))

    return Handler
