"""Themes: QSS files in ``resources/themes`` plus a base font size, applied app-wide.

A DJ reads the grid at arm's length in a dark booth: the default theme is dark with high
contrast and an 11 pt base font; ``high-contrast`` and ``large-text`` push both further.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

THEMES: dict[str, tuple[str, int]] = {
    # name -> (qss file, base point size)
    "dark": ("dark.qss", 11),
    "high-contrast": ("high-contrast.qss", 12),
    "large-text": ("dark.qss", 15),
}


def resources_dir() -> Path:
    """``resources/`` next to ``src/`` in a checkout; bundled copies may set it elsewhere."""
    return Path(__file__).resolve().parents[3] / "resources"


def theme_names() -> list[str]:
    return list(THEMES)


def apply_theme(app: QApplication, name: str) -> None:
    """Apply a theme; an unknown name or a missing file falls back to Qt's default look."""
    qss_name, points = THEMES.get(name, THEMES["dark"])
    font = QFont(app.font())
    font.setPointSize(points)
    app.setFont(font)
    path = resources_dir() / "themes" / qss_name
    qss = path.read_text(encoding="utf-8") if path.is_file() else ""
    app.setStyleSheet(qss)
    app.setProperty("crateq_theme", name)
