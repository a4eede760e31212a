"""The grid gets the room: default columns fit 1280x720, docks fold per mode, tabs fold."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conftest import MakeGui
from crateq.ui.search.columns import RESULT_COLUMNS
from crateq.ui.shell.app import GuiApp
from crateq.ui.shell.window_docks import ARTIST, FILTERS
from crateq.ui.shell.window_modes import MODE_SPECS

WAIT_MS = 20000
CORE = {"artist", "title", "tool", "bpm", "genre", "pool", "date"}  # no Key column yet
SHIFT_CTRL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def settled(gui: GuiApp) -> bool:
    return (
        not gui.controller.tasks.running("search")
        and gui.window.finished_run == gui.controller.current_run
    )


def search(gui: GuiApp, qtbot: QtBot, text: str) -> None:
    gui.window.search_bar.field.setText(text)
    qtbot.keyClick(gui.window.search_bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: settled(gui) and gui.window.model.rowCount() > 0, timeout=WAIT_MS)


def test_at_1280x720_app_mode_shows_the_default_columns_without_scrolling(
    gui: GuiApp, qtbot: QtBot
) -> None:
    window = gui.window
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() == 1280)
    assert window.docks.is_open(FILTERS)  # beside the grid, and still the room
    view = window.results
    shown = set(view.visible_columns())
    assert shown >= CORE
    header = view.horizontalHeader()
    shown_sections = [s for s in range(header.count()) if not header.isSectionHidden(s)]
    total = sum(RESULT_COLUMNS[s].width_in("app") for s in shown_sections)  # declared widths
    qtbot.waitUntil(lambda: view.viewport().width() >= total)
    assert not view.horizontalScrollBar().isVisible()
    assert "key" in shown  # the Camelot key is in app mode's set (LUFS is fullscreen's)
    assert view.viewport().width() - total >= 50  # and 50 px still to spare


def test_the_leading_columns_say_what_they_are_and_fit_their_content(gui: GuiApp) -> None:
    model, view = gui.window.model, gui.window.results
    metrics = view.fontMetrics()
    for section, sample in ((0, "▾ 99"), (1, "♪ Q")):
        tip = model.headerData(section, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        assert tip and RESULT_COLUMNS[section].label in tip
        width = view.horizontalHeader().sectionSize(section)
        assert metrics.horizontalAdvance(sample) + 12 <= width <= 56


def test_docks_fold_by_shortcut_and_are_remembered_per_mode_across_a_restart(
    make_gui: MakeGui, qtbot: QtBot
) -> None:
    first = make_gui("app")
    window = first.window
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    assert window.docks.is_open(FILTERS)
    qtbot.keyClick(window, Qt.Key.Key_F, SHIFT_CTRL)
    assert not window.docks.is_open(FILTERS)
    assert not window.search_bar.filters_button.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F, SHIFT_CTRL)
    assert window.docks.is_open(FILTERS)
    qtbot.keyClick(window, Qt.Key.Key_F, SHIFT_CTRL)  # folded in app mode
    window.set_mode("fullscreen")
    assert window.docks.is_open(FILTERS)  # fullscreen keeps its own
    window.set_mode("widget")
    assert not window.docks.is_open(FILTERS)  # widget mode shows no dock
    qtbot.keyClick(window, Qt.Key.Key_F, SHIFT_CTRL)
    assert not window.docks.is_open(FILTERS)  # not even by its shortcut
    window.set_mode("app")
    assert not window.docks.is_open(FILTERS)
    first.shutdown()
    first.window.close()

    second = make_gui("app")
    assert not second.window.docks.is_open(FILTERS)
    second.window.set_mode("fullscreen")
    assert second.window.docks.is_open(FILTERS)


def test_the_artist_dock_folds_by_its_shortcut(
    make_gui: MakeGui, qtbot: QtBot, crate: object
) -> None:
    from crateq.ui.shell.app import finish_startup

    gui = make_gui("app")
    finish_startup(gui)
    window = gui.window
    assert gui.crate is not None and window.docks.is_open(ARTIST)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    qtbot.keyClick(window, Qt.Key.Key_A, SHIFT_CTRL)
    assert not window.docks.is_open(ARTIST) and not gui.crate.card.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_A, SHIFT_CTRL)
    assert window.docks.is_open(ARTIST)


def test_the_downloads_tabs_are_a_strip_while_empty_and_open_when_a_job_arrives(
    gui: GuiApp, qtbot: QtBot
) -> None:
    from crateq.ui.shell.app import finish_startup

    finish_startup(gui)
    window = gui.window
    assert gui.downloads is not None and gui.downloads.queue is not None
    qtbot.waitUntil(window.panels.isVisible)
    strip = window.panels.height()
    assert window.tabs.folded and strip <= 48
    search(gui, qtbot, "love")
    row = window.model.row_at(window.model.index(0, 0))
    assert row is not None
    gui.controller.download([row])
    qtbot.waitUntil(lambda: not window.tabs.folded, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.panels.height() >= 150)
    assert window.panels.currentWidget() is gui.downloads.queue


def test_widget_mode_at_its_default_size_shows_at_least_8_rows(gui: GuiApp, qtbot: QtBot) -> None:
    from crateq.ui.shell.app import finish_startup

    finish_startup(gui)  # the preview bar is in
    window = gui.window
    window.set_mode("widget")
    window.resize(*MODE_SPECS["widget"].default_size)
    search(gui, qtbot, "love")
    view = window.results
    qtbot.waitUntil(lambda: view.viewport().height() > 0)
    rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
    assert rows >= 8, f"{rows} rows in {view.viewport().height()} px"
    assert not view.horizontalScrollBar().isVisible()


def test_the_gui_process_hands_the_gil_over_often(gui: GuiApp) -> None:
    """The composition root sets the GUI process's switch interval (core_loop explains)."""
    import sys

    from crateq.core_loop import GUI_SWITCH_INTERVAL

    assert sys.getswitchinterval() == GUI_SWITCH_INTERVAL
