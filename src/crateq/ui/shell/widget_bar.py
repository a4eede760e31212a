"""Widget mode's one slim top row: the mode buttons fold into a menu, the status text joins.

A floating widget over the DJ software has little height to give; every row of chrome is a
row of the grid fewer. So in widget mode the three mode buttons become one "Mode" menu
button, and the status bar's message is shown at the end of the toolbar instead of in a row
of its own. The menu's entries trigger the (then hidden) toolbar actions and take over
their shortcuts while they show.
"""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QSizePolicy,
    QStatusBar,
    QToolBar,
    QToolButton,
    QWidget,
)


class ElidedLabel(QLabel):
    """A label that takes the room left in a row and elides what does not fit."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        policy = QSizePolicy.Policy
        self.setSizePolicy(policy.Expanding, policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(40, super().sizeHint().height())  # never widens the bar

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect().adjusted(6, 0, 0, 0)
        qt = QtCore.Qt  # when painted, not at import (crateq.ui.shell.window_modes)
        text = self.fontMetrics().elidedText(self.text(), qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, qt.AlignmentFlag.AlignLeft | qt.AlignmentFlag.AlignVCenter, text)


class WidgetBar:
    """Folds ``bar``'s mode buttons (the menu goes ``before`` an action) and ``status``."""

    def __init__(
        self, bar: QToolBar, modes: dict[str, QAction], before: QAction, status: QStatusBar
    ) -> None:
        self.bar, self.modes, self.status = bar, modes, status
        menu = QMenu(bar)
        button = QToolButton(bar)
        self.copies: dict[QAction, QAction] = {}  # toolbar action -> its entry in the menu
        for action in modes.values():
            copy = menu.addAction(action.text())
            copy.triggered.connect(action.trigger)
            button.addAction(copy)  # its shortcut works while the button shows
            self.copies[action] = copy
        button.setText("Mode")
        button.setToolTip("Widget, app or fullscreen")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(menu)
        self.menu_button = button
        self.menu_action = bar.insertWidget(before, button)
        self.message = ElidedLabel(bar)
        self.message.setObjectName("widgetStatus")
        self.message_action = bar.addWidget(self.message)
        status.messageChanged.connect(self.message.setText)
        self.fold(False)

    def fold(self, on: bool) -> None:
        """Widget mode (``on``): one menu button for the modes, the status in the bar."""
        for action, copy in self.copies.items():
            if on:  # the hidden action's shortcut is off: its copy takes it over
                copy.setShortcut(action.shortcut())
            action.setVisible(not on)
            copy.setVisible(on)
        self.menu_action.setVisible(on)
        self.message_action.setVisible(on)
        self.message.setText(self.status.currentMessage())
