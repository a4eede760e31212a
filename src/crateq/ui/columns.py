"""The one column model for every grid: columns declared once as data, per row type.

A grid is a tuple of ``Column[RowT]`` (id, header, display text, sort key, alignment,
default width and visibility per window mode, tooltip) plus ``ColumnTable``, the table
model that answers ``data()``/``headerData()`` from that tuple. Adding a grid is declaring
its row type and its columns; the grid's own roles go in ``ColumnTable.row_data``.
Which columns a user shows, their order and widths belong to the view (``QHeaderView``
state, persisted per mode); the declaration only gives the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from crateq.ui.shell.mode_names import APP, FULLSCREEN, MODES

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QHeaderView

RowT = TypeVar("RowT")
AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_R = Qt.ItemDataRole

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter

ALL_MODES: frozenset[str] = frozenset(MODES)
LARGE_MODES: frozenset[str] = frozenset({APP, FULLSCREEN})  # not in the slim widget
NO_MODE: frozenset[str] = frozenset()  # hidden by default, offered in the header menu
SAMPLE_PADDING = 28  # around a sample text, for a column sized to its widest value

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object itself (drags, delegates, menus)
SORT_ROLE = Qt.ItemDataRole.UserRole + 10  # the column's sort key (for a sort proxy)
BASE_ROLES: frozenset[int] = frozenset(
    {_R.DisplayRole, _R.TextAlignmentRole, _R.ToolTipRole, ROW_ROLE, SORT_ROLE}
)


class RowPlace(NamedTuple):
    """Where a row sits among its song's versions (for the expander column)."""

    versions: int
    expanded: bool
    is_child: bool
    in_library: bool = False  # a file of this version is in the local library
    title: str = ""  # the song's clean title (its version tags taken out), if known
    pools: int = 1  # how many pools have a version of the song


NO_PLACE = RowPlace(1, False, False)


@dataclass(frozen=True, slots=True)
class Column(Generic[RowT]):
    """One grid column: how to show a row's value and how to order rows by it.

    ``placed``, when set, is used instead of ``value`` by grids that know a row's place
    among its versions (the expander and the library badge of the results grid).
    """

    id: str
    header: str
    value: Callable[[RowT], str]  # the display text
    sort_key: Callable[[RowT], SupportsRichComparison] | None = None  # None: the text
    align: Qt.AlignmentFlag = LEFT
    width: int = 100
    shown_in: frozenset[str] = ALL_MODES  # the window modes whose default layout shows it
    widths: Mapping[str, int] = field(default_factory=dict)  # per mode, where not ``width``
    tooltip: Callable[[RowT], str] | None = None
    placed: Callable[[RowT, RowPlace], str] | None = None
    sample: str = ""  # the widest text it shows: the width then follows the view's font
    label: str = ""  # its name in words where the header is a glyph or empty (tooltips, menus)

    @property
    def name(self) -> str:
        """The header, or the id in words for a column whose header is a glyph or empty."""
        return self.header or self.label or self.id.title()

    @property
    def uses_place(self) -> bool:
        return self.placed is not None

    @property
    def sort_by(self) -> Callable[[RowT], SupportsRichComparison]:
        return self.value if self.sort_key is None else self.sort_key

    def text(self, row: RowT, place: RowPlace = NO_PLACE) -> str:
        return self.value(row) if self.placed is None else self.placed(row, place)

    def shown_by_default(self, mode: str) -> bool:
        return mode in self.shown_in

    def width_in(self, mode: str, metrics: QFontMetrics | None = None) -> int:
        """The default width in ``mode``: the sample's in the view's font, if it has one."""
        if self.sample and metrics is not None:
            return metrics.horizontalAdvance(self.sample) + SAMPLE_PADDING
        return self.widths.get(mode, self.width)


def column_index(columns: Sequence[Column[RowT]]) -> dict[str, int]:
    """Section number by column id."""
    return {column.id: i for i, column in enumerate(columns)}


def sort_rows(
    rows: Sequence[RowT], keys: Sequence[tuple[Column[RowT], Qt.SortOrder]]
) -> list[RowT]:
    """Stable multi-key sort, the first key ranking first; each key is read once per row."""
    ordered = list(rows)
    for column, order in reversed(keys):
        values = list(map(column.sort_by, ordered))
        reverse = order == Qt.SortOrder.DescendingOrder
        picks = sorted(range(len(ordered)), key=values.__getitem__, reverse=reverse)
        ordered = [ordered[i] for i in picks]
    return ordered


def apply_default_layout(
    header: QHeaderView,
    columns: Sequence[Column[RowT]],
    mode: str,
    metrics: QFontMetrics | None = None,
) -> None:
    """Declared order, widths and visibility of ``mode`` (what a fresh layout shows)."""
    for section, column in enumerate(columns):
        header.moveSection(header.visualIndex(section), section)
        header.resizeSection(section, column.width_in(mode, metrics))
        header.setSectionHidden(section, not column.shown_by_default(mode))


class ColumnTable(QAbstractTableModel, Generic[RowT]):
    """A flat table of ``rows`` whose columns are one declared tuple.

    ``data()`` answers the display text, alignment, column tooltip, the row (``ROW_ROLE``)
    and the sort key (``SORT_ROLE``); every other role in ``roles`` goes to ``row_data``.
    Roles outside ``roles`` are refused first: the delegate asks ~8 per cell per paint.
    """

    roles: ClassVar[frozenset[int]] = BASE_ROLES

    def __init__(self, columns: Sequence[Column[RowT]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column[RowT], ...] = tuple(columns)
        self.rows: list[RowT] = []
        self._roles = self.roles  # read per data() call: see there

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def set_rows(self, rows: Sequence[RowT]) -> None:
        """Show ``rows`` instead of what the table held (one model reset)."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, index: AnyIndex) -> RowT | None:
        """The row a grid index shows, if any."""
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        return self.rows[index.row()]

    def place_of(self, row: RowT) -> RowPlace:
        """Where ``row`` sits among its versions; a grid without versions has one each."""
        return NO_PLACE

    # Any: Qt's data() role values (text, alignment, colours, fonts, the row itself)
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # the hot path of every paint: instance attributes only (a class attribute or a
        # method looked up through a Qt object costs about as much as the rest of the call)
        if role not in self._roles:
            return None
        rows, at = self.rows, index.row()
        if not index.isValid() or at >= len(rows):
            return None
        row = rows[at]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column.placed is None:
                return column.value(row)
            return column.placed(row, self.place_of(row))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.align
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row) or None
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return column.sort_by(row)
        return self.row_data(row, role)

    def row_data(self, row: RowT, role: int) -> object:
        """The grid's own roles (colours, fonts, states), the same for every column: what
        ``data`` hands Qt for them."""
        return None

    # Any: Qt's headerData() role values
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header_text(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tooltip(section)
        return None

    def header_text(self, section: int) -> str:
        return self.columns[section].header

    def header_tooltip(self, section: int) -> str | None:
        return None

    def row_changed(self, row: int) -> None:
        """Repaint every cell of one row."""
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def column_changed(self, section: int) -> None:
        """Repaint one column (the view repaints only what is on screen)."""
        if self.rows:
            self.dataChanged.emit(self.index(0, section), self.index(len(self.rows) - 1, section))
