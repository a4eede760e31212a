"""Video stills for the demo's video rows: small PNGs drawn without an imaging library."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

WIDTH, HEIGHT = 160, 90


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


@lru_cache(maxsize=256)
def still_png(media_id: int) -> bytes:
    """A diagonal colour gradient whose hues depend on the media id (same id, same image)."""
    r0, g0, b0 = (media_id * 67) % 256, (media_id * 131) % 256, (media_id * 29) % 256
    rows = bytearray()
    for y in range(HEIGHT):
        rows.append(0)
        for x in range(WIDTH):
            t = (x + y) * 255 // (WIDTH + HEIGHT)
            rows += bytes(((r0 + t) % 256, (g0 + t // 2) % 256, (b0 + 255 - t) % 256))
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + _chunk(b"IEND", b"")
    )
