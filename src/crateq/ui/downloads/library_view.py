"""The library: every track the app has downloaded, searchable, draggable, revealable.

Rows come from the store's library table. Whether a file is still on disk is checked on
each refresh; a file the user moved or deleted is marked "missing" (it cannot be dragged,
and "Forget missing" drops such entries so the track can be downloaded again).
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import (
    QModelIndex,
    QProcess,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crateq.core.store import LibraryEntry, Store
from crateq.ui.columns import (
    BASE_ROLES,
    CENTER,
    RIGHT,
    SORT_ROLE,
    Column,
    ColumnTable,
    column_index,
)
from crateq.ui.downloads.file_drag import DragPlan, FileDragFilter
from crateq.ui.downloads.library_export import (
    FORMATS as EXPORT_FORMATS,
)
from crateq.ui.downloads.library_export import (
    Chooser,
    Confirm,
    LibraryExporter,
    choose_with_dialog,
    confirm_with_dialog,
)

if TYPE_CHECKING:
    from crateq.ui.downloads.engine_bridge import EngineBridge

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
MISSING_COLOUR = QColor("#ff9b9b")


class LibraryRow(NamedTuple):
    """One library entry and whether its file was on disk at the last refresh."""

    entry: LibraryEntry
    present: bool


def _size(row: LibraryRow) -> str:
    return f"{row.entry.size / 1_000_000:.1f} MB" if row.entry.size else ""


def _added(row: LibraryRow) -> str:
    return dt.datetime.fromtimestamp(row.entry.added).strftime("%Y-%m-%d %H:%M")


def _tag(
    name: str, fallback: Callable[[LibraryEntry], str] | None = None
) -> Callable[[LibraryRow], str]:
    def get(row: LibraryRow) -> str:
        value = str(row.entry.tags.get(name, "") or "")
        return value or (fallback(row.entry) if fallback else "")

    return get


def _key_order(row: LibraryRow) -> tuple[int, int]:
    from crateq.core.keys import camelot_order

    return camelot_order(str(row.entry.tags.get("camelot") or "") or None)


def _lufs(row: LibraryRow) -> str:
    lufs = row.entry.tags.get("lufs")
    return f"{lufs:.1f}" if isinstance(lufs, int | float) else ""


def _lufs_order(row: LibraryRow) -> tuple[bool, float]:
    lufs = row.entry.tags.get("lufs")
    return (True, 0.0) if not isinstance(lufs, int | float) else (False, float(lufs))


# Sorted by their text (the view's sort proxy reads SORT_ROLE), Key round the Camelot wheel.
LIBRARY_COLUMNS: tuple[Column[LibraryRow], ...] = (
    Column("state", "", lambda r: "" if r.present else "missing", width=80),
    Column("artist", "Artist", _tag("artist"), width=200),
    Column("title", "Title", _tag("title", lambda e: e.path.stem), width=240),
    Column("mix", "Mix", _tag("grouping"), width=110),
    Column("bpm", "BPM", _tag("bpm"), width=56),
    Column("key", "Key", _tag("camelot"), _key_order, CENTER, width=50),
    Column("lufs", "LUFS", _lufs, _lufs_order, RIGHT, width=58),
    Column("genre", "Genre", _tag("genre"), width=110),
    Column("pool", "Pool", lambda r: r.entry.pool, width=110),
    Column("size", "Size", _size, width=80),
    Column("added", "Added", _added, width=130),
    Column("path", "File", lambda r: str(r.entry.path), width=360),
)
LIBRARY_COLUMN_INDEX = column_index(LIBRARY_COLUMNS)


class LibraryModel(ColumnTable[LibraryRow]):
    """Library entries with their on-disk state (checked at ``set_entries``)."""

    roles = BASE_ROLES | {ENTRY_ROLE, Qt.ItemDataRole.ForegroundRole}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(LIBRARY_COLUMNS, parent)

    def set_entries(self, entries: Sequence[LibraryEntry]) -> None:
        self.set_rows([LibraryRow(e, e.present) for e in reversed(entries)])  # newest first

    def missing_count(self) -> int:
        return sum(not row.present for row in self.rows)

    # what data() hands Qt for the grid's own roles: the entry, a colour, a tooltip
    def row_data(self, row: LibraryRow, role: int) -> object:
        if role == ENTRY_ROLE:
            return row.entry
        if role == Qt.ItemDataRole.ForegroundRole and not row.present:
            return MISSING_COLOUR
        if role == Qt.ItemDataRole.ToolTipRole:
            if not row.present:
                return f"Missing on disk (moved or deleted): {row.entry.path}"
            return str(row.entry.path)
        return None


def reveal_in_folder(path: Path) -> bool:
    """Show ``path`` in the file manager, selected where the platform allows it."""
    if sys.platform == "darwin" and path.exists():
        return QProcess.startDetached("open", ["-R", str(path)])[0]
    if sys.platform.startswith("win") and path.exists():
        return QProcess.startDetached("explorer", [f"/select,{path}"])[0]
    if path.exists() and _freedesktop_show_item(path):
        return True
    folder = path.parent if path.parent.exists() else path.parent.parent
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _freedesktop_show_item(path: Path) -> bool:
    """org.freedesktop.FileManager1.ShowItems: Nautilus, Dolphin, Nemo… select the file."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    call = QDBusMessage.createMethodCall(
        "org.freedesktop.FileManager1",
        "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1",
        "ShowItems",
    )
    call.setArguments([[QUrl.fromLocalFile(str(path)).toString()], ""])
    reply = bus.call(call)
    return reply.type() == QDBusMessage.MessageType.ReplyMessage


class LibraryView(QWidget):
    """Downloaded tracks: a search box, the table, reveal, refresh and forget-missing.

    ``reveal`` is how a file is shown (tests pass their own); ``notice`` carries one sentence
    for the status bar.
    """

    notice = Signal(str)

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        reveal: Callable[[Path], object] = reveal_in_folder,
        music_folder: Callable[[], Path] = Path.home,
        choose: Chooser | None = None,
        confirm: Confirm | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._reveal = reveal
        self.exporter = LibraryExporter(
            music_folder, choose or choose_with_dialog(self), confirm or confirm_with_dialog(self),
            self,
        )  # fmt: skip
        self.exporter.finished.connect(self.notice)
        self.model = LibraryModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortRole(SORT_ROLE)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search the library: artist, title, mix, pool, file…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.summary = QLabel(self)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for i, column in enumerate(LIBRARY_COLUMNS):
            self.table.setColumnWidth(i, column.width)
        self.table.doubleClicked.connect(lambda _i: self.reveal_selected())
        self.drag = FileDragFilter(self.table, self._plan)
        self.drag.notice.connect(self.notice)

        self.reveal_button = QPushButton("Show in folder", self)
        self.reveal_button.clicked.connect(self.reveal_selected)
        refresh = QPushButton("Refresh", self)
        refresh.clicked.connect(self.refresh)
        self.forget_button = QPushButton("Forget missing", self)
        self.forget_button.setToolTip(
            "Drop entries whose file is gone, so they can be fetched again"
        )
        self.forget_button.clicked.connect(self.forget_missing)
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setToolTip(
            "The selected tracks (or every track shown) as a playlist for DJ software"
        )
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for fmt, (text, _kind, _pattern) in EXPORT_FORMATS.items():
            menu.addAction(text, functools.partial(self.export_shown, fmt))
        self.export_button.setMenu(menu)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.reveal_button)
        top.addWidget(refresh)
        top.addWidget(self.forget_button)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the library and check each file on disk."""
        self.model.set_entries(self.store.library())
        missing = self.model.missing_count()
        total = len(self.model.rows)
        text = f"{total} track(s) downloaded"
        self.summary.setText(text + (f", {missing} missing on disk" if missing else ""))
        self.forget_button.setEnabled(missing > 0)

    def watch(self, bridge: EngineBridge) -> None:
        """Refresh whenever an engine bridge reports a finished download."""
        bridge.jobChanged.connect(
            lambda snap: self.refresh() if str(snap.state) == "done" and not snap.skipped else None
        )

    def selected_entries(self) -> list[LibraryEntry]:
        rows = self.table.selectionModel().selectedRows()
        return [i.data(ENTRY_ROLE) for i in sorted(rows, key=lambda i: i.row())]

    def shown_entries(self) -> list[LibraryEntry]:
        """Every entry the search box lets through, in the table's order."""
        return [self.proxy.index(r, 0).data(ENTRY_ROLE) for r in range(self.proxy.rowCount())]

    def export_shown(self, fmt: str) -> None:
        """Export the selection, or every track shown when nothing is selected."""
        self.exporter.export(fmt, self.selected_entries() or self.shown_entries())

    def _plan(self, rows: list[QModelIndex]) -> DragPlan:
        entries = [i.data(ENTRY_ROLE) for i in rows]
        present = [e for e in entries if e.present]
        if len(present) < len(entries):
            gone = len(entries) - len(present)
            self.notice.emit(f"{gone} file(s) are missing on disk and were left out of the drag.")
        return DragPlan(paths=[e.path for e in present])

    def reveal_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            self.notice.emit("Select a track to show it in its folder.")
            return
        entry = entries[0]
        if not entry.present:
            self.notice.emit(f"The file is missing: {entry.path}")
        self._reveal(entry.path)

    def forget_missing(self) -> None:
        gone = self.store.missing_files()
        for entry in gone:
            self.store.forget(entry.pool, entry.media_id)
        self.refresh()
        self.notice.emit(f"Forgot {len(gone)} missing file(s).")
