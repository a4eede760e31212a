"""A saved search matched against what the library knows of a file (its tags)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crateq.core.errors import ExportError
from crateq.core.saved_search import load_saved, matches, unjudged

TAGS = {"artist": "Burna Boy", "title": "Last Last", "grouping": "Intro Clean",
        "genre": "Afrobeats", "bpm": "98", "year": "2022"}  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "found"),
    [
        ({}, True),
        ({"keywords": "burna last"}, True),
        ({"keywords": "burna tems"}, False),
        ({"artist": "BURNA"}, True),
        ({"title": "free"}, False),
        ({"bpm": "98"}, True),
        ({"bpm": "90-100"}, True),
        ({"bpm": "100-110"}, False),
        ({"bpm": "80,98"}, True),
        ({"release_year": "2020-2024"}, True),
        ({"release_year": "2019"}, False),
        ({"mix": ["Extended", "Intro"]}, True),
        ({"mix": ["Outro"]}, False),
        ({"bpm": "junk"}, False),
    ],
)
def test_the_spec_filters_by_what_the_tags_say(spec: dict[str, object], found: bool) -> None:
    assert matches(TAGS, spec) is found


def test_a_key_filter_keeps_files_analysed_in_one_of_its_keys() -> None:
    assert matches({**TAGS, "camelot": "8A"}, {"keys": ["8A", "9A"]})
    assert not matches({**TAGS, "camelot": "3B"}, {"keys": ["8A", "9A"]})
    assert not matches(TAGS, {"keys": ["8A"]})  # not analysed: no key to judge
    assert matches(TAGS, {"keys": []})


def test_a_file_without_a_bpm_does_not_match_a_bpm_range() -> None:
    assert not matches({**TAGS, "bpm": ""}, {"bpm": "90-100"})


def test_filters_the_library_cannot_judge_are_named() -> None:
    assert unjudged({"genre_ids": [3], "keywords": "x", "media": "", "advisory": "Clean"}) == [
        "genre_ids", "advisory",
    ]  # fmt: skip


def test_a_saved_search_is_found_without_case_and_a_missing_one_says_what_exists(
    tmp_path: Path,
) -> None:
    path = tmp_path / "saved.json"
    path.write_text(json.dumps({"Peak Hour": {"spec": {"bpm": "124-128"}}}), encoding="utf-8")
    assert load_saved("peak hour", path) == ("Peak Hour", {"bpm": "124-128"})
    with pytest.raises(ExportError, match="saved: Peak Hour"):
        load_saved("Warm up", path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ExportError, match="none saved yet"):
        load_saved("Peak Hour", path)
