"""A fault-injecting TCP proxy for the reliability tests: the app talks to it as if it were
the pool, and it forwards every exchange to a demo pool on loopback.

Logins, searches and every other answer pass through untouched; a download answer
(``GET .../api/Content/Download/<id>``) gets the fault its plan names for that media's
attempt: the connection reset at an offset of the body, a stall (the head and part of the
body, then silence until the client gives up), the body cut short under its correct
Content-Length (a clean close), a flipped byte, an HTML 500 page instead of the file, or a
slow trickle (pauses shorter than the client's read timeout, longer in all). The plan is a
function of (media id, attempt), so a seeded plan gives the same faults however the
engine's concurrent jobs interleave. Everything served is recorded (:class:`Served`), so a
test can check where each retry resumed.

h11 frames the requests and the upstream answers; the proxy writes the answer's head and
bytes itself, which lets it break an answer anywhere. It runs its own asyncio loop in a
background thread and listens on 127.0.0.1, port 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

import h11

KINDS = ("drop", "stall", "truncate", "flip", "html500", "trickle")
"""The faults a download answer can get; "none" passes it through."""
_DOWNLOAD = re.compile(rb"/api/Content/Download/(\d+)")
_READ = 64 << 10
HTML_500 = (
    b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
    b"<body><h1>Internal Server Error</h1><p>The upstream server failed.</p></body></html>"
)


@dataclass(frozen=True)
class Fault:
    """One answer's fault. ``at`` is where it strikes, as a fraction of that answer's body
    (a drop or stall ``before_head`` strikes before the status line: a connection that dies
    or hangs with the request sent); ``mask`` is what a flip XORs into the byte there; a
    trickle sends ``pauses`` pieces of ``piece`` bytes from ``at``, each after its pause,
    then the rest at full speed."""

    kind: str = "none"
    at: float = 0.0
    before_head: bool = False
    mask: int = 0xFF
    piece: int = 512
    pauses: tuple[float, ...] = ()

    def cut(self, length: int) -> int:
        """The body offset the fault strikes at, for a body of ``length`` bytes."""
        if length <= 0:
            return 0
        return min(length - 1, int(self.at * length))


CLEAN = Fault()
Planner = Callable[[int, int], Fault]
"""(media id, attempt counted from 0 per media) -> the fault for that download answer."""


@dataclass
class Served:
    """One file answer to a download request, as the proxy passed it on. Other answers
    (a 401, a 403 for an expired token) pass untouched and count no attempt."""

    media_id: int
    attempt: int
    fault: str  # the fault applied, "none" for a clean answer
    status: int  # the pool's status (200 or 206; the client got a 500 for "html500")
    range_start: int | None  # the request's ``Range: bytes=N-``; None when it had none
    length: int | None  # the answer's Content-Length
    sent: int = 0  # body bytes the proxy wrote to the client
    before_head: bool = False  # the fault struck before the status line
    client_gave_up: bool = False  # a stall: the client hung up before ``stall_limit``


@dataclass
class _Exchange:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    conn: h11.Connection
    served: Served | None = None
    keep: bool = True
    upstream: list[asyncio.StreamWriter] = field(default_factory=list)


class FaultProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` (a base URL), breaking download answers
    as ``planner`` says. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, upstream: str, planner: Planner, *, stall_limit: float = 120.0) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.planner = planner
        self.stall_limit = stall_limit  # a stalled answer is closed after this at the latest
        self.served: list[Served] = []
        self._attempts: dict[int, int] = {}
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}{self._base_path}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._client, sock=self._listener)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- what was served ------------------------------------------------------------------
    def attempts(self, media_id: int) -> list[Served]:
        """The download answers for ``media_id``, in the order they were asked for."""
        with self._lock:
            return sorted(
                (s for s in self.served if s.media_id == media_id), key=lambda s: s.attempt
            )

    def forget(self) -> None:
        """Drop what was served and start counting attempts from 0 again."""
        with self._lock:
            self.served.clear()
            self._attempts.clear()

    def _next_attempt(self, media_id: int) -> int:
        with self._lock:
            attempt = self._attempts.get(media_id, 0)
            self._attempts[media_id] = attempt + 1
            return attempt

    def _record(self, served: Served) -> None:
        with self._lock:
            self.served.append(served)

    # -- one client connection ------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await _read_request(reader, conn)
                if request is None:
                    return
                ex = _Exchange(reader, writer, conn)
                try:
                    await self._exchange(ex, *request)
                finally:
                    for up in ex.upstream:
                        up.transport.abort()
                    if ex.served is not None:
                        self._record(ex.served)
                if not ex.keep or conn.our_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.CancelledError):
            return  # the client went away, spoke garbage, or the proxy is stopping
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _exchange(self, ex: _Exchange, request: h11.Request, body: bytes) -> None:
        """Ask the pool, then pass its answer on; a file answer (a 200 or 206 with a
        Content-Length to a download) gets the plan's fault for that media's attempt."""
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        ex.upstream.append(up_writer)
        up = h11.Connection(h11.CLIENT)
        up_writer.write(_request_bytes(up, request, body))
        await up_writer.drain()
        response = await _read_response(up_reader, up)
        length = _content_length(response)
        match = _DOWNLOAD.search(request.target)
        fault = CLEAN
        if match is not None and response.status_code in (200, 206) and length is not None:
            media_id = int(match.group(1))
            attempt = self._next_attempt(media_id)
            fault = self.planner(media_id, attempt)
            start = _range_start(request)
            ex.served = Served(media_id, attempt, fault.kind, response.status_code, start, length)
            ex.served.before_head = fault.before_head and fault.kind in ("drop", "stall")
        if fault.kind == "html500":  # the pool's answer is dropped unread
            await _send_html_500(ex)
            return
        if fault.before_head and fault.kind in ("drop", "stall"):
            await self._break(ex, fault)
            return
        ex.writer.write(ex.conn.send(_response_head(response)))
        body_chunks = _body(up_reader, up)
        if fault.kind in ("none", "flip", "trickle"):
            await self._forward(ex, body_chunks, fault, length or 0)
            ex.writer.write(ex.conn.send(h11.EndOfMessage()))
            await ex.writer.drain()
        else:
            await self._forward(ex, body_chunks, fault, length or 0, stop_at=fault.cut(length or 0))
            await self._break(ex, fault)

    async def _forward(
        self,
        ex: _Exchange,
        chunks: AsyncIterator[bytes],
        fault: Fault,
        length: int,
        *,
        stop_at: int | None = None,
    ) -> None:
        """Pass the body on from the pool: whole, or up to ``stop_at``; a flip changes one
        byte, a trickle slows a stretch of it."""
        cut = fault.cut(length)
        offset = 0
        async for chunk in chunks:
            end = offset + len(chunk)
            if stop_at is not None and end >= stop_at:
                await self._write(ex, chunk[: stop_at - offset])
                return
            if fault.kind == "flip" and offset <= cut < end:
                index = cut - offset
                chunk = chunk[:index] + bytes([chunk[index] ^ fault.mask]) + chunk[index + 1 :]
            elif fault.kind == "trickle" and offset <= cut < end:
                chunk = await self._trickle(ex, chunk, cut - offset, fault)
            await self._write(ex, chunk)
            offset = end

    async def _trickle(self, ex: _Exchange, chunk: bytes, index: int, fault: Fault) -> bytes:
        """Send ``chunk`` up to ``index`` at once, then small pieces after pauses; returns
        what is left of the chunk."""
        await self._write(ex, chunk[:index])
        rest = chunk[index:]
        for pause in fault.pauses:
            if not rest:
                break
            await asyncio.sleep(pause)
            piece, rest = rest[: fault.piece], rest[fault.piece :]
            await self._write(ex, piece)
        return rest

    async def _write(self, ex: _Exchange, data: bytes) -> None:
        if not data:
            return
        ex.writer.write(ex.conn.send(h11.Data(data=data)))
        await ex.writer.drain()
        if ex.served is not None:
            ex.served.sent += len(data)

    async def _break(self, ex: _Exchange, fault: Fault) -> None:
        """End a broken answer: a reset (drop), a clean close (truncate), or silence until
        the client hangs up (stall)."""
        ex.keep = False
        if fault.kind == "drop":
            sock = ex.writer.get_extra_info("socket")
            if sock is not None:  # SO_LINGER 0: close() sends RST, not FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            ex.writer.transport.abort()
        elif fault.kind == "truncate":
            ex.writer.close()
            with contextlib.suppress(ConnectionError):
                await ex.writer.wait_closed()
        elif fault.kind == "stall":
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.stall_limit):
                    with contextlib.suppress(ConnectionError):
                        while await ex.reader.read(_READ):
                            pass  # the client sends nothing more; b"" is its close
                    if ex.served is not None:
                        ex.served.client_gave_up = True


async def _send_html_500(ex: _Exchange) -> None:
    """What a reverse proxy in front of a failing pool answers: a complete HTML page."""
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(HTML_500)).encode()),
    ]
    ex.writer.write(ex.conn.send(h11.Response(status_code=500, headers=headers)))
    ex.writer.write(ex.conn.send(h11.Data(data=HTML_500)))
    ex.writer.write(ex.conn.send(h11.EndOfMessage()))
    await ex.writer.drain()


async def _next_event(reader: asyncio.StreamReader, conn: h11.Connection) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await reader.read(_READ))


async def _read_request(
    reader: asyncio.StreamReader, conn: h11.Connection
) -> tuple[h11.Request, bytes] | None:
    """The next request on a client connection and its body; None once the client closed."""
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = await _next_event(reader, conn)
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return request, bytes(body)
        elif isinstance(event, h11.ConnectionClosed):
            return None


async def _read_response(reader: asyncio.StreamReader, conn: h11.Connection) -> h11.Response:
    while True:
        event = await _next_event(reader, conn)
        if isinstance(event, h11.Response):
            return event
        if isinstance(event, h11.ConnectionClosed):
            raise ConnectionError("the pool closed the connection without an answer")


async def _body(reader: asyncio.StreamReader, conn: h11.Connection) -> AsyncIterator[bytes]:
    while True:
        event = await _next_event(reader, conn)
        if isinstance(event, h11.Data):
            yield bytes(event.data)
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return


def _request_bytes(up: h11.Connection, request: h11.Request, body: bytes) -> bytes:
    data = up.send(request) or b""
    if body:
        data += up.send(h11.Data(data=body)) or b""
    return data + (up.send(h11.EndOfMessage()) or b"")


def _response_head(response: h11.Response) -> h11.Response:
    """The pool's head as the client gets it (its framing headers stay as they are)."""
    return h11.Response(
        status_code=response.status_code, headers=list(response.headers), reason=response.reason
    )


def _content_length(response: h11.Response) -> int | None:
    for name, value in response.headers:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def _range_start(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"range":
            found = re.match(rb"\s*bytes\s*=\s*(\d+)-", value)
            return int(found.group(1)) if found else None
    return None
