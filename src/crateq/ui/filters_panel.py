"""The filter panel: every search filter the pools understand, as one query spec.

``spec()`` returns a plain dict keyed by ``MediaQuery`` field names (only the filters that
narrow anything), ``set_spec()`` restores one (saved searches). Genre, category, mix and
quality lists are filled from the pools' look-up lists when they arrive. Any change emits
``changed`` so the search re-runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledRangeSlider

BPM_RANGE = (60, 200)
YEAR_RANGE = (1960, dt.date.today().year)
_ID_ROLE = Qt.ItemDataRole.UserRole


class CheckList(QListWidget):
    """A compact list of checkable items; ``checked()`` gives their ids."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaximumHeight(120)
        self.setUniformItemSizes(True)

    def fill(self, items: list[tuple[Any, str]]) -> None:
        kept = set(self.checked())
        was_blocked = self.blockSignals(True)
        self.clear()
        for ident, title in items:
            item = QListWidgetItem(title, self)
            item.setData(_ID_ROLE, ident)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = ident in kept
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.blockSignals(was_blocked)

    def checked(self) -> list[Any]:
        return [
            self.item(i).data(_ID_ROLE)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, idents: list[Any]) -> None:
        wanted = set(idents)
        for i in range(self.count()):
            item = self.item(i)
            on = item.data(_ID_ROLE) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def _range_slider(bounds: tuple[int, int]) -> QLabeledRangeSlider:
    slider = QLabeledRangeSlider(Qt.Orientation.Horizontal)
    slider.setRange(*bounds)
    slider.setValue(bounds)
    return slider


def _range_text(slider: QLabeledRangeSlider, bounds: tuple[int, int]) -> str | None:
    low, high = (int(v) for v in slider.value())
    if (low, high) == bounds:
        return None
    return str(low) if low == high else f"{low}-{high}"


def _set_range(slider: QLabeledRangeSlider, text: str | None, bounds: tuple[int, int]) -> None:
    if not text:
        slider.setValue(bounds)
        return
    low, _, high = str(text).partition("-")
    slider.setValue((int(low), int(high or low)))


class FiltersPanel(QWidget):
    """All filters; emits ``changed`` whenever the resulting spec changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pools = CheckList(self)
        self.genres = CheckList(self)
        self.categories = CheckList(self)
        self.mixes = CheckList(self)
        self.qualities = CheckList(self)
        self.bpm = _range_slider(BPM_RANGE)
        self.year = _range_slider(YEAR_RANGE)
        self.editor = QLineEdit(self)
        self.editor.setPlaceholderText("any editor")
        self.advisory = QComboBox(self)
        self.advisory.addItems(["Any", "Clean", "Dirty"])
        self.media = QComboBox(self)
        self.media.addItems(["Audio + video", "Audio", "Video"])
        self.days = QSpinBox(self)
        self.days.setRange(0, 3650)
        self.days.setSpecialValueText("any time")
        self.days.setSuffix(" days")

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Pools", self.pools)
        form.addRow("BPM", self.bpm)
        form.addRow("Year", self.year)
        form.addRow("Genres", self.genres)
        form.addRow("Categories", self.categories)
        form.addRow("Mix", self.mixes)
        form.addRow("Editor", self.editor)
        row = QHBoxLayout()
        row.addWidget(self.advisory)
        row.addWidget(self.media)
        form.addRow("Content", row)
        form.addRow("Video quality", self.qualities)
        form.addRow("Published within", self.days)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addStretch(1)

        for lst in (self.pools, self.genres, self.categories, self.mixes, self.qualities):
            lst.itemChanged.connect(lambda _item: self.changed.emit())
        for slider in (self.bpm, self.year):
            slider.sliderReleased.connect(self.changed)
            slider.editingFinished.connect(self.changed)  # numbers typed into the labels
        self.editor.editingFinished.connect(self.changed)
        self.advisory.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.media.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.days.valueChanged.connect(lambda _v: self.changed.emit())

    # -- look-up lists -------------------------------------------------------------------------
    def set_pools(self, names: list[str]) -> None:
        was_blocked = self.pools.blockSignals(True)
        self.pools.fill([(n, n) for n in names])
        self.pools.set_checked(names)
        self.pools.blockSignals(was_blocked)

    def set_lookups(self, lookups: Any) -> None:
        self.genres.fill([(g.genre_id, g.title) for g in lookups.genres])
        self.categories.fill([(c.category_id, c.title) for c in lookups.categories])
        self.mixes.fill([(m, m) for m in lookups.mixes])
        self.qualities.fill([(q.quality_id, q.title) for q in lookups.qualities])

    def selected_pools(self) -> list[str]:
        return [str(n) for n in self.pools.checked()]

    # -- the query spec ------------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        """The filters as MediaQuery fields; only those that narrow the search."""
        spec: dict[str, Any] = {
            "genre_ids": self.genres.checked(),
            "category_ids": self.categories.checked(),
            "quality_ids": self.qualities.checked(),
            "mix": self.mixes.checked(),
            "bpm": _range_text(self.bpm, BPM_RANGE),
            "release_year": _range_text(self.year, YEAR_RANGE),
            "editor": self.editor.text().strip(),
            "advisory": self.advisory.currentText() if self.advisory.currentIndex() else None,
            "media": self.media.currentText().lower() if self.media.currentIndex() else None,
            "days": self.days.value() or None,
        }
        return {k: v for k, v in spec.items() if v not in (None, "", [])}

    def set_spec(self, spec: dict[str, Any]) -> None:
        was_blocked = self.blockSignals(True)
        try:
            self.genres.set_checked(spec.get("genre_ids", []))
            self.categories.set_checked(spec.get("category_ids", []))
            self.qualities.set_checked(spec.get("quality_ids", []))
            self.mixes.set_checked(spec.get("mix", []))
            _set_range(self.bpm, spec.get("bpm"), BPM_RANGE)
            _set_range(self.year, spec.get("release_year"), YEAR_RANGE)
            self.editor.setText(spec.get("editor", ""))
            advisory = self.advisory.findText(spec.get("advisory") or "Any")
            self.advisory.setCurrentIndex(max(0, advisory))
            media = {"audio": 1, "video": 2}.get(spec.get("media") or "", 0)
            self.media.setCurrentIndex(media)
            self.days.setValue(int(spec.get("days") or 0))
        finally:
            self.blockSignals(was_blocked)
        self.changed.emit()
