"""A saved search (the GUI's "Save search…") read by the core, and matched against the library.

The GUI keeps saved searches as JSON in the config folder (:data:`SAVED_SEARCHES_FILE`); the
spec holds ``MediaQuery`` field names. ``crateq export --saved NAME`` exports the downloads a
saved search would find, matched locally on what the library knows of each file: keywords
(every word in artist, title, mix, genre or editor), BPM and year ranges, mixes. Filters the
library cannot judge (genre ids, video quality) are named, not silently ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from crateq.core import paths
from crateq.core.errors import ExportError
from crateq.core.export_base import ExportTrack

SAVED_SEARCHES_FILE = "saved-searches.json"
#: spec keys the library cannot judge from its tags
NOT_LOCAL = ("genre_ids", "category_ids", "quality_ids", "advisory", "media", "days")
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$")


def saved_searches_path() -> Path:
    return paths.config_dir() / SAVED_SEARCHES_FILE


def load_saved(name: str, path: Path | None = None) -> tuple[str, dict[str, object]]:
    """The saved search ``name`` (compared without case): its own name and its spec;
    ExportError when there is none."""
    try:
        raw = json.loads((path or saved_searches_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = {}
    entries = raw if isinstance(raw, dict) else {}
    for key, entry in entries.items():
        if str(key).casefold() == name.casefold() and isinstance(entry, dict):
            spec = entry.get("spec", {})
            return str(key), dict(spec) if isinstance(spec, dict) else {}
    known = ", ".join(sorted(str(k) for k in entries)) or "none saved yet"
    raise ExportError(f"There is no saved search named {name!r} (saved: {known}).")


def unjudged(spec: Mapping[str, object]) -> list[str]:
    """The spec's filters the library cannot apply (they are left out of the match)."""
    return [key for key in NOT_LOCAL if spec.get(key) not in (None, "", [], ())]


def matches(tags: Mapping[str, object], spec: Mapping[str, object]) -> bool:
    """Whether a library file's tags satisfy the spec's keywords, BPM, year, key and mixes."""
    text = " ".join(
        str(tags.get(k) or "") for k in ("artist", "title", "grouping", "genre", "editor")
    ).casefold()
    words = str(spec.get("keywords") or "").casefold().split()
    if any(word not in text for word in words):
        return False
    for field, tag in (("artist", "artist"), ("title", "title"), ("editor", "editor")):
        wanted = str(spec.get(field) or "").casefold()
        if wanted and wanted not in str(tags.get(tag) or "").casefold():
            return False
    if not _in_ranges(tags.get("bpm"), spec.get("bpm")):
        return False
    if not _in_ranges(str(tags.get("year") or "")[:4], spec.get("release_year")):
        return False
    keys = spec.get("keys")  # Camelot codes: the library's analysis of the file
    if isinstance(keys, list | tuple) and keys and tags.get("camelot") not in keys:
        return False
    mixes = spec.get("mix")
    if isinstance(mixes, list | tuple) and mixes:
        grouping = str(tags.get("grouping") or "").casefold()
        if not any(str(mix).casefold() in grouping for mix in mixes):
            return False
    return True


def _in_ranges(value: object, spec: object) -> bool:
    """``value`` within "120", "80-90" or "80,100" (any of them); no spec: True."""
    if not isinstance(spec, str) or not spec.strip():
        return True
    try:
        number = float(str(value))
    except ValueError:
        return False
    for part in spec.split(","):
        found = _RANGE.match(part)
        if found is None:
            continue
        low = float(found.group(1))
        high = float(found.group(2)) if found.group(2) else low
        if low <= number <= high or (not found.group(2) and round(number) == round(low)):
            return True
    return False


def track_fields(track: ExportTrack) -> dict[str, object]:
    """An export track's tags in the form :func:`matches` reads."""
    return {
        "artist": track.artist,
        "title": track.title,
        "grouping": track.grouping,
        "genre": track.genre,
        "bpm": track.bpm or "",
        "year": track.year or "",
    }
