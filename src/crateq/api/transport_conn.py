"""One HTTP/1.1 exchange over a socket of our own, and the connections kept between files.

``h11`` parses the status line and headers (no hand-written parser); a ``Content-Length``
body is then read with ``recv_into`` into a few reused buffers, so no chunk is allocated
or copied under the GIL and several transfers run on both cores. Other framings (chunked,
until close) go through h11's events on the same connection, so a request is never sent
twice (pools count downloads). Socket failures are raised as the httpx exceptions httpx
would raise (``ReadTimeout``, ``RemoteProtocolError``, ...).

A connection whose answer was read to its very end is kept for the next GET to the same
origin; any other ending closes it. Kept connections live at most ``IDLE_SECONDS``, are
checked before reuse, and one found closed before any byte of its answer arrived is
replaced once by a fresh connection. :mod:`crateq.api.transport` is the public face.
The figures behind the buffer sizes are in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import functools
import select
import socket
import ssl
import struct
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator

import h11
import httpx

from crateq.api.netpolicy import trust_context

IDLE_SECONDS = 4.0
"""How long an idle connection is kept: below the 5 s keep-alive of common servers
(uvicorn's default), and short enough that a NAT box on hotel wifi has not silently
dropped it (a request sent into such a connection would wait for the read timeout)."""
IDLE_PER_ORIGIN = 8

READ_BUFFER = 512 << 10
"""Bytes a body read asks for at once; whole-buffer reads of this size were the fastest
measured (docs/PERFORMANCE.md, "Buffers")."""
BUFFERS = 4
"""Buffers a body read takes turns with: a view stays valid while the next BUFFERS - 1
are read, so a helper thread can hash it meanwhile."""
_HEAD_READ = 64 << 10
DEFAULT_PORTS = {"http": 80, "https": 443}


def port_of(url: httpx.URL) -> int:
    return url.port or DEFAULT_PORTS.get(url.scheme, 0)


def _tls() -> ssl.SSLContext:
    """The system-trust context of :mod:`crateq.api.netpolicy`, HTTP/1.1 only (h11 reads
    the answer), shared with the other HTTP/1.1 clients."""
    return trust_context(http2=False)


_Origin = tuple[str, str, int]


class IdleConnections:
    """Connections of one client whose last answer was read to its end, per origin."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_origin: dict[_Origin, list[tuple[float, socket.socket]]] = {}

    def take(self, origin: _Origin) -> socket.socket | None:
        while True:
            with self._lock:
                kept = self._by_origin.get(origin)
                if not kept:
                    return None
                since, sock = kept.pop()
            if time.monotonic() - since < IDLE_SECONDS and _quiet(sock):
                return sock
            sock.close()

    def put(self, origin: _Origin, sock: socket.socket) -> None:
        with self._lock:
            kept = self._by_origin.setdefault(origin, [])
            kept.append((time.monotonic(), sock))
            surplus = kept[:-IDLE_PER_ORIGIN]
            del kept[:-IDLE_PER_ORIGIN]
        for _, old in surplus:
            old.close()

    def close_all(self) -> None:
        with self._lock:
            kept = [sock for entries in self._by_origin.values() for _, sock in entries]
            self._by_origin.clear()
        for sock in kept:
            sock.close()


_idle: weakref.WeakKeyDictionary[httpx.Client, IdleConnections] = weakref.WeakKeyDictionary()
_idle_lock = threading.Lock()


def idle_for(client: httpx.Client) -> IdleConnections:
    """The kept connections of ``client``, closed when it is closed by :func:`close_idle`
    or garbage-collected."""
    with _idle_lock:
        idle = _idle.get(client)
        if idle is None:
            idle = _idle[client] = IdleConnections()
            weakref.finalize(client, idle.close_all)
        return idle


def close_idle(client: httpx.Client) -> None:
    """Close the connections kept for ``client`` (the engine calls this when it stops)."""
    with _idle_lock:
        idle = _idle.pop(client, None)
    if idle is not None:
        idle.close_all()


def _quiet(sock: socket.socket) -> bool:
    """True when an idle connection has nothing to read: no close, reset or stray bytes."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed, or a descriptor select() cannot watch
        return False
    return not readable


class DirectResponse:
    """Status and headers parsed by h11; the body read by :meth:`chunks`."""

    status_code: int
    headers: httpx.Headers

    def __init__(
        self,
        sock: socket.socket,
        conn: h11.Connection,
        response: h11.Response,
        keep: Callable[[socket.socket], None] | None,
    ) -> None:
        self._sock = sock
        self._conn = conn
        self.status_code = response.status_code
        self.headers = httpx.Headers(list(response.headers))
        closing = response.http_version != b"1.1" or any(
            token.strip() == "close"
            for token in self.headers.get("Connection", "").lower().split(",")
        )
        self._keep = None if closing else keep
        self._complete = False  # set once the body was read to its very end

    @classmethod
    def fetch(
        cls,
        url: httpx.URL,
        headers: httpx.Headers,
        timeout: httpx.Timeout,
        idle: IdleConnections | None = None,
    ) -> DirectResponse:
        origin = (url.scheme, url.host, port_of(url))
        keep = functools.partial(idle.put, origin) if idle is not None else None
        kept = idle.take(origin) if idle is not None else None
        if kept is not None:
            answer = cls._exchange(kept, url, headers, timeout, keep, reused=True)
            if answer is not None:
                return answer
            # None: closed by the server meanwhile, the request never reached it
        answer = cls._exchange(_connect(url, timeout), url, headers, timeout, keep, reused=False)
        assert answer is not None  # only a reused connection can be stale
        return answer

    @classmethod
    def _exchange(
        cls,
        sock: socket.socket,
        url: httpx.URL,
        headers: httpx.Headers,
        timeout: httpx.Timeout,
        keep: Callable[[socket.socket], None] | None,
        *,
        reused: bool,
    ) -> DirectResponse | None:
        """The answer's head, or None when a ``reused`` connection turned out closed before
        any byte of the answer came (the caller sends the request on a fresh one)."""
        try:
            conn = h11.Connection(h11.CLIENT)
            head = [(b"Host", url.netloc), *headers.raw]
            request = h11.Request(method=b"GET", target=url.raw_path, headers=head)
            data = (conn.send(request) or b"") + (conn.send(h11.EndOfMessage()) or b"")
            seen = [0]  # bytes of the answer received
            try:
                _send(sock, data, timeout)
                response = _read_head(sock, conn, seen)
            except (httpx.WriteError, httpx.ReadError, httpx.RemoteProtocolError):
                if reused and not seen[0]:
                    sock.close()
                    return None
                raise
            return cls(sock, conn, response, keep)
        except h11.LocalProtocolError as exc:  # a header value h11 refuses to send
            sock.close()
            raise httpx.LocalProtocolError(str(exc)) from exc
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        if self._complete and self._keep is not None:
            self._keep(self._sock)
        else:
            self._sock.close()

    def head_of_body(self, limit: int) -> bytes:
        got = bytearray()
        try:
            for chunk in self._events():
                got += chunk
                if len(got) >= limit:
                    break
        except httpx.HTTPError:
            pass
        return bytes(got[:limit])

    def chunks(self) -> Iterator[memoryview | bytes]:
        length = self.headers.get("Content-Length")
        if "Transfer-Encoding" in self.headers or length is None or not length.isdigit():
            return self._events()
        return self._sized(int(length))

    def _sized(self, length: int) -> Iterator[memoryview | bytes]:
        """The fast path: h11's already buffered bytes, then ``recv_into`` the buffers."""
        buffered, _ = self._conn.trailing_data
        remaining = length
        if buffered:
            head = memoryview(buffered)[:remaining]
            remaining -= len(head)
            yield head
        size = min(READ_BUFFER, max(remaining, 1))
        buffers = _thread_buffers()
        turn = 0
        fill = _Filler(self._sock)
        while remaining > 0:
            buffer = buffers[turn]
            turn = (turn + 1) % BUFFERS
            count = fill(buffer, min(remaining, size))
            if count < 0:  # a tick went by with nothing: let the caller check its stop
                yield buffer[:0]
                continue
            if not count:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body: "
                    f"received {length - remaining} bytes, expected {length}"
                )
            remaining -= count
            yield buffer[:count]
        self._complete = len(buffered) <= length  # nothing beyond the body: it can serve again

    def _events(self) -> Iterator[bytes]:
        """Chunked or close-delimited bodies: h11 frames them (a copy per chunk is fine)."""
        while True:
            event = _next_event(self._sock, self._conn)
            if isinstance(event, h11.Data):
                yield event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                self._complete = isinstance(event, h11.EndOfMessage) and not any(
                    self._conn.trailing_data
                )
                return


_buffers = threading.local()


def _thread_buffers() -> list[memoryview]:
    """The ``BUFFERS`` read buffers of the calling thread, made once per thread.

    A download thread fetches one body at a time (a helper hashing a view is joined before
    the body ends), so its buffers can serve every file it fetches instead of faulting in
    and zeroing fresh ones per file.
    """
    kept: list[memoryview] | None = getattr(_buffers, "views", None)
    if kept is None:
        kept = _buffers.views = [memoryview(bytearray(READ_BUFFER)) for _ in range(BUFFERS)]
    return kept


_TICK_USEC = 250_000
"""How long a whole-buffer read waits at most before the caller gets a turn (stop, progress)."""


class _Filler:
    """Reads as much of a buffer as arrives, as one call that releases the GIL.

    On Linux, plain TCP: a blocking ``recv_into`` with ``MSG_WAITALL`` and an
    ``SO_RCVTIMEO`` of 0.25 s fills the whole buffer (``READ_BUFFER``) instead of returning each
    time a few segments arrive: fewer reads, fewer GIL hand-overs. A read that waited 0.25 s
    returns what came (a slow server still makes progress); one that got nothing returns
    -1, and the read timeout counts from the last byte. TLS and other systems: ``recv_into``
    with the socket timeout, as httpcore does; over TLS then also the records already received.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()
        self._tls = isinstance(sock, ssl.SSLSocket)
        self._whole = sys.platform.startswith("linux") and not self._tls
        if self._whole:
            tick = struct.pack("ll", 0, _TICK_USEC)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tick)
                sock.settimeout(None)
            except OSError:
                self._whole = False
        self._last = time.monotonic()
        self._flags = 0  # the first read returns at the first bytes: progress shows at once

    def __call__(self, buffer: memoryview, want: int) -> int:
        try:
            if not self._whole:
                count = self._sock.recv_into(buffer, want)
                return self._drain(buffer, count, want) if count and self._tls else count
            count = self._sock.recv_into(buffer, want, self._flags)
            self._flags = socket.MSG_WAITALL
        except BlockingIOError as exc:  # SO_RCVTIMEO went by without a byte
            now = time.monotonic()
            if self._timeout is not None and now - self._last >= self._timeout:
                raise httpx.ReadTimeout("The read operation timed out") from exc
            return -1
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "The read operation timed out") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or exc.__class__.__name__) from exc
        self._last = time.monotonic()
        return count

    def _drain(self, buffer: memoryview, count: int, want: int) -> int:
        """TLS: add the records already here without waiting (a read yields one record, at
        most 16 KiB), so a TLS read fills the buffer as a plain one does."""
        sock = self._sock
        sock.settimeout(0.0)
        try:
            while count < want:
                more = sock.recv_into(buffer[count:], want - count)
                if not more:
                    break  # the close shows on the next read
                count += more
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
        finally:
            sock.settimeout(self._timeout)
        return count


def _connect(url: httpx.URL, timeout: httpx.Timeout) -> socket.socket:
    host = url.raw_host  # IDNA-encoded already: a str host would import the idna codec
    try:
        address = (host, port_of(url))  # getaddrinfo takes bytes too
        sock = socket.create_connection(address, timeout=timeout.connect)  # type: ignore[arg-type]
    except TimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "timed out") from exc
    except OSError as exc:
        raise httpx.ConnectError(str(exc) or exc.__class__.__name__) from exc
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if url.scheme == "https":
            sock = _tls().wrap_socket(sock, server_hostname=host)
    except TimeoutError as exc:
        sock.close()
        raise httpx.ConnectTimeout(str(exc) or "timed out") from exc
    except OSError as exc:  # ssl.SSLError included: certificate, handshake
        sock.close()
        raise httpx.ConnectError(str(exc) or exc.__class__.__name__) from exc
    return sock


def _send(sock: socket.socket, data: bytes, timeout: httpx.Timeout) -> None:
    sock.settimeout(timeout.write)
    try:
        sock.sendall(data)
    except TimeoutError as exc:
        raise httpx.WriteTimeout(str(exc) or "timed out") from exc
    except OSError as exc:
        raise httpx.WriteError(str(exc) or exc.__class__.__name__) from exc
    sock.settimeout(timeout.read)


def _read_head(sock: socket.socket, conn: h11.Connection, seen: list[int]) -> h11.Response:
    while True:
        event = _next_event(sock, conn, seen)
        if isinstance(event, h11.Response):
            return event
        if isinstance(event, h11.ConnectionClosed):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        # h11.InformationalResponse (1xx): wait for the real answer


def _next_event(sock: socket.socket, conn: h11.Connection, seen: list[int] | None = None) -> object:
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc
        if event is not h11.NEED_DATA:
            return event
        try:
            data = sock.recv(_HEAD_READ)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "The read operation timed out") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or exc.__class__.__name__) from exc
        if seen is not None:
            seen[0] += len(data)
        conn.receive_data(data)
