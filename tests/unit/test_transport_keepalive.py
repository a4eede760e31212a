"""Keep-alive on the direct download path: a pool's next file reuses the connection.

A scripted HTTP/1.1 server on loopback answers several requests per connection and
records which connection carried each request, so the tests see when the client reused a
connection, when it opened a fresh one, and that no request was ever sent twice.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from crateq.api import transport_conn
from crateq.api.errors import PoolRateLimited
from crateq.api.netpolicy import CA_FILE_ENV
from crateq.core.download_transfer import (
    TransferResult,
    TransferState,
    transfer,
)
from crateq.core.errors import TransferInterrupted
from tls_cert import self_signed

BODY = bytes(range(256)) * 2048  # 512 KiB

# What the server does after a request: the packets to send, then whether to keep the
# connection open for the next request.
Script = Callable[[int], tuple[list[bytes], bool]]


def answer(*extra: str, body: bytes = BODY) -> list[bytes]:
    head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", "Content-Type: audio/mpeg"]
    return ["\r\n".join([*head, *extra, "", ""]).encode(), body]


class KeepAliveServer:
    """Serves requests on each connection until ``script`` says close; logs
    ``(connection number, request line)`` per request."""

    def __init__(self, script: Script, tls: ssl.SSLContext | None = None) -> None:
        self.script, self.tls = script, tls
        self.log: list[tuple[int, str]] = []
        self.closed = threading.Semaphore(0)  # released each time the server closed one
        self._listener = socket.create_server(("127.0.0.1", 0))
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"
        self._connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except ssl.SSLError:
                    conn.close()
                    continue
            self._connections += 1
            number = self._connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        with conn:
            buffered = b""
            while True:
                while b"\r\n\r\n" not in buffered:
                    try:
                        data = conn.recv(4096)
                    except OSError:  # reset by a client that closed with bytes unread
                        data = b""
                    if not data:
                        self.closed.release()
                        return
                    buffered += data
                head, _, buffered = buffered.partition(b"\r\n\r\n")
                self.log.append((number, head.decode("latin-1").splitlines()[0]))
                packets, keep = self.script(len(self.log))
                try:
                    for packet in packets:
                        conn.sendall(packet)
                except OSError:
                    break
                if not keep:
                    break
        self.closed.release()

    def close(self) -> None:
        self._listener.close()

    @property
    def connections(self) -> list[int]:
        return [number for number, _ in self.log]


@pytest.fixture
def serve() -> Iterator[Callable[..., KeepAliveServer]]:
    servers: list[KeepAliveServer] = []

    def start(script: Script, tls: ssl.SSLContext | None = None) -> KeepAliveServer:
        servers.append(KeepAliveServer(script, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def fetch(
    client: httpx.Client, url: str, part: Path, stop: threading.Event | None = None
) -> TransferResult:
    stop = stop or threading.Event()
    return transfer(
        client, url, {}, part, TransferState(), choose_part=lambda _: part, pool="scripted",
        progress=lambda _: None, stop=stop,
    )  # fmt: skip


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_pools_next_files_reuse_one_connection(
    serve: Callable[..., KeepAliveServer], direct_client: httpx.Client, tmp_path: Path
) -> None:
    server = serve(lambda _: (answer(), True))
    for name in ("a", "b", "c"):
        result = fetch(direct_client, f"{server.url}/{name}.mp3", tmp_path / f"{name}.part")
        assert result.sha256 == sha(BODY)
        assert (tmp_path / f"{name}.part").read_bytes() == BODY
    assert server.connections == [1, 1, 1]
    assert [line for _, line in server.log] == [
        f"GET /{name}.mp3 HTTP/1.1" for name in ("a", "b", "c")
    ]


def test_a_connection_the_server_closed_while_idle_is_not_reused(
    serve: Callable[..., KeepAliveServer], direct_client: httpx.Client, tmp_path: Path
) -> None:
    server = serve(lambda _: (answer(), False))  # keep-alive not refused, yet closed
    fetch(direct_client, f"{server.url}/a.mp3", tmp_path / "a.part")
    assert server.closed.acquire(timeout=10)
    result = fetch(direct_client, f"{server.url}/b.mp3", tmp_path / "b.part")
    assert result.sha256 == sha(BODY)
    assert server.connections == [1, 2]  # each request sent once


def test_a_kept_connection_dropped_as_it_is_reused_is_replaced_by_a_fresh_one(
    serve: Callable[..., KeepAliveServer], direct_client: httpx.Client, tmp_path: Path
) -> None:
    # The second request meets a connection the server drops without a byte of answer:
    # the download goes on over a new connection instead of failing.
    server = serve(lambda n: ([], False) if n == 2 else (answer(), True))
    fetch(direct_client, f"{server.url}/a.mp3", tmp_path / "a.part")
    result = fetch(direct_client, f"{server.url}/b.mp3", tmp_path / "b.part")
    assert result.sha256 == sha(BODY)
    assert server.connections == [1, 1, 2]


def test_a_server_saying_close_gets_a_new_connection_per_file(
    serve: Callable[..., KeepAliveServer], direct_client: httpx.Client, tmp_path: Path
) -> None:
    server = serve(lambda _: (answer("Connection: close"), True))
    fetch(direct_client, f"{server.url}/a.mp3", tmp_path / "a.part")
    fetch(direct_client, f"{server.url}/b.mp3", tmp_path / "b.part")
    assert server.connections == [1, 2]


def test_a_stopped_download_never_hands_its_connection_to_the_next(
    serve: Callable[..., KeepAliveServer], direct_client: httpx.Client, tmp_path: Path
) -> None:
    server = serve(lambda _: (answer(), True))
    stop = threading.Event()
    stop.set()  # paused as the body starts: the rest of the body is never read
    with pytest.raises(TransferInterrupted):
        fetch(direct_client, f"{server.url}/a.mp3", tmp_path / "a.part", stop)
    result = fetch(direct_client, f"{server.url}/b.mp3", tmp_path / "b.part")
    assert result.sha256 == sha(BODY)
    assert server.connections == [1, 2]


def test_an_error_page_left_unread_closes_its_connection(
    serve: Callable[..., KeepAliveServer], direct_client: httpx.Client, tmp_path: Path
) -> None:
    page = b"<html>" + b"x" * 100_000 + b"</html>"
    busy = ["HTTP/1.1 503 Busy", f"Content-Length: {len(page)}", "Retry-After: 1", "", ""]
    server = serve(lambda n: (["\r\n".join(busy).encode(), page], True) if n == 1 else
                   (answer(), True))  # fmt: skip
    with pytest.raises(PoolRateLimited) as busy_answer:
        fetch(direct_client, f"{server.url}/a.mp3", tmp_path / "a.part")
    assert busy_answer.value.status == 503
    assert fetch(direct_client, f"{server.url}/a.mp3", tmp_path / "a.part").sha256 == sha(BODY)
    assert server.connections == [1, 2]


def test_connections_idle_longer_than_the_limit_are_not_reused(
    serve: Callable[..., KeepAliveServer],
    direct_client: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport_conn, "IDLE_SECONDS", 0.0)  # every kept connection is too old
    server = serve(lambda _: (answer(), True))
    fetch(direct_client, f"{server.url}/a.mp3", tmp_path / "a.part")
    fetch(direct_client, f"{server.url}/b.mp3", tmp_path / "b.part")
    assert server.connections == [1, 2]


def test_https_connections_are_reused_too(
    serve: Callable[..., KeepAliveServer],
    direct_client: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Over TLS a reused connection also saves the handshake (the case of real pools).
    cert_path, key_path = self_signed(tmp_path)
    monkeypatch.setenv(CA_FILE_ENV, str(cert_path))  # trusted explicitly
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    server = serve(lambda _: (answer(), True), tls=context)
    for name in ("a", "b", "c"):
        result = fetch(direct_client, f"{server.url}/{name}.mp3", tmp_path / f"{name}.part")
        assert result.sha256 == sha(BODY)
    assert server.connections == [1, 1, 1]
