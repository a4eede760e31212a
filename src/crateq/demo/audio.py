"""Real, decodable demo media: a kick/hat pattern at the row's BPM over a quiet tone.

A file is one short *unit* (16 beats, encoded once with lameenc as a complete MP3 stream)
repeated as often as the wanted duration or size needs. Every unit starts with an empty bit
reservoir, so the concatenation decodes cleanly, and because a LAME CBR stream's size
depends only on its sample count, a row's exact file size is known before the file exists.
That lets a 1 GiB file be listed instantly and written later at disk speed, never in memory.
The stream constants and :class:`MediaLayout` live in :mod:`crateq.demo.media_layout`.
"""

from __future__ import annotations

import array
import math
import random
from dataclasses import replace
from functools import lru_cache

import lameenc

from crateq.demo.media_layout import (
    BITRATE_KBPS,
    FRAME_SAMPLES,
    SAMPLE_RATE,
    UNIT_BEATS,
    MediaLayout,
)
from crateq.demo.mp4 import build_header


def _encoder() -> lameenc.Encoder:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(5)
    return encoder


def encode_pcm(pcm: bytes) -> bytes:
    """One complete MP3 stream (mono 16-bit PCM in)."""
    encoder = _encoder()
    return bytes(encoder.encode(pcm)) + bytes(encoder.flush())


@lru_cache(maxsize=1)
def _frame_pattern() -> tuple[int, ...]:
    """Frame sizes (417/418 bytes, by padding) of any CBR stream, by frame index."""
    data = encode_pcm(bytes(2 * SAMPLE_RATE * 26))
    sizes: list[int] = []
    pos = 0
    while pos + 4 <= len(data):
        header = int.from_bytes(data[pos : pos + 4], "big")
        size = 144 * BITRATE_KBPS * 1000 // SAMPLE_RATE + ((header >> 9) & 1)
        sizes.append(size)
        pos += size
    return tuple(sizes)


def clamp_bpm(bpm: int) -> int:
    return min(max(bpm or 120, 60), 300)


def unit_samples(bpm: int) -> int:
    return round(UNIT_BEATS * 60 / clamp_bpm(bpm) * SAMPLE_RATE)


def unit_frame_sizes(samples: int) -> tuple[int, ...]:
    """LAME emits ceil(samples / 1152) + 1 frames for a flushed stream (checked empirically)."""
    return _frame_pattern()[: -(-samples // FRAME_SAMPLES) + 1]


@lru_cache(maxsize=8192)
def layout_for(
    bpm: int,
    kind: str,
    seconds: float,
    size_bytes: int | None = None,
    video_size: tuple[int, int] = (0, 0),
    palette: int = 0,
) -> MediaLayout:
    """How a file of at least ``seconds`` (or ``size_bytes``) is built at ``bpm``; whole
    16-beat units, so it is up to one unit longer. ``video_size`` only applies to MP4."""
    samples = unit_samples(bpm)
    frames = unit_frame_sizes(samples)
    video = video_size if kind == "mp4" else (0, 0)
    layout = MediaLayout(kind, clamp_bpm(bpm), samples, frames, 1, 0, video, palette % 12)
    if size_bytes:
        units = max(1, math.ceil(size_bytes / (layout.unit_bytes + layout.video_chunk_bytes)))
    else:
        unit_seconds = len(frames) * FRAME_SAMPLES / SAMPLE_RATE
        units = max(1, math.ceil(seconds / unit_seconds - 1e-9))
    layout = replace(layout, units=units)
    if kind == "mp4":
        layout = replace(layout, header=len(build_header(layout)))
    return layout


def _kick_hz(t: int) -> float:
    return 45 + 90 * math.exp(-t / 900)


def render_unit_pcm(bpm: int, tone_hz: float, samples: int) -> bytes:
    """16 beats: a kick on every beat, a hat on every off-beat, a quiet tone underneath."""
    beat = 60 / clamp_bpm(bpm) * SAMPLE_RATE
    pcm = array.array("h", bytes(2 * samples))
    step = 2 * math.pi * tone_hz / SAMPLE_RATE
    for i in range(samples):
        pcm[i] = int(1800 * math.sin(step * i))
    # a sine whose pitch falls from 135 Hz to 45 Hz while it fades: a kick drum
    kick = [
        int(22000 * math.exp(-t / 2400) * math.sin(2 * math.pi * _kick_hz(t) * t / SAMPLE_RATE))
        for t in range(6000)
    ]
    noise = random.Random(int(tone_hz * 100))
    hat = [int(6000 * math.exp(-t / 300) * (noise.random() * 2 - 1)) for t in range(1500)]
    for n in range(UNIT_BEATS):
        for shape, offset in ((kick, 0.0), (hat, 0.5)):
            start = int((n + offset) * beat)
            for t, value in enumerate(shape):
                if start + t < samples:
                    pcm[start + t] = max(-32768, min(32767, pcm[start + t] + value))
    return pcm.tobytes()


def encode_unit(bpm: int, tone_hz: float) -> bytes:
    samples = unit_samples(bpm)
    data = encode_pcm(render_unit_pcm(bpm, tone_hz, samples))
    expected = sum(unit_frame_sizes(samples))
    if len(data) != expected:  # would make listed sizes lie; fail loudly instead
        raise RuntimeError(f"MP3 unit is {len(data)} bytes, expected {expected}")
    return data


def tone_for(media_id: int) -> float:
    """A note of the A minor pentatonic scale chosen by the media id (so rows sound apart)."""
    steps = (0, 3, 5, 7, 10, 12, 15)
    return 220.0 * 2 ** (steps[media_id % len(steps)] / 12)
