"""Paints a ``ColumnTable`` grid's text cells from laid-out text kept between paints.

Qt's own item delegate asks the model for seven roles per cell (seven calls into Python)
and shapes every cell's text anew on every paint; under a streaming search the grid
repaints ten times a second while the core thread and the pools' answers share the CPU, so
a paint stretched past a frame (docs/PERFORMANCE.md, "Lag while scrolling"). This delegate
reads the row straight from the model, elides and lays the text out once per text and width
(``QStaticText``, a bounded cache) and draws it with the theme's colours, with no text shaping
for a cell seen before. A view that calls ``paint_visible`` from its paint event draws all
its visible cells in one call into Python; ``paint`` (the delegate's, one call per cell) is
what Qt still uses elsewhere, e.g. for a drag's picture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView

if TYPE_CHECKING:
    from crateq.ui.columns import ColumnTable

PADDING = 9  # px each side of a cell's text: the theme's 6 px plus the focus frame Qt keeps
CACHE_LIMIT = 20_000  # laid-out texts kept; the cache starts over beyond it
RowT = TypeVar("RowT")
_RIGHT = int(Qt.AlignmentFlag.AlignRight)
_CENTER = int(Qt.AlignmentFlag.AlignHCenter)


def visible_selected_rows(view: QTableView) -> set[int]:
    """The selected rows among those on screen (a select-all of 100k rows stays cheap)."""
    selection, model = view.selectionModel(), view.model()
    if selection is None or model is None or not selection.hasSelection():
        return set()
    first = max(0, view.rowAt(0))
    last = view.rowAt(view.viewport().height() - 1)
    last = model.rowCount() - 1 if last < 0 else last
    root = view.rootIndex()
    return {r for r in range(first, last + 1) if selection.isRowSelected(r, root)}


class GridCells(QStyledItemDelegate, Generic[RowT]):
    """Text cells of ``model`` in ``view``: selection, alternate rows, bold for ``bold(row)``.

    ``begin_paint(view)`` (the view's paint event, once per paint) reads the colours, the font
    and which rows are selected, so a cell's paint is look-ups and one draw."""

    def __init__(
        self,
        model: ColumnTable[RowT],
        view: QTableView,
        bold: Callable[[RowT], bool] | None = None,
    ) -> None:
        super().__init__(view)
        self._model, self._bold_of = model, bold  # not the view: no cycle for the GC to break
        self._texts: dict[tuple[str, int, bool], tuple[QStaticText, int]] = {}
        self._selected: set[int] = set()
        self._current = (-1, -1)  # the focused cell (row, column), outlined when not selected
        font = QFont()  # the view's, read by begin_paint
        self._metrics = (QFontMetrics(font), QFontMetrics(font))
        self._fonts = (font, font)
        self._pens = (QColor(), QColor())
        self._fills: tuple[QColor | None, QColor | None, QColor] = (None, None, QColor())
        self._font_key = ""

    def begin_paint(self, view: QTableView) -> None:
        """What every cell of this paint shares: colours, fonts, the selected rows."""
        palette = view.palette()
        font = view.font()
        key = font.key()
        if key != self._font_key:  # a theme or text-size change: lay everything out again
            bold = QFont(font)
            bold.setBold(True)
            self._fonts = (font, bold)
            self._metrics = (QFontMetrics(font), QFontMetrics(bold))
            self._texts.clear()
            self._font_key = key
        self._pens = (
            palette.color(QPalette.ColorRole.Text),
            palette.color(QPalette.ColorRole.HighlightedText),
        )
        alternate = palette.color(QPalette.ColorRole.AlternateBase)
        self._fills = (None, alternate, palette.color(QPalette.ColorRole.Highlight))
        self._selected = visible_selected_rows(view)
        current = view.currentIndex()
        self._current = (current.row(), current.column()) if view.hasFocus() else (-1, -1)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self._cell(painter, option.rect, index.row(), index.column())

    def paint_visible(self, view: QTableView, painter: QPainter, area: QRect) -> None:
        """Every cell of ``view`` that meets ``area`` (viewport coordinates), in one call.

        What Qt's table paint would do with this delegate, without its per-cell round trip
        (a style option, an index and the flags asked for, each a call into Python): the
        grid draws no grid lines, spans or editors, so the cells are all it paints."""
        first = view.rowAt(area.top())
        if first < 0:  # no rows, or none down to the area's top
            return
        rows = len(self._model.rows)
        last = view.rowAt(area.bottom())
        last = rows - 1 if last < 0 else min(last, rows - 1)
        header = view.horizontalHeader()
        left, right = area.left(), area.right()
        columns = []
        for visual in range(header.count()):
            logical = header.logicalIndex(visual)
            if header.isSectionHidden(logical):
                continue
            x, width = header.sectionViewportPosition(logical), header.sectionSize(logical)
            if width > 0 and x <= right and x + width > left:
                columns.append((logical, x, width))
        painter.setFont(self._fonts[0])
        cell = self._cell
        for at in range(first, last + 1):
            y, height = view.rowViewportPosition(at), view.rowHeight(at)
            for logical, x, width in columns:
                cell(painter, QRect(x, y, width, height), at, logical)

    def _cell(self, painter: QPainter, rect: QRect, at: int, column_at: int) -> None:
        """Paint cell (``at``, ``column_at``) of the model into ``rect``."""
        model = self._model
        rows = model.rows
        if at >= len(rows):
            return
        row = rows[at]
        column = model.columns[column_at]
        placed = column.placed
        text = column.value(row) if placed is None else placed(row, model.place_of(row))
        selected = at in self._selected
        fill = self._fills[2] if selected else self._fills[at & 1]
        if fill is not None:
            painter.fillRect(rect, fill)
        if not selected and self._current[0] == at and self._current[1] == column_at:
            painter.setPen(self._fills[2])
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if not text:
            return
        bold = self._bold_of is not None and bool(self._bold_of(row))
        width = rect.width() - 2 * PADDING
        laid = self._laid_out(text, width, bold)
        if laid is None:
            return
        static, advance = laid
        align = int(column.align)
        x = rect.x() + PADDING
        if align & _RIGHT:
            x += width - advance
        elif align & _CENTER:
            x += (width - advance) // 2
        y = rect.y() + (rect.height() - self._metrics[bold].height()) // 2
        painter.setPen(self._pens[selected])
        if bold:
            painter.setFont(self._fonts[1])
            painter.drawStaticText(x, y, static)
            painter.setFont(self._fonts[0])
        else:
            painter.drawStaticText(x, y, static)

    def _laid_out(self, text: str, width: int, bold: bool) -> tuple[QStaticText, int] | None:
        """``text`` elided to ``width`` and laid out in the grid's (bold) font, kept."""
        key = (text, width, bold)
        laid = self._texts.get(key)
        if laid is None:
            if width <= 0:
                return None
            metrics = self._metrics[bold]
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
            static = QStaticText(shown)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(font=self._fonts[bold])
            if len(self._texts) >= CACHE_LIMIT:
                self._texts.clear()
            laid = self._texts[key] = (static, metrics.horizontalAdvance(shown))
        return laid
