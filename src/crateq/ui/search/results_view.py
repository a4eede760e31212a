"""The results grid: keyboard-first, with a header menu for columns and multi-column sort.

The view only turns input into intent signals (preview, download, queue, search artist…);
the main window wires them to the controller and the preview player. Column visibility,
order and widths are the header's state and are saved per mode by ``save_layout``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from crateq.core_loop import GUI_TURN
from crateq.ui.columns import apply_default_layout
from crateq.ui.grid_cells import GridCells
from crateq.ui.search.columns import RESULT_COLUMN_INDEX, RESULT_COLUMNS
from crateq.ui.search.results_model import ResultsModel
from crateq.ui.shell.ui_state import UiState

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow

ROW_HEIGHT = 34
_LAYOUT_VERSION = 4  # 2: narrower defaults, so app mode fits 1280 px; 3: "▸ 12" fits; 4: Key, LUFS


class ResultsView(QTableView):
    """The grid over one ``ResultsModel``."""

    preview_requested = Signal(object)  # MediaRow
    download_requested = Signal(list)  # [MediaRow]
    grab_best_requested = Signal(list)  # [MediaRow]: every version of the current song
    queue_requested = Signal(object)  # MediaRow
    search_artist_requested = Signal(str)
    reveal_requested = Signal(object)  # MediaRow

    def __init__(self, model: ResultsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results = model
        self.setModel(model)
        self._cells = GridCells(model, self, bold=model.emphasised)
        self.setItemDelegate(self._cells)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setDragEnabled(True)
        self.setTabKeyNavigation(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(ROW_HEIGHT)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionsClickable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        header.sectionClicked.connect(self._header_clicked)
        self.customContextMenuRequested.connect(self._row_menu)
        self.clicked.connect(self._cell_clicked)
        self.apply_default_layout("app")

    # -- columns -------------------------------------------------------------------------------
    def apply_default_layout(self, mode: str) -> None:
        """The declared columns' order, widths and visibility for ``mode``."""
        apply_default_layout(self.horizontalHeader(), RESULT_COLUMNS, mode)

    def visible_columns(self) -> list[str]:
        """Keys of the shown columns, in on-screen order."""
        header = self.horizontalHeader()
        order = sorted(range(len(RESULT_COLUMNS)), key=header.visualIndex)
        return [RESULT_COLUMNS[s].id for s in order if not header.isSectionHidden(s)]

    def set_column_visible(self, key: str, visible: bool) -> None:
        header = self.horizontalHeader()
        section = RESULT_COLUMN_INDEX[key]
        if not visible and len(self.visible_columns()) <= 1:
            return  # never hide the last column: the header menu would be unreachable
        header.setSectionHidden(section, not visible)
        if visible and header.sectionSize(section) < 20:
            header.resizeSection(section, RESULT_COLUMNS[section].width)

    def move_column(self, key: str, to_visual: int) -> None:
        header = self.horizontalHeader()
        header.moveSection(header.visualIndex(RESULT_COLUMN_INDEX[key]), to_visual)

    def save_layout(self, state: UiState, mode: str) -> None:
        header = self.horizontalHeader()
        state.set_blob(f"columns/{mode}", header.saveState())
        state.set_value(f"columns/{mode}/version", _LAYOUT_VERSION)

    def restore_layout(self, state: UiState, mode: str) -> None:
        blob = state.blob(f"columns/{mode}")
        version = int(state.value(f"columns/{mode}/version", 0) or 0)
        if blob is None or version != _LAYOUT_VERSION:
            self.apply_default_layout(mode)
            return
        if not self.horizontalHeader().restoreState(blob):
            self.apply_default_layout(mode)

    def _header_menu(self, pos: QPoint) -> None:
        header = self.horizontalHeader()
        menu = QMenu(self)
        shown = set(self.visible_columns())
        on_screen = sorted(
            RESULT_COLUMNS, key=lambda c: header.visualIndex(RESULT_COLUMN_INDEX[c.id])
        )
        for col in on_screen:
            action = QAction(col.name, menu)
            action.setCheckable(True)
            action.setChecked(col.id in shown)
            action.toggled.connect(lambda on, key=col.id: self.set_column_visible(key, on))
            menu.addAction(action)
        section = header.logicalIndexAt(pos)
        if section >= 0:
            menu.addSeparator()
            key = RESULT_COLUMNS[section].id
            here = header.visualIndex(section)
            left = menu.addAction("Move column left")
            left.triggered.connect(lambda: self.move_column(key, max(0, here - 1)))
            right = menu.addAction("Move column right")
            last = len(RESULT_COLUMNS) - 1
            right.triggered.connect(lambda: self.move_column(key, min(last, here + 1)))
        menu.addSeparator()
        menu.addAction("Reset columns").triggered.connect(lambda: self.apply_default_layout("app"))
        menu.popup(header.mapToGlobal(pos))

    def _header_clicked(self, section: int) -> None:
        shift = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.results.click_sort(section, add=shift)

    # -- rows ----------------------------------------------------------------------------------
    def current_row(self) -> MediaRow | None:
        return self.results.row_at(self.currentIndex())

    def selected_rows(self) -> list[MediaRow]:
        picked = sorted({i.row() for i in self.selectionModel().selectedRows()})
        rows = [self.results.row_at(self.results.index(r, 0)) for r in picked]
        found = [r for r in rows if r is not None]
        current = self.current_row()
        if not found and current is not None:
            found = [current]
        return found

    def _cell_clicked(self, index: QModelIndex) -> None:
        if RESULT_COLUMNS[index.column()].id == "versions":
            self.results.toggle_expanded(index)

    def paintEvent(self, event: QPaintEvent) -> None:
        with GUI_TURN:  # hundreds of calls from Python into Qt: see GuiTurn
            self._cells.begin_paint(self)
            painter = QPainter(self.viewport())
            try:
                self._cells.paint_visible(self, painter, event.rect())
            finally:
                painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        row = self.current_row()
        if key == Qt.Key.Key_Space and row is not None:
            self.preview_requested.emit(row)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and row is not None:
                self.grab_best_requested.emit(self.results.versions_of(row))
            else:
                self.download_requested.emit(self.selected_rows())
        elif key == Qt.Key.Key_Q and row is not None and not event.modifiers():
            self.queue_requested.emit(row)
        elif key == Qt.Key.Key_Right and row is not None:
            self.results.toggle_expanded(self.currentIndex(), expand=True)
        elif key == Qt.Key.Key_Left and row is not None:
            self.results.toggle_expanded(self.currentIndex(), expand=False)
        else:
            super().keyPressEvent(event)

    def _row_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        row = self.results.row_at(index)
        if row is None:
            return
        menu = QMenu(self)
        menu.addAction("Download\tEnter").triggered.connect(
            lambda: self.download_requested.emit(self.selected_rows())
        )
        menu.addAction("Grab best version\tShift+Enter").triggered.connect(
            lambda: self.grab_best_requested.emit(self.results.versions_of(row))
        )
        queue_text = "Remove from queue\tQ" if row.queue_id else "Add to queue\tQ"
        menu.addAction(queue_text).triggered.connect(lambda: self.queue_requested.emit(row))
        menu.addAction("Preview\tSpace").triggered.connect(lambda: self.preview_requested.emit(row))
        menu.addAction("Reveal in folder").triggered.connect(
            lambda: self.reveal_requested.emit(row)
        )
        menu.addSeparator()
        menu.addAction("Copy “Artist - Title”").triggered.connect(lambda: copy_title(row))
        menu.addAction(f"Search “{row.artist}”").triggered.connect(
            lambda: self.search_artist_requested.emit(row.artist)
        )
        menu.popup(self.viewport().mapToGlobal(pos))


def copy_title(row: MediaRow) -> None:
    QGuiApplication.clipboard().setText(f"{row.artist} - {row.title}")
