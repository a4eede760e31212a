"""The set-prep view: a paste box, the lines with their status chips, grab and export.

The view only turns input into intent signals (match this text, open a file, grab, export)
and shows the model; ``SetPrepFeature`` wires it to the controller. On a line, Enter (or
Alt+Down, a right-click, a double-click) opens the menu of its versions to change the choice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crateq.ui.local_keys import local_shortcut
from crateq.ui.setprep.setprep_model import PENDING, PREP_COLUMN_INDEX, PREP_COLUMNS, PrepModel
from crateq.ui.setprep.status_chip import StatusChipDelegate

if TYPE_CHECKING:
    from crateq.core.setprep import Candidate

ROW_HEIGHT = 28
GRAB_MODES = {"download": "Download", "queue": "Queue on the pools"}
EXPORTS = {"m3u": "M3U8 playlist…", "rekordbox": "rekordbox XML…", "serato": "Serato crate…"}
FILE_FILTER = "Tracklists (*.txt *.m3u *.m3u8 *.xml *.csv *.tsv *.crate);;All files (*)"
HINT = (
    "Paste a tracklist here (or Ctrl+V on the grid) or drop a file on the window: text, "
    "M3U, rekordbox XML, CSV or a Serato crate."
)


class PrepTable(QTableView):
    """The lines; Enter or Alt+Down opens the current line's versions."""

    options_requested = Signal(int)  # row

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        opens = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not mods
        opens |= key == Qt.Key.Key_Down and bool(mods & Qt.KeyboardModifier.AltModifier)
        if opens and self.currentIndex().isValid():
            self.options_requested.emit(self.currentIndex().row())
        else:
            super().keyPressEvent(event)


class SetPrepView(QWidget):
    """Paste box, lines, summary, "Grab all found" and export."""

    text_submitted = Signal(str)
    file_chosen = Signal(object)  # Path
    grab_requested = Signal(str)  # "download" or "queue"
    export_requested = Signal(str)  # a format of EXPORTS

    def __init__(self, model: PrepModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setPrep")
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self._paste_row())
        self.table = self._table()
        layout.addWidget(self.table, 1)
        layout.addLayout(self._bottom_row())
        for signal in (model.modelReset, model.dataChanged):
            signal.connect(self._update_summary)
        self._update_summary()

    def _paste_row(self) -> QWidget:
        """The paste box and its Match button: shown while there is no list (or on Paste…)."""
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.paste_box = QPlainTextEdit(box)
        self.paste_box.setPlaceholderText(HINT + "\nOne track per line: Artist - Title")
        self.paste_box.setTabChangesFocus(True)
        self.paste_box.setMaximumHeight(self.fontMetrics().lineSpacing() * 3 + 16)
        row.addWidget(self.paste_box, 1)
        self.match_button = QPushButton("Match lines", box)
        self.match_button.setToolTip("Match the pasted lines against every pool (Ctrl+Enter)")
        self.match_button.clicked.connect(self.submit_text)
        local_shortcut("Ctrl+Return", self.paste_box, self.submit_text)  # the search bar's too
        row.addWidget(self.match_button, 0, Qt.AlignmentFlag.AlignTop)
        self.paste_row = box
        return box

    def _table(self) -> PrepTable:
        table = PrepTable(self)
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for section, column in enumerate(PREP_COLUMNS):
            header.resizeSection(section, column.width)
        table.setItemDelegateForColumn(PREP_COLUMN_INDEX["status"], StatusChipDelegate(table))
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(
            lambda pos: self.show_options(table.indexAt(pos).row(), pos)
        )
        table.doubleClicked.connect(lambda index: self.show_options(index.row()))
        table.options_requested.connect(self.show_options)
        return table

    def _bottom_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        row.addWidget(self.summary, 1)
        self.paste_button = QPushButton("Paste…", self)
        self.paste_button.setToolTip("Show the paste box for another list")
        self.paste_button.clicked.connect(self.show_paste_box)
        row.addWidget(self.paste_button)
        self.open_button = QPushButton("Open file…", self)
        self.open_button.setToolTip("Read a tracklist file (Ctrl+O in this view)")
        self.open_button.clicked.connect(self.open_file)
        local_shortcut("Ctrl+O", self, self.open_file)
        row.addWidget(self.open_button)
        self.grab_mode = QComboBox(self)
        for mode, text in GRAB_MODES.items():
            self.grab_mode.addItem(text, mode)
        self.grab_mode.setToolTip("What “Grab all found” does with the chosen versions")
        row.addWidget(self.grab_mode)
        self.grab_button = QPushButton("Grab all found", self)
        self.grab_button.setToolTip("Download (or queue) every found line's version (Ctrl+Shift+G)")
        self.grab_button.clicked.connect(self.grab_found)
        row.addWidget(self.grab_button)
        export = QToolButton(self)
        export.setText("Export")
        export.setToolTip("The lines' files as a playlist for your DJ software")
        export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(export)
        for fmt, text in EXPORTS.items():
            menu.addAction(text).triggered.connect(
                lambda _on=False, f=fmt: self.export_requested.emit(f)
            )
        export.setMenu(menu)
        self.export_button = export
        row.addWidget(export)
        return row

    # -- intents -------------------------------------------------------------------------------
    def submit_text(self) -> None:
        text = self.paste_box.toPlainText()
        if text.strip():
            self.text_submitted.emit(text)

    def show_paste_box(self) -> None:
        self.paste_row.setVisible(True)
        self.paste_box.setFocus()
        self.paste_box.selectAll()

    def open_file(self) -> None:
        picked, _ = QFileDialog.getOpenFileName(self, "Open a tracklist", "", FILE_FILTER)
        if picked:
            self.file_chosen.emit(Path(picked))

    def grab_found(self) -> None:
        self.grab_requested.emit(str(self.grab_mode.currentData()))

    def show_options(self, at: int, pos: QPoint | None = None) -> QMenu | None:
        """The menu of the line's versions (the chosen one checked); picking one chooses it."""
        line = self.model.rows[at] if 0 <= at < len(self.model.rows) else None
        if line is None or not line.options():
            return None
        menu = QMenu(self.table)
        for candidate in line.options():
            action = menu.addAction(option_text(candidate))
            action.setCheckable(True)
            chosen = line.chosen
            action.setChecked(chosen is not None and chosen.version is candidate.version)
            action.triggered.connect(lambda _on=False, c=candidate: self.model.choose(at, c))
        if pos is None:
            rect = self.table.visualRect(self.model.index(at, PREP_COLUMN_INDEX["chosen"]))
            pos = rect.bottomLeft()
        menu.popup(self.table.viewport().mapToGlobal(pos))
        self.options_menu = menu
        return menu

    def _update_summary(self, *_args: object) -> None:
        counts = self.model.counts()
        total = len(self.model.rows)
        self.paste_button.setVisible(bool(total))
        if total and self.paste_row.isVisible() and not self.paste_box.hasFocus():
            self.paste_row.setVisible(False)  # the lines get the room
        if not total:
            self.summary.setText(HINT)
            return
        parts = [f"{counts[s]} {s}" for s in ("have", "found", "ambiguous", "missing") if counts[s]]
        if counts["unparsed"]:
            parts.append(f"{counts['unparsed']} unreadable")
        waiting = f" — matching {counts[PENDING]}…" if counts[PENDING] else ""
        self.summary.setText(f"{total} lines: " + " · ".join(parts) + waiting)
        self.grab_button.setEnabled(counts["found"] > 0)


def option_text(candidate: Candidate) -> str:
    version = candidate.version
    row = version.row
    extra = " · ".join(p for p in (version.tool, version.advisory, row.pool) if p)
    text = f"{row.artist} - {row.title}   [{extra}]  {candidate.score:.0f}%"
    return text.replace("&", "&&")  # a menu reads a lone "&" as a mnemonic
