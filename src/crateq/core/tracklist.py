"""Tracklists as DJs have them, read into (line, artist, title) entries: one door.

Forms: plain text ("Artist - Title", numbered or not, with timestamps such as "12:34" or
"[01:02:03]", an en or em dash, or "Title by Artist"), M3U/M3U8 (#EXTINF, file names as a
fallback), CSV with a header naming artist and title columns (comma, semicolon or tab) —
:mod:`crateq.core.tracklist_text` — and rekordbox XML and Serato crates
(:mod:`crateq.core.tracklist_files`). :func:`parse_tracklist` picks the form from the name and
the first bytes. Input that is no tracklist at all (binary data, a hostile XML document)
raises :class:`crateq.core.errors.TracklistError` with one sentence.
"""

from __future__ import annotations

from crateq.core import tracklist_files
from crateq.core.tracklist_text import (
    MAX_BYTES,
    MAX_LINE,
    TrackLine,
    decode,
    from_file_name,
    looks_like_csv,
    parse_csv,
    parse_line,
    parse_m3u,
    parse_text,
)

__all__ = [
    "MAX_BYTES",
    "MAX_LINE",
    "TrackLine",
    "decode",
    "detect",
    "from_file_name",
    "looks_like_csv",
    "parse_csv",
    "parse_line",
    "parse_m3u",
    "parse_text",
    "parse_tracklist",
]


def detect(data: bytes, name: str = "") -> str:
    """The form of a tracklist: "serato", "rekordbox", "m3u", "csv" or "text"."""
    suffix = name.lower().rpartition(".")[2] if "." in name else ""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.startswith(b"vrsn") or suffix == "crate":
        return "serato"
    if suffix == "xml" or head.startswith((b"<?xml", b"<DJ_PLAYLISTS", b"<!")):
        return "rekordbox"
    if suffix in ("m3u", "m3u8") or head[:7].upper() == b"#EXTM3U":
        return "m3u"
    if suffix in ("csv", "tsv"):
        return "csv"
    return "text"


def parse_tracklist(data: bytes, name: str = "", *, playlist: str | None = None) -> list[TrackLine]:
    """Every entry of the tracklist ``data`` (file ``name``, for its extension).

    ``playlist``: with rekordbox XML, the playlist to read instead of the whole collection.
    """
    form = detect(data, name)
    if form == "serato":
        return tracklist_files.parse_serato(data)
    if form == "rekordbox":
        return tracklist_files.parse_rekordbox(decode(data), playlist)
    text = decode(data)
    if form == "m3u":
        return parse_m3u(text)
    if form == "csv" or looks_like_csv(text):
        return parse_csv(text)
    return parse_text(text)
