"""The DJ software's own files as tracklists: rekordbox XML and Serato crates.

rekordbox: ``DJ_PLAYLISTS/COLLECTION/TRACK`` (``Artist``, ``Name``, ``Location``), or one
playlist's ``TRACK Key=`` references into the collection. The XML is parsed with the
standard library only after refusing any DTD or entity declaration, which is what XML bombs
(billion laughs, external entities) need; defusedxml is used instead when installed.

Serato ``.crate``: a sequence of tags, each 4 ASCII bytes, a big-endian u32 length and that
many bytes; ``vrsn`` first, then one ``otrk`` per track holding a ``ptrk`` tag with the
file's path in UTF-16-BE. Artist and title come from the file's own tags when it exists
here, else from its name ("Artist - Title.mp3").
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from crateq.core.errors import TracklistError
from crateq.core.tracklist_text import MAX_LINE, TrackLine, from_file_name

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
MAX_TRACKS = 200_000  # entries read from one file; a bigger one is cut here


def _xml_root(text: str) -> Element:
    if _DECLARATION.search(text):
        raise TracklistError(
            "The XML file declares a DTD or entities; CrateQ does not read those (they can "
            "make a file expand without bound). Export the playlist from rekordbox again."
        )
    try:
        from defusedxml.ElementTree import fromstring
    except ImportError:
        from xml.etree.ElementTree import fromstring
    from xml.etree.ElementTree import ParseError

    try:
        root: Element = fromstring(text.removeprefix("\ufeff"))
    except (ParseError, ValueError) as exc:  # defusedxml raises ValueError subclasses
        raise TracklistError(f"The XML file cannot be read ({exc}).") from exc
    return root


def _from_track(track: Element, number: int) -> TrackLine:
    # one line each: an attribute may hold &#10; (a line break in the DJ's tag)
    artist = " ".join((track.get("Artist") or "").split())[:MAX_LINE]
    title = " ".join((track.get("Name") or "").split())[:MAX_LINE]
    location = track.get("Location") or ""
    if artist and title:
        return TrackLine(number, artist, title, source=location or None)
    if location:
        return from_file_name(location, number)
    return TrackLine(number, artist, title, "the track has no artist or no title")


def _playlist_nodes(root: Element) -> Iterator[Element]:
    playlists = root.find("PLAYLISTS")
    if playlists is not None:
        for node in playlists.iter("NODE"):
            if node.get("Type") == "1":
                yield node


def parse_rekordbox(text: str, playlist: str | None = None) -> list[TrackLine]:
    """The collection's tracks, or those of the playlist named ``playlist``."""
    root = _xml_root(text)
    if root.tag != "DJ_PLAYLISTS":
        raise TracklistError("The XML file is not a rekordbox collection (no DJ_PLAYLISTS).")
    collection = root.find("COLLECTION")
    tracks = list(collection.iter("TRACK"))[:MAX_TRACKS] if collection is not None else []
    if playlist is None:
        return [_from_track(track, n) for n, track in enumerate(tracks, 1)]
    node = next((p for p in _playlist_nodes(root) if p.get("Name") == playlist), None)
    if node is None:
        names = ", ".join(sorted({p.get("Name") or "" for p in _playlist_nodes(root)}))
        raise TracklistError(f"No playlist named {playlist!r} in the XML file ({names}).")
    by_id = {t.get("TrackID"): t for t in tracks}
    out: list[TrackLine] = []
    for number, ref in enumerate(node.findall("TRACK")[:MAX_TRACKS], 1):
        track = by_id.get(ref.get("Key"))
        if track is None:
            out.append(TrackLine(number, "", "", f"no track {ref.get('Key')!r} in the collection"))
        else:
            out.append(_from_track(track, number))
    return out


def _tags(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, bytes]]:
    """The (name, payload) tags of ``data[start:end]``; a bad length is a damaged crate."""
    at = start
    while at < end:
        if end - at < 8:
            raise TracklistError("The Serato crate is damaged (a tag is cut short).")
        name = data[at : at + 4]
        (length,) = struct.unpack(">I", data[at + 4 : at + 8])
        at += 8
        if length > end - at:
            raise TracklistError("The Serato crate is damaged (a tag runs past the end).")
        yield name, data[at : at + length]
        at += length


def _file_tags(path: Path) -> tuple[str, str] | None:
    """Artist and title from the file's own tags (mutagen), when the file is here."""
    try:
        if not path.is_file():
            return None
    except (OSError, ValueError):  # a path the OS cannot name
        return None
    import mutagen
    from mutagen.easyid3 import EasyID3

    tags = None
    try:
        audio = mutagen.File(path, easy=True)
        tags = audio.tags if audio is not None else None
    except Exception:  # an odd file: its ID3 tags alone may still be readable
        pass
    if tags is None:
        try:
            tags = EasyID3(path)  # type: ignore[no-untyped-call]  # mutagen is untyped here
        except Exception:  # no tags at all: the caller falls back to the file's name
            return None
    artist = " & ".join(tags.get("artist", []))
    title = " ".join(tags.get("title", []))
    return (artist, title) if artist and title else None


def serato_paths(data: bytes) -> list[str]:
    """The track paths of a Serato crate, in order."""
    tags = _tags(data, 0, len(data))
    first = next(tags, None)
    if first is None or first[0] != b"vrsn":
        raise TracklistError("This file is not a Serato crate (it does not start with vrsn).")
    paths: list[str] = []
    for name, payload in tags:
        if name != b"otrk":
            continue
        for inner, value in _tags(payload, 0, len(payload)):
            if inner == b"ptrk":
                paths.append(value.decode("utf-16-be", errors="replace").rstrip("\x00"))
        if len(paths) >= MAX_TRACKS:
            break
    return paths


def parse_serato(data: bytes) -> list[TrackLine]:
    """One entry per track of the crate: tags of the file when here, else its name."""
    out: list[TrackLine] = []
    for number, location in enumerate(serato_paths(data), 1):
        if len(location) > 4 * MAX_LINE:
            out.append(TrackLine(number, "", "", "the track's path is too long"))
            continue
        path = Path(location)
        found = _file_tags(path)
        if found is None and not path.is_absolute():  # Serato stores paths from the root
            found = _file_tags(Path("/") / location)
        if found is not None:
            out.append(TrackLine(number, found[0][:MAX_LINE], found[1][:MAX_LINE], source=location))
        else:
            out.append(from_file_name(location, number))
    return out


def serato_crate(paths: list[str]) -> bytes:
    """A Serato crate holding ``paths``: for tests and the exporters' round trips."""

    def tag(name: bytes, payload: bytes) -> bytes:
        return name + struct.pack(">I", len(payload)) + payload

    out = tag(b"vrsn", "1.0/Serato ScratchLive Crate".encode("utf-16-be"))
    for path in paths:
        out += tag(b"otrk", tag(b"ptrk", path.encode("utf-16-be")))
    return out
