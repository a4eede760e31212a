"""Room for the grid: the side panels as docks, the tabs under the grid as a folding strip.

The filter panel and the artist card are docks beside the grid (left, one over the other),
so the grid keeps the window's width; each folds away with its shortcut (or its title bar's
close button) and comes back the same way. Which docks a mode shows, and their sizes, are
remembered per mode (``UiState`` key ``docks/<mode>``); widget mode shows none.

The tabs under the grid (downloads, library, pool queues, discover) fold down to their tab
bar while there is nothing to watch, open when jobs arrive, and fold or open on a click of
the current tab.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore  # QtCore.Qt, not Qt: see crateq.ui.shell.window_modes
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QWidget,
)

from crateq.ui.shell.window_modes import WIDGET

if TYPE_CHECKING:
    from PySide6.QtCore import QAbstractItemModel

    from crateq.ui.shell.ui_state import UiState

FILTERS, ARTIST, SOURCES = "filters", "artist", "sources"
DOCK_TITLES = {FILTERS: "Filters", ARTIST: "Artist", SOURCES: "Sources"}
DOCK_SHORTCUTS = {FILTERS: "Ctrl+Shift+F", ARTIST: "Ctrl+Shift+A", SOURCES: "Ctrl+Shift+S"}
SIDE_WIDTH = 260  # px: the docks' default width, leaving the grid its default columns
_STATE_VERSION = 1  # bump when a saved dock layout no longer fits the docks


def scroll_panel(widget: QWidget, name: str, parent: QWidget) -> QScrollArea:
    """``widget`` in a vertical scroll area, for a dock shorter than the panel."""
    scroll = QScrollArea(parent)
    scroll.setObjectName(name)
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


class GridDocks:
    """A dock host around the grid (an inner main window) and its per-mode layout."""

    def __init__(self, parent: QWidget, grid: QWidget, state: UiState) -> None:
        host = QMainWindow(parent)
        host.setWindowFlags(QtCore.Qt.WindowType.Widget)  # a plain child, not a window
        host.setObjectName("gridDocks")
        host.setCentralWidget(grid)
        host.setDockOptions(QMainWindow.DockOption.AnimatedDocks)
        self.host = host
        self.state = state
        self.docks: dict[str, QDockWidget] = {}
        self.mode = ""

    def add(self, name: str, widget: QWidget) -> QDockWidget:
        """``widget`` as the dock ``name`` (shortcut and title from this module's tables)."""
        dock = QDockWidget(DOCK_TITLES[name], self.host)
        dock.setObjectName(f"{name}Dock")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        area = QtCore.Qt.DockWidgetArea
        dock.setAllowedAreas(area.LeftDockWidgetArea | area.RightDockWidgetArea)
        toggle = dock.toggleViewAction()
        shortcut = DOCK_SHORTCUTS[name]
        toggle.setShortcut(QKeySequence(shortcut))
        toggle.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        toggle.setText(f"{DOCK_TITLES[name]} panel")
        toggle.setToolTip(f"Show or hide the {DOCK_TITLES[name].lower()} panel ({shortcut})")
        self.host.window().addAction(toggle)  # the shortcut works anywhere in the window
        first = next(iter(self.docks.values()), None)
        self.docks[name] = dock
        self.host.addDockWidget(area.LeftDockWidgetArea, dock)
        if first is not None:
            self.host.splitDockWidget(first, dock, QtCore.Qt.Orientation.Vertical)
        if self.mode == WIDGET:
            dock.hide()
            toggle.setEnabled(False)
        elif self.mode and not self.host.restoreDockWidget(dock):  # late: its saved place
            dock.show()
        return dock

    def is_open(self, name: str) -> bool:
        dock = self.docks.get(name)
        return dock is not None and not dock.isHidden()

    def set_open(self, name: str, on: bool) -> None:
        dock = self.docks.get(name)
        if dock is not None and self.mode != WIDGET:
            dock.setVisible(on)

    def save(self, mode: str) -> None:
        if mode and mode != WIDGET:
            self.state.set_blob(f"docks/{mode}", self.host.saveState(_STATE_VERSION))

    def apply(self, mode: str) -> None:
        """Show ``mode``'s docks: none in widget mode, else the remembered or default set."""
        self.mode = mode
        for dock in self.docks.values():
            dock.toggleViewAction().setEnabled(mode != WIDGET)
        if mode == WIDGET:
            for dock in self.docks.values():
                dock.hide()
            return
        blob = self.state.blob(f"docks/{mode}")
        if blob is not None and self.host.restoreState(blob, _STATE_VERSION):
            for dock in self.docks.values():
                self.host.restoreDockWidget(dock)
            return
        for dock in self.docks.values():
            dock.show()
        docks = list(self.docks.values())
        self.host.resizeDocks(docks, [SIDE_WIDTH] * len(docks), QtCore.Qt.Orientation.Horizontal)
        share = max(self.host.height() // max(len(docks), 1), 120)  # one over the other, evenly
        self.host.resizeDocks(docks, [share] * len(docks), QtCore.Qt.Orientation.Vertical)


class FoldingTabs:
    """The tabs under the grid, folded to their tab bar or open beside it in a splitter."""

    OPEN_SHARE = 0.36  # of the splitter's height, when open

    def __init__(self, tabs: QTabWidget, splitter: QSplitter) -> None:
        self.tabs = tabs
        self.splitter = splitter
        self.folded = True
        tabs.tabBarClicked.connect(self._tab_clicked)
        self.fold()

    @classmethod
    def under(cls, top: QWidget, parent: QWidget) -> FoldingTabs:
        """Hidden, empty tabs under ``top`` in a new vertical splitter."""
        tabs = QTabWidget(parent)
        tabs.setDocumentMode(True)
        tabs.setVisible(False)
        splitter = QSplitter(QtCore.Qt.Orientation.Vertical, parent)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(tabs)
        splitter.setStretchFactor(0, 1)
        return cls(tabs, splitter)

    def strip_height(self) -> int:
        return self.tabs.tabBar().sizeHint().height() + 2

    def fold(self) -> None:
        self.folded = True
        self.tabs.setMaximumHeight(self.strip_height())
        total = sum(self.splitter.sizes())
        self.splitter.setSizes([max(total - self.strip_height(), 1), self.strip_height()])

    def open(self, page: QWidget | None = None) -> None:
        """Unfold (to ``page`` when given); an open panel stays as the DJ sized it."""
        if page is not None:
            self.tabs.setCurrentWidget(page)
        if not self.folded:
            return
        self.folded = False
        self.tabs.setMaximumHeight(16777215)  # QWIDGETSIZE_MAX
        total = max(sum(self.splitter.sizes()), 1)
        low = max(int(total * self.OPEN_SHARE), 160)
        self.splitter.setSizes([max(total - low, 1), low])

    def follow(self, model: QAbstractItemModel, page: QWidget) -> None:
        """Open on ``page`` when ``model`` gets rows; fold again when it is emptied there."""
        model.rowsInserted.connect(lambda *_a: self.open(page))
        model.modelReset.connect(lambda: self._rows_changed(model, page))
        model.rowsRemoved.connect(lambda *_a: self._rows_changed(model, page))
        if model.rowCount() > 0:
            self.open(page)

    def _rows_changed(self, model: QAbstractItemModel, page: QWidget) -> None:
        if model.rowCount() > 0:
            self.open(page)
        elif self.tabs.currentWidget() is page:
            self.fold()

    def _tab_clicked(self, index: int) -> None:
        if self.folded:
            self.open(self.tabs.widget(index))
        elif index == self.tabs.currentIndex():
            self.fold()
