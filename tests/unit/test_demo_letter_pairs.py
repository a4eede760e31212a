"""Two-letter words found through the letter-pair index match what a substring test finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crateq.demo.catalog import DEMO_POOLS, generate_catalog
from crateq.demo.filters import letter_pair, parse_search
from crateq.demo.pool_edits import record_from_update
from crateq.demo.store import MediaSettings, PoolStore, letter_pairs

USER = "1001"
_ODD = {"artist": "ÜBER Dj.K", "title": "Ça va ĲSSEL — 9a", "editor": "X'n"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoolStore]:
    folder = tmp_path_factory.mktemp("pairs")
    store = PoolStore(folder / "p.sqlite", DEMO_POOLS[0], MediaSettings())
    store.load(generate_catalog(DEMO_POOLS[0], 1500))
    store.upsert(record_from_update("odd-pairs", _ODD, None))
    edited = str(store.search(parse_search({"size": "1"}), USER)[1][0]["originator_id"])
    existing = store.by_originator(edited)
    store.upsert(record_from_update(edited, {"artist": "Qz Edit"}, existing))
    yield store
    store.close()


def _all(store: PoolStore, params: dict[str, str]) -> set[int]:
    total, rows = store.search(parse_search({**params, "size": "500"}), USER)
    found = {int(r["media_id"]) for r in rows}
    page = 1
    while len(found) < total:
        page += 1
        _, rows = store.search(parse_search({**params, "size": "500", "page": str(page)}), USER)
        found |= {int(r["media_id"]) for r in rows}
    return found


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _expected(store: PoolStore, columns: tuple[str, ...], word: str) -> set[int]:
    """Keywords: a substring of the lower-cased fields; one field: of the field as SQLite's
    lower() makes it (ASCII only), which is how a one-field search has always matched."""
    rows = store._db.execute("SELECT media_id, artist, title, editor FROM media").fetchall()
    wanted = word.lower()

    def lower(text: str) -> str:
        return text.lower() if len(columns) > 1 else text.translate(_ASCII_LOWER)

    return {int(r["media_id"]) for r in rows if any(wanted in lower(r[c]) for c in columns)}


@pytest.mark.parametrize("word", ["dj", "DJ", "mc", "üb", "ĳs", "9a", "qz", "ov", "zz"])
@pytest.mark.parametrize(
    "name, columns",
    [("keywords", ("artist", "title", "editor")), ("artist", ("artist",)),
     ("title", ("title",)), ("editor", ("editor",))],
)  # fmt: skip
def test_pair_index_finds_what_a_substring_test_finds(
    store: PoolStore, word: str, name: str, columns: tuple[str, ...]
) -> None:
    assert letter_pair(word) == word.lower()
    assert _all(store, {name: word}) == _expected(store, columns, word)


def test_words_the_index_cannot_hold_still_match() -> None:
    assert letter_pair("j.") is None and letter_pair("x") is None and letter_pair("abc") is None
    assert set(letter_pairs("X'n").split()) == {"x'", "'n"}  # the tokenizer drops "'"


def test_an_edit_and_a_delete_update_the_pairs(store: PoolStore) -> None:
    before = _all(store, {"artist": "qz"})
    assert len(before) == 1
    (media_id,) = before
    originator = str(store.get(media_id)["originator_id"])  # type: ignore[index]
    existing = store.by_originator(originator)
    store.upsert(record_from_update(originator, {"artist": "Plain Name"}, existing))
    assert _all(store, {"artist": "qz"}) == set()
    assert media_id in _all(store, {"artist": "pl"})
    store.delete(originator)
    assert media_id not in _all(store, {"keywords": "pl"})
