"""The filter panel: every search filter the pools understand, as one query spec.

``spec()`` returns a :class:`QuerySpec`, a plain dict keyed by ``MediaQuery`` field names
(only the filters that narrow anything); ``set_spec()`` restores one (saved searches).
Genre, category, mix and quality lists are filled from the pools' look-up lists when they
arrive. Any change emits ``changed`` so the search re-runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypedDict, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from superqt import QRangeSlider

    from crateq.api.pool_models import Genre, GenreCategory, VideoQuality

BPM_RANGE = (60, 200)
YEAR_RANGE = (1960, dt.date.today().year)
_ID_ROLE = Qt.ItemDataRole.UserRole
Ident = TypeVar("Ident", int, str)


class QuerySpec(TypedDict, total=False):
    """A search as plain ``MediaQuery`` fields: what ``spec()`` gives and saved searches keep.

    A key is present only when it narrows the search; ``keywords`` is the search field's
    text, added by the main window.
    """

    keywords: str
    genre_ids: list[int]
    category_ids: list[int]
    quality_ids: list[int]
    mix: list[str]
    bpm: str  # "120" or "80-90"
    release_year: str  # "1999" or "1990-1999"
    editor: str
    advisory: str  # "Clean" or "Dirty"
    media: str  # "audio" or "video"
    days: int
    keys: list[str]  # Camelot codes ("8A"): not a pool filter, the rows are kept by key


class LookupLists(Protocol):
    """The pools' look-up lists (``crateq.ui.search.controller.Lookups``)."""

    @property
    def genres(self) -> Sequence[Genre]: ...

    @property
    def categories(self) -> Sequence[GenreCategory]: ...

    @property
    def qualities(self) -> Sequence[VideoQuality]: ...

    @property
    def mixes(self) -> Sequence[str]: ...


class CheckList(QListWidget, Generic[Ident]):
    """A compact list of checkable items; ``checked()`` gives their ids."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(92)
        self.setMaximumHeight(132)
        self.setUniformItemSizes(True)

    def fill(self, items: list[tuple[Ident, str]]) -> None:
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

    def checked(self) -> list[Ident]:
        return [
            self.item(i).data(_ID_ROLE)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, idents: list[Ident]) -> None:
        wanted = set(idents)
        for i in range(self.count()):
            item = self.item(i)
            on = item.data(_ID_ROLE) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


class RangeFilter(QWidget):
    """A range slider with a number box at each end; ``text()`` is the wire form.

    The number boxes hold the value; the slider (superqt's ``QRangeSlider``) mirrors them
    and is added by ``add_slider()``: importing superqt is slow (it pulls in qtpy and
    QtOpenGL; docs/PERFORMANCE.md), so the app adds it after its first paint. ``changed``
    fires when the user lets go of a handle or finishes typing a number, not on every pixel
    of a drag.
    """

    changed = Signal()

    def __init__(self, bounds: tuple[int, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bounds = bounds
        self.slider: QRangeSlider | None = None
        self._emitted = bounds
        self.low, self.high = QSpinBox(self), QSpinBox(self)
        for box, value in ((self.low, bounds[0]), (self.high, bounds[1])):
            box.setRange(*bounds)
            box.setValue(value)
            box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.setFixedWidth(58)
            box.editingFinished.connect(self._typed)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.low)
        self._layout.addStretch(1)
        self._layout.addWidget(self.high)

    def add_slider(self) -> None:
        if self.slider is not None:
            return
        from superqt import QRangeSlider

        # superqt's constructor has no annotations (it takes QSlider's arguments)
        slider = QRangeSlider(Qt.Orientation.Horizontal, self)  # type: ignore[no-untyped-call]
        self.slider = slider
        slider.setRange(*self.bounds)
        slider.setValue(self.value())
        slider.setMinimumSize(90, 28)
        self._layout.takeAt(1)  # the stretch that kept its place
        self._layout.insertWidget(1, slider, 1)
        slider.valueChanged.connect(self._slid)
        slider.sliderReleased.connect(self._released)

    def value(self) -> tuple[int, int]:
        return self.low.value(), self.high.value()

    def set_value(self, value: tuple[int, int]) -> None:
        low, high = sorted(value)
        self._show((low, high))
        if self.slider is not None:
            was_blocked = self.slider.blockSignals(True)
            self.slider.setValue((low, high))
            self.slider.blockSignals(was_blocked)
        self._emitted = (low, high)

    def text(self) -> str | None:
        """None for the whole range (no filter), ``"120"`` or ``"80-90"`` otherwise."""
        low, high = self.value()
        if (low, high) == self.bounds:
            return None
        return str(low) if low == high else f"{low}-{high}"

    def set_text(self, text: str | None) -> None:
        if not text:
            self.set_value(self.bounds)
            return
        low, _, high = str(text).partition("-")
        self.set_value((int(low), int(high or low)))

    def _show(self, value: tuple[int, int]) -> None:
        for box, number in zip((self.low, self.high), value, strict=True):
            was_blocked = box.blockSignals(True)
            box.setValue(int(number))
            box.blockSignals(was_blocked)

    def _slid(self, value: tuple[float, float]) -> None:
        self._show((int(value[0]), int(value[1])))

    def _released(self) -> None:
        self._commit(self.value())

    def _typed(self) -> None:
        self._commit(self.value())

    def _commit(self, wanted: tuple[int, int]) -> None:
        if wanted != self._emitted:
            self.set_value(wanted)
            self.changed.emit()


class KeyFilter(QWidget):
    """Musical keys as the CLI's ``--key`` takes them ("8A, 9A", "Am" or "1m"); a part that
    is no key is named under the field and the filter keeps its last good value."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("any key: 8A, 9A or Am")
        self.field.setClearButtonEnabled(True)
        self.field.setToolTip(
            "Camelot codes (8A), key names (Am, F# major) or Open Key (1m), comma-separated."
            " Keys come from the library's analysis, or from a pool that sends them."
        )
        self.error = QLabel(self)
        self.error.setObjectName("filterError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ff8080;")
        self.error.hide()
        self.codes: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.field)
        layout.addWidget(self.error)
        self.field.editingFinished.connect(self._edited)
        self.field.textChanged.connect(lambda text: self._edited() if not text else None)

    def _edited(self) -> None:
        from crateq.core.keys import camelot_order, parse_key_filter

        try:
            codes = sorted(parse_key_filter(self.field.text()), key=camelot_order)
        except ValueError as exc:
            self.error.setText(f"{exc}.")
            self.error.show()
            return
        self.error.hide()
        if codes != self.codes:
            self.codes = codes
            self.changed.emit()

    def set_codes(self, codes: Sequence[str]) -> None:
        self.codes = [str(code) for code in codes]
        was_blocked = self.field.blockSignals(True)
        self.field.setText(", ".join(self.codes))
        self.field.blockSignals(was_blocked)
        self.error.hide()


class FiltersPanel(QWidget):
    """All filters; emits ``changed`` whenever the resulting spec changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pools: CheckList[str] = CheckList(self)
        self.genres: CheckList[int] = CheckList(self)
        self.categories: CheckList[int] = CheckList(self)
        self.mixes: CheckList[str] = CheckList(self)
        self.qualities: CheckList[int] = CheckList(self)
        self.bpm = RangeFilter(BPM_RANGE, self)
        self.year = RangeFilter(YEAR_RANGE, self)
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
        self.days.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.keys = KeyFilter(self)

        form = QFormLayout()  # labels over their fields: the panel fits a narrow dock
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.addRow("Pools", self.pools)
        form.addRow("BPM", self.bpm)
        form.addRow("Key", self.keys)
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
        self.bpm.changed.connect(self.changed)
        self.year.changed.connect(self.changed)
        self.keys.changed.connect(self.changed)
        self.editor.editingFinished.connect(self.changed)
        self.advisory.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.media.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.days.valueChanged.connect(lambda _v: self.changed.emit())

    def add_sliders(self) -> None:
        """The range sliders (superqt), once the window is on screen."""
        self.bpm.add_slider()
        self.year.add_slider()

    # -- look-up lists -------------------------------------------------------------------------
    def set_pools(self, names: list[str]) -> None:
        was_blocked = self.pools.blockSignals(True)
        self.pools.fill([(n, n) for n in names])
        self.pools.set_checked(names)
        self.pools.blockSignals(was_blocked)

    def set_lookups(self, lookups: LookupLists) -> None:
        self.genres.fill([(g.genre_id, g.title) for g in lookups.genres])
        self.categories.fill([(c.category_id, c.title) for c in lookups.categories])
        self.mixes.fill([(m, m) for m in lookups.mixes])
        self.qualities.fill([(q.quality_id, q.title) for q in lookups.qualities])

    def selected_pools(self) -> list[str]:
        return [str(n) for n in self.pools.checked()]

    # -- the query spec ------------------------------------------------------------------------
    def spec(self) -> QuerySpec:
        """The filters as MediaQuery fields; only those that narrow the search."""
        spec: QuerySpec = {}
        if genre_ids := self.genres.checked():
            spec["genre_ids"] = genre_ids
        if category_ids := self.categories.checked():
            spec["category_ids"] = category_ids
        if quality_ids := self.qualities.checked():
            spec["quality_ids"] = quality_ids
        if mix := self.mixes.checked():
            spec["mix"] = mix
        if bpm := self.bpm.text():
            spec["bpm"] = bpm
        if release_year := self.year.text():
            spec["release_year"] = release_year
        if editor := self.editor.text().strip():
            spec["editor"] = editor
        if self.advisory.currentIndex():
            spec["advisory"] = self.advisory.currentText()
        if self.media.currentIndex():
            spec["media"] = self.media.currentText().lower()
        if days := self.days.value():
            spec["days"] = days
        if keys := self.keys.codes:
            spec["keys"] = list(keys)
        return spec

    def set_spec(self, spec: QuerySpec) -> None:
        was_blocked = self.blockSignals(True)
        try:
            self.genres.set_checked(spec.get("genre_ids", []))
            self.categories.set_checked(spec.get("category_ids", []))
            self.qualities.set_checked(spec.get("quality_ids", []))
            self.mixes.set_checked(spec.get("mix", []))
            self.bpm.set_text(spec.get("bpm"))
            self.year.set_text(spec.get("release_year"))
            self.editor.setText(spec.get("editor", ""))
            advisory = self.advisory.findText(spec.get("advisory") or "Any")
            self.advisory.setCurrentIndex(max(0, advisory))
            media = {"audio": 1, "video": 2}.get(spec.get("media") or "", 0)
            self.media.setCurrentIndex(media)
            self.days.setValue(int(spec.get("days") or 0))
            self.keys.set_codes(spec.get("keys", []))
        finally:
            self.blockSignals(was_blocked)
        self.changed.emit()
