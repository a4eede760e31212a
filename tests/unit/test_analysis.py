"""Tempo, key and loudness of audio generated here (tests/audio_synth.py), in-process and
through the worker pool; a file that does not decode is an error, never a crash."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("essentia")
pytestmark = pytest.mark.analysis
np = pytest.importorskip("numpy")

from audio_synth import RATE, track, write_mp3, write_wav  # noqa: E402
from crateq.core import analysis  # noqa: E402
from crateq.core.analysis import (  # noqa: E402
    UNAVAILABLE,
    Analyser,
    AnalysisFailed,
    AnalysisUnavailable,
    analyse_file,
)
from crateq.core.analysis_bpm import check_bpm  # noqa: E402

CASES = [  # bpm, tonic, scale, Camelot
    (120.0, "A", "minor", "8A"),
    (124.0, "C", "major", "8B"),
    (90.0, "F#", "minor", "11A"),
    (174.0, "D", "minor", "7A"),
    (140.0, "Eb", "major", "5B"),
]


@pytest.mark.parametrize(("bpm", "tonic", "scale", "camelot"), CASES)
def test_tempo_and_key_of_generated_tracks(
    tmp_path: Path, bpm: float, tonic: str, scale: str, camelot: str
) -> None:
    path = write_wav(tmp_path / "t.wav", track(12, bpm, tonic, scale))
    result = analyse_file(path)
    assert abs(result.bpm - bpm) <= 0.5, result
    assert result.key == f"{tonic} {scale}" and result.camelot == camelot, result
    assert 0.5 <= result.bpm_confidence <= 1.0
    assert result.duration == pytest.approx(12.0, abs=0.05)


def test_an_mp3_of_a_120_bpm_a_minor_track(tmp_path: Path) -> None:
    pytest.importorskip("lameenc")
    result = analyse_file(write_mp3(tmp_path / "t.mp3", track(12, 120.0)))
    assert abs(result.bpm - 120.0) <= 0.5
    assert (result.key, result.camelot, result.open_key) == ("A minor", "8A", "1m")


def test_a_half_time_track_folds_into_the_pools_range(tmp_path: Path) -> None:
    """A 70 BPM hip-hop beat that a pool lists at 140: measured 70, the rule keeps 70."""
    result = analyse_file(write_wav(tmp_path / "t.wav", track(12, 70.0, "G", "major")))
    check = check_bpm(140, result.bpm, "Hip-Hop")
    assert check.verdict == "half/double time" and check.value == pytest.approx(70.0, abs=0.5)


def test_loudness_of_a_known_sine_and_its_replaygain(tmp_path: Path) -> None:
    """A 1 kHz stereo sine of amplitude A reads 20·log10(A) LUFS (BS.1770: K-weighting is
    flat there and two channels of 0 dBFS sum to 0 LUFS)."""
    amplitude = 0.1
    t = np.arange(int(15 * RATE)) / RATE
    sine = amplitude * np.sin(2 * np.pi * 1000.0 * t)
    signal = np.stack([sine, sine], axis=1).astype(np.float32)
    reference = 20 * math.log10(amplitude)
    result = analyse_file(write_wav(tmp_path / "sine.wav", signal))
    assert result.lufs == pytest.approx(reference, abs=0.5)
    assert result.replay_gain == pytest.approx(-18.0 - result.lufs, abs=0.01)
    assert result.gain_text == f"{result.replay_gain:+.2f} dB"
    assert result.peak == pytest.approx(amplitude, abs=0.002)


def test_a_corrupt_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"ID3" + bytes(range(256)) * 40)
    with pytest.raises(AnalysisFailed, match=r"bad\.mp3: cannot decode"):
        analyse_file(bad)
    with pytest.raises(AnalysisFailed, match="no such file"):
        analyse_file(tmp_path / "missing.mp3")


def test_the_worker_pool_reports_each_file_and_shuts_down(tmp_path: Path) -> None:
    good = write_wav(tmp_path / "good.wav", track(8, 128.0))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEjunk")
    analyser = Analyser(workers=1)
    try:
        futures = [analyser.submit(bad), analyser.submit(good)]
        (kind_bad, why), (kind_good, result) = (f.result(timeout=60) for f in futures)
    finally:
        analyser.shutdown()
    assert kind_bad == "error" and "bad.wav" in str(why)
    assert kind_good == "ok" and result.camelot == "8A"  # type: ignore[union-attr]
    with pytest.raises(RuntimeError):
        analyser.submit(good)


def test_without_essentia_the_message_says_how_to_install_it(monkeypatch, caplog) -> None:
    monkeypatch.setattr(analysis, "available", lambda: False)
    with pytest.raises(AnalysisUnavailable, match=r"pip install 'crateq\[analysis\]'"):
        analyse_file("x.mp3")
    monkeypatch.setattr(analysis, "_warned", type(analysis._warned)())
    analysis.warn_unavailable()
    analysis.warn_unavailable()
    assert [r.getMessage() for r in caplog.records].count(UNAVAILABLE) == 1
