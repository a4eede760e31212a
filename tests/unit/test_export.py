"""Export writes playlists DJ software reads back: M3U8, rekordbox XML, Serato crates."""

from __future__ import annotations

import os
import sqlite3
import struct
import time
from pathlib import Path

import lameenc
import pytest
from pyrekordbox.rbxml import RekordboxXml
from serato_tools.crate import Crate

from crateq.core.errors import ExportError, exit_code
from crateq.core.export import (
    ExportTrack,
    Playlist,
    export_playlist,
    library_tracks,
    parse_since,
)
from crateq.core.export_serato import track_name, volume_root
from crateq.core.store import Store
from crateq.core.tagging import TagValues, tag_file

PCM = b"".join(struct.pack("<hh", (i * 37) % 2000 - 1000, 0) for i in range(44100 * 2))


def make_mp3(path: Path, values: TagValues) -> Path:
    """A two-second MP3 tagged with ``values``."""
    enc = lameenc.Encoder()
    enc.set_bit_rate(128)
    enc.set_in_sample_rate(44100)
    enc.set_channels(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(enc.encode(PCM) + enc.flush())
    assert tag_file(path, values).ok
    return path


TRACKS = [
    TagValues(
        title="Café Night", artist="DJ Ümlaut", genre="House", bpm=126, year=2021,
        grouping="Extended", comment="CrateQ: pool a, mediaId 1", key="8A",
    ),
    TagValues(
        title="Second", artist="Other & Co", genre="Techno", bpm=132, year=2019,
        grouping="Clean", comment="CrateQ: pool b, mediaId 2",
    ),
]  # fmt: skip


@pytest.fixture
def store(crateq_home: Path, tmp_path: Path) -> Store:
    """A library of two tagged files, in pools ``a`` and ``b``, names that need encoding."""
    db = Store()
    for number, (pool, values) in enumerate(zip("ab", TRACKS, strict=True), start=1):
        path = make_mp3(tmp_path / "music" / pool / f"{values.artist} - {values.title}.mp3", values)
        db.add_to_library(pool, number, path, path.stat().st_size, "0" * 64, values.items())
    return db


def test_m3u_lists_each_file_with_its_duration_and_artist_title(
    store: Store, tmp_path: Path
) -> None:
    tracks = library_tracks(store)
    out = tmp_path / "out" / "crateq.m3u8"
    result = export_playlist("m3u", Playlist("CrateQ", tuple(tracks)), out)
    assert result.written == [out] and result.tracks == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    entries = [
        (lines[i], lines[i + 1]) for i, line in enumerate(lines) if line.startswith("#EXTINF")
    ]
    assert entries == [
        ("#EXTINF:2,DJ Ümlaut - Café Night", str(tracks[0].path)),
        ("#EXTINF:2,Other & Co - Second", str(tracks[1].path)),
    ]


def test_m3u_paths_can_be_relative_to_the_playlist(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "music" / "lists" / "crateq.m3u8"
    export_playlist("m3u", Playlist("CrateQ", tuple(library_tracks(store))), out, relative=True)
    paths = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    assert paths[0] == os.path.join("..", "a", "DJ Ümlaut - Café Night.mp3")
    assert all((out.parent / p).resolve().is_file() for p in paths)


def test_rekordbox_xml_reads_back_with_pyrekordbox(store: Store, tmp_path: Path) -> None:
    tracks = library_tracks(store)
    out = tmp_path / "rekordbox.xml"
    export_playlist("rekordbox", Playlist("CrateQ", tuple(tracks)), out)
    xml = RekordboxXml(out)
    assert xml.product_name == "CrateQ" and xml.num_tracks == 2
    first = xml.get_track(TrackID=1)
    assert "/" + first["Location"] == str(tracks[0].path)  # decode_path drops the leading /
    assert "%C3%A9" in first._element.attrib["Location"]  # é percent-encoded as UTF-8
    assert (first["Name"], first["Artist"], first["Genre"]) == ("Café Night", "DJ Ümlaut", "House")
    assert (first["AverageBpm"], first["Year"], first["Grouping"]) == (126.0, 2021, "Extended")
    assert (first["TotalTime"], first["Tonality"], first["Kind"]) == (2, "8A", "MP3 File")
    assert first["Comments"] == "CrateQ: pool a, mediaId 1"
    assert first["Size"] == tracks[0].path.stat().st_size
    playlist = xml.root_playlist_folder.get_playlist("CrateQ")
    assert playlist.is_playlist and playlist.get_tracks() == [1, 2]


def test_nested_playlists_become_rekordbox_folders(store: Store, tmp_path: Path) -> None:
    one, two = library_tracks(store)
    tree = Playlist("Sets", (one,), (Playlist("Warmup", (two,)), Playlist("Peak", (one, two))))
    out = tmp_path / "nested.xml"
    export_playlist("rekordbox", tree, out)
    xml = RekordboxXml(out)
    assert xml.num_tracks == 2
    folder = xml.root_playlist_folder.get_playlist("Sets")
    assert folder.is_folder
    assert [n.name for n in folder.get_playlists()] == ["Sets", "Warmup", "Peak"]
    assert folder.get_playlist("Peak").get_tracks() == [1, 2]
    assert folder.get_playlist("Warmup").get_tracks() == [2]


def test_serato_crates_read_back_with_serato_tools(store: Store, tmp_path: Path) -> None:
    tracks = library_tracks(store)
    tree = Playlist("CrateQ", tuple(tracks), (Playlist("Techno", (tracks[1],)),))
    written = export_playlist("serato", tree, tmp_path / "music").written
    subcrates = tmp_path / "music" / "_Serato_" / "Subcrates"
    assert written == [subcrates / "CrateQ.crate", subcrates / "CrateQ%%Techno.crate"]
    root = volume_root(tracks[0].path)
    expected = [str(t.path.relative_to(root)) for t in tracks]
    assert Crate(str(written[0])).tracks() == expected
    assert Crate(str(written[1])).tracks() == expected[1:]
    assert not expected[0].startswith("/") and track_name(tracks[0].path) == expected[0]
    assert Crate(str(written[0])).data[0] == ("vrsn", "1.0/Serato ScratchLive Crate")


def test_since_pool_and_keys_filter_the_library(store: Store, tmp_path: Path) -> None:
    with sqlite3.connect(store.path) as db:  # the first download happened last year
        db.execute("UPDATE library SET added = ? WHERE pool = 'a'", (time.time() - 400 * 86400,))
    today = time.strftime("%Y-%m-%d")
    assert [t.title for t in library_tracks(store, since=parse_since(today))] == ["Second"]
    assert [t.title for t in library_tracks(store, pool="a")] == ["Café Night"]
    assert [t.title for t in library_tracks(store, keys={"b:2"})] == ["Second"]
    assert library_tracks(store, pool="a", since=parse_since(today)) == []


def test_a_file_deleted_since_is_not_exported(store: Store) -> None:
    first = library_tracks(store)[0]
    first.path.unlink()
    assert [t.title for t in library_tracks(store)] == ["Second"]


def test_bad_date_and_nothing_to_export_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="not a date") as bad:
        parse_since("2024-13-45")
    assert exit_code(bad.value) == 2
    with pytest.raises(ExportError, match="Nothing to export") as empty:
        export_playlist("m3u", Playlist("CrateQ"), tmp_path / "x.m3u8")
    assert exit_code(empty.value) == 2
    assert not (tmp_path / "x.m3u8").exists()


def test_hostile_names_stay_inside_the_target_and_on_one_line(tmp_path: Path) -> None:
    song = tmp_path / "song.mp3"
    make_mp3(song, TagValues())
    evil = ExportTrack(path=song, artist="A\n#EXTINF:1,injected\n/etc/passwd", title="T\x07")
    tree = Playlist("../../x\x00y", (evil,), (Playlist("..%%/evil\r\n", (evil,)),))
    music = tmp_path / "music"
    crates = export_playlist("serato", tree, music).written
    lists = export_playlist("m3u", tree, tmp_path / "lists").written
    subcrates = music / "_Serato_" / "Subcrates"
    assert [p.parent for p in crates] == [subcrates, subcrates]
    assert all(p.parent == tmp_path / "lists" for p in lists)
    assert all(p.name.count("%%") == (1 if i else 0) for i, p in enumerate(crates))
    assert all(not any(ord(c) < 32 for c in p.name) for p in [*crates, *lists])
    text = lists[0].read_text().splitlines()  # -1: a duration the track does not know
    assert text[2:] == ["#EXTINF:-1,A #EXTINF:1,injected /etc/passwd - T", str(song)]
    xml = tmp_path / "evil.xml"
    export_playlist("rekordbox", tree, xml)
    assert RekordboxXml(xml).get_track(TrackID=1)["Artist"].startswith("A #EXTINF")


def test_a_file_crateq_did_not_write_is_not_replaced_without_force(
    store: Store, tmp_path: Path
) -> None:
    playlist = Playlist("CrateQ", tuple(library_tracks(store)))
    out = tmp_path / "mine.m3u8"
    out.write_text("#EXTM3U\nthe DJ's own list\n")
    with pytest.raises(ExportError, match="--force"):
        export_playlist("m3u", playlist, out)
    assert out.read_text() == "#EXTM3U\nthe DJ's own list\n"
    export_playlist("m3u", playlist, out, force=True)
    export_playlist("m3u", playlist, out)  # its own file: replaced again without --force
    with out.open("a") as handle:  # changed since (by the DJ or their software)
        handle.write("extra\n")
    with pytest.raises(ExportError, match="--force"):
        export_playlist("m3u", playlist, out)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_nothing_is_written_when_one_target_is_foreign(store: Store, tmp_path: Path) -> None:
    tracks = tuple(library_tracks(store))
    tree = Playlist("CrateQ", tracks, (Playlist("Child", tracks),))
    subcrates = tmp_path / "_Serato_" / "Subcrates"
    subcrates.mkdir(parents=True)
    (subcrates / "CrateQ%%Child.crate").write_bytes(b"foreign")
    with pytest.raises(ExportError):
        export_playlist("serato", tree, tmp_path)
    assert sorted(p.name for p in subcrates.iterdir()) == ["CrateQ%%Child.crate"]


def test_an_out_folder_that_cannot_be_created_is_an_export_error(
    store: Store, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="cannot be created"):
        export_playlist(
            "rekordbox", Playlist("CrateQ", tuple(library_tracks(store))), blocker / "x.xml"
        )


def test_rekordbox_reads_the_tags_from_the_file_when_the_store_has_none(
    crateq_home: Path, tmp_path: Path
) -> None:
    db = Store()
    path = make_mp3(tmp_path / "t.mp3", TRACKS[0])
    db.add_to_library("a", 1, path, path.stat().st_size, "0" * 64, {})
    out = tmp_path / "r.xml"
    export_playlist("rekordbox", Playlist("CrateQ", tuple(library_tracks(db))), out)
    track = RekordboxXml(out).get_track(TrackID=1)
    assert (track["AverageBpm"], track["Grouping"], track["Genre"]) == (126.0, "Extended", "House")
    assert (track["Year"], track["Tonality"]) == (2021, "8A")


def test_nested_m3u_playlists_are_one_file_each_next_to_the_named_one(
    store: Store, tmp_path: Path
) -> None:
    one, two = library_tracks(store)
    tree = Playlist("Sets", (one,), (Playlist("Warmup", (two,)),))
    written = export_playlist("m3u", tree, tmp_path / "lists" / "ignored.m3u8").written
    assert written == [tmp_path / "lists" / "Sets.m3u8", tmp_path / "lists" / "Sets - Warmup.m3u8"]
    assert written[1].read_text().splitlines()[-1] == str(two.path)
