"""Tracklists in every form DJs have, and hostile ones (crateq.core.tracklist*)."""

from __future__ import annotations

import struct
import time

import pytest

from crateq.core.errors import TracklistError
from crateq.core.tracklist import TrackLine, detect, parse_line, parse_tracklist
from crateq.core.tracklist_files import serato_crate


def pairs(entries: list[TrackLine]) -> list[tuple[int, str, str] | tuple[int, str]]:
    return [(e.line, e.artist, e.title) if e.ok else (e.line, "ERR") for e in entries]


@pytest.mark.parametrize(
    ("line", "artist", "title"),
    [
        ("Crown - Let It Go", "Crown", "Let It Go"),
        ("1. Crown - Let It Go", "Crown", "Let It Go"),
        ("01) Crown - Let It Go", "Crown", "Let It Go"),
        ("07 Crown - Let It Go", "Crown", "Let It Go"),
        ("#3 Crown - Let It Go", "Crown", "Let It Go"),
        ("12:34 Crown - Let It Go", "Crown", "Let It Go"),
        ("[01:02:03] Crown - Let It Go", "Crown", "Let It Go"),
        ("3. 12:34 - Crown - Let It Go", "Crown", "Let It Go"),
        ("Crown - Let It Go (12:34)", "Crown", "Let It Go"),
        ("Crown – Let It Go", "Crown", "Let It Go"),
        ("Crown—Let It Go", "Crown", "Let It Go"),
        ("Let It Go by Crown", "Crown", "Let It Go"),
        ("Stand By Me by Ben E. King", "Ben E. King", "Stand By Me"),
        ("50 Cent - In Da Club", "50 Cent", "In Da Club"),
        ("Jay-Z - 99 Problems", "Jay-Z", "99 Problems"),
        ("Crown - Let It Go - Clean", "Crown", "Let It Go - Clean"),
    ],
)
def test_plain_text_lines(line: str, artist: str, title: str) -> None:
    assert parse_line(line, 1) == TrackLine(1, artist, title)


def test_plain_text_reports_lines_without_a_track_and_skips_blanks() -> None:
    text = "Crown - Let It Go\n\n# a comment\njust some words\nMona - Blue Hour\n"
    assert pairs(parse_tracklist(text.encode())) == [
        (1, "Crown", "Let It Go"),
        (4, "ERR"),
        (5, "Mona", "Blue Hour"),
    ]


def test_m3u_uses_extinf_then_file_names() -> None:
    text = (
        "#EXTM3U\n#EXTINF:215,Crown - Let It Go\n/music/crown.mp3\n"
        "C:\\Music\\Mona - Blue Hour (Extended).mp3\n"
        "file:///music/Sol%20-%20Dawn.m4a\n#EXTINF:200,nonsense\nnonsense.mp3\n"
    )
    entries = parse_tracklist(text.encode(), "set.m3u8")
    assert pairs(entries) == [
        (2, "Crown", "Let It Go"),
        (4, "Mona", "Blue Hour (Extended)"),
        (5, "Sol", "Dawn"),
        (6, "ERR"),
    ]
    assert entries[0].source == "/music/crown.mp3"


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_csv_with_a_header_in_any_separator(sep: str) -> None:
    rows = [["#", "Track Title", "Artist", "BPM"], ["1", "Let It Go", "Crown", "124"],
            ["2", "Blue Hour", "Mona", "120"], ["3", "", "Nobody", "1"]]  # fmt: skip
    text = "\n".join(sep.join(r) for r in rows)
    assert pairs(parse_tracklist(text.encode(), "list.csv")) == [
        (2, "Crown", "Let It Go"),
        (3, "Mona", "Blue Hour"),
        (4, "ERR"),
    ]
    assert detect(text.encode(), "") == "text"  # detected by its header, not the name:
    assert pairs(parse_tracklist(text.encode()))[0] == (2, "Crown", "Let It Go")


def test_csv_without_artist_and_title_columns_is_refused() -> None:
    with pytest.raises(TracklistError, match="artist and a title"):
        parse_tracklist(b"a,b\n1,2\n", "x.csv")


REKORDBOX = """<?xml version="1.0" encoding="UTF-8"?>
<DJ_PLAYLISTS Version="1.0.0"><PRODUCT Name="rekordbox"/>
<COLLECTION Entries="3">
<TRACK TrackID="1" Name="Let It Go" Artist="Crown" Location="file://localhost/m/a.mp3"/>
<TRACK TrackID="2" Name="Blue Hour" Artist="Mona"/>
<TRACK TrackID="3" Location="file://localhost/m/Sol%20-%20Dawn.mp3"/>
</COLLECTION>
<PLAYLISTS><NODE Type="0" Name="ROOT"><NODE Name="Friday" Type="1" KeyType="0" Entries="2">
<TRACK Key="2"/><TRACK Key="9"/></NODE></NODE></PLAYLISTS>
</DJ_PLAYLISTS>"""


def test_rekordbox_collection_or_one_playlist() -> None:
    data = REKORDBOX.encode()
    assert pairs(parse_tracklist(data, "rekordbox.xml")) == [
        (1, "Crown", "Let It Go"),
        (2, "Mona", "Blue Hour"),
        (3, "Sol", "Dawn"),
    ]
    assert pairs(parse_tracklist(data, playlist="Friday")) == [(1, "Mona", "Blue Hour"), (2, "ERR")]
    with pytest.raises(TracklistError, match="Friday"):
        parse_tracklist(data, playlist="Saturday")


def test_serato_crate_names_tracks_by_their_files(tmp_path) -> None:
    crate = serato_crate(["Music/Crown - Let It Go.mp3", "Music/Mona - Blue Hour [Intro].mp3",
                          "Music/track01.mp3"])  # fmt: skip
    assert pairs(parse_tracklist(crate, "Friday.crate")) == [
        (1, "Crown", "Let It Go"),
        (2, "Mona", "Blue Hour [Intro]"),
        (3, "ERR"),
    ]
    with pytest.raises(TracklistError, match="damaged"):
        parse_tracklist(crate[:-3])
    with pytest.raises(TracklistError, match="damaged"):
        parse_tracklist(b"vrsn" + struct.pack(">I", 2**31))


def test_serato_reads_the_files_own_tags_when_the_file_is_there(tmp_path) -> None:
    from mutagen.id3 import ID3, TIT2, TPE1

    path = tmp_path / "01 unnamed.mp3"
    tags = ID3()
    tags.add(TPE1(encoding=3, text="Crown"))
    tags.add(TIT2(encoding=3, text="Let It Go"))
    tags.save(path)
    assert pairs(parse_tracklist(serato_crate([str(path)]))) == [(1, "Crown", "Let It Go")]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<DJ_PLAYLISTS><COLLECTION><TRACK Name="&lol3;" Artist="x"/></COLLECTION></DJ_PLAYLISTS>"""


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (BOMB.encode(), "bomb.xml", "DTD or entities"),
        (b"<DJ_PLAYLISTS><COLLECTION>", "cut.xml", "cannot be read"),
        (b"<html></html>", "page.xml", "not a rekordbox"),
        (bytes(range(256)) * 400, "junk.bin", "binary data"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 1000, "", "binary data"),
    ],
    ids=["xml-bomb", "broken-xml", "other-xml", "binary", "elf"],
)
def test_hostile_tracklists_get_one_clear_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(TracklistError, match=message):
        parse_tracklist(data, name)


def test_a_ten_megabyte_line_is_reported_not_parsed() -> None:
    started = time.perf_counter()
    data = b"Crown - Let It Go\n" + b"a - b " * 1_750_000 + b"\nMona - Blue Hour\n"
    for name in ("set.txt", "set.m3u", "set.csv"):
        body = b"Artist,Title\n" + data if name.endswith("csv") else data
        entries = parse_tracklist(body, name)
        assert any(e.error and "too long" in e.error for e in entries), name
    assert time.perf_counter() - started < 5
