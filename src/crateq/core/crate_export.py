"""A DJ's crate (and the crates inside it) as an export playlist tree.

Crates export through the same writers as the library (``crateq.core.export``): rekordbox
playlists and Serato crates of the same names, nested as they are nested, or M3U8 files.
Only entries with a file on disk can be exported; the others are counted as left out.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from crateq.core.crates import Crate, Crates
from crateq.core.errors import CollectionError
from crateq.core.export_base import ExportTrack, Playlist, file_duration
from crateq.core.tagging import read_tags
from crateq.core.tracks import Track


@dataclass(frozen=True)
class CratePlaylist:
    """The tree to export, and how many entries had no file to export."""

    playlist: Playlist
    without_file: int


def find_crate(tree: list[Crate], path: str) -> Crate:
    """The crate named by ``path`` (``Parent/Child``, compared without case)."""
    wanted = "/".join(part.strip() for part in path.split("/")).casefold()
    stack = list(tree)
    while stack:
        crate = stack.pop()
        if crate.path.casefold() == wanted:
            return crate
        stack.extend(crate.children)
    raise CollectionError(f"There is no crate named {path!r} (see `crateq crates list`).")


def crate_playlist(crates: Crates, path: str) -> CratePlaylist:
    """``path``'s crate and its sub-crates as a :class:`Playlist` tree of files on disk."""
    missing = 0

    def build(crate: Crate) -> Playlist:
        nonlocal missing
        tracks = []
        for track in crates.tracks(crate.path):
            exported = export_track(track)
            if exported is None:
                missing += 1
            else:
                tracks.append(exported)
        children = tuple(build(child) for child in crate.children)
        return Playlist(crate.name, tuple(tracks), children)

    return CratePlaylist(build(find_crate(crates.tree(), path)), missing)


def export_track(track: Track) -> ExportTrack | None:
    """The entry's file with its tags (the row's fields where the file has none); None when
    the entry has no file on disk (a pool version not downloaded yet)."""
    if not track.path or not Path(track.path).is_file():
        return None
    path = Path(track.path)
    tags: dict[str, str] = {}
    with contextlib.suppress(Exception):  # mutagen raises many types on an odd file
        tags = {k: v for k, v in read_tags(path).items() if v.strip()}
    fields = track.fields
    return ExportTrack(
        path=path,
        artist=tags.get("artist") or track.artist,
        title=tags.get("title") or track.title,
        genre=tags.get("genre") or str(fields.get("genre") or ""),
        bpm=_int(tags.get("bpm") or fields.get("bpm")),
        year=_int((tags.get("year") or "")[:4] or fields.get("releaseYear")),
        grouping=tags.get("grouping") or track.mix,
        comment=tags.get("comment", ""),
        key=tags.get("key", ""),
        duration=file_duration(path),
        size=path.stat().st_size,
        added=track.added,
    )


def _int(value: object) -> int:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        return 0
