"""The source tree beside the grid: every source fills the one grid; F, Del, Ctrl+Z, drops.

Real demo pools and the real app objects (``tests/ui/conftest.py``); the store is the test's
own ``$CRATEQ_HOME``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from crateq.api.pool_models import MediaRow
from crateq.core import pool_lists
from crateq.core.tracks import Track
from crateq.ui.collections.collections_feature import CollectionsFeature
from crateq.ui.collections.sources import (
    CHARTS,
    CRATE,
    FAVORITES,
    HISTORY,
    PLAYLIST,
    SOURCE_ROLE,
    WISH,
    Source,
)
from crateq.ui.search.results_model import song_key
from crateq.ui.shell.app import GuiApp

WAIT_MS = 30_000
POOL = "urban-beats"


def feature(gui: GuiApp) -> CollectionsFeature:
    assert gui.collections is not None
    return gui.collections


def settled(gui: GuiApp) -> bool:
    return (
        not gui.controller.tasks.running("search")
        and gui.window.finished_run == gui.controller.current_run
    )


def show(gui: GuiApp, qtbot: QtBot, source: Source) -> list[str]:
    """Choose ``source`` and wait for its rows; the grid's keys in display order."""
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)  # the start-up search
    run = feature(gui).choose(source)
    # (an edit's reload of the same source may start a newer run: its rows count too)
    qtbot.waitUntil(lambda: gui.window.finished_run >= run and settled(gui), timeout=WAIT_MS)
    return [row.key for row in gui.window.model.all_rows()]


def search(gui: GuiApp, qtbot: QtBot, text: str) -> list[str]:
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    gui.window.search_bar.field.setText(text)
    run = gui.window.run_search()
    qtbot.waitUntil(lambda: gui.window.finished_run == run and settled(gui), timeout=WAIT_MS)
    return [row.key for row in gui.window.model.all_rows()]


def heads(gui: GuiApp) -> list[str]:
    """The first version of every song: the rows the grid shows folded."""
    return [song[0].key for song in gui.window.model.songs()]


def select(gui: GuiApp, keys: list[str]) -> None:
    view, model = gui.window.results, gui.window.model
    chosen = view.selectionModel()
    chosen.clearSelection()
    flags = QItemSelectionModel.SelectionFlag
    chosen.setCurrentIndex(model.index_of_key(keys[0]), flags.NoUpdate)
    for key in keys:
        index = model.index_of_key(key)
        assert index.isValid(), key
        chosen.select(index, flags.Select | flags.Rows)
    assert sorted(r.key for r in view.selected_rows()) == sorted(keys)


def download_one(gui: GuiApp, qtbot: QtBot) -> MediaRow:
    """A real download, of a row no other test looks at: the demo pool then flags it
    ``downloaded`` for the session's demo user."""
    search(gui, qtbot, "sugar")
    row = gui.window.model.find_row(heads(gui)[-1])
    assert row is not None and gui.downloads is not None and gui.downloads.engine is not None
    with qtbot.waitSignal(gui.downloads.engine.batchFinished, timeout=60_000):
        gui.controller.download([row])
    return row


def core(gui: GuiApp, call):  # a store read on the core loop, as the feature does
    async def run():
        return call()

    return gui.services.core.call(run())


def test_the_tree_lists_every_source_and_the_pools(gui: GuiApp, qtbot: QtBot) -> None:
    tree = feature(gui).tree
    labels = [source.label for _depth, source in tree.flat()]
    for wanted in ("All pools", "Queue", "Favorites", "Wish list", "Crates", "Bin", "History",
                   "Library", POOL, "Charts", "New this week"):  # fmt: skip
        assert wanted in labels
    assert feature(gui).dock.isVisible()
    assert not feature(gui).combo_action.isVisible()
    qtbot.waitUntil(lambda: any(s.kind == PLAYLIST for _d, s in tree.flat()), timeout=WAIT_MS)


def test_favorites_and_a_crate_fill_the_grid(gui: GuiApp, qtbot: QtBot) -> None:
    keys = search(gui, qtbot, "love")[:3]
    rows = [gui.window.model.find_row(k) for k in keys]
    tracks = [Track.of_row(r) for r in rows if r is not None]
    core(gui, lambda: gui.services.collections.favorite(tracks[:2]))
    assert show(gui, qtbot, Source(FAVORITES, "Favorites")) == keys[:2]
    core(gui, lambda: gui.services.crates.new("Gigs/Friday"))
    core(gui, lambda: gui.services.crates.add("Gigs/Friday", tracks[::-1]))
    assert show(gui, qtbot, Source(CRATE, "Friday", "", "Gigs/Friday")) == keys[::-1]
    feature(gui).controller.load_tree()  # the CLI's change, read again
    qtbot.waitUntil(lambda: feature(gui).tree.item_for(f"{CRATE}::Gigs/Friday") is not None)


def test_local_files_in_a_crate_are_rows_of_their_own(
    gui: GuiApp, qtbot: QtBot, tmp_path: Path
) -> None:
    files = [tmp_path / "A - One.mp3", tmp_path / "B - Two.mp3"]
    for path in files:
        path.write_bytes(b"")
    core(gui, lambda: gui.services.crates.new("Files"))
    feature(gui).controller.crate_files("Files", [str(p) for p in files])
    crate = lambda: core(gui, lambda: gui.services.crates.tracks("Files"))  # noqa: E731
    qtbot.waitUntil(lambda: len(crate()) == 2, timeout=WAIT_MS)
    show(gui, qtbot, Source(CRATE, "Files", "", "Files"))
    rows = gui.window.model.all_rows()
    assert [(r.artist, r.title) for r in rows] == [("A", "One"), ("B", "Two")]
    tracks = feature(gui).controller.tracks_of(rows)
    assert [t.path for t in tracks] == [str(p.resolve()) for p in files]


def test_a_pool_playlist_and_the_charts_in_rank_order(gui: GuiApp, qtbot: QtBot) -> None:
    clients = {}

    async def lists():
        clients.update(gui.services.pool_clients())
        mine = {POOL: clients[POOL]}
        found = await pool_lists.playlists(mine)
        playlist = found.playlists[POOL][0]
        tracks = await pool_lists.playlist_tracks(mine, str(playlist.playlist_id), limit=500)
        chart = await pool_lists.charts(mine, limit=500)
        return playlist, tracks.rows[POOL], chart.rows[POOL]

    playlist, tracks, chart = gui.services.core.call(lists(), timeout=30)
    source = Source(PLAYLIST, playlist.title, POOL, str(playlist.playlist_id))
    assert tracks and set(show(gui, qtbot, source)) == {r.key for r in tracks}
    show(gui, qtbot, Source(CHARTS, "Charts", POOL))
    heads = list(dict.fromkeys(song_key(r) for r in chart))
    assert [song_key(song[0]) for song in gui.window.model.songs()] == heads


def test_history_shows_a_real_download(gui: GuiApp, qtbot: QtBot) -> None:
    row = download_one(gui, qtbot)
    assert show(gui, qtbot, Source(HISTORY, "History")) == [row.key]


def test_a_binned_row_leaves_the_search_and_comes_back_after_ctrl_z(
    gui: GuiApp, qtbot: QtBot
) -> None:
    keys = search(gui, qtbot, "love")
    binned = keys[0]
    select(gui, [binned])
    qtbot.keyClick(gui.window.results, Qt.Key.Key_Delete)
    assert gui.window.model.find_row(binned) is None
    qtbot.waitUntil(lambda: core(gui, lambda: gui.services.collections.marked_keys("bin"))
                    == {binned})  # fmt: skip
    assert binned not in search(gui, qtbot, "love")  # filtered where rows leave the controller
    qtbot.keyClick(gui.window.results, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not core(gui, lambda: gui.services.collections.marked_keys("bin")))
    assert binned in search(gui, qtbot, "love")


def test_f_marks_a_favorite(gui: GuiApp, qtbot: QtBot) -> None:
    search(gui, qtbot, "love")
    keys = heads(gui)
    select(gui, keys[:2])
    qtbot.keyClick(gui.window.results, Qt.Key.Key_F)
    favorites = lambda: [t.key for t in core(gui, gui.services.collections.favorites)]  # noqa: E731
    qtbot.waitUntil(lambda: sorted(favorites()) == sorted(keys[:2]), timeout=WAIT_MS)
    qtbot.keyClick(gui.window.results, Qt.Key.Key_F)  # all favorites already: F takes them off
    qtbot.waitUntil(lambda: favorites() == [], timeout=WAIT_MS)


def test_files_dropped_on_a_crate_are_added_as_their_pool_tracks(gui: GuiApp, qtbot: QtBot) -> None:
    row = download_one(gui, qtbot)
    entry = core(gui, lambda: gui.services.store.have(row.pool, row.media_id))
    core(gui, lambda: gui.services.crates.new("Drops"))
    tree = feature(gui).tree
    feature(gui).controller.load_tree()
    qtbot.waitUntil(lambda: tree.item_for(f"{CRATE}::Drops") is not None, timeout=WAIT_MS)
    item = tree.item_for(f"{CRATE}::Drops")
    assert item is not None
    tree.scrollToItem(item)
    at = tree.visualItemRect(item).center()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(Path(entry.path)))])
    drop = QDropEvent(at.toPointF(), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    tree.dropEvent(drop)
    assert drop.isAccepted()
    crate = lambda: [t.key for t in core(gui, lambda: gui.services.crates.tracks("Drops"))]  # noqa: E731
    qtbot.waitUntil(lambda: crate() == [row.key], timeout=WAIT_MS)
    assert tree.crate_at(QPoint(at.x(), at.y())) == "Drops"


@pytest.mark.parametrize("mode", ["widget"])
def test_widget_mode_shows_the_drop_down_instead_of_the_tree(
    make_gui, qtbot: QtBot, mode: str
) -> None:
    gui = make_gui(mode=mode)
    f = feature(gui)
    assert not f.dock.isVisible()
    assert f.combo_action.isVisible()
    qtbot.waitUntil(f.combo.isVisible)  # the toolbar lays out on the next turn
    entries = [f.combo.itemText(i).strip() for i in range(f.combo.count())]
    assert "Favorites" in entries and "Crates" in entries
    f.combo.activated.emit(entries.index("Favorites"))
    assert f.current.kind == FAVORITES
    gui.window.set_mode("app")
    assert f.dock.isVisible() and not f.combo_action.isVisible()


def test_a_crate_nests_renames_exports_and_deletes(
    gui: GuiApp, qtbot: QtBot, tmp_path: Path
) -> None:
    row = download_one(gui, qtbot)
    controller, tree = feature(gui).controller, feature(gui).tree
    controller.crate_edit("new", "Sets")
    controller.crate_edit("new", "Sets/Late")
    qtbot.waitUntil(lambda: tree.item_for(f"{CRATE}::Sets/Late") is not None, timeout=WAIT_MS)
    controller.crate_add("Sets/Late", controller.tracks_of([row]))
    controller.crate_edit("rename", "Sets/Late", "After hours")
    qtbot.waitUntil(lambda: tree.item_for(f"{CRATE}::Sets/After hours") is not None)
    with qtbot.waitSignal(controller.notice, timeout=WAIT_MS) as told:
        controller.crate_export("Sets", "m3u", str(tmp_path))
    assert "Exported Sets: 1 tracks" in told.args[0]
    written = "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.m3u*"))
    entry = core(gui, lambda: gui.services.store.have(row.pool, row.media_id))
    assert Path(entry.path).name in written
    controller.crate_edit("delete", "Sets")
    qtbot.waitUntil(lambda: tree.item_for(f"{CRATE}::Sets") is None, timeout=WAIT_MS)


def test_the_schedule_matches_a_new_wish_once_and_check_now_finds_nothing_new(
    gui: GuiApp, qtbot: QtBot
) -> None:
    controller, tree = feature(gui).controller, feature(gui).tree
    with qtbot.waitSignal(controller.wish_matched, timeout=WAIT_MS) as matched:
        controller.wish_add("sugar")  # pokes the running schedule: checked at once
    assert matched.args[0].startswith("Wish list: ")
    qtbot.waitUntil(lambda: tree.wishes.childCount() == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "(0)" not in (tree.wishes.child(0) or tree.wishes).text(0))
    with qtbot.waitSignal(controller.notice, timeout=WAIT_MS) as told:
        controller.check_now()
    assert "nothing new" in told.args[0]  # a match is reported once
    wish = tree.wishes.child(0)
    assert wish is not None
    keys = show(gui, qtbot, Source(WISH, "sugar", "", str(wish.data(0, SOURCE_ROLE).ident)))
    assert keys and all("sugar" in f"{r.artist} {r.title}".lower()
                        for r in gui.window.model.all_rows())  # fmt: skip


def test_del_in_a_crate_takes_the_track_out_and_ctrl_z_puts_it_back(
    gui: GuiApp, qtbot: QtBot
) -> None:
    search(gui, qtbot, "love")
    keys = heads(gui)[:2]
    rows = [gui.window.model.find_row(k) for k in keys]
    core(gui, lambda: gui.services.crates.new("Set"))
    core(gui, lambda: gui.services.crates.add("Set", [Track.of_row(r) for r in rows if r]))
    assert show(gui, qtbot, Source(CRATE, "Set", "", "Set")) == keys
    crate = lambda: [t.key for t in core(gui, lambda: gui.services.crates.tracks("Set"))]  # noqa: E731
    select(gui, keys[:1])
    qtbot.keyClick(gui.window.results, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: crate() == keys[1:], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: [r.key for r in gui.window.model.all_rows()] == keys[1:])
    assert core(gui, lambda: gui.services.collections.marked_keys("bin")) == frozenset()
    qtbot.keyClick(gui.window.results, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: sorted(crate()) == sorted(keys), timeout=WAIT_MS)


def test_rows_not_downloaded_dragged_onto_a_crate_join_it_without_a_download(
    gui: GuiApp, qtbot: QtBot
) -> None:
    from crateq.ui.downloads.file_drag import TAKEN, TRACKS_MIME, FileDragFilter

    search(gui, qtbot, "love")
    rows = [r for r in map(gui.window.model.find_row, heads(gui)) if r is not None]
    store = gui.services.store
    keys = [r.key for r in rows if core(gui, lambda r=r: store.have(r.pool, r.media_id)) is None]
    keys = keys[:2]
    assert len(keys) == 2
    core(gui, lambda: gui.services.crates.new("Later"))
    tree = feature(gui).tree
    feature(gui).controller.load_tree()
    qtbot.waitUntil(lambda: tree.item_for(f"{CRATE}::Later") is not None, timeout=WAIT_MS)
    select(gui, keys)
    drag = gui.window.results.findChild(FileDragFilter)
    assert drag is not None
    asked: list[object] = []
    drag.downloadRequested.connect(asked.append)
    mime = drag.prepare(defer=True)  # what a drag out of the grid carries
    assert mime is not None and mime.hasFormat(TRACKS_MIME) and not mime.hasUrls()
    item = tree.item_for(f"{CRATE}::Later")
    assert item is not None
    tree.scrollToItem(item)
    drop = QDropEvent(tree.visualItemRect(item).center().toPointF(), Qt.DropAction.CopyAction,
                      mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    tree.dropEvent(drop)
    assert drop.isAccepted() and mime.property(TAKEN)
    crate = lambda: [t.key for t in core(gui, lambda: gui.services.crates.tracks("Later"))]  # noqa: E731
    qtbot.waitUntil(lambda: sorted(crate()) == sorted(keys), timeout=WAIT_MS)
    assert asked == []  # a crate takes the rows as they are: nothing was downloaded
    shown = show(gui, qtbot, Source(CRATE, "Later", "", "Later"))
    assert sorted(shown) == sorted(keys)


def test_a_wish_set_to_download_hands_its_match_to_the_download_engine(
    gui: GuiApp, qtbot: QtBot
) -> None:
    controller = feature(gui).controller
    wish = core(gui, lambda: gui.services.wishes.add("Nobody Wants This Song Title Zzq"))
    controller.wish_set_action(wish.id, "download")
    qtbot.waitUntil(
        lambda: core(gui, lambda: gui.services.wishes.wish(wish.id)).action == "download",
        timeout=WAIT_MS,
    )
    core(gui, lambda: gui.services.wishes.remove(wish.id))
    wish = core(gui, lambda: gui.services.wishes.add("sugar", action="download"))
    assert gui.downloads is not None and gui.downloads.engine is not None
    with qtbot.waitSignal(gui.controller.download_requested, timeout=WAIT_MS) as handed:
        controller.check_now()
    rows = handed.args[0]
    assert rows and all("sugar" in f"{r.artist} {r.title}".lower() for r in rows)
    matches = core(gui, lambda: gui.services.wishes.wish(wish.id)).matches
    assert {m.outcome for m in matches if m.track.key in {r.key for r in rows}} == {"downloading"}


def test_a_source_shown_again_comes_from_the_cache_until_anything_writes_the_store(
    gui: GuiApp, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crateq.core.collections import Collections
    from crateq.core.store import Store
    from crateq.ui.collections import source_loads

    search(gui, qtbot, "love")
    rows = [r for r in map(gui.window.model.find_row, heads(gui)[:3]) if r is not None]
    core(gui, lambda: gui.services.collections.favorite([Track.of_row(r) for r in rows[:2]]))
    reads: list[str] = []
    real = source_loads.load

    async def counted(services, source):
        reads.append(source.key)
        return await real(services, source)

    monkeypatch.setattr(source_loads, "load", counted)
    favorites, crate = Source(FAVORITES, "Favorites"), Source(CRATE, "Set", "", "Set")
    core(gui, lambda: gui.services.crates.new("Set"))
    assert sorted(show(gui, qtbot, favorites)) == sorted(r.key for r in rows[:2])
    show(gui, qtbot, crate)
    assert sorted(show(gui, qtbot, favorites)) == sorted(r.key for r in rows[:2])
    assert reads.count(favorites.key) == 1  # shown again unchanged: not read again
    other = Store(gui.services.store.path)  # another process's connection, as the CLI's
    try:
        Collections(other).favorite([Track.of_row(rows[2])])
    finally:
        other.close()
    assert sorted(show(gui, qtbot, favorites)) == sorted(r.key for r in rows)
    assert reads.count(favorites.key) == 2


def test_w_puts_the_selected_rows_on_the_wish_list(gui: GuiApp, qtbot: QtBot) -> None:
    search(gui, qtbot, "love")
    keys = heads(gui)[:2]
    select(gui, keys)
    qtbot.keyClick(gui.window.results, Qt.Key.Key_W)
    rows = [gui.window.model.find_row(k) for k in keys]
    wanted = sorted((r.artist, r.title) for r in rows if r is not None)
    wished = lambda: sorted(  # noqa: E731
        (w.artist, w.title) for w in core(gui, lambda: gui.services.wishes.wishes()))
    qtbot.waitUntil(lambda: wished() == wanted, timeout=WAIT_MS)
    tree = feature(gui).tree
    qtbot.waitUntil(lambda: tree.wishes.childCount() == 2, timeout=WAIT_MS)
