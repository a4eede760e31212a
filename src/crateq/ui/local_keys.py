"""Keyboard shortcuts that belong to one panel: active while the focus is inside it.

PySide6's ``QShortcut(..., context=...)`` constructor leaves the context at its default
(the whole window), so a panel's Del or Ctrl+O would fire from anywhere in the window; the
context is set here after construction.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def local_shortcut(
    keys: QKeySequence | str, panel: QWidget, slot: Callable[[], object]
) -> QShortcut:
    """A shortcut for ``keys`` that runs ``slot`` while the focus is in ``panel``."""
    shortcut = QShortcut(QKeySequence(keys), panel)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(slot)
    return shortcut
