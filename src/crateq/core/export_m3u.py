"""M3U8 playlists: ``#EXTM3U``, then ``#EXTINF:<seconds>,Artist - Title`` and the path.

UTF-8 without a byte-order mark, one file per playlist: ``<Name>.m3u8`` and, for nested
playlists, ``<Parent> - <Child>.m3u8`` next to it. Paths are absolute, or relative to the
playlist's folder (``relative``: the folder and its music can then move together). A path
holding a line break, or a file name that is no UTF-8, cannot be written in M3U8 and is left
out (it is reported).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from crateq.core.export_base import (
    Output,
    Playlist,
    clean_text,
    export_path,
    playlist_file_name,
    unicode_name,
    write_outputs,
)

SUFFIXES = (".m3u8", ".m3u")


@dataclass(frozen=True)
class M3UResult:
    written: list[Path]
    skipped: list[Path]  # files whose path cannot be written in a playlist


def render(playlist: Playlist, folder: Path, *, relative: bool = False) -> tuple[bytes, list[Path]]:
    """One playlist's text (its own tracks, not its children's) and the paths left out."""
    lines = ["#EXTM3U", f"#PLAYLIST:{clean_text(playlist.name)}"]
    skipped = []
    for track in playlist.tracks:
        path = export_path(track.path)
        location = str(path)
        if relative:
            try:
                location = os.path.relpath(path, folder.absolute())
            except ValueError:  # another drive (Windows): only an absolute path works
                location = str(path)
        if "\n" in location or "\r" in location or not unicode_name(path):
            skipped.append(track.path)
            continue
        lines.append(f"#EXTINF:{track.duration or -1},{track.display}")
        lines.append(location)
    return ("\n".join(lines) + "\n").encode("utf-8"), skipped


def outputs(
    playlist: Playlist, out: Path, *, relative: bool = False
) -> tuple[list[Output], list[Path]]:
    """The files to write. ``out`` is a playlist file (``.m3u8``) or the folder the
    playlists go in; nested playlists always get one file each, next to ``out``'s."""
    if out.suffix.lower() in SUFFIXES:
        if not playlist.children:
            data, skipped = render(playlist, out.parent, relative=relative)
            return [Output(out, data)], skipped
        out = out.parent
    files, skipped = [], []
    for names, node in playlist.walk():
        path = out / playlist_file_name(names, ".m3u8", separator=" - ", escape=False)
        data, left_out = render(node, out, relative=relative)
        files.append(Output(path, data))
        skipped += left_out
    return files, skipped


def export_m3u(
    playlist: Playlist, out: Path, *, relative: bool = False, force: bool = False
) -> M3UResult:
    files, skipped = outputs(playlist, out, relative=relative)
    return M3UResult(write_outputs(files, force=force), skipped)
