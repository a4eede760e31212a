"""MediaQuery: the wire form of a search, and number filters checked before any request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crateq.api.errors import FilterError
from crateq.api.pool_models import MediaQuery, MediaRow, parse_number_filter


def test_every_filter_has_its_wire_name() -> None:
    query = MediaQuery(
        keywords="daft",
        artist="Daft Punk",
        title="One More Time",
        editor="DJ X",
        genre_ids=[7, 3, 4],
        category_ids=[2],
        quality_ids=[1, 2],
        bpm="120",
        release_year="2000-2010",
        mix="Extended, Intro",  # type: ignore[arg-type]
        advisory="dirty",  # type: ignore[arg-type]
        group_id=55,
        playlist_id=9,
        days=30,
        originator="urban",
        search_type="full",
        chart=True,
        page=2,
        size=500,
        sort="releaseYear",
        dir="ASC",  # type: ignore[arg-type]
    )
    assert query.to_params() == {
        "keywords": "daft", "artist": "Daft Punk", "title": "One More Time", "editor": "DJ X",
        "genreId": "7,3,4", "categoryId": "2", "qualityId": "1,2", "bpm": "120",
        "releaseYear": "2000-2010", "mix": "Extended,Intro", "advisory": "Dirty",
        "groupId": "55", "playlistId": "9", "days": "30", "originator": "urban",
        "searchType": "full", "chart": "top", "page": "2", "size": "500",
        "sort": "releaseYear", "dir": "asc",
    }  # fmt: skip


def test_defaults_send_only_paging_and_blank_text_is_unset() -> None:
    assert MediaQuery(keywords="  ", artist="").to_params() == {"page": "1", "size": "100"}


@pytest.mark.parametrize(
    "fields",
    [{"size": 501}, {"size": 0}, {"page": 0}, {"advisory": "Explicit"}, {"media": "vinyl"},
     {"dir": "up"}, {"days": 0}, {"unknown": 1}],
)  # fmt: skip
def test_out_of_range_values_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MediaQuery(**fields)  # type: ignore[arg-type]


def test_media_filter_accepts_rows_client_side() -> None:
    audio = MediaRow(audio=True)
    video = MediaRow(video=True)
    assert MediaQuery(media="audio").accepts(audio) and not MediaQuery(media="audio").accepts(video)
    assert MediaQuery(media="video").accepts(video) and not MediaQuery(media="video").accepts(audio)
    assert MediaQuery().accepts(audio) and MediaQuery().accepts(video)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("120", "120"), (" 80 , 100,120 ", "80,100,120"), ("80 - 90", "80-90"), ("90-90", "90-90")],
)
def test_the_three_number_forms(text: str, expected: str) -> None:
    assert parse_number_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [("80-", "needs two numbers"), ("abc", "not a whole number"), ("90-80", "reversed"),
     ("", "empty"), ("80,,90", "not a whole number"), ("1-2-3", "needs two numbers")],
)  # fmt: skip
def test_malformed_number_filters_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(FilterError, match=words) as err:
        parse_number_filter(text, "BPM")
    assert str(err.value).startswith("BPM")


@given(st.text(max_size=12))
def test_any_text_either_normalises_or_raises_filter_error(text: str) -> None:
    try:
        result = parse_number_filter(text)
    except FilterError:
        return
    assert parse_number_filter(result) == result  # canonical form is stable
    assert set(result) <= set("0123456789,-")


@given(st.integers(0, 300), st.integers(0, 300))
def test_ranges_are_accepted_only_in_order(low: int, high: int) -> None:
    if low <= high:
        assert parse_number_filter(f"{low}-{high}") == f"{low}-{high}"
    else:
        with pytest.raises(FilterError):
            parse_number_filter(f"{low}-{high}")
