"""The blocking byte mover of the download engine: one HTTP GET into a ``.part`` file.

It runs in a worker thread per transfer: :func:`crateq.api.transport.open_download` hands
the body over as views into reused buffers, and each view is ``os.write``n, fed to SHA-256
and counted, three calls that release the GIL, so several transfers use both cores. The
engine samples the byte counter ~10 times a second (no callback, event or database write
per chunk). Writeback starts during the download (``download_io.Flusher``), so the final
fsync has little left to do. Figures: docs/PERFORMANCE.md.

The function raises the pool errors of the wire (the transport maps statuses and network
failures), plus the core's :class:`RestartTransfer` when the server's answer means the
``.part`` is no longer usable.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from crateq.api.errors import PoolRangeRefused, PoolUnavailable
from crateq.api.transport import BodyResponse, open_download
from crateq.api.transport_sniff import not_the_file, sniff
from crateq.core.crashpoints import reach
from crateq.core.download_io import Flusher, Hasher, empty_id3
from crateq.core.errors import (
    AlreadyHave,
    DiskFull,
    RestartTransfer,
    TransferInterrupted,
    is_disk_full,
)

_HASH_BLOCK = 4 << 20
_SNIFF = 2048  # bytes of the body's start looked at (and quoted from) for a document
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)

Writer = Callable[[int, memoryview | bytes], int]


@dataclass
class TransferState:
    """What survives between attempts; the engine persists it with the job."""

    etag: str = ""
    total: int | None = None
    content_type: str = ""
    disposition: str = ""
    reserve: int = 0
    """Bytes kept free at the start of the part for the tag (MP3: ID3v2 written in place)."""
    committed: str = ""
    """The final name a verified part is being renamed to, saved just before the rename with
    the server bytes' ``sha256`` and ``size``: the name was free then, so a restart that
    finds that file knows the rename happened and only records it (no second download, no
    "x (2).mp3")."""
    sha256: str = ""
    size: int = 0


@dataclass
class TransferResult:
    size: int
    sha256: str
    state: TransferState
    ranged: bool = False
    """The body resumed an earlier part: a 206 whose Content-Range start and total agreed."""


def sha256_etag(etag: str) -> str | None:
    """The SHA-256 an ETag carries (quotes and ``W/`` stripped), or None."""
    value = etag.strip()
    value = value[2:] if value.startswith("W/") else value
    value = value.strip('"').lower()
    return value if _SHA256.match(value) else None


def _hash_prefix(fd: int, start: int, length: int) -> hashlib._Hash:
    digest = hashlib.sha256()
    done = 0
    while done < length:
        block = os.pread(fd, min(_HASH_BLOCK, length - done), start + done)
        if not block:
            raise RestartTransfer("the partial file is shorter than recorded")
        digest.update(block)
        done += len(block)
    return digest


def transfer(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    part: Path | None,
    state: TransferState,
    *,
    choose_part: Callable[[TransferState], Path],
    pool: str,
    progress: Callable[[int], None],
    stop: threading.Event,
    writer: Writer = os.write,
    skip_sha: Callable[[str], bool] | None = None,
) -> TransferResult:
    """Fetch ``url`` into ``part``, resuming from its size.

    A complete part is not fsynced here: tagging writes a new file and the engine fsyncs
    whichever file it renames, so the bytes reach the disk once.

    With no ``part`` yet (first attempt) ``choose_part`` names it once the headers tell the
    type and name of the file. ``progress`` receives the absolute byte count (the engine
    samples it; no I/O per chunk).
    ``state`` is updated in place with what the server said, so a restart can compare.
    """
    offset = part_offset(part, state)
    if part is not None and complete_part(offset, state):
        return _already_complete(part, offset, state)  # crashed after the last byte
    request_headers = dict(headers)
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
    try:
        with open_download(client, url, request_headers, pool=pool) as response:
            etag = response.headers.get("ETag", "")
            length = _body_total(response, offset)
            if response.status_code == 206:
                if (state.etag and etag and etag != state.etag) or (
                    state.total is not None and length is not None and length != state.total
                ):
                    if part is not None:
                        part.unlink(missing_ok=True)
                    raise RestartTransfer("the file changed on the server")
            else:
                offset = 0  # a 200 is the whole file from byte 0
            sha = sha256_etag(etag)
            if sha and skip_sha is not None and skip_sha(sha):
                raise AlreadyHave(sha)
            state.etag = etag
            state.total = length
            state.content_type = response.headers.get("Content-Type", "")
            state.disposition = response.headers.get("Content-Disposition", "")
            chunks = iter(response.chunks())
            first = next(chunks, b"")
            if offset == 0:  # the file's first bytes: no media file begins like a document
                _reject_documents(first, length, response, pool)
            if part is None:
                part = choose_part(state)
            body = itertools.chain((first,), chunks)
            result = _stream_body(body, part, offset, state, progress, stop, writer)
            result.ranged = response.status_code == 206
            return result
    except PoolRangeRefused as exc:
        if part is not None:
            part.unlink(missing_ok=True)
        raise RestartTransfer("the server refused to resume") from exc


def part_offset(part: Path | None, state: TransferState) -> int:
    """How many of the file's bytes the part holds (its size less the tag reserve)."""
    if part is None or not part.exists():
        return 0
    return max(0, part.stat().st_size - state.reserve)


def complete_part(offset: int, state: TransferState) -> bool:
    """True when the part already holds every byte and the ETag's SHA-256 can prove it,
    so no request is needed (a crash after the last byte)."""
    return bool(offset) and offset == state.total and sha256_etag(state.etag) is not None


def _reject_documents(
    first: memoryview | bytes, length: int | None, response: BodyResponse, pool: str
) -> None:
    """Raise the pool's error when the body begins like a web page, JSON or text (before
    any file is made for it)."""
    head = bytes(first[:_SNIFF])
    what = sniff(head, whole=length is not None and len(first) >= length)
    if what is not None:
        raise not_the_file(what, head, response.headers, response.status_code, pool)


def _already_complete(part: Path, size: int, state: TransferState) -> TransferResult:
    """Every byte is on disk (a crash hit while verifying or tagging): no request needed;
    the engine still checks the SHA-256 against the ETag before it trusts the file."""
    fd = os.open(part, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        digest = _hash_prefix(fd, state.reserve, size)
    finally:
        os.close(fd)
    return TransferResult(size=size, sha256=digest.hexdigest(), state=state)


def _body_total(response: BodyResponse, offset: int) -> int | None:
    """The full file length the answer implies; RestartTransfer on a wrong Content-Range."""
    if response.status_code == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if not match or int(match.group(1)) != offset:
            raise RestartTransfer("the server resumed from the wrong place")
        return None if match.group(3) == "*" else int(match.group(3))
    length = response.headers.get("Content-Length")
    if length and "chunked" not in response.headers.get("Transfer-Encoding", "").lower():
        return int(length) if length.isdigit() else None
    return None


def _write_head(fd: int, head: bytes) -> None:
    try:
        os.pwrite(fd, head, 0)
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull(exc.errno) from exc
        raise


def _stream_body(
    chunks: Iterable[memoryview | bytes],
    part: Path,
    offset: int,
    state: TransferState,
    progress: Callable[[int], None],
    stop: threading.Event,
    writer: Writer,
) -> TransferResult:
    part.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(part, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    complete = False
    hasher: Hasher | None = None
    try:
        reserve = state.reserve
        os.ftruncate(fd, reserve + offset)
        if reserve and not offset:  # the tag's head room is written, not a hole: tagging
            _write_head(fd, empty_id3(reserve))  # in place later needs no new disk blocks
        digest = _hash_prefix(fd, reserve, offset)
        os.lseek(fd, reserve + offset, os.SEEK_SET)
        done = offset
        progress(done)
        flusher = Flusher(fd, reserve + offset)
        hasher = Hasher(digest)
        for chunk in chunks:
            if stop.is_set():
                raise TransferInterrupted()
            view = memoryview(chunk)
            while view:
                try:
                    written = writer(fd, view)
                except OSError as exc:
                    if is_disk_full(exc):
                        raise DiskFull(exc.errno) from exc
                    raise
                view = view[written:]
            reach("transfer.chunk")  # a test hook (core.crashpoints): no-op unless armed
            hasher.update(chunk)
            done += len(chunk)
            flusher.written(reserve + done)
            progress(done)
        if state.total is not None and done != state.total:
            raise PoolUnavailable(
                f"The download ended early ({done} of {state.total} bytes).", pool=None
            )
        hasher.finish()
        complete = True
    finally:
        if hasher is not None:
            hasher.finish()
        if not complete:  # paused or broken: keep what arrived across a power cut
            with contextlib.suppress(OSError):
                os.fsync(fd)
        os.close(fd)
    return TransferResult(size=done, sha256=digest.hexdigest(), state=state)
