"""crateq.core.harmonic: which tracks mix with the playing one, scored best first."""

from __future__ import annotations

from pathlib import Path

import pytest

from crateq.api.pool_models import MediaRow
from crateq.core.harmonic import (
    Figures,
    Tune,
    annotate,
    library_rows,
    mix_match,
    rank,
    row_camelot,
    row_tune,
    tempo_offset,
)
from crateq.core.store import Store

PLAYING = Tune("8A", 128.0)


@pytest.mark.parametrize(
    ("camelot", "bpm", "relation", "tempo", "folded", "score"),
    [
        ("8A", 128.0, "same key", 0.0, False, 1.0),
        ("Am", 128.0, "same key", 0.0, False, 1.0),  # the same key, spelled otherwise
        ("8B", 128.0, "relative", 0.0, False, 0.9),  # C major: A minor's relative
        ("9A", 128.0, "+1", 0.0, False, 0.85),
        ("7A", 128.0, "-1", 0.0, False, 0.85),
        ("8A", 135.68, "same key", 0.06, False, 0.5),  # +6 %: the window's edge
        ("8A", 120.32, "same key", -0.06, False, 0.5),  # -6 %
        ("8A", 131.84, "same key", 0.03, False, 0.75),  # +3 %: halfway down
        ("9A", 64.0, "+1", 0.0, True, 0.765),  # listed at half time
        ("8A", 256.0, "same key", 0.0, True, 0.9),  # listed at double time
    ],
)
def test_a_compatible_track_scores_by_key_then_tempo(
    camelot: str, bpm: float, relation: str, tempo: float, folded: bool, score: float
) -> None:
    found = mix_match(PLAYING, Tune(camelot, bpm))
    assert found is not None
    assert (found.relation, found.folded) == (relation, folded)
    assert found.tempo == pytest.approx(tempo, abs=1e-4)
    assert found.score == pytest.approx(score, abs=1e-3)


@pytest.mark.parametrize(
    ("camelot", "bpm"),
    [
        ("10A", 128.0),  # two steps round the wheel
        ("9B", 128.0),  # diagonal: +1 and the other letter
        ("3A", 128.0),  # across the wheel
        ("8A", 136.0),  # +6.25 %
        ("8A", 120.0),  # -6.25 %
        ("8A", 96.0),  # 3:4, no fold reaches it
        ("", 128.0),  # no key known
        ("8A", 0.0),  # no tempo known
        ("nonsense", 128.0),
    ],
)
def test_a_clash_or_a_tempo_out_of_reach_does_not_mix(camelot: str, bpm: float) -> None:
    assert mix_match(PLAYING, Tune(camelot, bpm)) is None


def test_the_wheel_wraps_from_12_to_1() -> None:
    up = mix_match(Tune("12B", 124.0), Tune("1B", 124.0))
    down = mix_match(Tune("1A", 124.0), Tune("12A", 124.0))
    assert up is not None and up.relation == "+1"
    assert down is not None and down.relation == "-1"


def test_tempo_offset_folds_to_the_nearest_of_own_double_and_half() -> None:
    assert tempo_offset(140.0, 70.0) == (0.0, True)
    assert tempo_offset(70.0, 140.0) == (0.0, True)
    off, folded = tempo_offset(128.0, 130.0)
    assert (round(off, 4), folded) == (0.0156, False)


def test_rank_puts_the_best_first_and_drops_what_clashes() -> None:
    candidates = [
        ("neighbour, exact tempo", Tune("9A", 128.0)),
        ("same key, 5 % fast", Tune("8A", 134.4)),
        ("clash", Tune("2B", 128.0)),
        ("same key, exact", Tune("8A", 128.0)),
        ("relative, 0.5 % slow", Tune("8B", 127.36)),
        ("unknown", None),
        ("same key, exact, later", Tune("8A", 128.0)),
    ]
    ranked = rank(PLAYING, candidates, tune_of=lambda c: c[1])
    names = [item[0] for item, _match in ranked]
    assert names == [
        "same key, exact",
        "same key, exact, later",  # a tie keeps the order given
        "relative, 0.5 % slow",  # 0.9 x 0.958 = 0.8625
        "neighbour, exact tempo",  # 0.85
        "same key, 5 % fast",  # 1.0 x 0.583
    ]
    scores = [match.score for _item, match in ranked]
    assert scores == sorted(scores, reverse=True)
    assert ranked[2][1].text == "relative (8B), -0.5 % BPM"


def test_a_row_takes_the_librarys_key_before_the_pools() -> None:
    row = MediaRow.model_validate({"mediaId": 1, "bpm": 126, "musicalKey": "Am"})
    row.pool = "alpha"
    assert row_camelot(row) == "8A"  # the pool's key, as a Camelot code
    assert row_tune(row) == Tune("8A", 126.0)
    annotate([row], {("alpha", 1): Figures("9A", 127.9, -8.4)})
    assert (row.camelot, row.measured_bpm, row.lufs) == ("9A", 127.9, -8.4)
    assert row_camelot(row) == "9A"
    assert row_tune(row) == Tune("9A", 127.9)
    bare = MediaRow.model_validate({"mediaId": 2, "bpm": 126})
    assert row_camelot(bare) == "" and row_tune(bare) is None


def test_library_rows_hold_analysed_downloads_and_analysed_files(tmp_path: Path) -> None:
    store = Store(tmp_path / "crateq.db")
    try:
        download = tmp_path / "Artist - Song.mp3"
        download.write_bytes(b"id3")
        store.add_to_library("alpha", 7, download, 3, "ab" * 32)
        store.record_analysis(
            download, {"camelot": "8A", "bpm": 127.9, "lufs": -9.1, "key": "A minor"},
            pool="alpha", media_id=7,
        )  # fmt: skip
        plain = tmp_path / "Not analysed.mp3"
        plain.write_bytes(b"id3")
        store.add_to_library("alpha", 8, plain, 3, "cd" * 32)
        folder_file = tmp_path / "Other - Tune.mp3"
        folder_file.write_bytes(b"id3")
        store.record_analysis(folder_file, {"camelot": "3B", "bpm": 100.0, "lufs": -11.0})
        broken = tmp_path / "broken.mp3"
        broken.write_bytes(b"")
        store.record_analysis(broken, None, error="cannot decode")
        rows = library_rows(store)
    finally:
        store.close()
    assert [(r.key, r.camelot, r.measured_bpm, r.lufs) for r in rows] == [
        ("alpha:7", "8A", 127.9, -9.1),
        (":-1", "3B", 100.0, -11.0),
    ]
    assert (rows[1].artist, rows[1].title) == ("Other", "Tune")
