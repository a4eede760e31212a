"""The three window modes as data, plus the pieces the frameless widget mode needs.

Widget mode floats over the DJ software: a frameless tool window that stays on top, does not
take keyboard focus when it appears (so the DJ software keeps it) and only accepts focus once
the DJ clicks into it. It is moved by dragging its handle, snaps to screen edges, and is
resized by a size grip. App mode is a normal window; fullscreen is app mode without frame.

``Qt`` is reached as ``QtCore.Qt`` when used, not imported: PySide builds the Python enums
of the whole ``Qt`` namespace when it is first touched, time that app and fullscreen mode no
longer spend before their first frame (widget mode needs its flags; docs/PERFORMANCE.md).
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6 import QtCore
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QLayout, QWidget

from crateq.ui.shell.mode_names import APP, FULLSCREEN, MODES, WIDGET

__all__ = ["APP", "FULLSCREEN", "MODES", "WIDGET"]
SNAP_DISTANCE = 24  # px: closer than this to a screen edge and the widget sticks to it


class ModeSpec(NamedTuple):
    """How a mode looks: panels shown, default size (window flags: ``window_flags``)."""

    show_filters: bool
    default_size: tuple[int, int]
    min_size: tuple[int, int]
    title: str
    shortcut: str


MODE_SPECS: dict[str, ModeSpec] = {
    WIDGET: ModeSpec(False, (720, 460), (440, 60), "Widget", "Ctrl+1"),
    APP: ModeSpec(True, (1400, 820), (640, 420), "App", "Ctrl+2"),
    FULLSCREEN: ModeSpec(True, (1400, 820), (640, 420), "Fullscreen", "Ctrl+3"),
}


# widget mode: the toolbar and the preview bar as slim rows, so the grid keeps 8 rows
SLIM_TOOLBAR = "QToolBar { padding: 1px 4px; spacing: 4px; } QToolButton { padding: 1px 8px; }"
SLIM_PREVIEW = "QPushButton, QComboBox { padding: 1px 6px; }"
FRAME_MARGINS = {WIDGET: (6, 4, 6, 2)}  # the window frame's; the default: ``APP_MARGINS``
APP_MARGINS = (10, 8, 10, 6)


def fit_rows(mode: str, toolbar: QWidget, preview: QWidget | None, frame: QLayout) -> None:
    """Widget mode's toolbar, preview bar and frame are slim, so the grid keeps 8 rows."""
    slim = mode == WIDGET
    toolbar.setStyleSheet(SLIM_TOOLBAR if slim else "")
    if preview is not None:
        preview.setStyleSheet(SLIM_PREVIEW if slim else "")
    frame.setContentsMargins(*FRAME_MARGINS.get(mode, APP_MARGINS))
    frame.setSpacing(4 if slim else 8)


def window_flags(mode: str) -> QtCore.Qt.WindowType:
    """Widget mode: a frameless tool window on top that does not take focus when shown."""
    kind = QtCore.Qt.WindowType
    if mode == WIDGET:
        return (
            kind.Tool
            | kind.FramelessWindowHint
            | kind.WindowStaysOnTopHint
            | kind.WindowDoesNotAcceptFocus
        )
    return kind.Window


def snap_to_edges(frame: QRect, screen: QRect, distance: int = SNAP_DISTANCE) -> QPoint:
    """Top-left for ``frame`` after sticking to any ``screen`` edge closer than ``distance``."""
    x, y = frame.x(), frame.y()
    if abs(frame.left() - screen.left()) <= distance:
        x = screen.left()
    elif abs(screen.right() - frame.right()) <= distance:
        x = screen.right() - frame.width() + 1
    if abs(frame.top() - screen.top()) <= distance:
        y = screen.top()
    elif abs(screen.bottom() - frame.bottom()) <= distance:
        y = screen.bottom() - frame.height() + 1
    return QPoint(x, y)


class DragHandle(QLabel):
    """Grab here to move a frameless window; it snaps to screen edges when released."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setToolTip("Drag to move; it snaps to screen edges")
        self._grab: QPoint | None = None  # its move cursor: ``MainWindow.build_body``

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            window = self.window()
            self._grab = event.globalPosition().toPoint() - window.frameGeometry().topLeft()
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is not None:
            self.window().move(event.globalPosition().toPoint() - self._grab)
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._grab is None:
            return
        self._grab = None
        window = self.window()
        screen = window.screen()
        if screen is not None:
            window.move(snap_to_edges(window.frameGeometry(), screen.availableGeometry()))
        event.accept()
