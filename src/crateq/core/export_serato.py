"""Serato crates: ``<root>/_Serato_/Subcrates/<Name>.crate``, nested as ``Parent%%Child``.

The format is a list of fields, each a 4-byte ASCII tag, a big-endian u32 length and the
data; text is UTF-16-BE. ``vrsn`` comes first, then the columns Serato shows, then one
``otrk`` per track holding a ``ptrk``: the file's path relative to the root of the volume
it is on, without a leading ``/`` (how Serato itself names tracks); a file whose name is no
UTF-8 cannot be named in UTF-16 and is left out (reported). Written here rather than
with serato-tools, whose 2.4.0 fails to save a new crate; the tests read crates back with it.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from crateq.core.export_base import (
    Output,
    Playlist,
    export_path,
    playlist_file_name,
    unicode_name,
    write_outputs,
)

VERSION = "1.0/Serato ScratchLive Crate"
COLUMNS = ("song", "artist", "bpm", "key", "genre", "length", "comment", "added")
SEPARATOR = "%%"


def _field(tag: str, data: bytes) -> bytes:
    return tag.encode("ascii") + struct.pack(">I", len(data)) + data


def _text(tag: str, value: str) -> bytes:
    return _field(tag, value.encode("utf-16-be"))


def volume_root(path: Path) -> Path:
    """The mount point (or drive) ``path`` is on."""
    current = path.absolute()
    while not os.path.ismount(current) and current.parent != current:
        current = current.parent
    return current


def track_name(path: Path) -> str:
    """The path Serato stores: relative to the file's volume, ``/`` separated."""
    absolute = export_path(path)
    relative = absolute.relative_to(volume_root(absolute))
    return relative.as_posix().lstrip("/")


def render(playlist: Playlist) -> bytes:
    """One crate (the playlist's own tracks; children are crates of their own)."""
    parts = [_text("vrsn", VERSION)]
    for column in COLUMNS:
        parts.append(_field("ovct", _text("tvcn", column) + _text("tvcw", "0")))
    names = dict.fromkeys(track_name(t.path) for t in playlist.tracks if unicode_name(t.path))
    parts += [_field("otrk", _text("ptrk", name)) for name in names]
    return b"".join(parts)


def unnameable(playlist: Playlist) -> list[Path]:
    """The files a crate cannot name (no UTF-8 name, so no UTF-16 either): left out."""
    return [t.path for t in playlist.all_tracks() if not unicode_name(t.path)]


def crate_folder(root: Path) -> Path:
    """The Subcrates folder under ``root`` (a music folder or a drive's root)."""
    return root if root.name == "Subcrates" else root / "_Serato_" / "Subcrates"


def outputs(playlist: Playlist, root: Path) -> list[Output]:
    folder = crate_folder(root)
    return [
        Output(folder / playlist_file_name(names, ".crate", separator=SEPARATOR), render(node))
        for names, node in playlist.walk()
    ]


def export_serato(playlist: Playlist, root: Path, *, force: bool = False) -> list[Path]:
    return write_outputs(outputs(playlist, root), force=force)
