"""The auto-complete index: prefix matches ranked, a real file, hostile input, did-you-mean."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from crateq.core.suggest import HALF_LIFE, Suggestions, match_expression

NOW = 1_800_000_000.0


@dataclass(frozen=True)
class Row:
    artist: str
    title: str


@pytest.fixture
def index(tmp_path: Path) -> Suggestions:
    return Suggestions(tmp_path / "suggest.sqlite")


def _texts(index: Suggestions, prefix: str) -> list[str]:
    index.flush()
    return [s.text for s in index.suggest(prefix, now=NOW)]


def test_prefix_matches_are_ranked_by_how_often_and_how_recently_seen(
    index: Suggestions,
) -> None:
    index.remember([Row("Burna Boy", "Last Last")], now=NOW)
    index.remember([Row("Burna Boy", "Ye"), Row("Burial", "Archangel")], now=NOW)
    index.remember([Row("Bury Tomorrow", "Old Song")], now=NOW - 5 * HALF_LIFE)
    index.remember([Row("Bury Tomorrow", "Old Song")], now=NOW - 5 * HALF_LIFE)
    assert _texts(index, "bur") == ["Burna Boy", "Burial", "Bury Tomorrow"]
    assert _texts(index, "b") == ["Burna Boy", "Burial", "Bury Tomorrow"]
    best = index.suggest("burna", now=NOW)[0]
    assert (best.text, best.kind, best.weight) == ("Burna Boy", "artist", 2.0)
    assert _texts(index, "la") == ["Last Last"]
    assert _texts(index, "burna b") == ["Burna Boy"]
    assert _texts(index, "arch") == ["Archangel"]  # any word of the text, not only the first
    assert index.suggest("bur", limit=1, now=NOW)[0].text == "Burna Boy"


def test_titles_are_shown_without_version_tags_and_deduplicated(index: Suggestions) -> None:
    index.remember(
        [Row("Tems", "Crown Let It Go [Outro] - Clean"), Row("TEMS", "Crown Let It Go (Intro)")],
        now=NOW,
    )
    index.flush()
    found = index.suggest("crown", now=NOW)
    assert [(s.text, s.kind, s.weight) for s in found] == [("Crown Let It Go", "title", 1.0)]
    assert [s.text for s in index.suggest("tem", now=NOW)] == ["Tems"]


def test_library_tracks_rank_first_and_are_not_counted_again(index: Suggestions) -> None:
    index.remember([Row("Davido", "Fall")] * 3, now=NOW)
    index.remember([Row("Davido", "Fall")], now=NOW)  # seen twice in all
    index.know([{"artist": "Dave", "title": "Starlight"}], now=NOW)
    index.know([{"artist": "Dave", "title": "Starlight"}], now=NOW)
    assert _texts(index, "dav") == ["Dave", "Davido"]
    assert index.suggest("dave", now=NOW)[0].weight == 5.0


def test_the_index_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "suggest.sqlite"
    first = Suggestions(path)
    first.remember([Row("Burna Boy", "Ye")], now=NOW)
    first.close()
    again = Suggestions(path)
    assert _texts(again, "bu") == ["Burna Boy"]
    again.remember([Row("Burna Boy", "Ye")], now=NOW)
    again.flush()
    assert again.suggest("burna", now=NOW)[0].weight == 2.0
    assert len(again) == 2


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        '"bur',
        "bur*",
        "*",
        "NEAR(bur",
        "NEAR(a b, 2)",
        "-bur",
        "bur -boy",
        "artist:bur",
        "bur OR",
        "AND",
        "(bur)",
        "^bur",
        "bur'",
        "{bur}",
        "\x00bur",
        "ブル",
        "bür",
        "🔥🔥",
        "   ",
        "",
        "b" * 5000,
    ],
)
def test_hostile_input_never_raises(index: Suggestions, typed: str) -> None:
    index.remember([Row("Burna Boy", "Ye"), Row("Bürger", "ブルース")], now=NOW)
    index.flush()
    found = index.suggest(typed, now=NOW)
    assert isinstance(found, list)
    assert index.did_you_mean(typed) is None or isinstance(index.did_you_mean(typed), str)


def test_hostile_input_still_finds_the_words_it_holds(index: Suggestions) -> None:
    index.remember([Row("Burna Boy", "Ye"), Row("Bürger", "ブルース")], now=NOW)
    assert sorted(_texts(index, '"bur*')) == ["Burna Boy", "Bürger"]
    assert _texts(index, '(burna) "boy') == ["Burna Boy"]
    assert _texts(index, "NEAR(burna") == []  # "near" is a word it was asked for, too
    assert _texts(index, "ブル") == ["ブルース"]
    assert _texts(index, "burg") == ["Bürger"]  # accents folded
    assert match_expression('a" OR b*') == '"a"* "OR"* "b"*'


def test_did_you_mean_finds_the_closest_known_name(index: Suggestions) -> None:
    index.remember([Row("Beyoncé", "Halo"), Row("Beyonce", "Crazy In Love")], now=NOW)
    index.remember([Row("Burna Boy", "Last Last"), Row("Bey", "Beyond")], now=NOW)
    index.flush()
    assert index.did_you_mean("beyonse") in ("Beyonce", "Beyoncé")
    assert index.did_you_mean("burna boi") == "Burna Boy"
    assert index.did_you_mean("last lsat") == "Last Last"
    assert index.did_you_mean("Burna Boy") is None  # that is what was searched
    assert index.did_you_mean("zzzzqqq") is None
    assert index.did_you_mean("") is None


def test_remember_only_queues_and_a_broken_row_does_not_stop_the_writer(
    index: Suggestions,
) -> None:
    class Broken:
        @property
        def artist(self) -> str:
            return "Wizkid"

        @property
        def title(self) -> str:
            return None  # type: ignore[return-value]  # a malformed row from outside

    index.remember([Broken()])
    index.remember([Row("Tems", "Free Mind")], now=NOW)
    assert _texts(index, "tem") == ["Tems"]


def test_did_you_mean_sees_what_was_remembered_after_it_was_asked(index: Suggestions) -> None:
    assert index.did_you_mean("wizkyd") is None
    index.remember([Row("Wizkid", "Essence")], now=NOW)
    index.flush()
    assert index.did_you_mean("wizkyd") == "Wizkid"
