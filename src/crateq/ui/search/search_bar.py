"""The search field with its per-pool status chips.

Typing restarts a ~250 ms debounce timer; Enter searches at once; Esc clears. Each pool in
the running search gets a chip whose colour says searching / ok / slow / error / timed out
and whose tooltip carries the pool's own message, so a failing pool is visible without
hiding the rows of the others. Under the field a "Did you mean: X?" hint can be shown
(``show_hint``, by ``crateq.ui.search.suggest_feature``); clicking it or Ctrl+Enter searches X.
"""

from __future__ import annotations

import html

from PySide6 import QtCore  # QtCore.Qt, not Qt: see crateq.ui.shell.window_modes
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from crateq.ui.search.controller import SEARCHING

DEBOUNCE_MS = 250
_CHIP_TEXT = {"searching": "…", "ok": "✓", "slow": "⏳", "error": "✕", "timeout": "⌛"}


class PoolChip(QLabel):
    """One pool's status; styled by the theme through the ``state`` property."""

    def __init__(self, pool: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chip")
        self.pool = pool
        self.state = ""
        self.set_state(SEARCHING, f"Searching {pool}…")

    def set_state(self, state: str, message: str) -> None:
        self.state = state
        self.setText(f"{self.pool} {_CHIP_TEXT.get(state, '')}")
        self.setToolTip(message)
        self.setProperty("state", state)
        self.style().unpolish(self)
        self.style().polish(self)


class SearchBar(QWidget):
    """Emits ``text_committed`` after the debounce or on Enter."""

    text_committed = Signal(str)
    filters_toggled = Signal(bool)
    saved_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit(self)
        self.field.setObjectName("searchField")
        # size and inner margins set here, not only in the theme: the first frame is painted
        # before the style sheet (crateq.ui.shell.theme) and must not jump when it arrives
        font = self.field.font()
        font.setPointSize(14)
        self.field.setFont(font)
        self.field.setTextMargins(8, 6, 8, 6)
        self.field.setPlaceholderText("Search artist, title or editor…  (Ctrl+F)")
        self.field.setClearButtonEnabled(True)
        self.filters_button = QToolButton(self)
        self.filters_button.setText("Filters")
        self.filters_button.setCheckable(True)
        self.filters_button.setToolTip("Show or hide the filter panel")
        self.saved_button = QToolButton(self)
        self.saved_button.setText("Saved")
        self.saved_button.setToolTip("Save this search or recall a saved one")
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.chips: dict[str, PoolChip] = {}
        self.committed = ""  # the text of the last search asked for
        self.hint = QLabel(self)  # "Did you mean: X?", hidden until a search finds nothing
        self.hint.setObjectName("didYouMean")
        self.hint.hide()
        self.hinted = ""
        self._chip_row = QHBoxLayout()
        self._chip_row.setContentsMargins(0, 0, 0, 0)
        self._chip_row.setSpacing(6)
        self._chip_row.addStretch(1)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.field, 1)
        top.addWidget(self.filters_button)
        top.addWidget(self.saved_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(self._chip_row)
        layout.addWidget(self.hint)

        self.field.textEdited.connect(lambda _text: self.debounce.start())
        self.field.returnPressed.connect(self.commit)
        self.debounce.timeout.connect(self.commit)
        self.filters_button.toggled.connect(self.filters_toggled)
        self.saved_button.clicked.connect(self.saved_requested)
        self.hint.linkActivated.connect(lambda _link: self.accept_hint())
        accept = QShortcut(QKeySequence("Ctrl+Return"), self.field, self.accept_hint)
        accept.setContext(QtCore.Qt.ShortcutContext.WidgetShortcut)

    def text(self) -> str:
        return self.field.text().strip()

    def commit(self) -> None:
        self.debounce.stop()
        self.committed = self.text()
        self.text_committed.emit(self.text())

    def clear(self) -> None:
        self.debounce.stop()
        self.field.clear()
        self.text_committed.emit("")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self.clear()
            return
        super().keyPressEvent(event)

    # -- "did you mean" ------------------------------------------------------------------------
    def show_hint(self, text: str) -> None:
        self.hinted = text
        link = f'<a href="suggest">{html.escape(text)}</a>'
        self.hint.setText(f"Did you mean: {link}?  (Ctrl+Enter)")
        self.hint.show()

    def clear_hint(self) -> None:
        self.hinted = ""
        self.hint.hide()

    def accept_hint(self) -> None:
        """Search for the hinted text (the link or Ctrl+Enter); nothing without a hint."""
        if self.hinted:
            text = self.hinted
            self.clear_hint()
            self.field.setText(text)
            self.commit()

    # -- chips ---------------------------------------------------------------------------------
    def reset_chips(self, pools: list[str]) -> None:
        for chip in self.chips.values():
            self._chip_row.removeWidget(chip)
            chip.deleteLater()
        self.chips = {}
        for pool in pools:
            chip = PoolChip(pool, self)
            self.chips[pool] = chip
            self._chip_row.insertWidget(self._chip_row.count() - 1, chip)

    def set_chip(self, pool: str, state: str, message: str) -> None:
        chip = self.chips.get(pool)
        if chip is None:
            chip = PoolChip(pool, self)
            self.chips[pool] = chip
            self._chip_row.insertWidget(self._chip_row.count() - 1, chip)
        chip.set_state(state, message)
