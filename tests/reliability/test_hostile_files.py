"""Hostile files (issue 25, item 7): file names and tags with XML metacharacters, quotes,
line breaks, very long and non-UTF-8 names and ``..``. Exports (M3U8, rekordbox XML, Serato
crates, through the real CLI) are read back by pyrekordbox, serato-tools and CrateQ's own
tracklist parsers and must name exactly the files on disk; tracklists holding such text are
parsed into the right artist and title, or a line-numbered error, never a crash.
"""

from __future__ import annotations

import json
import os
import struct
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import lameenc
import pytest
from pyrekordbox.rbxml import RekordboxXml
from serato_tools.crate import Crate

import reliability_log
from cli_harness import CliHarness, using_keyring
from crateq.core.export import export_playlist
from crateq.core.export_base import ExportTrack, Playlist
from crateq.core.export_serato import volume_root
from crateq.core.store import Store
from crateq.core.tagging import TagValues, tag_file
from crateq.core.tracklist import parse_tracklist
from crateq.core.tracklist_files import serato_crate
from memory_keyring import MemoryKeyring

PCM = b"".join(struct.pack("<hh", (i * 37) % 2000 - 1000, 0) for i in range(22050))
ARTIST = 'Tom & Jerry <Live> "Crew" \'99'
HOSTILE_NAMES = [
    'Tom & Jerry <Live> "Edit" \'99.mp3',  # XML metacharacters and both quotes
    "line\nbreak.mp3",  # M3U cannot hold it; XML and Serato can
    "Ä" * 120 + ".mp3",  # 244 bytes: near the file system's 255
    "..mp3",
    "a..b.mp3",
    "100% #1 ?.mp3",  # what a URL must escape
]


def _mp3(path: Path, values: TagValues) -> Path:
    enc = lameenc.Encoder()
    enc.set_bit_rate(64)
    enc.set_in_sample_rate(44100)
    enc.set_channels(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(enc.encode(PCM) + enc.flush())
    assert tag_file(path, values).ok
    return path


@pytest.fixture
def cli(crateq_home: Path) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        yield CliHarness(crateq_home)


@pytest.fixture
def library(crateq_home: Path, tmp_path: Path) -> list[Path]:
    """Files with hostile names and tags in the library; one stored as ``sub/../name``."""
    music = tmp_path / "music"
    (music / "sub").mkdir(parents=True)
    store = Store()
    files = []
    names = [*HOSTILE_NAMES, "sub/../dotted.mp3"]
    for number, name in enumerate(names, start=1):
        values = TagValues(title=f"Title\n{number} </TRACK>", artist=ARTIST, genre="G&B",
                           comment="x" * 5000)  # fmt: skip
        path = _mp3(music / name, values)
        store.add_to_library("pool", number, path, path.stat().st_size, "0" * 64, values.items())
        files.append(path.resolve())
    store.close()
    return files


def _json(cli: CliHarness, *args: str) -> dict[str, list[str]]:
    result = cli("export", *args, "--json")
    assert result.exit_code == 0, result.stderr
    answer: dict[str, list[str]] = json.loads(result.stdout)
    return answer


def test_exports_of_hostile_names_read_back_to_the_files_on_disk(
    cli: CliHarness, library: list[Path], tmp_path: Path
) -> None:
    newline = next(p for p in library if "\n" in p.name)
    m3u = tmp_path / "lists" / "set.m3u8"
    assert _json(cli, "m3u", "--out", str(m3u))["skipped"] == [str(newline)]
    lines = [ln for ln in m3u.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    assert sorted(Path(ln) for ln in lines) == sorted(p for p in library if p != newline)

    xml = tmp_path / "set.xml"
    _json(cli, "rekordbox", "--out", str(xml))
    read = RekordboxXml(xml)
    tracks = [read.get_track(TrackID=n) for n in range(1, read.num_tracks + 1)]
    assert sorted(Path("/" + t["Location"]) for t in tracks) == sorted(library)
    assert {(t["Artist"], t["Genre"]) for t in tracks} == {(ARTIST, "G&B")}
    assert all(t["Name"].startswith("Title ") and "</TRACK>" in t["Name"] for t in tracks)

    music = tmp_path / "music"
    crates = _json(cli, "serato", "--out", str(music))["written"]
    root = volume_root(music)
    assert sorted(root / name for name in Crate(crates[0]).tracks()) == sorted(library)

    for exported in (m3u, xml, Path(crates[0])):  # and CrateQ reads its own exports back
        entries = parse_tracklist(exported.read_bytes(), exported.name)
        assert {(e.artist, e.error) for e in entries} == {(ARTIST, None)}, exported.name
    reliability_log.record(
        "hostile files",
        "library files named with XML metacharacters, quotes, a line break, 244-byte, '..' "
        "and URL characters, tags with markup and newlines; export m3u/rekordbox/serato",
        "pyrekordbox and serato-tools read back exactly the files on disk (the line-break "
        "name left out of M3U and reported); CrateQ's parsers read every artist back",
        tries=len(library) * 3,
    )


def test_a_file_name_that_is_no_utf8_is_named_exactly_or_left_out_with_a_reason(
    cli: CliHarness, tmp_path: Path
) -> None:
    folder = os.fsencode(tmp_path / "music")
    raw = Path(os.fsdecode(folder + b"/Caf\xe9 \xff - Night.mp3"))  # Latin-1 bytes
    fine = tmp_path / "music" / "Fine - Song.mp3"
    for path in (raw, fine):
        _mp3(path, TagValues(title="Night", artist="Café"))
    both = Playlist("Set", (ExportTrack(raw, "Café"), ExportTrack(fine, "A", "B")))  # Name: stem

    xml = export_playlist("rekordbox", both, tmp_path / "raw.xml")
    assert xml.skipped == []
    element = RekordboxXml(tmp_path / "raw.xml").get_track(TrackID=1)._element
    location = element.attrib["Location"].removeprefix("file://localhost")
    assert Path(os.fsdecode(urllib.parse.unquote_to_bytes(location))) == raw  # the very bytes
    assert raw.exists() and element.attrib["Name"] == "Caf\ufffd \ufffd - Night"
    for fmt, out in (("m3u", tmp_path / "raw.m3u8"), ("serato", tmp_path / "music")):
        result = export_playlist(fmt, both, out)
        assert result.skipped == [raw], fmt
    assert Crate(str(tmp_path / "music" / "_Serato_" / "Subcrates" / "Set.crate")).tracks() == [
        str(fine.relative_to(volume_root(fine)))
    ]
    refused = cli("crates", "add", "Set", str(raw))
    assert refused.exit_code == 1 and "not UTF-8" in refused.stderr, refused.stderr
    reliability_log.record(
        "hostile files",
        "a file name of Latin-1 bytes (no UTF-8) exported and added to a crate",
        "rekordbox's URL names its exact bytes; M3U8 and Serato leave it out and report it; "
        "`crates add` refuses it with a sentence, nothing stored",
        tries=4,
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("set.xml",
         b'<?xml version="1.0"?><DJ_PLAYLISTS><COLLECTION><TRACK Artist="A &amp; B &lt;C&gt;'
         b' &quot;D&quot; &apos;E&apos;" Name="Line&#10;Two" Location="file://localhost/x/'
         b'..%2F..%2Fetc%2Fpasswd"/></COLLECTION></DJ_PLAYLISTS>',
         [("A & B <C> \"D\" 'E'", "Line Two", None)]),
        ("set.csv",
         b'Artist,Title\n"Smith, ""Big"" J","Two\nLines"\nPlain,Row\n',
         [('Smith, "Big" J', "Two Lines", None), ("Plain", "Row", None)]),
        ("set.m3u",
         b"#EXTM3U\n#EXTINF:200,Beyonc\xe9 - Halo\n/music/Beyonc\xe9 - Halo.mp3\n"
         b"../../etc/passwd\n#EXTINF:1," + b"x" * 5000 + b"\n",
         [("Beyoncé", "Halo", None), ("", "passwd", "the file name is not 'Artist - Title'"),
          ("", "", "line too long (5010 characters)")]),
        ("set.crate",
         serato_crate(["Music/<b>&amp; \"Q\" - T\nX.mp3", "../../" + "Ü" * 300 + " - L.mp3"]),
         [('<b>&amp; "Q"', "T\nX", None), ("Ü" * 300, "L", None)]),
    ],
)  # fmt: skip
def test_tracklists_with_hostile_text_are_parsed_exactly(
    name: str, data: bytes, expected: list[tuple[str, str, str | None]]
) -> None:
    found = [(e.artist, e.title, e.error) for e in parse_tracklist(data, name)]
    assert found == expected
    reliability_log.record(
        "hostile files",
        f"{name.rpartition('.')[2]} tracklist with XML metacharacters, quotes, line breaks, "
        "'..', non-UTF-8 or very long text",
        "parsed into the exact artist and title, or a line-numbered error",
    )
