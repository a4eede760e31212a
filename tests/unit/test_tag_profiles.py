"""Every tag profile writes its ID3 version and frames, read back with mutagen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from tests.unit.test_tagging import ROW, make_aiff, make_mp3

from crateq.core.settings import Settings, set_value
from crateq.core.tag_profiles import PROFILE_NAMES, PROFILES
from crateq.core.tag_values import ID3_RESERVE
from crateq.core.tagging import TagValues, empty_id3, tag_file, tag_reserved_mp3

COMMENT = "CrateQ: pool demo, mediaId 9"
# profile -> (ID3 minor version, frames holding the mix, the comment's text)
EXPECTED = {
    "generic": (4, {"TIT1"}, COMMENT),
    "serato": (3, {"TIT1"}, COMMENT),
    "rekordbox": (3, {"TIT1"}, f"Extended · {COMMENT}"),
    "traktor": (3, {"TIT3"}, f"Extended · {COMMENT}"),
    "virtualdj": (3, {"TIT1", "TIT3"}, COMMENT),
}


def _check(tags: ID3, profile: str) -> None:
    version, mix_frames, comment = EXPECTED[profile]
    assert tags.version[:2] == (2, version)
    for key in ("TIT1", "TIT3"):
        frames = tags.getall(key)
        assert [str(f) for f in frames] == (["Extended"] if key in mix_frames else [])
    assert str(tags.getall("COMM::eng")[0]) == comment
    assert str(tags.getall("TIT2")[0]) == "Title"
    assert str(tags.getall("TPE1")[0]) == "Artist"
    assert str(tags.getall("TPE4")[0]) == "Editor"
    assert str(tags.getall("TBPM")[0]) == "126"
    assert str(tags.getall("TDRC")[0]) == "2020"  # mutagen reads v2.3's TYER as TDRC


def _raw_year_frame(head: bytes, version: int) -> None:
    """v2.3 files carry TYER (v2.3 has no TDRC), v2.4 files TDRC."""
    assert (b"TYER" in head) == (version == 3)
    assert (b"TDRC" in head) == (version == 4)


def test_the_table_covers_every_profile() -> None:
    assert set(PROFILES) == set(PROFILE_NAMES) == set(EXPECTED)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_mp3_tagged_for_each_profile(tmp_path: Path, profile: str) -> None:
    path = make_mp3(tmp_path / "a.mp3")
    result = tag_file(path, TagValues.from_row(ROW), profile=profile)
    assert result.ok, result.reason
    _check(ID3(path), profile)
    _raw_year_frame(path.read_bytes()[:4096], EXPECTED[profile][0])


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_reserved_mp3_head_tagged_for_each_profile(tmp_path: Path, profile: str) -> None:
    audio = make_mp3(tmp_path / "audio.mp3").read_bytes()
    path = tmp_path / "a.mp3.part"
    path.write_bytes(empty_id3(ID3_RESERVE) + audio)
    result = tag_reserved_mp3(path, ID3_RESERVE, TagValues.from_row(ROW), profile=profile)
    assert result.ok, result.reason
    assert path.read_bytes()[ID3_RESERVE:] == audio  # no byte of audio moved
    _check(ID3(path), profile)
    _raw_year_frame(path.read_bytes()[:ID3_RESERVE], EXPECTED[profile][0])


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_aiff_tagged_for_each_profile(tmp_path: Path, profile: str) -> None:
    from mutagen.aiff import AIFF

    path = make_aiff(tmp_path / "a.aiff")
    assert tag_file(path, TagValues.from_row(ROW), profile=profile).ok
    tags = AIFF(path).tags
    assert isinstance(tags, ID3)
    _check(tags, profile)


def test_setting_accepts_each_profile_and_rejects_others() -> None:
    settings = Settings()
    assert settings.tags.profile == "generic"
    for name in PROFILE_NAMES:
        assert set_value(settings, "tags.profile", name.upper()).tags.profile == name
    from crateq.api.errors import ConfigError

    with pytest.raises(ConfigError):
        set_value(settings, "tags.profile", "winamp")


def test_config_set_tags_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from crateq.cli.config import command
    from crateq.core.settings import load_settings

    monkeypatch.setenv("CRATEQ_HOME", str(tmp_path))
    out = CliRunner().invoke(command, ["set", "tags.profile", "serato"])
    assert out.exit_code == 0, out.output
    assert load_settings().tags.profile == "serato"


def test_the_services_engine_takes_the_profile_from_the_settings(crateq_home: Path) -> None:
    from crateq.core.settings import DownloadSettings, load_settings, save_settings
    from crateq.core.store import Store
    from crateq.services import Services

    save_settings(set_value(load_settings(), "tags.profile", "rekordbox"))
    services = Services(store=Store(), in_process_secrets=True)
    try:
        engine = services.download_engine({}, DownloadSettings())
        assert engine.tag_profile == "rekordbox"
        asyncio.run(engine.shutdown())
    finally:
        services.shutdown()
