"""Pool rows parse whatever real servers send: strings for numbers, nulls, missing fields."""

from hypothesis import given
from hypothesis import strategies as st

from crateq.api.pool_models import (
    LoginResult,
    MediaPage,
    MediaRow,
    _to_bool,
    _to_int,
    _to_str,
    parse_length,
    parse_size,
)


def test_row_tolerates_strings_nulls_and_extra_fields() -> None:
    row = MediaRow.model_validate(
        {
            "mediaId": "12",
            "bpm": "120.0",
            "releaseYear": None,
            "length": "3:05",
            "size": "75.26 MB",
            "downloaded": "true",
            "video": None,
            "somethingNew": {"x": 1},
        }
    )
    assert (row.media_id, row.bpm, row.release_year) == (12, 120, 0)
    assert row.downloaded is True and row.video is False
    assert row.length_seconds == 185
    assert row.size_bytes == 75_260_000


def test_page_drops_rows_that_are_not_objects() -> None:
    page = MediaPage.model_validate({"records": "2", "data": [{"mediaId": 1}, "junk", None]})
    assert page.records == 2
    assert [r.media_id for r in page.data] == [1]


def test_lengths_and_sizes() -> None:
    assert parse_length("05:00") == 300
    assert parse_length("1:02:03") == 3723
    assert parse_length("abc") is None
    assert parse_size("1.5 GB") == 1_500_000_000
    assert parse_size("") is None


def test_expired_account_cannot_download_unless_overridden() -> None:
    assert not LoginResult.model_validate({"status": "expired"}).can_download
    assert LoginResult.model_validate({"status": "expired", "crateq": True}).can_download
    assert LoginResult.model_validate({"status": "active"}).can_download


@given(
    st.dictionaries(
        st.sampled_from(["mediaId", "bpm", "artist", "size", "length"]),
        st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.booleans()),
    )
)
def test_any_row_shape_parses(raw: dict[str, object]) -> None:
    MediaRow.model_validate(raw)


_ODD = st.one_of(
    st.none(), st.text(max_size=8), st.integers(), st.floats(), st.booleans(),
    st.sampled_from(["  12 ", "7.9", "yes", "on", " Clean ", "", "1e3", "-0"]),
)  # fmt: skip


@given(media_id=_ODD, artist=_ODD, video=_ODD)
def test_the_strict_first_fast_path_gives_what_the_lenient_conversion_gives(
    media_id: object, artist: object, video: object
) -> None:
    """Well-formed values skip the Python converters; every value still ends up the same."""
    raw = {"mediaId": media_id, "artist": artist, "video": video}
    row = MediaRow.model_validate(raw)
    assert (row.media_id, row.artist, row.video) == (
        _to_int(media_id),
        _to_str(artist),
        _to_bool(video),
    )
    assert type(row.media_id) is int and type(row.video) is bool
