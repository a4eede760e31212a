"""The results grid's model: one table of songs whose versions unfold in place.

One ``ColumnTable`` for the whole grid: its columns are ``RESULT_COLUMNS``
(``crateq.ui.search.columns``) and ``data()`` looks them up by index. Rows of one pool that
share a ``groupId``, and rows of any pool with the same song identity, are versions of one
song (``SongMerger``): the song shows as one row (its first version, under the song's clean
title, with how many pools have it) and ``toggle_expanded`` inserts its other versions right
below it, each under its pool's own title.

Why a flat table rather than a tree: ``QTreeView`` lays out every top-level row through
Python calls (``index``/``flags``) on each insert or sort (figures: docs/PERFORMANCE.md,
"Columns"); ``QTableView`` only asks for the rows it paints. Appending is one ``beginInsertRows``
per batch, and sorting is a stable multi-key sort over precomputed keys (no proxy model
re-mapping 100k indexes on every batch). While a search streams in, the core thread does
the grouping and sorting (``crateq.ui.search.result_stream``) and ``apply_batch`` only swaps
the finished order in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from crateq.core_loop import GUI_TURN
from crateq.ui.columns import BASE_ROLES, ColumnTable, RowPlace, sort_rows
from crateq.ui.search.columns import RESULT_COLUMN_INDEX, RESULT_COLUMNS
from crateq.ui.search.result_stream import GroupKey, SongInfo, SongMerger, SortSpec, song_key

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.ui.search.result_stream import ResultBatch

_ANY_INDEX = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
__all__ = ["GroupKey", "ResultsModel", "song_key"]


class ResultsModel(ColumnTable["MediaRow"]):
    """Streaming results with version groups and multi-column sort.

    ``rows`` is what the view shows: the songs' first versions plus the unfolded versions.
    """

    roles = BASE_ROLES | {Qt.ItemDataRole.FontRole}
    sort_keys_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(RESULT_COLUMNS, parent)
        self._heads: list[MediaRow] = []  # one per song, in display order
        self._merger = SongMerger()  # append_rows' merging; batches come merged
        self._groups: dict[GroupKey, list[MediaRow]] = self._merger.groups
        self._song_of: dict[int, GroupKey] = self._merger.song_of  # id(version) -> song
        self._info: dict[GroupKey, SongInfo] = {}
        self._versions = 0  # versions held (the merger counts them; a batch says)
        self._expanded: set[GroupKey] = set()
        self._library: set[str] = set()  # POOL:ID of versions whose file is in the library
        self._sort: list[tuple[int, Qt.SortOrder]] = []
        # paging hooks (the controller's has_more / fetch_more): the view asks for more rows
        # when the user scrolls to the end
        self.more_available: Callable[[], bool] | None = None
        self.fetch_more_rows: Callable[[], None] | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    # -- shape -----------------------------------------------------------------------------
    def flags(self, index: _ANY_INDEX) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def canFetchMore(self, parent: _ANY_INDEX = _ROOT) -> bool:
        return not parent.isValid() and self.more_available is not None and self.more_available()

    def fetchMore(self, parent: _ANY_INDEX = _ROOT) -> None:
        if not parent.isValid() and self.fetch_more_rows is not None:
            self.fetch_more_rows()

    # -- data ------------------------------------------------------------------------------
    def place_of(self, row: MediaRow) -> RowPlace:
        gkey = self._song_of.get(id(row))
        if gkey is None or gkey not in self._groups:  # binned while a batch made before
            return RowPlace(1, False, False)  # was on its way: shown until the next one
        group = self._groups[gkey]
        in_library = bool(self._library) and row.key in self._library
        info = self._info.get(gkey)
        if info is None:
            return RowPlace(len(group), gkey in self._expanded, group[0] is not row, in_library)
        return RowPlace(len(group), gkey in self._expanded, group[0] is not row, in_library, *info)

    # what data() hands Qt for the grid's own roles: here a QFont
    def row_data(self, row: MediaRow, role: int) -> object:
        if role == Qt.ItemDataRole.FontRole and self.emphasised(row):
            return self._bold
        return None

    @staticmethod
    def emphasised(row: MediaRow) -> bool:
        """Shown in bold: the row is in its pool's queue."""
        return bool(row.queue_id)

    def header_text(self, section: int) -> str:
        return self.columns[section].header + self._sort_marker(section)

    def header_tooltip(self, section: int) -> str:
        return self.columns[section].name + ": click to sort, Shift+click adds a key"

    def _sort_marker(self, section: int) -> str:
        for rank, (sec, order) in enumerate(self._sort, start=1):
            if sec == section:
                arrow = "▲" if order == Qt.SortOrder.AscendingOrder else "▼"
                return f" {arrow}{rank}" if len(self._sort) > 1 else f" {arrow}"
        return ""

    # -- content ---------------------------------------------------------------------------
    def clear(self) -> None:
        with GUI_TURN:  # the view's reset work calls back into Python: see GuiTurn
            self.beginResetModel()
            self._heads = []  # a batch's list, maybe kept by its sender: not emptied
            self.rows.clear()
            self._merger = SongMerger()
            self._groups, self._song_of = self._merger.groups, self._merger.song_of
            self._info.clear()
            self._versions = 0
            self._expanded.clear()
            self.endResetModel()

    def song_count(self) -> int:
        return len(self._heads)

    def version_count(self) -> int:
        return self._versions

    def all_rows(self) -> list[MediaRow]:
        """Every version of every song, songs in display order."""
        return [row for song in self.songs() for row in song]

    def songs(self) -> list[list[MediaRow]]:
        """Every song's versions, in display order."""
        songs = (self._groups.get(self._song_of.get(id(head), "")) for head in self._heads)
        return [list(song) for song in songs if song]

    def versions_of(self, row: MediaRow) -> list[MediaRow]:
        """Every version of the song ``row`` is a version of (the row alone if unknown)."""
        gkey = self._song_of.get(id(row))
        group = self._groups.get(gkey) if gkey is not None else None
        return list(group) if group else [row]

    def apply_batch(self, batch: ResultBatch) -> None:
        """Show a search's songs as the core thread grouped and sorted them: one layout
        change, the selection staying on its rows. A batch sorted by other keys (the DJ
        clicked a header meanwhile) is sorted here once more."""
        self._groups.update(batch.groups)
        self._song_of.update(batch.song_of)
        self._info.update(batch.info)
        self._versions = batch.versions
        heads, positions = batch.heads, batch.positions
        if batch.sort != self._sort_spec():
            heads, positions = self._sorted(heads), {}
        self._heads = heads
        with GUI_TURN:  # the view's layout work calls back into Python: see GuiTurn
            if not self.rows:  # the first rows: an insert (no layout to keep)
                flat = self._flat()
                if flat:
                    self.beginInsertRows(_ROOT, 0, len(flat) - 1)
                    self.rows = flat
                    self.endInsertRows()
            else:
                self._relayout(sort=False, positions=None if self._expanded else positions)
            if batch.groups:
                self._refresh_heads(set(batch.groups))

    def append_rows(self, rows: Sequence[MediaRow]) -> None:
        """Add a batch: new songs in one insert; extra versions join their song."""
        before = len(self._merger.seen)
        new_heads, changed, grew = self._merger.add(rows)
        self._info.update(self._merger.info(changed))
        self._versions += len(self._merger.seen) - before  # a streamed grid's came in batches
        self._heads.extend(new_heads)
        with GUI_TURN:  # the view's insert work calls back into Python: see GuiTurn
            if self._sort or (grew & self._expanded):
                self._relayout()  # sorted or unfolded groups changed: one layout change
            elif new_heads:
                first = len(self.rows)
                self.beginInsertRows(_ROOT, first, first + len(new_heads) - 1)
                self.rows.extend(new_heads)
                self.endInsertRows()
            if grew and not self._sort:
                self._refresh_heads(grew)

    def remove_rows(self, keys: set[str]) -> None:
        """Take the versions ``POOL:ID`` in ``keys`` out (binned): one layout change, the
        selection staying on the rows left, nothing merged again. A song keeps its other
        versions (the next one shows for it); a song left without any goes."""
        forgotten = self._merger.forget(keys)  # its groups and song_of are this model's
        if not forgotten.removed:
            return
        for gkey in forgotten.shrunk:
            group = self._groups[gkey]
            info = self._info.get(gkey)
            title = info.title if info is not None else ""
            self._info[gkey] = SongInfo(title, len({row.pool for row in group}))
            if len(group) < 2:
                self._expanded.discard(gkey)
        for gkey in forgotten.gone:
            self._info.pop(gkey, None)
            self._expanded.discard(gkey)
        known = self._song_of  # a row a batch made before a bin showed again is not known
        heads = forgotten.swapped(self._heads)
        self._heads = [head for head in heads if id(head) in known or head.key not in keys]
        self._versions -= forgotten.removed
        with GUI_TURN:  # the view's layout work calls back into Python: see GuiTurn
            self._relayout(sort=bool(self._sort))

    def _refresh_heads(self, _gkeys: set[GroupKey]) -> None:
        """Repaint the version and pool counts: one signal per column (the view only
        repaints what is on screen), cheaper than finding each grown song among 100k rows."""
        self.column_changed(RESULT_COLUMN_INDEX["versions"])
        self.column_changed(RESULT_COLUMN_INDEX["pool"])

    def is_expanded(self, row: MediaRow) -> bool:
        return self._song_of.get(id(row)) in self._expanded

    def toggle_expanded(self, index: _ANY_INDEX, expand: bool | None = None) -> None:
        """Unfold (or fold) the versions of the song at ``index``."""
        row = self.row_at(index)
        if row is None:
            return
        gkey = self._song_of.get(id(row))
        if gkey is None or gkey not in self._groups:  # see place_of
            return
        group = self._groups[gkey]
        want = (gkey not in self._expanded) if expand is None else expand
        if len(group) < 2 or want == (gkey in self._expanded):
            return
        head_pos = self.rows.index(group[0])
        if want:
            self.beginInsertRows(_ROOT, head_pos + 1, head_pos + len(group) - 1)
            self.rows[head_pos + 1 : head_pos + 1] = group[1:]
            self._expanded.add(gkey)
            self.endInsertRows()
        else:
            self.beginRemoveRows(_ROOT, head_pos + 1, head_pos + len(group) - 1)
            del self.rows[head_pos + 1 : head_pos + len(group)]
            self._expanded.discard(gkey)
            self.endRemoveRows()
        self.dataChanged.emit(self.index(head_pos, 0), self.index(head_pos, 0))

    def index_of_key(self, key: str) -> QModelIndex:
        """The grid index (column 0) showing media ``POOL:ID``, if it is on screen."""
        for pos, row in enumerate(self.rows):
            if row.key == key:
                return self.index(pos, 0)
        return QModelIndex()

    def find_row(self, key: str) -> MediaRow | None:
        for group in self._groups.values():
            for row in group:
                if row.key == key:
                    return row
        return None

    def mark_in_library(self, keys: Iterable[str]) -> None:
        """Show the library badge on these versions (their files are on disk)."""
        self._library.update(keys)
        self.column_changed(RESULT_COLUMN_INDEX["state"])

    def update_row(self, key: str, changes: dict[str, object]) -> None:
        """Change fields of one version (e.g. ``queue_id`` after a queue toggle)."""
        row = self.find_row(key)
        if row is None:
            return
        for name, value in changes.items():
            setattr(row, name, value)
        index = self.index_of_key(key)
        if index.isValid():
            self.dataChanged.emit(index, index.siblingAtColumn(len(self.columns) - 1))

    # -- sorting ---------------------------------------------------------------------------
    @property
    def sort_keys(self) -> list[tuple[int, Qt.SortOrder]]:
        return list(self._sort)

    def set_sort_keys(self, keys: Iterable[tuple[int, Qt.SortOrder]]) -> None:
        self._sort = [(int(sec), Qt.SortOrder(order)) for sec, order in keys]
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns) - 1)
        self.sort_keys_changed.emit()
        if self._sort:
            self._relayout()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.set_sort_keys([(column, order)])

    def click_sort(self, section: int, add: bool) -> None:
        """Header click: a plain click sorts by one column (again: reverses); Shift adds a key."""
        current = dict(self._sort)
        asc, desc = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
        if section in current:
            flipped = desc if current[section] == asc else asc
            if add or len(self._sort) == 1:
                keys = [(s, flipped if s == section else o) for s, o in self._sort]
            else:
                keys = [(section, asc)]
        elif add:
            keys = [*self._sort, (section, asc)]
        else:
            keys = [(section, asc)]
        self.set_sort_keys(keys)

    def sort_columns(self) -> SortSpec:
        """The sort as columns and orders (read by the core thread for each batch)."""
        return self._sort_spec()

    def _sort_spec(self) -> SortSpec:
        return [(self.columns[s], o) for s, o in self._sort]

    def _sorted(self, heads: list[MediaRow]) -> list[MediaRow]:
        return sort_rows(heads, self._sort_spec()) if self._sort else list(heads)

    def _flat(self) -> list[MediaRow]:
        """The heads with the versions of unfolded songs right below them."""
        if not self._expanded:
            return list(self._heads)
        flat: list[MediaRow] = []
        for head in self._heads:
            gkey = self._song_of.get(id(head))
            flat.extend(self._groups[gkey] if gkey in self._expanded else (head,))
        return flat

    def _relayout(self, sort: bool = True, positions: dict[int, int] | None = None) -> None:
        """One layout change to the current heads (sorted first, unless ``sort`` is off);
        persistent indexes (the selection) follow their rows. ``positions`` (``id(row)``
        to its new place) spares the look-up when the caller knows it."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        remembered = [(p, self.rows[p.row()]) for p in persistent if p.row() < len(self.rows)]
        if sort and self._sort:
            self._heads = self._sorted(self._heads)
        self.rows = self._flat()
        if remembered:
            where = positions or {id(row): pos for pos, row in enumerate(self.rows)}
            old = [QModelIndex(p) for p, _ in remembered]
            new = [
                self.index(where[id(row)], p.column()) if id(row) in where else QModelIndex()
                for p, row in remembered
            ]
            self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()
