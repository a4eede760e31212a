"""A minimal, standard MP4 (ISO BMFF) around the demo's MP3 frames.

There is no video encoder without FFmpeg, so video rows are MP4 files with one audio track
holding MPEG-1 Layer III frames (``mp4a`` with objectTypeIndication 0x6B, a registered MP4
codec that players and mutagen.mp4 read). The sample data is the very same byte run as the
MP3 file, so the header is all that differs; ``moov`` comes first ("fast start").
"""

from __future__ import annotations

import struct

from crateq.demo.audio import BITRATE_KBPS, FRAME_SAMPLES, SAMPLE_RATE

_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def _descriptor(tag: int, payload: bytes) -> bytes:
    size = len(payload)
    encoded = bytes([0x80 | (size >> 21) & 0x7F, 0x80 | (size >> 14) & 0x7F])
    encoded += bytes([0x80 | (size >> 7) & 0x7F, size & 0x7F])
    return bytes([tag]) + encoded + payload


def _esds() -> bytes:
    bitrate = BITRATE_KBPS * 1000
    decoder = _descriptor(4, struct.pack(">BB3sII", 0x6B, 0x15, b"\x00\x06\x00", bitrate, bitrate))
    es = _descriptor(3, struct.pack(">HB", 1, 0) + decoder + _descriptor(6, b"\x02"))
    return _full(b"esds", 0, 0, es)


def _sizes(frames: tuple[int, ...]) -> bytes:
    return struct.pack(f">{len(frames)}I", *frames)


def _stbl(frames: tuple[int, ...], units: int, offsets: list[int]) -> bytes:
    total = len(frames) * units
    sample_entry = _box(
        b"mp4a",
        bytes(6) + struct.pack(">H", 1) + bytes(8),
        struct.pack(">HHHHI", 1, 16, 0, 0, SAMPLE_RATE << 16),
        _esds(),
    )
    large = bool(offsets) and offsets[-1] > 0xFFFFFFFF
    chunk_table = (
        _full(b"co64", 0, 0, struct.pack(">I", units), struct.pack(f">{units}Q", *offsets))
        if large
        else _full(b"stco", 0, 0, struct.pack(">I", units), struct.pack(f">{units}I", *offsets))
    )
    return _box(
        b"stbl",
        _full(b"stsd", 0, 0, struct.pack(">I", 1), sample_entry),
        _full(b"stts", 0, 0, struct.pack(">III", 1, total, FRAME_SAMPLES)),
        _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(frames), 1)),
        _full(b"stsz", 0, 0, struct.pack(">II", 0, total), _sizes(frames) * units),
        chunk_table,
    )  # fmt: skip


def _moov(frames: tuple[int, ...], units: int, offsets: list[int]) -> bytes:
    duration = len(frames) * units * FRAME_SAMPLES
    mvhd = _full(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, SAMPLE_RATE, duration),
        struct.pack(">IH", 0x10000, 0x100), bytes(10), _MATRIX, bytes(24), struct.pack(">I", 2),
    )  # fmt: skip
    tkhd = _full(
        b"tkhd", 0, 7,
        struct.pack(">IIIII", 0, 0, 1, 0, duration), bytes(8),
        struct.pack(">HHHH", 0, 0, 0x100, 0), _MATRIX, struct.pack(">II", 0, 0),
    )  # fmt: skip
    mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, SAMPLE_RATE, duration, 0x55C4, 0))
    hdlr = _full(b"hdlr", 0, 0, struct.pack(">I4s", 0, b"soun"), bytes(12), b"SoundHandler\x00")
    dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
    minf = _box(b"minf", _full(b"smhd", 0, 0, bytes(4)), dinf, _stbl(frames, units, offsets))
    return _box(b"moov", mvhd, _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf)))


_FTYP = _box(b"ftyp", b"mp42", struct.pack(">I", 0), b"mp42isommp41")


def _mdat_header(payload: int) -> bytes:
    if payload + 8 <= 0xFFFFFFFF:
        return struct.pack(">I4s", payload + 8, b"mdat")
    return struct.pack(">I4sQ", 1, b"mdat", payload + 16)


def build_header(frames: tuple[int, ...], units: int) -> bytes:
    """Everything before the first MP3 frame; the units follow back to back."""
    unit_bytes = sum(frames)
    mdat = _mdat_header(unit_bytes * units)
    draft = _moov(frames, units, [0] * units)
    start = len(_FTYP) + len(mdat) + len(draft)
    if start + unit_bytes * units > 0xFFFFFFFF:  # offsets need co64: size the real table
        draft = _moov(frames, units, [1 << 33] * units)
        start = len(_FTYP) + len(mdat) + len(draft)
    offsets = [start + i * unit_bytes for i in range(units)]
    moov = _moov(frames, units, offsets)
    assert len(moov) == len(draft)
    return _FTYP + moov + mdat


def header_size(frames: tuple[int, ...], units: int) -> int:
    return len(build_header(frames, units))
