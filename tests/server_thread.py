"""A ThreadingHTTPServer on 127.0.0.1 (port 0) served from a daemon thread: the test
servers' shared lifecycle (start, stop and join), so each of them only says what it answers."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ServerThread:
    def __init__(self, handler: type[BaseHTTPRequestHandler], poll_interval: float = 0.02):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
