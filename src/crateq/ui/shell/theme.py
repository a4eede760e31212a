"""Themes: QSS files in ``resources/themes`` plus a base font size, applied app-wide.

A DJ reads the grid at arm's length in a dark booth: the default theme is dark with high
contrast and an 11 pt base font; ``high-contrast`` and ``large-text`` push both further.

A style sheet makes Qt style every widget through its style-sheet engine, which costs more
at start-up than building the window (docs/PERFORMANCE.md). So the first frame is painted
with ``apply_palette`` — the same theme's colours and font as a palette, read from the QSS
file's own rules, so nothing flashes white in a dark booth — and ``apply_theme`` adds the
full style sheet right after it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

THEMES: dict[str, tuple[str, int]] = {
    # name -> (qss file, base point size)
    "dark": ("dark.qss", 11),
    "high-contrast": ("high-contrast.qss", 12),
    "large-text": ("dark.qss", 15),
}


def resources_dir() -> Path:
    """``resources/`` next to ``src/`` in a checkout; in the frozen app (PyInstaller, see
    packaging/crateq.spec) the copy bundled as data, under the bundle's data folder."""
    bundle = getattr(sys, "_MEIPASS", None) if getattr(sys, "frozen", False) else None
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[4] / "resources"


def theme_names() -> list[str]:
    return list(THEMES)


def theme_qss(name: str) -> str:
    qss_name, _points = THEMES.get(name, THEMES["dark"])
    path = resources_dir() / "themes" / qss_name
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def apply_theme(app: QApplication, name: str) -> None:
    """Apply a theme; an unknown name or a missing file falls back to Qt's default look."""
    qss = theme_qss(name)
    apply_palette(app, name, qss)
    app.setStyleSheet(qss)


_RULES = re.compile(r"(?m)^([^{}\n]+?)\s*\{([^}]*)\}")
_DECLARATION = re.compile(r"([a-z-]+)\s*:\s*([^;]+);")
_PALETTE_ROLES: dict[str, tuple[str, str, tuple[QPalette.ColorRole, ...]]] = {
    # (rule, property) in the QSS -> palette roles that get that colour
    "window": ("QWidget", "background", (QPalette.ColorRole.Window, QPalette.ColorRole.Base)),
    "text": (
        "QWidget",
        "color",
        (
            QPalette.ColorRole.WindowText,
            QPalette.ColorRole.Text,
            QPalette.ColorRole.ButtonText,
            QPalette.ColorRole.ToolTipText,
        ),
    ),
    "selection": ("QWidget", "selection-background-color", (QPalette.ColorRole.Highlight,)),
    "selected": ("QWidget", "selection-color", (QPalette.ColorRole.HighlightedText,)),
    "field": ("QLineEdit, QComboBox", "background", (QPalette.ColorRole.Base,)),
    "button": ("QToolButton", "background", (QPalette.ColorRole.Button,)),
    "alternate": ("QTableView", "alternate-background-color", (QPalette.ColorRole.AlternateBase,)),
    "tooltip": ("QToolTip", "background", (QPalette.ColorRole.ToolTipBase,)),
}


def theme_colours(qss: str) -> dict[QPalette.ColorRole, str]:
    """The palette colours a theme's QSS sets in its plain rules (the first rule of a
    selector counts, as a search of the file would find it)."""
    rules: dict[str, dict[str, str]] = {}
    for selector, body in _RULES.findall(qss):
        rules.setdefault(selector.strip(), dict(_DECLARATION.findall(body)))
    colours: dict[QPalette.ColorRole, str] = {}
    for selector, prop, roles in _PALETTE_ROLES.values():
        value = rules.get(selector, {}).get(prop, "").strip()
        if value and QColor.isValidColorName(value):
            for role in roles:
                colours[role] = value
    return colours


def apply_palette(app: QApplication, name: str, qss: str | None = None) -> None:
    """The theme's font and colours without its style sheet: the look of the first frame."""
    _qss_name, points = THEMES.get(name, THEMES["dark"])
    font = QFont(app.font())
    font.setPointSize(points)
    app.setFont(font)
    palette = app.palette()  # a copy (the QPalette(QPalette) constructor touches ``Qt``)
    colours = theme_colours(theme_qss(name) if qss is None else qss)
    for role, value in colours.items():
        palette.setColor(role, QColor(value))
    if QPalette.ColorRole.Text in colours:  # Qt derives it from its own default text colour
        hint = QColor(colours[QPalette.ColorRole.Text])
        hint.setAlpha(150)
        palette.setColor(QPalette.ColorRole.PlaceholderText, hint)
    app.setPalette(palette)
    app.setProperty("crateq_theme", name)
