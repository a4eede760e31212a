"""Each pool's server-side download queue (Content/Queue), kept in sync with the pool.

The pool's web site and mobile app edit the same queue, so this panel re-reads it on a
timer and on demand. Adding and removing go through the client's toggle-safe
``queue_add``/``queue_remove`` (UpdateQueue toggles: a blind call could remove instead of
add). A pool that fails keeps its error on its own line; the other pools' rows stay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crateq.api.pool_models import MediaRow
from crateq.core.errors import user_message
from crateq.ui.columns import Column, ColumnTable, column_index
from crateq.ui.downloads.engine_bridge import relay
from crateq.ui.shell.mode_names import APP

if TYPE_CHECKING:
    from crateq.services_pools import PoolQueues, QueueSnapshot


def _field(name: str) -> Callable[[MediaRow], str]:
    return lambda row: str(getattr(row, name) or "")


SERVER_QUEUE_COLUMNS: tuple[Column[MediaRow], ...] = (
    Column("pool", "Pool", _field("pool"), width=110),
    Column("artist", "Artist", _field("artist"), width=200),
    Column("title", "Title", _field("title"), width=240),
    Column("tool", "Mix", _field("tool"), width=110),
    Column("bpm", "BPM", _field("bpm"), width=56),
    Column(
        "queue_date", "Queued", lambda r: str(r.queue_date).replace("T", " ")[:16],
        width=150, sample="8888-88-88 88:88",
    ),
)  # fmt: skip
SERVER_QUEUE_COLUMN = column_index(SERVER_QUEUE_COLUMNS)


class ServerQueueModel(ColumnTable[MediaRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(SERVER_QUEUE_COLUMNS, parent)


class ServerQueuePanel(QWidget):
    """The pools' own queues, read and changed through ``queues`` (on the core loop).

    ``downloadRequested(list)`` carries the selected rows (with fresh download tokens) for
    the engine; ``refreshed`` fires after each read.
    """

    downloadRequested = Signal(list)
    refreshed = Signal(object)  # QueueSnapshot
    notice = Signal(str)

    def __init__(
        self,
        queues: PoolQueues,
        parent: QWidget | None = None,
        *,
        poll_seconds: int = 60,
    ) -> None:
        super().__init__(parent)
        from crateq.services_pools import QueueSnapshot

        self.queues = queues
        self._reading = False
        self._again = False
        self.snapshot = QueueSnapshot()
        self.model = ServerQueueModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        metrics = self.table.fontMetrics()
        for i, column in enumerate(SERVER_QUEUE_COLUMNS):
            self.table.setColumnWidth(i, column.width_in(APP, metrics))
        for stretched in ("artist", "title"):
            header.setSectionResizeMode(
                SERVER_QUEUE_COLUMN[stretched], QHeaderView.ResizeMode.Stretch
            )

        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.remove_button = QPushButton("Remove from queue", self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.download_button = QPushButton("Download", self)
        self.download_button.clicked.connect(self.download_selected)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Pool queues (shared with the pools' web sites and apps)", self))
        top.addStretch(1)
        for button in (self.download_button, self.remove_button, self.refresh_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.timer = QTimer(self)
        self.timer.setInterval(max(10, poll_seconds) * 1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # -- GUI thread ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read every enabled pool's queue (one read at a time; a second one follows)."""
        if self._reading:
            self._again = True
            return
        self._reading = True
        self.refresh_button.setEnabled(False)
        relay(self.queues.read_all(), self, self._read_done)

    def _read_done(self, snap: QueueSnapshot | None, error: BaseException | None) -> None:
        self._reading = False
        self.refresh_button.setEnabled(True)
        if error is not None:
            self.status.setText(f"Queues not read: {user_message(error)}")
        elif snap is not None:
            self.snapshot = snap
            rows = [row for name in sorted(snap.rows) for row in snap.rows[name]]
            self.model.set_rows(rows)
            lines = [f"{len(rows)} track(s) queued on {len(snap.rows)} pool(s)."]
            lines += [f"{pool}: {why}" for pool, why in sorted(snap.errors.items())]
            self.status.setText("\n".join(lines))
            self.refreshed.emit(snap)
        if self._again:
            self._again = False
            self.refresh()

    def queued_keys(self) -> set[str]:
        return {row.key for rows in self.snapshot.rows.values() for row in rows}

    def add(self, rows: Sequence[MediaRow]) -> None:
        """Put rows on their pools' queues (never toggles one off), then re-read."""
        self._change(list(rows), adding=True)

    def remove(self, rows: Sequence[MediaRow]) -> None:
        self._change(list(rows), adding=False)

    def _change(self, rows: list[MediaRow], *, adding: bool) -> None:
        def done(changed: int | None, error: BaseException | None) -> None:
            verb = "Queued" if adding else "Removed"
            if error is not None:
                self.notice.emit(f"{verb[:-1]}ing failed: {user_message(error)}")
            else:
                self.notice.emit(f"{verb} {changed} track(s) on the pools.")
            self.refresh()

        relay(self.queues.change(rows, adding=adding), self, done)

    def selected_rows(self) -> list[MediaRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r] for r in rows]

    def remove_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.remove(rows)

    def download_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.downloadRequested.emit(rows)

    def shutdown(self) -> None:
        """Stop polling (call before the core loop stops; the services close the clients)."""
        self.timer.stop()
