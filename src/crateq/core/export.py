"""Export the library to DJ software: one door, :func:`export_playlist`, for every format.

A :class:`Playlist` is a named, nestable list of :class:`ExportTrack`; the library export is
one playlist ("CrateQ"), and the DJ's own crates export through the same writers
(:mod:`crateq.core.export_m3u`, :mod:`~crateq.core.export_rekordbox`,
:mod:`~crateq.core.export_serato`), which share :mod:`crateq.core.export_base`. Each writer
renders every file first, then writes them all or none (``export_base.write_outputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crateq.core import export_m3u, export_rekordbox, export_serato
from crateq.core.errors import ExportError
from crateq.core.export_base import (
    DEFAULT_PLAYLIST,
    NOT_OURS,
    ExportTrack,
    Output,
    Playlist,
    atomic_write,
    clean_text,
    file_duration,
    is_ours,
    library_tracks,
    manifest_path,
    parse_since,
    playlist_file_name,
    track_from_entry,
    write_outputs,
)

if TYPE_CHECKING:
    from crateq.core.store import LibraryEntry

__all__ = [
    "DEFAULT_PLAYLIST",
    "FORMATS",
    "NOT_OURS",
    "ExportResult",
    "ExportTrack",
    "Output",
    "Playlist",
    "atomic_write",
    "clean_text",
    "export_entries",
    "export_playlist",
    "file_duration",
    "is_ours",
    "library_tracks",
    "manifest_path",
    "parse_since",
    "playlist_file_name",
    "track_from_entry",
    "write_outputs",
]

FORMATS = ("m3u", "rekordbox", "serato")


@dataclass(frozen=True)
class ExportResult:
    written: list[Path]
    tracks: int
    skipped: list[Path]  # files a format cannot name (a line break in M3U, no UTF-8 name)


def export_playlist(
    fmt: str, playlist: Playlist, out: Path, *, relative: bool = False, force: bool = False
) -> ExportResult:
    """Export ``playlist`` (and its children) as ``fmt``, one of :data:`FORMATS`.

    ``out`` is an M3U file or folder, a rekordbox XML file or folder, or the root Serato's
    ``_Serato_`` folder is (or goes) in. ExportError when there is nothing to export.
    """
    count = len(playlist.all_tracks())
    if not count:
        raise ExportError("Nothing to export: no downloaded file matches.")
    if fmt == "m3u":
        m3u = export_m3u.export_m3u(playlist, out, relative=relative, force=force)
        return ExportResult(m3u.written, count, m3u.skipped)
    if fmt == "rekordbox":
        return ExportResult(
            export_rekordbox.export_rekordbox(playlist, out, force=force), count, []
        )
    if fmt == "serato":
        written = export_serato.export_serato(playlist, out, force=force)
        return ExportResult(written, count, export_serato.unnameable(playlist))
    raise ExportError(f"Unknown export format {fmt!r} (one of {', '.join(FORMATS)}).")


def export_entries(
    fmt: str,
    entries: Sequence[LibraryEntry],
    out: Path,
    *,
    name: str = DEFAULT_PLAYLIST,
    relative: bool = False,
    force: bool = False,
) -> ExportResult:
    """Library entries (the GUI's selection, or all it shows) as one playlist ``name``;
    entries whose file is gone are left out."""
    tracks = tuple(track_from_entry(entry) for entry in entries if entry.present)
    return export_playlist(fmt, Playlist(name, tracks), out, relative=relative, force=force)
