"""rekordbox XML (``DJ_PLAYLISTS``): a COLLECTION of tracks and a PLAYLISTS tree.

rekordbox imports this file under Preferences > Advanced > "rekordbox xml". Every track is
in the COLLECTION once (``TrackID`` 1, 2, …) with the fields rekordbox shows (AverageBpm,
TotalTime, Genre, Year, Grouping, Comments, Tonality…) and ``Location`` as a
``file://localhost/`` URL, percent-encoded. The PLAYLISTS tree has the ``ROOT`` folder, and
in it one playlist node per playlist, whose entries are ``TRACK Key=<TrackID>``; a playlist
with children becomes a folder holding a playlist of its own tracks and its children.
Control characters, which XML 1.0 cannot hold, become spaces.
"""

from __future__ import annotations

import datetime as dt
import os
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

from crateq import __version__
from crateq.core.export_base import (
    ExportTrack,
    Output,
    Playlist,
    clean_text,
    export_path,
    write_outputs,
)

DEFAULT_FILE = "crateq-rekordbox.xml"
_KINDS = {
    ".mp3": "MP3 File",
    ".m4a": "M4A File",
    ".aac": "AAC File",
    ".flac": "FLAC File",
    ".wav": "WAV File",
    ".aiff": "AIFF File",
    ".aif": "AIFF File",
    ".mp4": "MP4 File",
    ".m4v": "M4V File",
    ".mov": "MOV File",
}


def location_url(path: Path) -> str:
    """``file://localhost/`` + the absolute path, percent-encoded (drive letters kept). The
    path's own bytes are encoded, so a file name that is no UTF-8 is still named exactly."""
    text = export_path(path).as_posix().lstrip("/")
    return "file://localhost/" + urllib.parse.quote(os.fsencode(text), safe="/:")


def _track_attributes(track_id: int, track: ExportTrack) -> dict[str, str]:
    added = dt.date.fromtimestamp(track.added).isoformat() if track.added else ""
    values = {
        "TrackID": str(track_id),
        "Name": clean_text(track.title) or clean_text(track.path.stem),
        "Artist": clean_text(track.artist),
        "Genre": clean_text(track.genre),
        "Grouping": clean_text(track.grouping),
        "Comments": clean_text(track.comment),
        "Tonality": clean_text(track.key),
        "Kind": _KINDS.get(track.path.suffix.lower(), f"{track.path.suffix[1:].upper()} File"),
        "Size": str(track.size) if track.size else "",
        "TotalTime": str(track.duration),
        "Year": str(track.year) if track.year else "",
        "AverageBpm": f"{track.bpm:.2f}" if track.bpm else "",
        "DateAdded": added,
        "Location": location_url(track.path),
    }
    return {k: v for k, v in values.items() if v or k in ("Name", "TotalTime")}


def _add_node(parent: ET.Element, playlist: Playlist, ids: dict[Path, int]) -> None:
    name = clean_text(playlist.name) or "Playlist"
    if playlist.children:
        folder = ET.SubElement(parent, "NODE", Type="0", Name=name)
        _add_node(folder, Playlist(playlist.name, playlist.tracks), ids)
        for child in playlist.children:
            _add_node(folder, child, ids)
        folder.set("Count", str(len(folder)))
        return
    keys = list(dict.fromkeys(ids[export_path(t.path)] for t in playlist.tracks))
    node = ET.SubElement(parent, "NODE", Name=name, Type="1", KeyType="0", Entries=str(len(keys)))
    for key in keys:
        ET.SubElement(node, "TRACK", Key=str(key))


def render(playlist: Playlist) -> bytes:
    """The whole XML document for ``playlist`` and everything nested in it."""
    root = ET.Element("DJ_PLAYLISTS", Version="1.0.0")
    ET.SubElement(root, "PRODUCT", Name="CrateQ", Version=__version__, Company="CrateQ")
    tracks = playlist.all_tracks()
    collection = ET.SubElement(root, "COLLECTION", Entries=str(len(tracks)))
    ids = {export_path(t.path): number for number, t in enumerate(tracks, start=1)}
    for track in tracks:
        ET.SubElement(collection, "TRACK", _track_attributes(ids[export_path(track.path)], track))
    playlists = ET.SubElement(root, "PLAYLISTS")
    top = ET.SubElement(playlists, "NODE", Type="0", Name="ROOT", Count="1")
    _add_node(top, playlist, ids)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return data + b"\n"


def target(out: Path) -> Path:
    """``out`` itself, or the default file name inside it when it is a folder."""
    return out / DEFAULT_FILE if out.is_dir() or not out.suffix else out


def export_rekordbox(playlist: Playlist, out: Path, *, force: bool = False) -> list[Path]:
    return write_outputs([Output(target(out), render(playlist))], force=force)
