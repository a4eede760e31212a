"""A real HTTP server on 127.0.0.1 (port 0) that answers whatever a hostile-input test sets.

``HostileServer`` is a plain ``http.server`` in a background thread. A test sets the answer
of a path with ``serve(path, reply)``: the longest matching path prefix wins, so
``serve("/api/v2/artist/", ...)`` covers every artist. A ``Reply`` is a status, a body and a
Content-Type, or a chunked body from a generator (which may never end: the server stops when
the client hangs up); a ``Content-Length`` among the headers is sent as is (it may lie).
Until told otherwise the pool login answers with a usable token, so
the real ``PoolClient`` gets as far as the answer under test. Every request path is kept.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from server_thread import ServerThread

LOGIN_PATH = "/api/Auth/Login"
SEARCH_PATH = "/api/Content/Media"
PLAYLISTS_PATH = "/api/Content/Playlists"
TOKEN = "hostile-token"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    chunks: Callable[[], Iterator[bytes]] | None = None
    """A chunked body instead of ``body`` (may be endless)."""


def json_reply(value: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(value).encode())


def endless(prefix: bytes, unit: bytes) -> Callable[[], Iterator[bytes]]:
    """A body that starts with ``prefix`` and repeats ``unit`` (in ~64 kB writes) forever."""
    block = unit * max(1, (64 << 10) // max(1, len(unit)))

    def body() -> Iterator[bytes]:
        yield prefix
        while True:
            yield block

    return body


LOGIN_OK = json_reply([{"userId": 1, "status": "active", "token": TOKEN, "msg": ""}])


class HostileServer:
    """Serves the replies a test sets; a context manager (``url`` ends with a slash)."""

    def __init__(self) -> None:
        self._routes: dict[str, Reply] = {LOGIN_PATH: LOGIN_OK}
        self._lock = threading.Lock()
        self.requests: list[str] = []
        self._served = ServerThread(_handler_for(self))
        self.url = self._served.url

    def __enter__(self) -> HostileServer:
        self._served.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._served.stop()

    def serve(self, path: str, reply: Reply) -> HostileServer:
        with self._lock:
            self._routes[path] = reply
        return self

    def reply_for(self, path: str) -> Reply:
        with self._lock:
            self.requests.append(path)
            found = [p for p in self._routes if path.startswith(p)]
            if not found:
                return json_reply({"status": 404, "message": "Not found."}, 404)
            return self._routes[max(found, key=len)]


def _handler_for(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            reply = server.reply_for(urlsplit(self.path).path)
            try:
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):  # the client hung up: its right
                self.close_connection = True

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            if reply.content_type is not None:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers:
                self.send_header(name, value)
            if reply.chunks is None:
                if not any(name.lower() == "content-length" for name, _ in reply.headers):
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for chunk in filter(None, reply.chunks()):  # an empty chunk would end the body
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

    return Handler
