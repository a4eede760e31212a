"""What a demo media file is, known before it is written: the stream constants and its layout.

Shared by the MP3 side (:mod:`crateq.demo.audio`, which builds layouts and encodes units) and
the MP4 side (:mod:`crateq.demo.mp4`, which writes the boxes a layout needs), so neither has
to import the other's module for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from crateq.demo.jpeg import palette_colour, solid_frame

SAMPLE_RATE = 44_100
BITRATE_KBPS = 128
FRAME_SAMPLES = 1152
UNIT_BEATS = 16
PREVIEW_SECONDS = 30.0
VIDEO_FRAMES_PER_BEAT = 2


@dataclass(frozen=True)
class MediaLayout:
    """Everything about a media file that is known without writing it.

    An MP4 interleaves, per unit, the unit's MP3 frames and a video chunk of solid-colour
    JPEG frames flashing on the beat (bright on the beat, dark between).
    """

    kind: str  # "mp3" | "mp4"
    bpm: int
    unit_samples: int
    unit_frames: tuple[int, ...]
    units: int
    header: int = 0  # bytes before the first unit (the MP4 boxes), 0 for MP3
    video_size: tuple[int, int] = (0, 0)  # (width, height); (0, 0) for audio only
    palette: int = 0  # colour of the video frames

    @cached_property
    def unit_bytes(self) -> int:
        """Bytes of one unit's MP3 frames."""
        return sum(self.unit_frames)

    @property
    def video_frame_bytes(self) -> tuple[int, int]:
        """Sizes of the (bright, dark) video frames."""
        if self.video_size == (0, 0):
            return (0, 0)
        width, height = self.video_size
        return (
            len(solid_frame(width, height, palette_colour(self.palette, True))),
            len(solid_frame(width, height, palette_colour(self.palette, False))),
        )

    @property
    def video_frames_per_unit(self) -> int:
        return UNIT_BEATS * VIDEO_FRAMES_PER_BEAT if self.video_size != (0, 0) else 0

    @cached_property
    def video_chunk_bytes(self) -> int:
        bright, dark = self.video_frame_bytes
        return self.video_frames_per_unit // 2 * (bright + dark)

    @property
    def size(self) -> int:
        return self.header + self.units * (self.unit_bytes + self.video_chunk_bytes)

    @property
    def frames(self) -> int:
        return self.units * len(self.unit_frames)

    @property
    def seconds(self) -> float:
        """Duration as decoders and mutagen report it (whole frames)."""
        return self.frames * FRAME_SAMPLES / SAMPLE_RATE

    @property
    def preview_units(self) -> int:
        unit_seconds = len(self.unit_frames) * FRAME_SAMPLES / SAMPLE_RATE
        return min(self.units, max(1, math.ceil(PREVIEW_SECONDS / unit_seconds)))

    @property
    def preview_bytes(self) -> int:
        """Size of the preview: the first units as an MP3 (also for video rows)."""
        return self.preview_units * self.unit_bytes
