"""Searching from the window against the demo pools: streaming rows, chips, filters, keys."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from crateq.demo.cluster import DemoCluster
from crateq.ui.search.columns import RESULT_COLUMN_INDEX as COLUMN_INDEX
from crateq.ui.search.results_view import copy_title
from crateq.ui.search.saved_searches import SavedSearches
from crateq.ui.shell.app import GuiApp

WAIT_MS = 20_000
pytest.importorskip("crateq.core.search", reason="federated search (crateq.core.search) missing")


def settled(gui: GuiApp) -> bool:
    """The current search is over and all its rows are in the grid."""
    chips = gui.window.search_bar.chips.values()
    return (
        not gui.controller.tasks.running("search")
        and gui.window.finished_run == gui.controller.current_run
        and all(chip.state != "searching" for chip in chips)
    )


def search(gui: GuiApp, qtbot: QtBot, text: str) -> None:
    gui.window.search_bar.field.setText(text)
    qtbot.keyClick(gui.window.search_bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)


def test_typing_shows_rows_from_every_pool_after_one_debounced_search(
    gui: GuiApp, qtbot: QtBot, demo_cluster: DemoCluster
) -> None:
    window = gui.window
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)  # the start-up search, if any
    before = gui.controller.current_run
    qtbot.keyClicks(window.search_bar.field, "love")
    qtbot.waitUntil(lambda: gui.controller.current_run == before + 1, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: {r.pool for r in window.model.all_rows()} == set(demo_cluster.pools),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    assert gui.controller.current_run == before + 1  # four keys, one search
    assert not window.search_bar.debounce.isActive()
    rows = window.model.all_rows()
    assert all("love" in f"{r.artist} {r.title} {r.editor}".lower() for r in rows)
    assert {name: chip.state for name, chip in window.search_bar.chips.items()} == {
        name: "ok" for name in demo_cluster.pools
    }


def test_a_filter_change_changes_the_query_and_the_rows(gui: GuiApp, qtbot: QtBot) -> None:
    window = gui.window
    search(gui, qtbot, "love")
    assert any(r.advisory == "Dirty" for r in window.model.all_rows())
    run = gui.controller.current_run
    window.filters.advisory.setCurrentIndex(window.filters.advisory.findText("Clean"))
    assert gui.controller.current_run == run + 1
    assert window.query_spec() == {"keywords": "love", "advisory": "Clean"}
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    rows = window.model.all_rows()
    assert rows and all(r.advisory == "Clean" for r in rows)


def test_bpm_range_filter_narrows_rows(gui: GuiApp, qtbot: QtBot) -> None:
    window = gui.window
    bpm = window.filters.bpm
    bpm.low.selectAll()
    qtbot.keyClicks(bpm.low, "90")
    qtbot.keyClick(bpm.low, Qt.Key.Key_Return)  # a typed number counts once it is entered
    bpm.high.selectAll()
    qtbot.keyClicks(bpm.high, "110")
    qtbot.keyClick(bpm.high, Qt.Key.Key_Return)
    assert bpm.slider.value() == (90, 110)  # the slider follows the typed numbers
    assert window.query_spec()["bpm"] == "90-110"
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    rows = window.model.all_rows()
    assert rows and all(90 <= r.bpm <= 110 for r in rows)


def test_a_failing_pool_shows_its_chip_while_the_others_rows_appear(
    gui: GuiApp, qtbot: QtBot, demo_cluster: DemoCluster
) -> None:
    demo_cluster.pools["club-edits"].faults.fail_with_status = 500
    demo_cluster.pools["vj-vault"].faults.search_timeout_after_seconds = 0.05
    search(gui, qtbot, "love")
    chips = gui.window.search_bar.chips
    assert chips["club-edits"].state == "error"
    assert chips["club-edits"].toolTip()
    assert chips["vj-vault"].state == "timeout"
    assert chips["urban-beats"].state == "ok"
    assert {r.pool for r in gui.window.model.all_rows()} == {"urban-beats"}


def test_versions_unfold_with_right_and_fold_with_left(gui: GuiApp, qtbot: QtBot) -> None:
    search(gui, qtbot, "love")
    model, view = gui.window.model, gui.window.results
    marks = [model.data(model.index(r, COLUMN_INDEX["versions"])) for r in range(model.rowCount())]
    top = next(r for r, mark in enumerate(marks) if mark.startswith("▸"))
    versions = int(marks[top].split()[1])
    songs = model.rowCount()
    view.setFocus()
    view.setCurrentIndex(model.index(top, COLUMN_INDEX["artist"]))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert model.rowCount() == songs + versions - 1
    tools = {model.row_at(model.index(top + i, 0)).group_id for i in range(versions)}
    assert len(tools) == 1  # the unfolded rows are versions of that one song
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert model.rowCount() == songs


def test_header_click_sorts_and_shift_click_adds_a_key(gui: GuiApp, qtbot: QtBot) -> None:
    search(gui, qtbot, "love")
    view, model = gui.window.results, gui.window.model
    header = view.horizontalHeader()
    bpm, year = COLUMN_INDEX["bpm"], COLUMN_INDEX["release_year"]
    view.set_column_visible("release_year", True)  # app mode's default set leaves Year out

    def click(section: int, modifier: Qt.KeyboardModifier) -> None:
        x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, modifier, QPoint(x, 5))

    click(bpm, Qt.KeyboardModifier.NoModifier)
    click(year, Qt.KeyboardModifier.ShiftModifier)
    asc = Qt.SortOrder.AscendingOrder
    assert model.sort_keys == [(bpm, asc), (year, asc)]
    keys = [
        (row.bpm, row.release_year)
        for row in (model.row_at(model.index(r, 0)) for r in range(model.rowCount()))
    ]
    assert keys == sorted(keys)


def test_q_toggles_the_pool_queue_on_the_server(
    gui: GuiApp, qtbot: QtBot, demo_login: object
) -> None:
    search(gui, qtbot, "love")
    view, model = gui.window.results, gui.window.model
    view.setFocus()
    view.setCurrentIndex(model.index(0, COLUMN_INDEX["artist"]))
    row = view.current_row()
    assert row is not None and not row.queue_id
    client: httpx.Client = demo_login(pool=row.pool)  # type: ignore[operator]

    def server_queue() -> set[int]:
        answer = client.get("api/Content/Queue", params={"size": 500}).json()
        return {item["mediaId"] for item in answer["data"]}

    with qtbot.waitSignal(gui.controller.row_changed, timeout=WAIT_MS):
        qtbot.keyClick(view, Qt.Key.Key_Q)
    assert row.queue_id
    assert row.media_id in server_queue()
    assert model.data(model.index(0, COLUMN_INDEX["state"])) == "Q"
    with qtbot.waitSignal(gui.controller.row_changed, timeout=WAIT_MS):
        qtbot.keyClick(view, Qt.Key.Key_Q)
    assert not row.queue_id
    assert row.media_id not in server_queue()


def test_enter_downloads_the_selected_row_through_the_engine(gui: GuiApp, qtbot: QtBot) -> None:
    search(gui, qtbot, "love")
    view, model = gui.window.results, gui.window.model
    assert gui.downloads is not None and gui.downloads.engine is not None
    view.setFocus()
    view.setCurrentIndex(model.index(1, COLUMN_INDEX["artist"]))
    wanted = model.row_at(model.index(1, 0))
    with qtbot.waitSignal(gui.downloads.engine.batchFinished, timeout=60_000) as finished:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert finished.args == [1, 0]  # one done, none failed
    entry = gui.services.store.have(wanted.pool, wanted.media_id)
    assert entry is not None and entry.present  # the file is on disk, under $CRATEQ_HOME
    shown = model.index_of_key(wanted.key)
    qtbot.waitUntil(lambda: "♪" in model.data(shown.siblingAtColumn(COLUMN_INDEX["state"])))
    search(gui, qtbot, "love")  # a new search knows it from the library
    shown = model.index_of_key(wanted.key)
    qtbot.waitUntil(lambda: "♪" in model.data(shown.siblingAtColumn(COLUMN_INDEX["state"])))


def test_space_previews_and_the_preview_really_plays(gui: GuiApp, qtbot: QtBot) -> None:
    preview = gui.window.preview
    if not preview.available:
        pytest.skip("QtMultimedia is unavailable here (PySide6-Addons or libpulse0 missing)")
    search(gui, qtbot, "love")
    view, model = gui.window.results, gui.window.model
    view.setFocus()
    view.setCurrentIndex(model.index(0, COLUMN_INDEX["artist"]))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: preview.player.position() > 200, timeout=WAIT_MS)
    assert preview.is_playing()
    qtbot.keyClick(view, Qt.Key.Key_Space)  # the same row again pauses
    qtbot.waitUntil(lambda: not preview.is_playing(), timeout=WAIT_MS)


def test_saved_search_is_persisted_and_recalled(gui: GuiApp, qtbot: QtBot) -> None:
    window = gui.window
    window.search_bar.field.setText("love")
    window.filters.days.setValue(30)
    window.saved_ui.save("fresh love")
    assert SavedSearches().get("fresh love")["spec"] == {"keywords": "love", "days": 30}
    window.search_bar.field.setText("")
    window.filters.days.setValue(0)
    window.saved_ui.recall("fresh love")
    assert window.query_spec() == {"keywords": "love", "days": 30}


def test_copy_artist_title_goes_to_the_clipboard(gui: GuiApp, qtbot: QtBot) -> None:
    search(gui, qtbot, "love")
    row = gui.window.model.row_at(gui.window.model.index(0, 0))
    copy_title(row)
    assert QApplication.clipboard().text() == f"{row.artist} - {row.title}"


def test_scrolling_to_the_end_fetches_the_next_rows_of_each_pool(
    gui: GuiApp, qtbot: QtBot, demo_cluster: DemoCluster
) -> None:
    gui.controller.result_limit = 100
    view, model = gui.window.results, gui.window.model
    view.resize(800, 300)
    search(gui, qtbot, "a")
    # Qt itself may ask for more while the grid is not yet scrolled (a view that is not full
    # fetches on its own): wait for that to end, then count in whole pages of every pool.
    qtbot.waitUntil(lambda: not gui.controller.tasks.running("more"), timeout=WAIT_MS)
    before = model.version_count()
    assert before and before % 300 == 0  # pages of 100 from each of the three pools
    assert gui.controller.has_more()
    with qtbot.waitSignal(gui.controller.more_finished, timeout=WAIT_MS):
        view.scrollToBottom()
    qtbot.waitUntil(lambda: not gui.controller.tasks.running("more"), timeout=WAIT_MS)
    assert model.version_count() >= before + 300
    counts = {pool: 0 for pool in demo_cluster.pools}
    for row in model.all_rows():
        counts[row.pool] += 1
    assert len(set(counts.values())) == 1  # every pool paged in step, none skipped
