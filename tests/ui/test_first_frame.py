"""The first frame: window, toolbar and focused search field before the grid and style sheet.

``crateq gui`` paints that frame first and completes the window right after it
(``complete_window``); these tests drive the same two steps on the real widgets.
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDockWidget
from pytestqt.qtbot import QtBot

from crateq.core.accounts import Accounts
from crateq.ui.shell.app import build, complete_window, finish_startup
from crateq.ui.shell.theme import theme_colours, theme_qss


def test_each_theme_gives_the_first_frame_its_own_colours() -> None:
    dark, contrast = theme_colours(theme_qss("dark")), theme_colours(theme_qss("high-contrast"))
    assert dark[QPalette.ColorRole.Window] == "#14161a"
    assert contrast[QPalette.ColorRole.Window] == "#000000"
    assert dark[QPalette.ColorRole.Highlight] != contrast[QPalette.ColorRole.Highlight]
    for colours in (dark, contrast):  # text and background are both set: never dark on dark
        assert {QPalette.ColorRole.Window, QPalette.ColorRole.WindowText} <= set(colours)
        assert {QPalette.ColorRole.Base, QPalette.ColorRole.Text} <= set(colours)


def test_first_frame_then_complete_window(qtbot: QtBot, signed_in_accounts: Accounts) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyleSheet("")
    gui = build(accounts=signed_in_accounts, mode="app", defer_extras=True)
    qtbot.addWidget(gui.window)
    window = gui.window
    try:
        window.show_current_mode()
        qtbot.waitExposed(window)
        # first frame: search field (focused, typing works), no grid yet, palette only
        assert not window.body_built and not hasattr(window, "results")
        assert app.styleSheet() == ""
        assert app.palette().color(QPalette.ColorRole.Window).name() == "#14161a"
        qtbot.keyClicks(window.search_bar.field, "love")
        assert window.search_bar.text() == "love"
        height = window.search_bar.field.height()

        complete_window(gui)
        assert window.body_built
        qtbot.waitUntil(window.results.isVisible)  # layouts show new children on the next pass
        assert window.filters_scroll.isVisible()  # app mode shows the filter panel
        assert "QTableView" in app.styleSheet()
        qtbot.waitUntil(lambda: window.search_bar.field.height() > 0)
        assert abs(window.search_bar.field.height() - height) <= 6  # no jump
        complete_window(gui)  # once only
        assert len(window.findChildren(QDockWidget)) == 1  # the filter dock, built once

        # what was typed into the first frame searches once the pools are known
        finish_startup(gui)
        with qtbot.waitSignal(gui.controller.search_finished, timeout=20000):
            window.search_bar.commit()
        qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20000)
    finally:
        gui.shutdown()
        app.removeEventFilter(window)
