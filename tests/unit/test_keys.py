"""Camelot and Open Key codes for all 24 keys, harmonic compatibility and "mixes with"."""

from __future__ import annotations

import pytest

from crateq.core.keys import (
    Key,
    all_keys,
    camelot_order,
    compatible,
    compatible_codes,
    mixes_with,
    parse_key,
    parse_key_filter,
)

# (name, Camelot, Open Key), from the published Camelot and Open Key wheels.
WHEEL = [
    ("Ab minor", "1A", "6m"), ("B major", "1B", "6d"),
    ("Eb minor", "2A", "7m"), ("F# major", "2B", "7d"),
    ("Bb minor", "3A", "8m"), ("C# major", "3B", "8d"),
    ("F minor", "4A", "9m"), ("Ab major", "4B", "9d"),
    ("C minor", "5A", "10m"), ("Eb major", "5B", "10d"),
    ("G minor", "6A", "11m"), ("Bb major", "6B", "11d"),
    ("D minor", "7A", "12m"), ("F major", "7B", "12d"),
    ("A minor", "8A", "1m"), ("C major", "8B", "1d"),
    ("E minor", "9A", "2m"), ("G major", "9B", "2d"),
    ("B minor", "10A", "3m"), ("D major", "10B", "3d"),
    ("F# minor", "11A", "4m"), ("A major", "11B", "4d"),
    ("C# minor", "12A", "5m"), ("E major", "12B", "5d"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "camelot", "open_key"), WHEEL)
def test_every_key_has_its_camelot_and_open_key_code(name: str, camelot: str, open_key: str):
    key = parse_key(name)
    assert key is not None
    assert (key.name, key.camelot, key.open_key) == (name, camelot, open_key)
    assert parse_key(camelot) == key and parse_key(open_key) == key


def test_the_24_keys_are_listed_in_camelot_order() -> None:
    assert [k.camelot for k in all_keys()] == [c for _, c, _ in WHEEL]
    assert len(set(all_keys())) == 24


@pytest.mark.parametrize(
    ("text", "name"),
    [("Am", "A minor"), ("F#m", "F# minor"), ("G#m", "Ab minor"), ("Db", "C# major"),
     ("bb major", "Bb major"), ("c minor", "C minor"), ("8a", "A minor"),
     ("12B", "E major"), ("5m", "C# minor")],
)  # fmt: skip
def test_common_spellings_parse(text: str, name: str) -> None:
    key = parse_key(text)
    assert key is not None and key.name == name


@pytest.mark.parametrize("text", ["", "H minor", "13A", "0B", "8C", "minor"])
def test_what_is_no_key_parses_to_none(text: str) -> None:
    assert parse_key(text) is None


def test_id3_spelling() -> None:
    assert parse_key("A minor").id3 == "Am"  # type: ignore[union-attr]
    assert parse_key("Bb major").id3 == "Bb"  # type: ignore[union-attr]


def test_compatible_keys_are_the_same_one_step_and_the_relative() -> None:
    assert compatible_codes("8A") == ["7A", "8A", "8B", "9A"]
    assert compatible_codes("12B") == ["1B", "11B", "12A", "12B"]  # the wheel wraps
    assert compatible("8A", "A minor") and compatible("1A", "12A") and compatible("8A", "C")
    assert not compatible("8A", "9B") and not compatible("8A", "10A") and not compatible("8A", "x")


def test_camelot_order_sorts_by_number_then_letter_and_unknown_last() -> None:
    codes = ["10A", "8B", "", "8A", "1B", "Am"]
    assert sorted(codes, key=camelot_order) == ["1B", "8A", "Am", "8B", "10A", ""]


def test_mixes_with_keeps_compatible_keys_within_six_percent_best_first() -> None:
    tracks = [
        ("same key, far tempo", "8A", 137.0),  # +7 %: out
        ("neighbour, exact tempo", "9A", 128.0),
        ("same key, close tempo", "8A", 130.0),
        ("relative, near", "8B", 126.0),
        ("clash", "3A", 128.0),
        ("same key, at the edge", "8A", 128.0 * 0.94),
        ("no key", None, 128.0),
        ("same key, exact", "Am", 128.0),
    ]
    best = mixes_with("8A", 128.0, tracks, key_of=lambda t: t[1], bpm_of=lambda t: t[2])
    assert [t[0] for t in best] == [
        "same key, exact",
        "same key, close tempo",
        "same key, at the edge",
        "neighbour, exact tempo",
        "relative, near",
    ]
    assert mixes_with("nonsense", 128.0, tracks, key_of=lambda t: t[1], bpm_of=lambda t: t[2]) == []


def test_key_filter_takes_codes_and_names() -> None:
    assert parse_key_filter("8A, 9A,Am,1d") == {"8A", "9A", "8B"}
    with pytest.raises(ValueError, match="'X9'"):
        parse_key_filter("8A,X9")
    assert Key(9, True).camelot == "8A"
