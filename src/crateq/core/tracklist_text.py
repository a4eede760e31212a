"""Tracklists as text — plain lines, M3U/M3U8 and CSV — read into numbered entries.

A line that holds no track is returned with its ``error`` set, never dropped; blank lines and
comments are not tracks. Binary data raises :class:`crateq.core.errors.TracklistError`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import unquote

from crateq.core.errors import TracklistError

MAX_BYTES = 64 * 1024 * 1024  # far beyond any real tracklist; a bigger input is refused
MAX_LINE = 1000  # characters: no real "Artist - Title" line is longer

_NUMBERING = re.compile(r"^\s*(?:#\s*\d{1,4}\.?|\d{1,4}\s*(?:[.)\]]|:(?!\d))|0\d{0,3}(?=\s))\s*")
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_LEADING_TIME = re.compile(rf"^\s*[\[(]?{_TIME}[\])]?\s*(?:[-–—|]\s+)?")
_TRAILING_TIME = re.compile(rf"\s*[\[(]?{_TIME}[\])]?\s*$")
_DASH = re.compile(r"\s+[-–—]+\s+|\s*[–—]\s*")
_BY = re.compile(r"\s+by\s+", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class TrackLine:
    """One entry of a tracklist: its line (or position) and what it names.

    ``error`` is set (and artist/title may be empty) when the line names no track;
    ``source`` is the file the entry came from (M3U, Serato, rekordbox), when known.
    """

    line: int
    artist: str
    title: str
    error: str | None = None
    source: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def decode(data: bytes) -> str:
    """Text of a tracklist: UTF-8 (with or without BOM), UTF-16 with a BOM, else cp1252.
    Binary data raises :class:`TracklistError`."""
    if len(data) > MAX_BYTES:
        raise TracklistError(
            f"The tracklist is too big ({len(data) // 1_000_000} MB); no tracklist is that long."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        raise TracklistError("This file is not a tracklist: it holds binary data.")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 20):
        raise TracklistError("This file is not a tracklist: it holds binary data.")
    return text


def parse_line(text: str, number: int) -> TrackLine:
    """One "Artist - Title" / "Title by Artist" line, numbering and timestamps aside."""
    if len(text) > MAX_LINE:
        return TrackLine(number, "", "", f"line too long ({len(text)} characters)")
    if _CONTROL.search(text):
        return TrackLine(number, "", "", "line holds binary data")
    line = _LEADING_TIME.sub("", _NUMBERING.sub("", text.strip()), count=1)
    line = _TRAILING_TIME.sub("", _NUMBERING.sub("", line)).strip()
    dash = _DASH.search(line)
    if dash is not None:
        artist, title = line[: dash.start()].strip(), line[dash.end() :].strip()
    elif (by := list(_BY.finditer(line))) and by[-1].start() > 0:
        title, artist = line[: by[-1].start()].strip(), line[by[-1].end() :].strip()
    else:
        return TrackLine(number, "", line, "no 'Artist - Title' in this line")
    if not artist or not title:
        return TrackLine(number, artist, title, "no 'Artist - Title' in this line")
    return TrackLine(number, artist, title)


def parse_text(text: str) -> list[TrackLine]:
    """Plain text: one track a line; blank lines and ``#``/``//`` comments skipped."""
    out: list[TrackLine] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or (stripped.startswith(("#", "//")) and len(stripped) <= MAX_LINE):
            continue
        out.append(parse_line(stripped, number))
    return out


def _file_stem(location: str) -> str:
    """The name of a file without folders or extension, from a path or a file:// URL."""
    location = unquote(location.strip().removeprefix("file://localhost").removeprefix("file://"))
    name = PureWindowsPath(location).name if "\\" in location else PurePosixPath(location).name
    stem, dot, ext = name.rpartition(".")
    return stem if dot and stem and len(ext) <= 5 else name


def from_file_name(location: str, number: int) -> TrackLine:
    """A track from a file name "Artist - Title.mp3" (numbering aside)."""
    found = parse_line(_file_stem(location)[:MAX_LINE], number)
    if found.ok:
        return TrackLine(number, found.artist, found.title, source=location)
    return TrackLine(number, "", found.title, "the file name is not 'Artist - Title'", location)


def parse_m3u(text: str) -> list[TrackLine]:
    """M3U/M3U8: an #EXTINF line names the track; a path without one, by its file name."""
    out: list[TrackLine] = []
    pending: TrackLine | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if len(line) > MAX_LINE:
            out.append(TrackLine(number, "", "", f"line too long ({len(line)} characters)"))
        elif line.upper().startswith("#EXTINF"):
            if pending is not None:
                out.append(pending)
            _, _, name = line.partition(",")
            pending = parse_line(name, number)
        elif not line or line.startswith("#"):
            continue
        elif pending is not None and pending.ok:
            out.append(TrackLine(pending.line, pending.artist, pending.title, source=line))
            pending = None
        else:  # no #EXTINF (or an unreadable one): the file's name says who and what
            out.append(from_file_name(line, pending.line if pending else number))
            pending = None
    if pending is not None:
        out.append(pending)
    return out


_ARTIST_COLUMNS = ("artist", "artists", "artist name", "artist(s)", "performer")
_TITLE_COLUMNS = ("title", "track title", "track name", "track", "name", "song", "song title")


def _column(header: list[str], names: Iterable[str]) -> int | None:
    cells = [cell.strip().strip("\ufeff").lower() for cell in header]
    for name in names:
        if name in cells:
            return cells.index(name)
    return None


def parse_csv(text: str) -> list[TrackLine]:
    """CSV with a header naming the artist and title columns; comma, semicolon or tab. A
    quoted cell may hold the separator, doubled quotes and line breaks (what DJ software
    writes for a title with a newline); an entry is numbered by the line it starts on."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return []
    sample = "\n".join(line for line in lines[first : first + 20] if len(line) <= MAX_LINE)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    header = next(csv.reader([lines[first]], dialect), [])
    artist_at, title_at = _column(header, _ARTIST_COLUMNS), _column(header, _TITLE_COLUMNS)
    if artist_at is None or title_at is None:
        raise TracklistError("The CSV file has no header naming an artist and a title column.")
    out: list[TrackLine] = []
    for number, cells, size in _csv_records(lines, first + 1, dialect):
        if size > MAX_LINE:
            out.append(TrackLine(number, "", "", f"line too long ({size} characters)"))
            continue
        artist = _cell(cells, artist_at)
        title = _cell(cells, title_at)
        error = None if artist and title else "no artist or no title in this row"
        out.append(TrackLine(number, artist, title, error))
    return out


def _cell(cells: list[str], at: int) -> str:
    """One cell as one line of text (a quoted line break becomes a space)."""
    return " ".join(cells[at].split()) if at < len(cells) else ""


_RECORD_LINES = 4  # a quoted cell spans at most this many lines; more is a stray quote


def _csv_records(
    lines: list[str], start: int, dialect: type[csv.Dialect] | csv.Dialect
) -> Iterable[tuple[int, list[str], int]]:
    """(1-based line number, cells, characters) of each non-blank record from ``start``.

    A line whose quotes leave a cell open is joined with the next ones (up to
    ``_RECORD_LINES``), so a quoted line break stays in its cell; a quote that never closes
    there is read line by line, as if it were an ordinary character.
    """
    index = start
    while index < len(lines):
        line, taken = lines[index], 1
        if len(line) <= MAX_LINE:
            while (
                _open_quote(line, dialect) and taken < _RECORD_LINES and index + taken < len(lines)
            ):
                line, taken = line + "\n" + lines[index + taken], taken + 1
            if _open_quote(line, dialect):
                line, taken = lines[index], 1
        if line.strip():
            cells = [] if len(line) > MAX_LINE else next(csv.reader([line], dialect), [])
            yield index + 1, cells, len(line)
        index += taken


def _open_quote(text: str, dialect: type[csv.Dialect] | csv.Dialect) -> bool:
    """True when ``text`` ends inside a quoted cell."""
    quote = dialect.quotechar or '"'
    return text.count(quote) % 2 == 1


def looks_like_csv(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")[:MAX_LINE]
    if not any(sep in first for sep in ",;\t"):
        return False
    cells = re.split(r"[,;\t]", first.lower())
    return (
        _column(cells, _ARTIST_COLUMNS) is not None and _column(cells, _TITLE_COLUMNS) is not None
    )
