"""Disk and hashing work that overlaps the network during a download.

:class:`Hasher` feeds SHA-256 on a helper thread while a transfer runs alone;
:class:`Flusher` starts writeback during the download (Linux) so the final fsync is short.
Both are used by ``download_transfer``; the measurements behind them are in
docs/PERFORMANCE.md ("Hashing", "fsync and writeback").
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import cast

from crateq.api.transport import BUFFERS
from crateq.core.crashpoints import reach

_active = 0
_active_lock = threading.Lock()


class Hasher:
    """Feeds SHA-256 on a helper thread while the transfer is the only one running.

    Alone, one thread receiving, writing and hashing is the limit (one core busy); hashing
    beside it on the other core lets the one transfer go faster. With several transfers
    every core is busy already and the hand-over would only add work, so chunks are hashed
    inline (after the helper's queue drained, keeping the digest in order). At most
    ``BUFFERS - 2`` chunks wait and one is being hashed, so the reader's turning buffers are
    never overwritten before they are hashed.
    """

    def __init__(self, digest: hashlib._Hash) -> None:
        global _active
        self._digest = digest
        self._queue: queue.Queue[memoryview | bytes | None] = queue.Queue(BUFFERS - 2)
        self._thread: threading.Thread | None = None
        self._done = False
        with _active_lock:
            _active += 1

    def update(self, chunk: memoryview | bytes) -> None:
        if HASH_THREAD and _active == 1:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="crateq-hash", daemon=True)
                self._thread.start()
            self._queue.put(chunk)
            return
        if self._thread is not None:
            self._queue.join()
        self._digest.update(chunk)

    def finish(self) -> None:
        """Wait until every chunk is in the digest; stop the helper. Idempotent."""
        global _active
        if self._done:
            return
        self._done = True
        with _active_lock:
            _active -= 1
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            try:
                if chunk is None:
                    return
                self._digest.update(chunk)
            finally:
                self._queue.task_done()


HASH_THREAD = True
_SYNC_FILE_RANGE_WAIT_BEFORE = 1
_SYNC_FILE_RANGE_WRITE = 2
_FLUSH_STEP = 32 << 20
"""Writeback is started per this many bytes: smaller steps made a big download wait on the
disk more often (docs/PERFORMANCE.md, "fsync and writeback")."""


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    func.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    func.restype = ctypes.c_int
    return cast(Callable[[int, int, int, int], int], func)


_sync_file_range = _load_sync_file_range()


class Flusher:
    """Starts writeback of each written 32 MiB while the download goes on (Linux).

    The final fsync then finds little left to write, so durability costs overlap the
    network instead of following it, and the page cache never fills with dirty pages of a
    big download (at most two steps, 64 MiB, in flight per transfer; the DJ software on the
    same laptop keeps its memory). Elsewhere a no-op.
    """

    def __init__(self, fd: int, start: int) -> None:
        self._fd = fd
        self._started = start  # writeback requested up to here
        self._waited = start  # and waited for up to here

    def written(self, end: int) -> None:
        if _sync_file_range is None or end - self._started < _FLUSH_STEP:
            return
        _sync_file_range(self._fd, self._started, end - self._started, _SYNC_FILE_RANGE_WRITE)
        if self._started - self._waited >= _FLUSH_STEP:  # bound the dirty pages in flight
            _sync_file_range(
                self._fd, self._waited, self._started - self._waited, _SYNC_FILE_RANGE_WAIT_BEFORE
            )
            self._waited = self._started
        self._started = end


def commit_file(part: Path, final: Path) -> None:
    """fsync the part, rename it atomically, fsync the folder so the rename survives."""
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    reach("commit.fsynced")
    os.replace(part, final)
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    reach("commit.renamed")


def _synchsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def empty_id3(size: int) -> bytes:
    """A valid ID3v2.4 tag of exactly ``size`` bytes holding only padding."""
    return b"ID3\x04\x00\x00" + _synchsafe(size - 10) + bytes(size - 10)
