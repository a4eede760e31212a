"""mutagen's file class for each media type CrateQ downloads, imported when first asked for.

A download needs the parser of its own format only; importing every mutagen format up front
costs every one-file ``crateq download`` a few milliseconds of start-up (docs/PERFORMANCE.md).
``mutagen.File`` is avoided for the same reason: it imports every format mutagen knows.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mutagen import FileType

_FORMATS: dict[str, tuple[str, str]] = {
    ".mp3": ("mutagen.mp3", "MP3"),
    ".m4a": ("mutagen.mp4", "MP4"),
    ".mp4": ("mutagen.mp4", "MP4"),
    ".m4v": ("mutagen.mp4", "MP4"),
    ".mov": ("mutagen.mp4", "MP4"),
    ".flac": ("mutagen.flac", "FLAC"),
    ".aiff": ("mutagen.aiff", "AIFF"),
    ".aif": ("mutagen.aiff", "AIFF"),
    ".wav": ("mutagen.wave", "WAVE"),
}

#: The extensions (lower case, with their dot) that have a parser.
EXTENSIONS = frozenset(_FORMATS)


def media_class(ext: str) -> type[FileType] | None:
    """mutagen's class for files of ``ext`` (any case), or None for a type it cannot parse."""
    where = _FORMATS.get(ext.lower())
    if where is None:
        return None
    module, name = where
    found: type[FileType] = getattr(importlib.import_module(module), name)
    return found
