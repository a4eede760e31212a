"""Tagging fills missing tags in every supported format and never corrupts a file."""

from __future__ import annotations

import dataclasses
import io
import struct
import warnings
import wave
from pathlib import Path

import lameenc
import pytest
from mutagen.id3 import ID3, TIT2
from mutagen.mp3 import MP3

from crateq.api.pool_models import MediaRow
from crateq.core.tagging import TagValues, read_tags, tag_file

ROW = MediaRow.model_validate(
    {
        "mediaId": 9,
        "artist": "Artist",
        "title": "Title",
        "genre": "House",
        "bpm": "126",
        "releaseYear": 2020,
        "tool": "Extended",
        "editor": "Editor",
        "pool": "demo",
    }
)
EXPECTED = {
    "title": "Title",
    "artist": "Artist",
    "genre": "House",
    "bpm": "126",
    "year": "2020",
    "grouping": "Extended",
    "editor": "Editor",
    "comment": "CrateQ: pool demo, mediaId 9",
}
PCM = b"".join(struct.pack("<hh", (i * 37) % 2000 - 1000, 0) for i in range(44100))


def make_mp3(path: Path) -> Path:
    enc = lameenc.Encoder()
    enc.set_bit_rate(128)
    enc.set_in_sample_rate(44100)
    enc.set_channels(2)
    path.write_bytes(enc.encode(PCM) + enc.flush())
    return path


def make_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(PCM)
    return path


def make_aiff(path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import aifc
    with aifc.open(str(path), "wb") as a:
        a.setnchannels(2)
        a.setsampwidth(2)
        a.setframerate(44100)
        a.writeframes(PCM[::-1])
    return path


def make_flac(path: Path) -> Path:
    """A valid FLAC stream: the marker and a STREAMINFO block (no audio frames)."""
    info = struct.pack(">HH", 4096, 4096) + b"\0\0\0\0\0\0"
    bits = (44100 << 44) | (1 << 41) | (15 << 36) | 0  # rate, channels-1, bps-1, samples
    info += bits.to_bytes(8, "big") + b"\0" * 16
    path.write_bytes(b"fLaC" + bytes([0x80, 0, 0, 34]) + info)
    return path


def make_m4a(path: Path) -> Path:
    from crateq.demo.audio import layout_for
    from crateq.demo.mediafiles import MediaCache

    media = MediaCache(path.parent / "cache").get("demo", 9, 1, layout_for(126, "mp4", 4.0))
    path.write_bytes(media.path.read_bytes())
    return path


MAKERS = {
    ".mp3": make_mp3,
    ".wav": make_wav,
    ".aiff": make_aiff,
    ".flac": make_flac,
    ".m4a": make_m4a,
}


@pytest.mark.parametrize("ext", sorted(MAKERS))
def test_every_format_gets_all_tags(tmp_path: Path, ext: str) -> None:
    path = MAKERS[ext](tmp_path / f"t{ext}")
    result = tag_file(path, TagValues.from_row(ROW))
    assert result.ok, result.reason
    assert read_tags(path) == EXPECTED


def test_mp3_is_id3v24_with_integer_bpm(tmp_path: Path) -> None:
    path = make_mp3(tmp_path / "t.mp3")
    tag_file(path, TagValues.from_row(ROW.model_copy(update={"bpm": 125})))
    tags = ID3(path)
    assert tags.version[:2] == (2, 4)
    assert str(tags["TBPM"]) == "125"
    assert MP3(path).info.length > 0.9


def test_existing_tags_are_kept_unless_overwrite(tmp_path: Path) -> None:
    path = make_mp3(tmp_path / "t.mp3")
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Original"))
    tags.save(path)
    tag_file(path, TagValues.from_row(ROW))
    assert read_tags(path)["title"] == "Original"
    assert read_tags(path)["artist"] == "Artist"
    tag_file(path, TagValues.from_row(ROW), overwrite=True)
    assert read_tags(path)["title"] == "Title"


def test_a_file_that_cannot_be_tagged_stays_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "page.mp3"
    body = b"<html><body>502 Bad Gateway</body></html>" * 10
    path.write_bytes(body)
    result = tag_file(path, TagValues.from_row(ROW))
    assert not result.ok and "not written" in result.reason
    assert path.read_bytes() == body
    assert [p.name for p in tmp_path.iterdir()] == ["page.mp3"]


def test_unsupported_type_says_why(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    assert "not supported" in tag_file(path, TagValues()).reason


def test_reserved_head_is_tagged_in_place_without_moving_audio(tmp_path: Path) -> None:
    from mutagen.id3 import APIC

    from crateq.core.tag_values import ID3_RESERVE
    from crateq.core.tagging import tag_reserved_mp3

    audio = make_mp3(tmp_path / "a.mp3").read_bytes()
    own = ID3()
    own.add(TIT2(encoding=3, text="Server title"))
    own.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=b"\xff" * 40_000))
    head = io.BytesIO()
    own.save(head, v2_version=3)
    part = tmp_path / "b.mp3.part"
    part.write_bytes(bytes(ID3_RESERVE) + head.getvalue() + audio)
    size = part.stat().st_size
    result = tag_reserved_mp3(part, ID3_RESERVE, TagValues.from_row(ROW))
    assert result.ok and "title" not in result.written
    final = part.with_suffix("")
    part.rename(final)
    tags = read_tags(final)
    assert tags["title"] == "Server title" and tags["artist"] == "Artist"
    assert len(ID3(final).getall("APIC")) == 1
    assert final.stat().st_size == size and final.read_bytes().endswith(audio)
    assert MP3(final).info.length > 0.9


@pytest.mark.parametrize("ext", sorted(MAKERS))
def test_the_musical_key_is_written_when_known(tmp_path: Path, ext: str) -> None:
    """The pool API sends no key yet: a row that has one is tagged with it (TKEY in ID3)."""
    path = MAKERS[ext](tmp_path / f"t{ext}")
    values = dataclasses.replace(TagValues.from_row(ROW), key="8A")
    assert tag_file(path, values).ok
    assert read_tags(path) == {**EXPECTED, "key": "8A"}


def test_dj_software_reads_the_id3_frames_it_knows(tmp_path: Path) -> None:
    """TBPM a whole number, TIT1 the mix/tool, TCON, TDRC, COMM and TKEY, read by mutagen."""
    path = make_mp3(tmp_path / "t.mp3")
    row = ROW.model_copy(update={"bpm": MediaRow.model_validate({"bpm": "127.8"}).bpm})
    tag_file(path, dataclasses.replace(TagValues.from_row(row), key="11B"))
    tags = ID3(path)
    assert tags["TBPM"].text == ["127"]
    assert tags["TIT1"].text == ["Extended"]
    assert (tags["TCON"].text, str(tags["TDRC"])) == (["House"], "2020")
    assert tags["COMM::eng"].text == ["CrateQ: pool demo, mediaId 9"]
    assert tags["TKEY"].text == ["11B"]


def test_no_key_frame_without_a_key(tmp_path: Path) -> None:
    path = make_mp3(tmp_path / "t.mp3")
    tag_file(path, TagValues.from_row(ROW))
    assert ID3(path).getall("TKEY") == []
