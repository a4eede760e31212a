"""Solid-colour baseline JPEG frames: the pictures of the demo's music videos.

A one-colour frame needs no DCT: every 8x8 block has only a DC coefficient, and after the
first block every difference is zero, so the whole scan is known bit by bit. That makes a
4K frame cost a few big-integer operations, and its size exact before anything is written.
"""

from __future__ import annotations

import colorsys
import struct
from functools import lru_cache

_DC_QUANT = 16
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # the standard luminance DC table
_DC_CODES = ("00", "010", "011", "100", "101", "110", "1110", "11110", "111110", "1111110")
_AC_BITS = (1,) + (0,) * 15  # one AC symbol: end-of-block, code "0"
_EOB = "0"


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def _dc_bits(value: int) -> str:
    category = abs(value).bit_length()
    if category == 0:
        return _DC_CODES[0]
    magnitude = value if value > 0 else value + (1 << category) - 1
    return _DC_CODES[category] + format(magnitude, f"0{category}b")


def palette_colour(index: int, bright: bool) -> tuple[int, int, int]:
    """(Y, Cb, Cr) of the on-beat (bright) or off-beat colour of palette entry ``index``."""
    red, green, blue = colorsys.hsv_to_rgb((index % 12) / 12, 0.8, 0.95 if bright else 0.25)
    r, g, b = red * 255, green * 255, blue * 255
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return round(y), round(cb), round(cr)


@lru_cache(maxsize=256)
def solid_frame(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A complete baseline JPEG (4:4:4 YCbCr) of ``width`` x ``height`` in one colour."""
    header = b"\xff\xd8" + _segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    header += _segment(0xFFDB, b"\x00" + bytes([_DC_QUANT] + [255] * 63))
    components = b"".join(bytes([n, 0x11, 0]) for n in (1, 2, 3))
    header += _segment(0xFFC0, struct.pack(">BHHB", 8, height, width, 3) + components)
    header += _segment(0xFFC4, b"\x00" + bytes(_DC_BITS) + bytes(range(12)))
    header += _segment(0xFFC4, b"\x10" + bytes(_AC_BITS) + b"\x00")
    header += _segment(0xFFDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
    blocks = -(-width // 8) * -(-height // 8)
    first = "".join(_dc_bits(round((level - 128) / 2)) + _EOB for level in colour)
    rest_bits = (blocks - 1) * 3 * (len(_DC_CODES[0]) + len(_EOB))  # all zeros
    total = len(first) + rest_bits
    size = -(-total // 8)
    value = (int(first, 2) << (size * 8 - len(first))) | ((1 << (size * 8 - total)) - 1)
    scan = value.to_bytes(size, "big").replace(b"\xff", b"\xff\x00")
    return header + scan + b"\xff\xd9"
