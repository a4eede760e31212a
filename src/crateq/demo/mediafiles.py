"""On-demand media files, cached on disk with their sha256 (the ETag).

A file's name carries everything its bytes depend on (pool, media id, catalog version, BPM,
unit count, container), so a cached file is never stale and its ETag is stable across runs.
Files are written in unit-sized pieces to a temporary name and renamed, never held in memory.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from crateq.demo import audio
from crateq.demo.media_layout import MediaLayout


@dataclass(frozen=True)
class MediaFile:
    path: Path
    sha256: str
    size: int


class MediaCache:
    """Builds and remembers the demo media files of the pools sharing one cache folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(
        self, pool: str, media_id: int, version: int, layout: MediaLayout, suffix: str = ""
    ) -> MediaFile:
        """The file for this row, generated first if needed (blocking: call from a thread)."""
        video = (
            "-{}x{}c{}".format(*layout.video_size, layout.palette)
            if layout.video_chunk_bytes
            else ""
        )
        key = f"{media_id}-v{version}-{layout.bpm}bpm-{layout.units}u{video}{suffix}.{layout.kind}"
        path = self.folder / pool / key
        digest_path = path.with_name(path.name + ".sha256")
        with self._lock_for(f"{pool}/{key}"):
            if path.exists() and digest_path.exists():
                digest = digest_path.read_text().strip()
                if path.stat().st_size == layout.size and len(digest) == 64:
                    return MediaFile(path, digest, layout.size)
            path.parent.mkdir(parents=True, exist_ok=True)
            digest = self._write(path, media_id, layout)
            digest_path.write_text(digest)
            return MediaFile(path, digest, layout.size)

    def preview(self, pool: str, media_id: int, version: int, layout: MediaLayout) -> MediaFile:
        """The preview file: the first ~30 s as an MP3, for audio and video rows alike."""
        short = MediaLayout("mp3", layout.bpm, layout.unit_samples, layout.unit_frames,
                                  layout.preview_units)  # fmt: skip
        return self.get(pool, media_id, version, short, suffix="preview")

    @staticmethod
    def _write(path: Path, media_id: int, layout: MediaLayout) -> str:
        unit = audio.encode_unit(layout.bpm, audio.tone_for(media_id))
        if layout.video_chunk_bytes:
            from crateq.demo.jpeg import palette_colour, solid_frame

            width, height = layout.video_size
            bright = solid_frame(width, height, palette_colour(layout.palette, True))
            dark = solid_frame(width, height, palette_colour(layout.palette, False))
            unit += (bright + dark) * (layout.video_frames_per_unit // 2)
        sha = hashlib.sha256()
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as out:
            if layout.kind == "mp4":
                from crateq.demo.mp4 import build_header

                header = build_header(layout)
                out.write(header)
                sha.update(header)
            # write several units per call: big files go out at disk speed
            batch = max(1, (1 << 20) // len(unit))
            block = unit * batch
            written = 0
            while written < layout.units:
                count = min(batch, layout.units - written)
                piece = block if count == batch else unit * count
                out.write(piece)
                sha.update(piece)
                written += count
        os.replace(tmp, path)
        return sha.hexdigest()
