"""What an analysis writes into a file: TKEY, TBPM, ReplayGain and the Camelot code in the
comment or grouping, through crateq.core.tagging; read back with mutagen."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.wave import WAVE

from crateq.core.analysis import Analysis
from crateq.core.analysis_bpm import check_bpm
from crateq.core.download_analysis import analysis_tags
from crateq.core.settings import AnalysisSettings
from crateq.core.tagging import TagValues, tag_file

RESULT = Analysis(
    bpm=140.2, bpm_confidence=0.9, key="A minor", key_strength=0.8, camelot="8A",
    open_key="1m", lufs=-14.79, replay_gain=-3.21, peak=0.988525, duration=12.0, elapsed=0.4,
)  # fmt: skip


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    pytest.importorskip("lameenc")
    pytest.importorskip("numpy")
    from audio_synth import track, write_mp3

    path = write_mp3(tmp_path / "t.mp3", track(3, 120.0))
    tag_file(path, TagValues(bpm=70, genre="Hip-Hop", comment="CrateQ: pool p, mediaId 1"))
    return path


def write(path: Path, settings: AnalysisSettings) -> None:
    values = analysis_tags(path, RESULT, check_bpm(70, 140.2, "Hip-Hop"), settings, pool_bpm=70)
    assert tag_file(path, values, overwrite=True).ok


def test_key_bpm_and_replaygain_frames(mp3: Path) -> None:
    write(mp3, AnalysisSettings(bpm="measured"))
    tags = ID3(mp3)
    assert str(tags["TKEY"]) == "Am"
    assert str(tags["TBPM"]) == "140"
    assert str(tags["TXXX:REPLAYGAIN_TRACK_GAIN"]) == "-3.21 dB"
    assert str(tags["TXXX:REPLAYGAIN_TRACK_PEAK"]) == "0.988525"
    assert str(tags["COMM::eng"]) == "CrateQ: pool p, mediaId 1"  # key_in=none: untouched


def test_verified_bpm_keeps_the_pools_half_time_and_pool_leaves_tbpm(mp3: Path) -> None:
    write(mp3, AnalysisSettings(bpm="verified"))
    assert str(ID3(mp3)["TBPM"]) == "70"
    tag_file(mp3, TagValues(bpm=99), overwrite=True)
    write(mp3, AnalysisSettings(bpm="pool"))
    assert str(ID3(mp3)["TBPM"]) == "99"


def test_the_camelot_code_goes_in_front_of_the_comment_or_into_the_grouping(mp3: Path) -> None:
    write(mp3, AnalysisSettings(key_in="comment"))
    write(mp3, AnalysisSettings(key_in="comment"))  # twice: not prefixed twice
    assert str(ID3(mp3)["COMM::eng"]) == "8A - CrateQ: pool p, mediaId 1"
    write(mp3, AnalysisSettings(key_in="grouping"))
    assert str(ID3(mp3)["TIT1"]) == "8A"


def test_a_wav_gets_the_same_frames_in_its_id3_chunk(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    from audio_synth import track, write_wav

    wav = write_wav(tmp_path / "t.wav", track(2, 120.0))
    write(wav, AnalysisSettings())
    tags = WAVE(wav).tags
    assert tags is not None and str(tags["TKEY"]) == "Am" and str(tags["TBPM"]) == "70"
    assert str(tags["TXXX:REPLAYGAIN_TRACK_GAIN"]) == "-3.21 dB"
