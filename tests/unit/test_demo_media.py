"""Demo media: listed sizes equal real file sizes, files decode, big files are streamed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from crateq.demo import audio
from crateq.demo.mediafiles import MediaCache


@pytest.mark.parametrize(("bpm", "kind"), [(70, "mp3"), (128, "mp3"), (174, "mp4"), (95, "mp4")])
def test_listed_size_and_length_match_the_generated_file(
    tmp_path: Path, bpm: int, kind: str
) -> None:
    layout = audio.layout_for(bpm, kind, 20.0)
    media = MediaCache(tmp_path).get("pool", 4242, 1, layout)
    data = media.path.read_bytes()
    assert len(data) == layout.size == media.size
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    info = MP3(media.path).info if kind == "mp3" else MP4(media.path).info
    assert abs(info.length - layout.seconds) < 0.05
    assert 20 <= layout.seconds < 20 + len(layout.unit_frames) * 1152 / 44_100
    if kind == "mp3":
        assert (info.bitrate, info.sample_rate, info.channels) == (128_000, 44_100, 1)


@pytest.mark.parametrize("video", [(0, 0), (854, 480), (3840, 2160)])
def test_mp4_with_or_without_video_has_its_listed_size(
    tmp_path: Path, video: tuple[int, int]
) -> None:
    layout = audio.layout_for(120, "mp4", 10.0, None, video, 4)
    media = MediaCache(tmp_path).get("pool", 1, 1, layout)
    assert media.path.stat().st_size == layout.size
    info = MP4(media.path).info
    assert info.codec == "mp4a.6B" and info.channels == 1
    assert abs(info.length - layout.seconds) < 0.05
    assert (layout.video_chunk_bytes > 0) == (video != (0, 0))


def test_preview_is_the_first_30_seconds_as_mp3(tmp_path: Path) -> None:
    layout = audio.layout_for(120, "mp4", 60.0, None, (1280, 720), 1)
    preview = MediaCache(tmp_path).preview("pool", 5, 1, layout)
    assert preview.size == layout.preview_bytes == preview.path.stat().st_size
    assert 30 <= MP3(preview.path).info.length < 40


def test_size_knob_makes_files_at_least_that_big(tmp_path: Path) -> None:
    layout = audio.layout_for(120, "mp3", 1.0, size_bytes=3_000_000)
    media = MediaCache(tmp_path).get("pool", 7, 1, layout)
    assert 3_000_000 <= media.path.stat().st_size == layout.size < 3_000_000 + layout.unit_bytes
    assert abs(MP3(media.path).info.length - layout.seconds) < 0.05


def test_cached_files_are_reused_and_versions_are_separate(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path)
    layout = audio.layout_for(100, "mp3", 10.0)
    first = cache.get("pool", 9, 1, layout)
    mtime = first.path.stat().st_mtime_ns
    assert cache.get("pool", 9, 1, layout) == first
    assert first.path.stat().st_mtime_ns == mtime
    assert cache.get("pool", 9, 2, layout).path != first.path


def test_unit_is_a_loud_beat_over_a_quiet_tone() -> None:
    import array

    pcm = array.array("h", audio.render_unit_pcm(120, 220.0, audio.unit_samples(120)))
    beat = int(0.5 * audio.SAMPLE_RATE)
    on_beat = max(abs(v) for v in pcm[: beat // 8])
    between = max(abs(v) for v in pcm[beat // 2 - 2000 : beat // 2 - 500])
    assert on_beat > 10_000 > 3_000 > between > 500


def test_frame_count_rule_holds_for_odd_lengths() -> None:
    for samples in (1, 1151, 1152, 1153, 44_100, 300_001):
        encoded = audio.encode_pcm(bytes(2 * samples))
        assert len(encoded) == sum(audio.unit_frame_sizes(samples))
