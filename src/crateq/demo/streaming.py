"""File bodies for downloads and previews: Range, ETag, and the transport fault switches.

A dropped connection must look dropped to a client (not a clean, short EOF), so the body
raises :class:`ConnectionDropped` after the cut; uvicorn then closes the socket without
finishing the message, which httpx reports as a protocol error.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from crateq.demo.faults import PoolFaults

CHUNK = 1 << 20
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


class ConnectionDropped(Exception):
    """Raised inside a body on purpose: the server closes the connection mid-message."""


class _HideDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped) and (
            "ConnectionDropped" not in record.getMessage()
        )


def hide_intentional_drops() -> None:
    """Keep uvicorn from logging a traceback for every drop a test asked for."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDrops) for f in logger.filters):
        logger.addFilter(_HideDrops())


def content_disposition(filename: str) -> str:
    """``attachment`` with a quoted ASCII name and an RFC 5987 UTF-8 name when needed.

    The name is passed on as hostile as it is (slashes, dots, reserved names); only what an
    HTTP header cannot carry (control and non-ASCII characters) goes to ``filename*`` alone.
    """
    plain = "".join(c if 0x20 <= ord(c) < 0x7F else "_" for c in filename)
    quoted = plain.replace("\\", "\\\\").replace('"', '\\"')
    value = f'attachment; filename="{quoted}"'
    if plain != filename:
        value += "; filename*=UTF-8''" + urllib.parse.quote(filename, safe="")
    return value


def parse_range(header: str | None, length: int) -> tuple[int, int] | str | None:
    """(start, end exclusive) for ``bytes=N-`` / ``bytes=N-M`` / ``bytes=-N``; None when
    absent or not understood (serve everything), "unsatisfiable" when past the end."""
    if not header:
        return None
    match = _RANGE_RE.match(header)
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # suffix range: the last N bytes
        count = int(last)
        return (max(0, length - count), length) if count else "unsatisfiable"
    start = int(first)
    end = min(length, int(last) + 1) if last else length
    if start >= length or end <= start:
        return "unsatisfiable"
    return start, end


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    """Set ``gone`` when the client hangs up, so a big body stops being read from disk."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


def _corrupted(data: bytes, at: int, corrupt: int | None) -> bytes:
    """``data`` (the file's bytes from offset ``at``) with the byte at ``corrupt`` flipped."""
    if corrupt is None or not at <= corrupt < at + len(data):
        return data
    index = corrupt - at
    return data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1 :]


@dataclass
class FileBody:
    """A raw ASGI response sending ``path[start:end]`` in chunks, with faults applied."""

    path: Path
    start: int
    end: int
    status: int
    headers: dict[str, str]
    faults: PoolFaults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": raw_headers})
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        total = self.end - self.start
        drop_at = self.faults.drop_offset(total)
        rate = self.faults.slow_bytes_per_second
        chunk = max(1024, min(CHUNK, rate // 10)) if rate else CHUNK
        gone = asyncio.Event()
        watcher = asyncio.ensure_future(_watch_disconnect(receive, gone))
        handle: BinaryIO = await run_in_threadpool(open, self.path, "rb")
        try:
            await run_in_threadpool(handle.seek, self.start)
            sent = 0
            while sent < total and not gone.is_set():
                count = min(chunk, total - sent)
                if drop_at is not None and sent + count >= drop_at:
                    count = drop_at - sent
                    if count > 0:
                        data = await run_in_threadpool(handle.read, count)
                        await send({"type": "http.response.body", "body": data, "more_body": True})
                    raise ConnectionDropped(f"dropped after {drop_at} body bytes")
                data = await run_in_threadpool(handle.read, count)
                if not data:
                    raise ConnectionDropped("file shrank while sending")
                data = _corrupted(data, self.start + sent, self.faults.corrupt_body_at)
                await send({"type": "http.response.body", "body": data, "more_body": True})
                sent += len(data)
                if rate:
                    await asyncio.sleep(len(data) / rate)
        finally:
            watcher.cancel()
            await run_in_threadpool(handle.close)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def file_response(
    request_headers: Mapping[str, str],
    path: Path,
    length: int,
    etag: str,
    content_type: str,
    filename: str | None,
    faults: PoolFaults,
) -> FileBody | tuple[int, dict[str, str]]:
    """The body for a GET of the first ``length`` bytes of ``path``, honouring Range.

    Returns a tuple (status, headers) instead for 416 so the caller answers with JSON.
    """
    ranges = "none" if faults.ignore_range else "bytes"
    if faults.opaque_etag:
        etag = f"v1-{etag[:16]}"  # still names this version of the file, but no checksum
    headers = {"Content-Type": content_type, "ETag": f'"{etag}"', "Accept-Ranges": ranges}
    if filename is not None:
        headers["Content-Disposition"] = content_disposition(filename)
    wanted = None if faults.ignore_range else parse_range(request_headers.get("range"), length)
    if_range = request_headers.get("if-range")
    if wanted is not None and if_range and if_range.strip() != f'"{etag}"':
        wanted = None  # the file changed since the client's copy: send it whole
    if wanted == "unsatisfiable":
        return 416, {"Content-Range": f"bytes */{length}"}
    start, end, status = 0, length, 200
    if isinstance(wanted, tuple):
        start, end = wanted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{length}"
    if not faults.chunked:
        headers["Content-Length"] = str(end - start)
    return FileBody(path, start, end, status, headers, faults)
