"""The DJ's collections in the store: favorites, the bin, crates and wishes survive a restart
(a real SQLite file under a temporary $CRATEQ_HOME, closed and opened again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crateq.api.pool_models import MediaRow
from crateq.core.collections import Collections
from crateq.core.crates import Crates
from crateq.core.errors import CollectionError
from crateq.core.history import History
from crateq.core.store import Store
from crateq.core.tracks import Track
from crateq.core.wishlist import SEEN, WishList


def _row(media_id: int, artist: str = "Zed", title: str = "Song", pool: str = "a") -> MediaRow:
    row = MediaRow(mediaId=media_id, artist=artist, title=title, tool="Extended", auth="secret")
    row.pool = pool
    return row


def test_everything_survives_a_restart(crateq_home: Path, tmp_path: Path) -> None:
    local = tmp_path / "Local Artist - Local Title.mp3"
    local.write_bytes(b"ID3")
    store = Store()
    collections, crates, wishes = Collections(store), Crates(store), WishList(store)
    collections.favorite([Track.of_row(_row(1, "Alpha")), Track.of_file(local)])
    collections.bin([Track.of_row(_row(2))])
    crates.new("Weddings/First dance")
    crates.add("Weddings/First dance", [Track.of_row(_row(3)), Track.of_row(_row(4))])
    crates.add("Weddings/First dance", [Track.of_file(local)], index=0)
    wish = wishes.add("Alpha - Song", action="queue")
    store.close()

    reopened = Store()
    assert reopened.path.is_relative_to(crateq_home)
    collections, crates, wishes = Collections(reopened), Crates(reopened), WishList(reopened)
    favorites = collections.favorites()
    assert [t.key for t in favorites] == ["a:1", f"file:{local.resolve()}"]
    assert favorites[0].artist == "Alpha" and favorites[0].mix == "Extended"
    assert "auth" not in favorites[0].fields  # never the per-user download token
    assert favorites[1].title == "Local Title" and favorites[1].path == str(local.resolve())
    assert [t.key for t in collections.binned()] == ["a:2"]
    (top,) = crates.tree()
    assert (top.path, [c.path for c in top.children]) == ("Weddings", ["Weddings/First dance"])
    assert top.children[0].count == 3
    keys = [t.key for t in crates.tracks("weddings/first DANCE")]  # names are case-blind
    assert keys == [f"file:{local.resolve()}", "a:3", "a:4"]
    (again,) = wishes.wishes()
    assert (again.id, again.artist, again.title) == (wish.id, "Alpha", "Song")
    assert again.action == "queue"
    reopened.close()


def test_the_bin_hides_rows_until_restored(crateq_home: Path) -> None:
    store = Store()
    collections = Collections(store)
    rows = [_row(1), _row(2), _row(3, pool="b")]
    collections.bin([Track.of_row(rows[1])])
    assert [r.key for r in collections.visible(rows)] == ["a:1", "b:3"]
    keep = collections.bin_filter()
    assert [keep(r) for r in rows] == [True, False, True]
    assert collections.restore(["a:2"]) == ["a:2"]
    assert collections.visible(rows) == rows
    assert keep(rows[1])  # the filter follows the bin
    collections.bin([Track.of_row(rows[0])])
    assert not keep(rows[0])
    store.close()


def test_a_pool_track_and_the_file_it_became_are_one_track(
    crateq_home: Path, tmp_path: Path
) -> None:
    file = tmp_path / "downloaded.mp3"
    file.write_bytes(b"ID3")
    store = Store()
    tags = {"artist": "Tagged", "title": "It", "bpm": "120"}
    store.add_to_library("a", 7, file, 3, "0" * 64, tags)
    collections = Collections(store)
    as_file = collections.track_for_file(file)
    assert (as_file.key, as_file.artist, as_file.fields["bpm"]) == ("a:7", "Tagged", 120)
    collections.favorite([Track.of_row(_row(7))])
    assert collections.favorite([as_file]) == []  # the same track, already a favorite
    (favorite,) = collections.favorites()
    assert favorite.path == str(file)  # the library's file is joined in
    store.close()


def test_crates_keep_the_djs_order_and_refuse_unknown_or_taken_names(crateq_home: Path) -> None:
    store = Store()
    crates = Crates(store)
    crates.new("Set")
    with pytest.raises(CollectionError):
        crates.new("set")
    with pytest.raises(CollectionError):
        crates.add("Nope", [Track.of_row(_row(1))])
    tracks = [Track.of_row(_row(i)) for i in range(1, 5)]
    assert crates.add("Set", tracks) == tracks
    assert crates.add("Set", tracks[:1]) == []  # at most once per crate
    crates.move("Set", ["a:4"], 0)
    crates.remove("Set", ["a:2"])
    assert [t.key for t in crates.tracks("Set")] == ["a:4", "a:1", "a:3"]
    crates.rename("Set", "Peak")
    crates.delete("Peak")
    assert crates.tree() == []
    store.close()


def test_a_wish_from_a_row_does_not_match_that_row(crateq_home: Path) -> None:
    store = Store()
    wishes = WishList(store)
    wish = wishes.add(row=_row(9, "Artist", "Title"))
    assert (wish.artist, wish.title) == ("Artist", "Title")
    assert [(m.track.key, m.outcome) for m in wish.matches] == [("a:9", SEEN)]
    assert wish.as_json()["matches"] == []
    with pytest.raises(CollectionError):
        wishes.add("")
    assert wishes.remove(wish.id) and not wishes.remove(wish.id)
    store.close()


def test_history_reads_what_the_engine_recorded(crateq_home: Path, tmp_path: Path) -> None:
    file = tmp_path / "x.mp3"
    file.write_bytes(b"ID3")
    store = Store()
    row = _row(5, "Hist", "Ory")
    store.add_job("a", 5, row.model_dump_json(by_alias=True), str(tmp_path))
    store.add_to_library("a", 5, file, 3, "1" * 64, {"artist": "Hist"})
    store.add_history("a", 5, "downloaded", str(file))
    store.add_history("a", 6, "failed", "no")
    history = History(store)
    (entry,) = history.downloads()
    assert (entry.track.key, entry.track.title, entry.path, entry.present) == (
        "a:5", "Ory", str(file), True,
    )  # fmt: skip
    assert "auth" not in entry.as_json()
    assert history.downloads(since=entry.at + 1) == []
    assert history.downloaded_before([_row(5), _row(6), _row(8)]) == {"a:5"}
    store.close()
