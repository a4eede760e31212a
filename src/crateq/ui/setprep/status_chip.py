"""The status column's chips: a rounded label per line status, readable on every theme.

White text on saturated fills (each at least 4.5:1 contrast with its text), so a chip reads
on the dark theme's grey rows as well as on a selected row's highlight.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

#: status -> (fill, text, what the chip says)
CHIPS: dict[str, tuple[str, str, str]] = {
    "have": ("#1d7048", "#ffffff", "have"),
    "found": ("#2456a6", "#ffffff", "found"),
    "ambiguous": ("#8f5c00", "#ffffff", "ambiguous"),
    "missing": ("#a23636", "#ffffff", "missing"),
    "unparsed": ("#5b6068", "#ffffff", "unreadable"),
    "…": ("#3a3f46", "#d8dce2", "matching…"),
}


class StatusChipDelegate(QStyledItemDelegate):
    """Paints the status text as a chip; the selection still shows behind it."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        status = str(index.data() or "")
        fill, text, label = CHIPS.get(status, CHIPS["…"])
        style = option.widget.style() if option.widget is not None else None
        if style is not None:  # the row's background and selection, without the text
            plain = QStyleOptionViewItem(option)
            self.initStyleOption(plain, index)
            plain.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, option.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = option.fontMetrics
        width = min(metrics.horizontalAdvance(label) + 18, option.rect.width() - 8)
        height = min(metrics.height() + 6, option.rect.height() - 6)
        rect = QRectF(
            option.rect.center().x() - width / 2 + 1,
            option.rect.center().y() - height / 2 + 1,
            width,
            height,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(fill))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor(text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()
