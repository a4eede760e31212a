"""The main window's modes, column layouts and keyboard, on the real widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conftest import MakeGui
from crateq.ui.shell.app import GuiApp
from crateq.ui.shell.window_modes import snap_to_edges

W = Qt.WindowType


def test_mode_switches_set_the_right_window_flags(gui: GuiApp, qtbot: QtBot) -> None:
    window = gui.window
    window.set_mode("widget")
    flags = window.windowFlags()
    for flag in (W.Tool, W.FramelessWindowHint, W.WindowStaysOnTopHint):
        assert flags & flag == flag
    assert flags & W.WindowDoesNotAcceptFocus
    assert window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    assert window.grip.isVisibleTo(window)
    assert not window.filters.isVisibleTo(window)

    window.set_mode("app")
    flags = window.windowFlags()
    assert not flags & W.FramelessWindowHint
    assert not flags & W.WindowStaysOnTopHint
    assert not window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    assert window.windowOpacity() == 1.0

    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: window.isFullScreen())
    assert window.mode == "fullscreen"
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert window.mode == "app"


def test_shortcuts_switch_modes(gui: GuiApp, qtbot: QtBot) -> None:
    window = gui.window
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.mode == "widget"
    window._accept_focus()  # a click into the widget lets it take the keyboard
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.mode == "app"


def test_widget_mode_uses_its_opacity_and_collapses_to_the_search_bar(
    gui: GuiApp, qtbot: QtBot
) -> None:
    window = gui.window
    window.set_mode("widget")
    window.set_widget_opacity(0.75)
    assert abs(window.windowOpacity() - 0.75) < 0.01
    window.set_collapsed(True)
    assert not window.body.isVisibleTo(window)
    assert window.search_bar.field.isVisibleTo(window)
    window.set_collapsed(False)
    assert window.body.isVisibleTo(window)


def test_each_mode_remembers_its_geometry(gui: GuiApp, qtbot: QtBot) -> None:
    # sizes fit the offscreen screen (800x600): restoring clamps a window to its screen
    window = gui.window
    window.set_mode("widget")
    window.resize(520, 330)
    window.set_mode("app")
    window.resize(760, 560)
    window.set_mode("widget")
    qtbot.waitUntil(lambda: window.size().toTuple() == (520, 330))
    window.set_mode("app")
    qtbot.waitUntil(lambda: window.size().toTuple() == (760, 560))


def test_snapping_sticks_to_the_nearest_screen_edges() -> None:
    from PySide6.QtCore import QRect

    screen = QRect(0, 0, 1600, 900)
    assert snap_to_edges(QRect(10, 300, 400, 200), screen).toTuple() == (0, 300)
    assert snap_to_edges(QRect(1185, 690, 400, 200), screen).toTuple() == (1200, 700)
    assert snap_to_edges(QRect(500, 300, 400, 200), screen).toTuple() == (500, 300)


def test_columns_added_removed_and_reordered_survive_a_restart_per_mode(
    make_gui: MakeGui,
) -> None:
    first = make_gui("app")
    view = first.window.results
    view.set_column_visible("genre", False)
    view.set_column_visible("size", True)
    view.move_column("bpm", 2)
    app_columns = view.visible_columns()
    assert "genre" not in app_columns and "size" in app_columns
    first.window.set_mode("widget")
    view.set_column_visible("editor", True)
    widget_columns = view.visible_columns()
    assert widget_columns != app_columns
    first.window.set_mode("app")
    first.shutdown()
    first.window.close()

    second = make_gui("app")
    assert second.window.results.visible_columns() == app_columns
    second.window.set_mode("widget")
    assert second.window.results.visible_columns() == widget_columns


def test_ctrl_f_focuses_search_and_esc_clears_it(gui: GuiApp, qtbot: QtBot) -> None:
    window = gui.window
    window.results.setFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search_bar.field)
    window.search_bar.field.setText("house")
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Escape)
    assert window.search_bar.text() == ""


def test_filter_lists_come_from_the_pools(gui: GuiApp, qtbot: QtBot) -> None:
    filters = gui.window.filters
    gui.controller.load_lookups()
    qtbot.waitUntil(
        lambda: filters.genres.count() > 0 and filters.mixes.count() > 0, timeout=20_000
    )
    assert filters.categories.count() > 0
    assert filters.pools.count() == 3
    filters.mixes.item(0).setCheckState(Qt.CheckState.Checked)
    assert gui.window.query_spec()["mix"] == [filters.mixes.item(0).text()]


def test_widget_mode_takes_focus_only_once_clicked(gui: GuiApp, qtbot: QtBot) -> None:
    window = gui.window
    window.set_mode("widget")
    window.show_current_mode()
    assert window.windowFlags() & W.WindowDoesNotAcceptFocus  # the DJ software keeps focus
    qtbot.mouseClick(window.search_bar.field, Qt.MouseButton.LeftButton)
    assert not window.windowFlags() & W.WindowDoesNotAcceptFocus
    assert window.windowFlags() & W.WindowStaysOnTopHint


def test_without_pools_the_status_bar_says_how_to_add_one(
    qtbot: QtBot, crateq_home: object, ui_keyring: object
) -> None:
    from crateq.core.accounts import Accounts
    from crateq.ui.shell.app import build
    from crateq.ui.shell.main_window import NO_POOLS

    gui = build(accounts=Accounts(), mode="app")
    qtbot.addWidget(gui.window)
    try:
        with qtbot.waitSignal(gui.controller.search_finished, timeout=10_000):
            gui.window.run_search()
        assert gui.window.statusBar().currentMessage() == NO_POOLS
        assert gui.window.search_bar.chips == {}
    finally:
        gui.shutdown()


def test_dragging_the_widget_near_a_screen_edge_snaps_it_there(gui: GuiApp, qtbot: QtBot) -> None:
    from PySide6.QtCore import QPoint

    window = gui.window
    window.set_mode("widget")
    window.show_current_mode()
    window.move(200, 150)
    qtbot.waitUntil(lambda: window.pos().toTuple() == (200, 150))
    handle = window.handle
    press = QPoint(5, 5)
    grab = handle.mapToGlobal(press) - window.frameGeometry().topLeft()
    target = QPoint(10, 140) + grab  # the window's top-left 10 px from the left edge
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=press)
    qtbot.mouseMove(handle, handle.mapFromGlobal(target))
    assert 0 < window.frameGeometry().left() <= 12  # dragged close to the edge, not on it
    y = window.pos().y()
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=handle.mapFromGlobal(target))
    screen = window.screen().availableGeometry()
    assert window.frameGeometry().left() == screen.left()  # snapped to the edge
    assert window.pos().y() == y  # far from the top and bottom: unchanged
