"""A minimal, standard MP4 (ISO BMFF) for the demo's music videos, written by hand.

No video encoder is needed: the audio track holds the demo's MPEG-1 Layer III frames
(``mp4a``, objectTypeIndication 0x6B) and the video track solid-colour JPEG frames that
flash on the beat (``mp4v``, objectTypeIndication 0x6C, i.e. Motion JPEG) — both registered
MP4 codecs that FFmpeg-based players (Qt Multimedia) decode and mutagen.mp4 reads. ``moov``
comes first ("fast start") and each unit's audio and video are interleaved, so the file
plays while it downloads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from crateq.demo.media_layout import BITRATE_KBPS, FRAME_SAMPLES, SAMPLE_RATE, MediaLayout

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


def _esds(object_type: int, stream_type: int, bitrate: int) -> bytes:
    config = struct.pack(">BB3sII", object_type, stream_type, b"\x00\x06\x00", bitrate, bitrate)
    decoder = _descriptor(4, config)
    es = _descriptor(3, struct.pack(">HB", 1, 0) + decoder + _descriptor(6, b"\x02"))
    return _full(b"esds", 0, 0, es)


def _sizes(frames: tuple[int, ...]) -> bytes:
    return struct.pack(f">{len(frames)}I", *frames)


@dataclass(frozen=True)
class _Track:
    """What differs between the audio and the video track of a demo MP4."""

    track_id: int
    handler: bytes
    sample_entry: bytes
    media_header: bytes  # smhd or vmhd
    unit_sizes: tuple[int, ...]  # sample sizes within one unit (one chunk per unit)
    deltas: list[tuple[int, int]]  # stts entries (count, duration)
    width: int = 0
    height: int = 0


def _chunk_table(offsets: list[int]) -> bytes:
    count = struct.pack(">I", len(offsets))
    if offsets and offsets[-1] > 0xFFFFFFFF:
        return _full(b"co64", 0, 0, count, struct.pack(f">{len(offsets)}Q", *offsets))
    return _full(b"stco", 0, 0, count, struct.pack(f">{len(offsets)}I", *offsets))


def _trak(track: _Track, units: int, duration: int, offsets: list[int]) -> bytes:
    total = len(track.unit_sizes) * units
    stts = b"".join(struct.pack(">II", count, delta) for count, delta in track.deltas)
    stbl = _box(
        b"stbl",
        _full(b"stsd", 0, 0, struct.pack(">I", 1), track.sample_entry),
        _full(b"stts", 0, 0, struct.pack(">I", len(track.deltas)), stts),
        _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(track.unit_sizes), 1)),
        _full(b"stsz", 0, 0, struct.pack(">II", 0, total), _sizes(track.unit_sizes) * units),
        _chunk_table(offsets),
    )
    volume = 0x100 if track.handler == b"soun" else 0
    tkhd = _full(
        b"tkhd", 0, 3,
        struct.pack(">IIIII", 0, 0, track.track_id, 0, duration), bytes(8),
        struct.pack(">HHHH", 0, 0, volume, 0), _MATRIX,
        struct.pack(">II", track.width << 16, track.height << 16),
    )  # fmt: skip
    mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, SAMPLE_RATE, duration, 0x55C4, 0))
    name = b"SoundHandler\x00" if track.handler == b"soun" else b"VideoHandler\x00"
    hdlr = _full(b"hdlr", 0, 0, struct.pack(">I4s", 0, track.handler), bytes(12), name)
    dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
    minf = _box(b"minf", track.media_header, dinf, stbl)
    return _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))


def _audio_track(layout: MediaLayout) -> _Track:
    entry = _box(
        b"mp4a",
        bytes(6) + struct.pack(">H", 1) + bytes(8),
        struct.pack(">HHHHI", 1, 16, 0, 0, SAMPLE_RATE << 16),
        _esds(0x6B, 0x15, BITRATE_KBPS * 1000),
    )
    count = layout.frames
    return _Track(1, b"soun", entry, _full(b"smhd", 0, 0, bytes(4)), layout.unit_frames,
                  [(count, FRAME_SAMPLES)])  # fmt: skip


def _video_track(layout: MediaLayout, duration: int) -> _Track:
    width, height = layout.video_size
    entry = _box(
        b"mp4v",
        bytes(6) + struct.pack(">H", 1) + bytes(16),
        struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1),
        bytes(32), struct.pack(">Hh", 0x18, -1),
        _esds(0x6C, 0x11, 0),
    )  # fmt: skip
    per_unit = layout.video_frames_per_unit
    bright, dark = layout.video_frame_bytes
    count = per_unit * layout.units
    delta, rest = divmod(duration, count)
    deltas = [(count - 1, delta), (1, delta + rest)] if rest else [(count, delta)]
    vmhd = _full(b"vmhd", 0, 1, bytes(8))
    return _Track(2, b"vide", entry, vmhd, (bright, dark) * (per_unit // 2), deltas, width, height)


def _moov(layout: MediaLayout, start: int) -> bytes:
    duration = layout.frames * FRAME_SAMPLES
    stride = layout.unit_bytes + layout.video_chunk_bytes
    audio_offsets = [start + i * stride for i in range(layout.units)]
    traks = [_trak(_audio_track(layout), layout.units, duration, audio_offsets)]
    if layout.video_chunk_bytes:
        video_offsets = [offset + layout.unit_bytes for offset in audio_offsets]
        video = _video_track(layout, duration)
        traks.append(_trak(video, layout.units, duration, video_offsets))
    mvhd = _full(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, SAMPLE_RATE, duration),
        struct.pack(">IH", 0x10000, 0x100), bytes(10), _MATRIX, bytes(24),
        struct.pack(">I", len(traks) + 1),
    )  # fmt: skip
    return _box(b"moov", mvhd, *traks)


_FTYP = _box(b"ftyp", b"mp42", struct.pack(">I", 0), b"mp42isommp41")


def _mdat_header(payload: int) -> bytes:
    if payload + 8 <= 0xFFFFFFFF:
        return struct.pack(">I4s", payload + 8, b"mdat")
    return struct.pack(">I4sQ", 1, b"mdat", payload + 16)


def build_header(layout: MediaLayout) -> bytes:
    """Everything before the first unit; then, per unit, its MP3 frames and video chunk."""
    payload = layout.units * (layout.unit_bytes + layout.video_chunk_bytes)
    mdat = _mdat_header(payload)
    draft = _moov(layout, 0)
    start = len(_FTYP) + len(mdat) + len(draft)
    if start + payload > 0xFFFFFFFF:  # offsets need co64: size the real table
        draft = _moov(layout, 1 << 33)
        start = len(_FTYP) + len(mdat) + len(draft)
    moov = _moov(layout, start)
    assert len(moov) == len(draft)
    return _FTYP + moov + mdat
