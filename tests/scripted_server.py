"""A scripted HTTP server on loopback: each connection gets the exact packets a test wants.

The tests of the download transport use it to send what a real server may (chunked framing,
redirects, a body shorter than its Content-Length, headers split over many small writes);
it records every request head, so tests also check what the client sent.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable


class ScriptedServer:
    """Answers each connection with ``script(request_head)``: the packets to send, in
    order, each its own write; then closes (or, with ``hold``, waits for the client to)."""

    def __init__(
        self,
        script: Callable[[str], Iterable[bytes]],
        *,
        hold: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.script, self.hold, self.tls = script, hold, tls
        self.alpn: list[str | None] = []
        self.refused: list[str] = []
        self.requests: list[str] = []
        self.client_closed = threading.Event()
        self._closing = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            conn, _ = self._listener.accept()
            if self._closing:
                conn.close()
                return
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except ssl.SSLError as exc:  # the client refused our certificate
                    self.refused.append(exc.reason or str(exc))
                    conn.close()
                    continue
                self.alpn.append(conn.selected_alpn_protocol())
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        break
                    head += data
                request = head.decode("latin-1")
                self.requests.append(request)
                try:
                    for packet in self.script(request):
                        conn.sendall(packet)
                    if self.hold:
                        while conn.recv(4096):
                            pass
                        self.client_closed.set()
                except OSError:
                    self.client_closed.set()

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        socket.create_connection(("127.0.0.1", self.port)).close()  # wakes accept()
        self._thread.join(5)
        self._listener.close()


def head(status: str, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, "", ""]
    return "\r\n".join(lines).encode()
