"""The results grid's own cell painter (``crateq.ui.grid_cells``): what a DJ sees in the grid.

The grid is grabbed to an image and read pixel by pixel: selected rows in the theme's
highlight, alternate rows in its alternate colour, text where each column aligns it, long
text cut with an ellipsis, queued rows in bold.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from crateq.api.pool_models import MediaRow
from crateq.ui.grid_cells import PADDING
from crateq.ui.search.columns import RESULT_COLUMN_INDEX
from crateq.ui.search.results_model import ResultsModel
from crateq.ui.search.results_view import ROW_HEIGHT, ResultsView
from crateq.ui.shell.theme import apply_theme


def _rows() -> list[MediaRow]:
    rows = []
    for i in range(6):
        row = MediaRow(
            mediaId=i + 1, artist=f"Artist {i}", title="A title " + "long " * 20 * (i == 1),
            bpm=100 + i, tool="Main", genre="House", date="2025-01-01",
            queueId=7 if i == 2 else None,
        )  # fmt: skip
        row.pool = "bench"
        rows.append(row)
    return rows


def _grid(qapp: QApplication) -> tuple[ResultsView, ResultsModel]:
    apply_theme(qapp, "dark")
    model = ResultsModel()
    view = ResultsView(model)
    view.resize(1000, 8 * ROW_HEIGHT)
    view.show()
    model.append_rows(_rows())
    qapp.processEvents()
    return view, model


def _ink(image: QImage, x0: int, x1: int, y: int, background: QColor) -> list[int]:
    """The x positions in [x0, x1) of row ``y``'s band whose pixels differ from its fill."""
    found = []
    for x in range(x0, x1):
        for dy in range(-6, 7):
            if image.pixelColor(x, y + dy).rgb() != background.rgb():
                found.append(x)
                break
    return found


def test_selection_alternate_rows_and_aligned_text(qapp: QApplication) -> None:
    view, _model = _grid(qapp)
    view.selectRow(0)
    qapp.processEvents()
    image = view.viewport().grab().toImage()
    palette = view.palette()
    highlight = palette.color(QPalette.ColorRole.Highlight)
    alternate = palette.color(QPalette.ColorRole.AlternateBase)
    header = view.horizontalHeader()
    bpm = RESULT_COLUMN_INDEX["bpm"]
    left, width = header.sectionViewportPosition(bpm), header.sectionSize(bpm)
    middle = lambda row: row * ROW_HEIGHT + ROW_HEIGHT // 2  # noqa: E731
    assert image.pixelColor(left + 2, middle(0) - 12).rgb() == highlight.rgb()
    assert image.pixelColor(left + 2, middle(1) - 12).rgb() == alternate.rgb()
    # BPM is right-aligned: its ink ends near the column's right edge, not at its left
    ink = _ink(image, left, left + width, middle(1), alternate)
    assert ink and ink[-1] > left + width - PADDING - 4 and ink[0] > left + width // 3
    # the artist is left-aligned
    artist = RESULT_COLUMN_INDEX["artist"]
    a_left = header.sectionViewportPosition(artist)
    ink = _ink(image, a_left, a_left + header.sectionSize(artist), middle(1), alternate)
    assert ink and ink[0] < a_left + PADDING + 4
    view.close()


def test_long_text_is_elided_and_queued_rows_are_bold(qapp: QApplication) -> None:
    view, model = _grid(qapp)
    cells = view.itemDelegate()
    view.viewport().grab()  # one paint lays the texts out
    title = RESULT_COLUMN_INDEX["title"]
    texts = {key[0]: (static.text(), key[2]) for key, (static, _w) in cells._texts.items()}
    long_title = model.rows[1].title
    shown, _bold = texts[long_title]
    assert shown.endswith("…") and len(shown) < len(long_title)
    width = view.horizontalHeader().sectionSize(title) - 2 * PADDING
    assert view.fontMetrics().horizontalAdvance(shown) <= width
    assert texts["Artist 2"][1] is True  # queued: bold
    assert texts["Artist 0"][1] is False
    view.close()
