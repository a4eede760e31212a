"""A record pool on 127.0.0.1 whose server-side queue holds ``size`` tracks, for load tests.

It speaks the parts of the pool API a queue needs (login, the paged Content/Queue, the
download) over real HTTP. A download either *holds*: the head and a Content-Length go out,
then nothing until the client hangs up (the job stays running, like a slow file), or is
*refused* with the pool's 403 (the job fails at once). Every download request is counted.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_KEY = "load-key"


def queue_row(media_id: int) -> dict[str, object]:
    return {
        "mediaId": media_id,
        "queueId": media_id,
        "artist": f"Artist {media_id % 97}",
        "title": f"Track {media_id}",
        "tool": "Extended",
        "audio": True,
        "auth": f"t{media_id}",
        "source": "load",
    }


class BigQueuePool:
    """``size`` queued tracks (ids 1..size); downloads hold unless ``refuse`` is set."""

    def __init__(self, size: int, *, refuse: bool = False) -> None:
        self.size, self.refuse = size, refuse
        self.downloads: list[int] = []
        self.lock = threading.Lock()
        pool = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # head and body go out as two writes: no Nagle delay
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = {"token": "jwt", "status": "active", "userId": "1", "msg": ""}
                self._send(200, json.dumps([token]).encode())

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if query.get("key") != [API_KEY]:
                    return self._send(403, b'{"message": "Invalid API key."}')
                if parts.path.endswith("/api/Content/Queue"):
                    return self._send(200, pool.page(query))
                if parts.path.endswith("/api/Content/Media"):  # a restored job's fresh row
                    return self._send(200, pool.search(query))
                if "/api/Content/Download/" in parts.path:
                    return self._download(int(parts.path.rsplit("/", 1)[1]))
                self._send(404, b'{"message": "Not found."}')

            def _download(self, media_id: int) -> None:
                with pool.lock:
                    pool.downloads.append(media_id)
                if pool.refuse:
                    return self._send(403, b'{"message": "Your subscription has expired."}')
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(50 << 20))
                self.end_headers()
                self.wfile.flush()
                while self.rfile.read(1):  # hold until the client hangs up
                    pass
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,))
        self._thread.daemon = True
        self._thread.start()

    def page(self, query: dict[str, list[str]]) -> bytes:
        number, size = int(query.get("page", ["1"])[0]), int(query.get("size", ["100"])[0])
        first = (number - 1) * size + 1
        rows = [queue_row(i) for i in range(first, min(first + size, self.size + 1))]
        pages = -(-self.size // size)
        return json.dumps({"records": self.size, "pages": pages, "page": number, "data": rows})\
            .encode()  # fmt: skip

    def search(self, query: dict[str, list[str]]) -> bytes:
        """The queued track a title names ("Track N"), as one page of search results."""
        title = query.get("title", [""])[0]
        number = int(title.removeprefix("Track ")) if title.startswith("Track ") else 0
        rows = [queue_row(number)] if 1 <= number <= self.size else []
        return json.dumps({"records": len(rows), "pages": 1, "page": 1, "data": rows}).encode()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
