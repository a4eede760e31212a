"""Set prep in the window and songs across pools in the grid, against the real demo pools.

The demo pools publish some of the same songs under their own spellings and ids
(``crateq.demo.catalog.shared_songs``); the app objects are the real ones
(``tests/ui/conftest.py``), downloads go through the real engine into the test's home.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.identity import identify
from crateq.core.songs import Song, Version, best_version
from crateq.core.tracklist import parse_m3u
from crateq.demo.catalog import DEMO_POOLS, CatalogRow, generate_catalog, shared_song_for
from crateq.demo.cluster import DemoCluster
from crateq.ui.search.columns import RESULT_COLUMN_INDEX
from crateq.ui.setprep.setprep_feature import SetPrepFeature
from crateq.ui.setprep.setprep_model import PENDING, PREP_COLUMN_INDEX
from crateq.ui.shell.app import GuiApp

WAIT_MS = 60_000
SHIFT_CTRL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def feature(gui: GuiApp) -> SetPrepFeature:
    assert gui.setprep is not None
    return gui.setprep


def settled(gui: GuiApp) -> bool:
    return (
        not gui.controller.tasks.running("search")
        and gui.window.finished_run == gui.controller.current_run
    )


def shared(cluster: DemoCluster) -> list[dict[str, list[CatalogRow]]]:
    """Shared songs, each as its rows per pool (by identity key), in every pool."""
    by_key: dict[str, dict[str, list[CatalogRow]]] = {}
    for spec in DEMO_POOLS:
        for row in generate_catalog(spec, cluster.catalog_size, cluster.seed):
            if shared_song_for(row.group_id) is not None:
                key = identify(row.artist, row.title).key
                by_key.setdefault(key, {}).setdefault(spec.name, []).append(row)
    everywhere = [pools for pools in by_key.values() if len(pools) == len(DEMO_POOLS)]
    assert len(everywhere) >= 3
    return everywhere


def pool_rows(gui: GuiApp, pool: str, media_ids: set[int], words: str) -> list[MediaRow]:
    """The pool's rows of ``media_ids``, read as the app reads them (core loop, its client)."""

    async def search() -> list[MediaRow]:
        page = await gui.services.pool_client(pool).search(MediaQuery(keywords=words, size=100))
        return [row for row in page.data if row.media_id in media_ids]

    return gui.services.core.call(search(), timeout=30)


def longest_word(text: str) -> str:
    """A word of ``text`` that the pools' substring search matches as written."""
    return max(re.findall(r"[A-Za-z0-9]+", identify("", text).clean_title), key=len)


def download(gui: GuiApp, qtbot: QtBot, rows: list[MediaRow]) -> None:
    assert gui.downloads is not None and gui.downloads.engine is not None
    with qtbot.waitSignal(gui.downloads.engine.batchFinished, timeout=WAIT_MS):
        gui.controller.download(rows)


def drop_file(gui: GuiApp, path: Path) -> None:
    """A file dragged from the desktop and dropped on the window (no widget there takes it)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    at = QPointF(gui.window.width() / 2, gui.window.height() / 2)
    action, left, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    enter = QDragEnterEvent(at.toPoint(), action, mime, left, none)
    QApplication.sendEvent(gui.window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(at, action, mime, left, none)
    QApplication.sendEvent(gui.window, drop)
    assert drop.isAccepted()


def statuses(gui: GuiApp) -> list[str]:
    model = feature(gui).model
    column = PREP_COLUMN_INDEX["status"]
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def test_a_dropped_tracklist_is_matched_changed_grabbed_and_exported(
    gui: GuiApp, qtbot: QtBot, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)  # the start-up search
    had, wanted, *_ = shared(demo_cluster)
    urban = had["urban-beats"][0]
    (row,) = pool_rows(gui, "urban-beats", {urban.media_id}, longest_word(urban.title))
    download(gui, qtbot, [row])  # the library now has this song (from urban-beats)
    club_had, club = had["club-edits"][0], wanted["club-edits"][0]
    lines = [
        (club_had.artist, club_had.title),  # the downloaded song, as another pool spells it
        (club.artist, club.title),  # a song every pool has
        ("Nobody Anyone", identify(club.artist, club.title).clean_title),  # title only
        ("Zyxwvu Qponm", "Utterly Unknown Melody"),
    ]
    body = "#EXTM3U\n" + "".join(f"#EXTINF:200,{a} - {t}\n/m/{n}.mp3\n"
                                 for n, (a, t) in enumerate(lines))  # fmt: skip
    tracklist = tmp_path / "friday.m3u8"
    tracklist.write_text(body + "/m/just some words.mp3\n", encoding="utf-8")

    drop_file(gui, tracklist)
    prep = feature(gui)
    assert gui.window.tabs.tabs.currentWidget() is prep.view and not gui.window.tabs.folded
    qtbot.waitUntil(lambda: len(prep.model.rows) == 5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: PENDING not in statuses(gui), timeout=WAIT_MS)
    assert statuses(gui) == ["have", "found", "ambiguous", "missing", "unparsed"]
    have, found, ambiguous, missing, _unparsed = prep.model.rows
    assert have.result is not None and have.result.path
    assert Path(have.result.path).is_file()
    assert missing.chosen is None and not missing.options()
    summary = "5 lines: 1 have · 1 found · 1 ambiguous · 1 missing · 1 unreadable"
    assert prep.view.summary.text() == summary

    # another version of the found song, from the menu of its versions (Enter on the line)
    options = found.options()
    assert len({c.version.pool for c in options}) == len(DEMO_POOLS)  # one song, every pool
    assert found.chosen is options[0]
    prep.view.table.setCurrentIndex(prep.model.index(1, 0))
    qtbot.keyClick(prep.view.table, Qt.Key.Key_Return)
    menu = prep.view.options_menu
    actions = menu.actions()
    assert [a.isChecked() for a in actions][:2] == [True, False]
    other = next(c for c in options if c.version.pool != options[0].version.pool)
    actions[options.index(other)].trigger()
    menu.close()
    assert found.chosen is other
    chosen_text = prep.model.data(prep.model.index(1, PREP_COLUMN_INDEX["chosen"]))
    assert chosen_text == f"{other.version.row.artist} - {other.version.row.title}"
    # the ambiguous line: the DJ picks a candidate, which makes it found
    pick = ambiguous.options()[0]
    prep.model.choose(2, pick)
    assert statuses(gui)[2] == "found"

    engine = gui.downloads.engine if gui.downloads is not None else None
    assert engine is not None
    grabbed = {other.version.row.key, pick.version.row.key}
    with qtbot.waitSignal(engine.batchFinished, timeout=WAIT_MS):
        qtbot.keyClick(gui.window, Qt.Key.Key_G, SHIFT_CTRL)  # grab all found
        qtbot.waitUntil(lambda: grabbed <= {job.key for job in engine.snapshots()})
    done = {job.key: job.path for job in engine.snapshots() if str(job.state) == "done"}
    assert grabbed <= set(done)

    out = tmp_path / "export" / "friday.m3u8"
    out.parent.mkdir()
    with qtbot.waitSignal(prep.exporter.finished, timeout=WAIT_MS) as told:
        prep.export("m3u", out)
    assert "Exported 3 track(s)" in told.args[0]
    text = out.read_text(encoding="utf-8")
    files = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert [Path(f).name for f in files] == [
        Path(have.result.path).name,
        Path(done[other.version.row.key]).name,
        Path(done[pick.version.row.key]).name,
    ]
    read_back = parse_m3u(text)  # the export read back as a tracklist: the same songs
    assert [identify(e.artist, e.title).key for e in read_back][:2] == [
        identify(club_had.artist, club_had.title).key,
        identify(club.artist, club.title).key,
    ]


def test_pasted_lines_open_set_prep_and_a_bad_file_says_why(
    gui: GuiApp, qtbot: QtBot, tmp_path: Path
) -> None:
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    prep = feature(gui)
    QGuiApplication.clipboard().setText("Zyxwvu Qponm - Utterly Unknown Melody\nQwzx - Nothing")
    gui.window.results.setFocus()
    qtbot.keyClick(gui.window.results, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(prep.model.rows) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: statuses(gui) == ["missing", "missing"], timeout=WAIT_MS)
    assert "2 missing" in prep.view.summary.text()
    gui.window.search_bar.field.setFocus()  # a text field keeps its own paste
    qtbot.keyClick(gui.window.search_bar.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert gui.window.search_bar.field.text().startswith("Zyxwvu Qponm")
    bad = tmp_path / "set.crate"
    bad.write_bytes(b"vrsn\x00\x00\x00\x08\x00\x31\x00\x2e\xff\xff")
    drop_file(gui, bad)
    qtbot.waitUntil(lambda: "crate" in prep.view.summary.text().lower(), timeout=WAIT_MS)


def test_a_song_row_merges_the_pools_and_shift_enter_grabs_the_preferred_version(
    gui: GuiApp, qtbot: QtBot, demo_cluster: DemoCluster
) -> None:
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    song = shared(demo_cluster)[2]
    first = song["urban-beats"][0]
    gui.window.search_bar.field.setText(longest_word(first.title))
    run = gui.window.run_search()
    qtbot.waitUntil(lambda: gui.window.finished_run == run and settled(gui), timeout=WAIT_MS)
    model, view = gui.window.model, gui.window.results
    key = identify(first.artist, first.title).key
    at = next(r for r in range(model.rowCount())
              if identify(model.rows[r].artist, model.rows[r].title).key == key)  # fmt: skip
    head = model.rows[at]
    versions = model.versions_of(head)
    assert {v.pool for v in versions} == {spec.name for spec in DEMO_POOLS}
    assert model.data(model.index(at, RESULT_COLUMN_INDEX["pool"])) == f"{len(DEMO_POOLS)} pools"
    clean = identify(first.artist, first.title).clean_title
    assert model.data(model.index(at, RESULT_COLUMN_INDEX["title"])) == clean
    view.setFocus()
    view.setCurrentIndex(model.index(at, RESULT_COLUMN_INDEX["artist"]))
    qtbot.keyClick(view, Qt.Key.Key_Right)  # unfold: each version keeps its pool's title
    titles = [model.data(model.index(at + i, RESULT_COLUMN_INDEX["title"]))
              for i in range(1, len(versions))]  # fmt: skip
    assert titles == [v.title for v in versions[1:]]

    settings = gui.services.settings()
    settings.prefer.pools = ["club-edits", "vj-vault"]
    settings.prefer.media = "audio"
    gui.services.save_settings(settings)
    expected = best_version(Song("", "", "", [Version.of(v) for v in versions]), settings.prefer)
    assert expected.pool == "club-edits"
    assert gui.downloads is not None and gui.downloads.engine is not None
    with qtbot.waitSignal(gui.downloads.engine.jobAdded, timeout=WAIT_MS) as added:
        qtbot.keyClick(view, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert added.args[0].key == expected.row.key


def test_grab_all_found_in_queue_mode_puts_the_chosen_versions_on_the_pools_queues(
    gui: GuiApp, qtbot: QtBot, demo_cluster: DemoCluster
) -> None:
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    songs = shared(demo_cluster)[3:5]
    text = "\n".join(f"{s['club-edits'][0].artist} - {s['club-edits'][0].title}" for s in songs)
    prep = feature(gui)
    prep.load_text(text)
    qtbot.waitUntil(lambda: statuses(gui) == ["found", "found"], timeout=WAIT_MS)
    chosen = [line.chosen.version.row for line in prep.model.rows if line.chosen is not None]
    prep.view.grab_mode.setCurrentIndex(prep.view.grab_mode.findData("queue"))
    try:
        with qtbot.waitSignal(prep.controller.notice, timeout=WAIT_MS) as told:
            qtbot.mouseClick(prep.view.grab_button, Qt.MouseButton.LeftButton)
        assert told.args[0].startswith("Queued 2 on the pools")
        snapshot = gui.services.queues.read_all().result(timeout=30)
        queued = {row.key for rows in snapshot.rows.values() for row in rows}
        assert {row.key for row in chosen} <= queued
    finally:  # the demo pools live for the session: leave their queues as they were
        gui.services.queues.change(chosen, adding=False).result(timeout=30)
