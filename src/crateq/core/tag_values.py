"""What the app writes into a file's tags, and how writing them went; no mutagen needed.

The download engine and the analysis speak these before any file is tagged, so they import
:mod:`crateq.core.tagging` (mutagen's ID3 frames and more) only when a file is finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow

ID3_RESERVE = 16 * 1024  # head room the engine leaves in front of an MP3 download

TAG_FIELDS: tuple[str, ...] = ("title", "artist", "genre", "bpm", "year", "grouping", "editor")
TAG_FIELDS += ("comment", "key", "replaygain_gain", "replaygain_peak")


@dataclass(frozen=True)
class TagValues:
    """What the app knows about a track, ready to write; empty values are skipped."""

    title: str = ""
    artist: str = ""
    genre: str = ""
    bpm: int = 0
    year: int = 0
    grouping: str = ""  # the mix/tool: Extended, Intro, Clean…
    editor: str = ""
    comment: str = ""
    key: str = ""  # the musical key (TKEY); the pool API sends none yet, so from_row leaves it
    replaygain_gain: str = ""  # "-3.21 dB" (REPLAYGAIN_TRACK_GAIN), from the analysis
    replaygain_peak: str = ""  # "0.988525" (REPLAYGAIN_TRACK_PEAK)

    @classmethod
    def from_row(cls, row: MediaRow) -> TagValues:
        return cls(
            title=row.title,
            artist=row.artist,
            genre=row.genre,
            bpm=row.bpm,
            year=row.release_year,
            grouping=row.tool,
            editor=row.editor,
            comment=f"CrateQ: pool {row.pool}, mediaId {row.media_id}",
        )

    def items(self) -> dict[str, str]:
        raw = {name: getattr(self, name) for name in TAG_FIELDS}
        return {k: str(v) for k, v in raw.items() if v not in ("", 0)}


@dataclass
class TagResult:
    ok: bool
    written: list[str] = field(default_factory=list)
    reason: str = ""
