"""The BPM verification rule (crateq.core.analysis_bpm), case by case."""

from __future__ import annotations

import pytest

from crateq.core.analysis_bpm import bpm_to_write, check_bpm, fold, genre_range

RULE = [
    # pool, measured, genre -> verdict, verified value
    (128, 128.0, "House", "agree", 128.0),
    (128, 126.1, "House", "agree", 126.1),  # within 2 BPM
    (128, 129.9, "Tech House", "agree", 129.9),
    (70, 140.0, "Hip-Hop", "half/double time", 70.0),  # hip-hop 70 on a 140 keeps 70
    (140, 70.2, "Hip Hop", "half/double time", 70.2),  # the pool doubled it: fold to range
    (128, 64.0, "House", "half/double time", 128.0),  # the tracker halved it
    (87, 174.0, "Drum & Bass", "half/double time", 174.0),
    (174, 87.0, "DnB", "half/double time", 174.0),
    (85, 172.5, "Trap", "half/double time", 86.2),  # ratio 2.03: within 3 %, default 70-140
    (128, 96.0, "House", "differs", 96.0),
    (70, 150.0, "Hip-Hop", "differs", 75.0),  # 2.14:1 is no half time; folded into range
    (0, 64.0, "House", "measured", 128.0),  # no pool BPM: the measured, folded
    (0, 100.0, "", "measured", 100.0),
]


@pytest.mark.parametrize(("pool", "measured", "genre", "verdict", "value"), RULE)
def test_the_rule(pool: float, measured: float, genre: str, verdict: str, value: float) -> None:
    check = check_bpm(pool, measured, genre)
    assert (check.verdict, check.value) == (verdict, value)


def test_the_row_says_what_differs() -> None:
    assert check_bpm(128, 96.0, "House").note == "BPM differs (pool 128, measured 96.0)"
    assert check_bpm(128, 127.0).note == ""
    assert "Half/double time (pool 70, measured 140.0)" in check_bpm(70, 140.0, "R&B").note


def test_genre_ranges() -> None:
    assert genre_range("Hip-Hop") == genre_range("R&B") == (60, 115)
    assert genre_range("Deep House") == (115, 130)
    assert genre_range("Techno") == (125, 150)
    assert genre_range("Drum & Bass") == (160, 180)
    assert genre_range("Latin") == genre_range("") == (70, 140)
    assert fold(200.0, "") == 100.0 and fold(70.0, "Techno") == 140.0 == fold(140.0, "Techno")


def test_the_setting_picks_what_goes_into_tbpm() -> None:
    check = check_bpm(70, 140.0, "Hip-Hop")
    assert bpm_to_write("pool", 70, 140.0, check) == 70
    assert bpm_to_write("measured", 70, 140.0, check) == 140
    assert bpm_to_write("verified", 70, 140.0, check) == 70
    assert bpm_to_write("pool", 0, 140.0, check) == 0
