"""The demo pool search at 100k rows: right answers, and index/FTS plans (no wall clock)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crateq.demo.catalog import DEMO_POOLS, CatalogRow, generate_catalog
from crateq.demo.filters import parse_search
from crateq.demo.store import MediaSettings, PoolStore

ROWS = 100_000


@pytest.fixture(scope="module")
def big_pool(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[PoolStore, list[CatalogRow]]]:
    rows = generate_catalog(DEMO_POOLS[1], ROWS)
    store = PoolStore(
        tmp_path_factory.mktemp("scale") / "pool.sqlite", DEMO_POOLS[1], MediaSettings()
    )
    store.load(rows)
    yield store, rows
    store.close()


def _haystack(row: CatalogRow) -> str:
    return f"{row.artist} {row.title} {row.editor}".lower()


def test_counts_match_a_plain_scan_of_the_catalog(
    big_pool: tuple[PoolStore, list[CatalogRow]],
) -> None:
    store, rows = big_pool
    cases = [
        ({"keywords": "love"}, lambda r: "love" in _haystack(r)),
        ({"keywords": "night shift"},
         lambda r: "night" in _haystack(r) and "shift" in _haystack(r)),
        ({"bpm": "120-124", "mix": "Extended"},
         lambda r: 120 <= r.bpm <= 124 and r.tool == "Extended"),
        ({"artist": "the", "releaseYear": "2020,2021"},
         lambda r: "the" in r.artist.lower() and r.release_year in (2020, 2021)),
        ({"keywords": "dj love"}, lambda r: "dj" in _haystack(r) and "love" in _haystack(r)),
        ({"keywords": "night", "bpm": "90-130"},
         lambda r: "night" in _haystack(r) and 90 <= r.bpm <= 130),
    ]  # fmt: skip
    for params, predicate in cases:
        total, page = store.search(parse_search({**params, "size": "20"}), "1001")
        assert total == sum(1 for r in rows if predicate(r)), params
        assert len(page) == min(20, total)
    assert store.search(parse_search({}), "1001")[0] == ROWS


@pytest.mark.parametrize(
    "params",
    [{}, {"keywords": "love"}, {"artist": "xavier", "genreId": "6,7"}, {"bpm": "120-124"},
     {"chart": "top"}, {"groupId": "55"}, {"mix": "Intro"}, {"sort": "bpm"}],
)  # fmt: skip
def test_searches_use_an_index_or_the_full_text_index(
    big_pool: tuple[PoolStore, list[CatalogRow]], params: dict[str, str]
) -> None:
    plan = big_pool[0].explain(parse_search(params))
    table_scans = [step for step in plan if step.startswith("SCAN m") and "INDEX" not in step]
    assert not table_scans, plan
    if any(key in params for key in ("keywords", "artist")):
        assert any("media_fts VIRTUAL TABLE" in step for step in plan), plan


@pytest.mark.parametrize("params", [{"keywords": "zz"}, {"genreId": "999"}, {"groupId": "55"}])
def test_few_matches_are_sorted_not_found_by_walking_the_date_index(
    big_pool: tuple[PoolStore, list[CatalogRow]], params: dict[str, str]
) -> None:
    """Walking the date index for sparse matches reads the whole catalog before a page."""
    store = big_pool[0]
    plan = store.explain(parse_search(params))
    assert not any("idx_media_date" in step for step in plan), plan
    broad = store.explain(parse_search({}))  # every row matches: walking the index is cheap
    assert any("idx_media_date" in step for step in broad), broad
    total, page = store.search(parse_search({**params, "page": "3"}), "1001")
    assert page == [] or total > 200


def test_last_page_is_reachable(big_pool: tuple[PoolStore, list[CatalogRow]]) -> None:
    total, page = big_pool[0].search(parse_search({"page": "200", "size": "500"}), "1001")
    assert total == ROWS and len(page) == 500


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=12))
@example(text="00\x00")
def test_any_keyword_text_searches_without_error(
    big_pool: tuple[PoolStore, list[CatalogRow]], text: str
) -> None:
    store, _ = big_pool
    query = parse_search({"keywords": text, "artist": text, "size": "5"})
    total, rows = store.search(query, "1001")
    assert total >= len(rows)


@pytest.mark.parametrize("sort", ["date", "artist", "bpm", "title"])
def test_many_keyword_matches_walk_an_indexed_order_and_page_like_a_sort(
    big_pool: tuple[PoolStore, list[CatalogRow]], sort: str
) -> None:
    """Broad words walk the order's index (not sort 20k matches); pages stay in order."""
    store, rows = big_pool
    params = {"keywords": "night", "sort": sort, "dir": "asc", "size": "50", "page": "3"}
    plan = store.explain(parse_search(params))
    if sort != "title":  # no index on title: the matches are sorted
        assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), plan
    total, page = store.search(parse_search(params), "1001")
    matching = [r for r in rows if "night" in _haystack(r)]
    assert total == len(matching)
    key = {"date": "date", "artist": "artist", "bpm": "bpm", "title": "title"}[sort]
    values = [row[key].lower() if isinstance(row[key], str) else row[key] for row in page]
    assert len(page) == 50 and values == sorted(values)
    by_id = {r.media_id for r in matching}
    assert all(row["media_id"] in by_id for row in page)


def test_a_page_of_many_filtered_matches_is_the_sorted_matches_slice(
    big_pool: tuple[PoolStore, list[CatalogRow]],
) -> None:
    """Walking the date index past other filters gives exactly the sorted matches' page."""
    store, rows = big_pool
    params = {"keywords": "night", "bpm": "90-130", "page": "2", "size": "40"}
    plan = store.explain(parse_search(params))
    assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), plan
    total, page = store.search(parse_search(params), "1001")
    matches = [r for r in rows if "night" in _haystack(r) and 90 <= r.bpm <= 130]
    newest_first = sorted(matches, key=lambda r: (r.age_days, -r.media_id))
    assert total == len(matches) > 3000  # many: the date index is walked, not sorted
    assert [row["media_id"] for row in page] == [r.media_id for r in newest_first[40:80]]
