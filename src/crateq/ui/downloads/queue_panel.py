"""The local download queue: every job with progress, speed, ETA, state and its error.

Rows mirror the engine through an :class:`EngineBridge` (queued signals, progress ~10 Hz
per job). The action cell of each row is its one obvious button — pause while running,
resume when paused, retry when failed — and the error stays on the job's own row, in words.
Reordering moves jobs in the engine's queue (buttons, or Ctrl+Up/Down).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDropEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crateq.core.download_jobs import JobSnapshot, JobState
from crateq.ui.columns import BASE_ROLES, ROW_ROLE, ColumnTable
from crateq.ui.downloads.engine_bridge import EngineBridge
from crateq.ui.downloads.job_columns import (
    COLUMN,
    JOB_COLUMNS,
    action_for,
    human_bytes,
    status_text,
)
from crateq.ui.downloads.job_columns import human_eta as human_eta  # re-exported: callers' name
from crateq.ui.local_keys import local_shortcut
from crateq.ui.shell.mode_names import APP

AnyIndex = QModelIndex | QPersistentModelIndex
JOB_ROLE = ROW_ROLE
FRACTION_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
JOBS_MIME = "application/x-crateq-jobs"

VCENTER_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
STATE_COLOURS = {
    JobState.DOWNLOADING: QColor("#bcd0ff"),
    JobState.DONE: QColor("#9ff2bf"),
    JobState.FAILED: QColor("#ffb3b3"),
    JobState.PAUSED: QColor("#ffd977"),
    JobState.CANCELLED: QColor("#8b93a1"),
}


# The theme draws no check box indicator; a dark square on a dark stage would vanish.
CHECKBOX_QSS = (
    "QCheckBox::indicator { width: 16px; height: 16px; border: 1px solid #5b8ff0;"
    " border-radius: 4px; background: #0d0f12; }"
    "QCheckBox::indicator:checked { background: #2f6fdf; image: none; }"
)


class JobsModel(ColumnTable[JobSnapshot]):
    """Job snapshots in queue order; rows are updated in place as events arrive."""

    roles = BASE_ROLES | {FRACTION_ROLE, STATUS_ROLE}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(JOB_COLUMNS, parent)
        self._row: dict[int, int] = {}

    @property
    def jobs(self) -> list[JobSnapshot]:
        return self.rows

    def reset(self, jobs: list[JobSnapshot]) -> None:
        self._row = {j.id: i for i, j in enumerate(jobs)}
        self.set_rows(jobs)

    def upsert(self, job: JobSnapshot) -> None:
        row = self._row.get(job.id)
        if row is None:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
            self._row[job.id] = len(self.rows)
            self.rows.append(job)
            self.endInsertRows()
            return
        self.rows[row] = job
        self.row_changed(row)

    def reorder(self, order: list[int]) -> None:
        rank = {job_id: i for i, job_id in enumerate(order)}
        self.layoutAboutToBeChanged.emit()
        self.rows.sort(key=lambda j: rank.get(j.id, len(rank)))
        self._row = {j.id: i for i, j in enumerate(self.rows)}
        self.layoutChanged.emit()

    def row_of(self, job_id: int) -> int | None:
        return self._row.get(job_id)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [JOBS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """The dragged jobs' ids (a drag inside the panel reorders the engine's queue)."""
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        mime.setData(JOBS_MIME, ",".join(str(self.rows[r].id) for r in rows).encode())
        return mime

    # what data() hands Qt for the grid's own roles: a fraction, a status line
    def row_data(self, job: JobSnapshot, role: int) -> object:
        if role == FRACTION_ROLE:
            return 1.0 if job.state is JobState.DONE else job.fraction
        if role == STATUS_ROLE:
            return status_text(job)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{status_text(job)}\n{job.path}" if job.path else status_text(job)
        return None


class ProgressDelegate(QStyledItemDelegate):
    """A flat progress bar with the percentage, in the theme's colours."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        job: JobSnapshot = index.data(JOB_ROLE)
        fraction = index.data(FRACTION_ROLE)
        rect = _centred(option, option.fontMetrics.height() + 8)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#2a2f38"))
        painter.drawRoundedRect(rect, 5, 5)
        colour = {JobState.DONE: "#2e9d5b", JobState.FAILED: "#b94a4a", JobState.PAUSED: "#b8902c"}
        if fraction:
            fill = QRect(rect)
            fill.setWidth(max(6, int(rect.width() * min(1.0, fraction))))
            painter.setBrush(QColor(colour.get(job.state, "#2f6fdf")))
            painter.drawRoundedRect(fill, 5, 5)
        painter.setPen(QColor("#ffffff"))
        text = f"{fraction * 100:.0f} %" if fraction is not None else ""
        if fraction is None and job.bytes_done:
            text = human_bytes(job.bytes_done)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def _centred(option: QStyleOptionViewItem, height: int) -> QRect:
    """A bar of ``height`` pixels centred vertically in the cell, with side margins."""
    cell = QRect(option.rect)
    height = min(height, cell.height() - 8)
    return QRect(cell.left() + 6, cell.center().y() - height // 2 + 1, cell.width() - 12, height)


class TrackDelegate(QStyledItemDelegate):
    """Two lines: the track, and under it its state or error in words (in the state's colour).

    The error sits on the job's own row, as wide as the track column, never in a dialog.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        job: JobSnapshot = index.data(JOB_ROLE)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = QRect(option.rect).adjusted(8, 4, -8, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        top, bottom = QRect(rect), QRect(rect)
        top.setHeight(rect.height() // 2)
        bottom.setTop(rect.top() + rect.height() // 2)
        painter.save()
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff") if selected else QColor("#eef0f3"))
        metrics = QFontMetrics(font)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        painter.drawText(
            top, VCENTER_LEFT, metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, top.width())
        )
        small = QFont(option.font)
        painter.setFont(small)
        colour = STATE_COLOURS.get(job.state, QColor("#aab2bf"))
        painter.setPen(QColor("#ffffff") if selected else colour)
        status = index.data(STATUS_ROLE)
        painter.drawText(
            bottom,
            VCENTER_LEFT,
            QFontMetrics(small).elidedText(status, Qt.TextElideMode.ElideRight, bottom.width()),
        )
        painter.restore()


class ActionDelegate(QStyledItemDelegate):
    """Draws the action cell as a button; the view's click handler performs it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not text:
            return
        rect = _centred(option, option.fontMetrics.height() + 12)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor("#5b8ff0" if text == "Retry" else "#3b4250"))
        painter.setBrush(QColor("#2f6fdf" if text == "Retry" else "#262a32"))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class JobTally:
    """What the summary line counts, kept up to date per event: with a 10,000-job queue a
    rescan of every job per progress tick (~60 a second) held the GUI thread."""

    def __init__(self, jobs: Sequence[JobSnapshot] = ()) -> None:
        self._seen: dict[int, JobSnapshot] = {}
        self._speed: dict[int, float] = {}
        self.running = self.waiting = self.failed = 0
        for job in jobs:
            self.update(job)

    def update(self, job: JobSnapshot) -> None:
        old = self._seen.get(job.id)
        if old is not None:
            self._count(old, -1)
        self._seen[job.id] = job
        self._count(job, 1)

    def _count(self, job: JobSnapshot, sign: int) -> None:
        self.running += sign * job.state.active
        self.waiting += sign * (job.state is JobState.QUEUED)
        self.failed += sign * (job.state is JobState.FAILED)
        self._speed.pop(job.id, None)
        if sign > 0 and job.speed:
            self._speed[job.id] = job.speed

    @property
    def speed(self) -> float:
        return sum(self._speed.values())


class QueuePanel(QWidget):
    """Local downloads; every command goes to the engine through ``bridge``.

    ``autoDownloadToggled(bool)`` lets the app persist the switch in the settings.
    """

    autoDownloadToggled = Signal(bool)

    def __init__(
        self,
        bridge: EngineBridge,
        parent: QWidget | None = None,
        *,
        auto_download: bool = False,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.model = JobsModel(self)
        self.model.reset(bridge.snapshots())
        self.tally = JobTally(self.model.jobs)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(
            2 * self.table.fontMetrics().height() + 16
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(48)
        metrics = self.table.fontMetrics()
        for i, column in enumerate(JOB_COLUMNS):
            width = column.width_in(APP, metrics)
            self.table.setColumnWidth(i, max(width, metrics.horizontalAdvance(column.header) + 28))
        header.setSectionResizeMode(COLUMN["track"], QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.table.setItemDelegateForColumn(COLUMN["track"], TrackDelegate(self.table))
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setItemDelegateForColumn(COLUMN["progress"], ProgressDelegate(self.table))
        self.table.setItemDelegateForColumn(COLUMN["action"], ActionDelegate(self.table))
        self.table.clicked.connect(self._clicked)
        self.table.setDragEnabled(True)
        self.table.setAcceptDrops(True)
        self.table.setDropIndicatorShown(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.table.viewport().installEventFilter(self)

        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, title, slot in (
            ("pause", "Pause", self.pause_selected),
            ("resume", "Resume", self.resume_selected),
            ("retry", "Retry", self.retry_selected),
            ("cancel", "Cancel", self.cancel_selected),
            ("top", "To top", lambda: self.move_selected(to_top=True)),
            ("up", "Up", lambda: self.move_selected(-1)),
            ("down", "Down", lambda: self.move_selected(+1)),
            ("clear", "Clear finished", self.clear_finished),
        ):
            button = QPushButton(title, self)
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        bar.addStretch(1)

        footer = QHBoxLayout()
        self.download_all = QPushButton("Download all queued", self)
        self.download_all.setToolTip("Download every track in your pools' queues")
        self.download_all.clicked.connect(bridge.download_all_queued)
        self.auto = QCheckBox("Auto-download the pools' queues", self)
        self.auto.setChecked(auto_download)
        self.auto.setStyleSheet(CHECKBOX_QSS)
        self.auto.toggled.connect(self._auto_toggled)
        self.summary = QLabel(self)
        footer.addWidget(self.download_all)
        footer.addWidget(self.auto)
        footer.addStretch(1)
        footer.addWidget(self.summary)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(footer)

        # The panel's own keys, while the focus is in it: Del elsewhere bins a track or
        # deletes a crate, and Ctrl+Up/Down move the grid's cursor.
        local_shortcut("Ctrl+Up", self, lambda: self.move_selected(-1))
        local_shortcut("Ctrl+Down", self, lambda: self.move_selected(+1))
        local_shortcut(QKeySequence(Qt.Key.Key_Delete), self, self.cancel_selected)
        bridge.jobAdded.connect(self._changed)
        bridge.jobChanged.connect(self._changed)
        bridge.orderChanged.connect(self.model.reorder)
        self._update_summary()

    # -- events --------------------------------------------------------------------------
    def _changed(self, job: JobSnapshot) -> None:
        self.model.upsert(job)
        self.tally.update(job)
        self._update_summary()

    def _update_summary(self) -> None:
        tally = self.tally
        running, waiting, failed, speed = tally.running, tally.waiting, tally.failed, tally.speed
        parts = [f"{running} downloading", f"{waiting} waiting"]
        if failed:
            parts.append(f"{failed} failed")
        if speed:
            parts.append(f"{human_bytes(speed)}/s")
        self.summary.setText("  ·  ".join(parts))

    def _clicked(self, index: QModelIndex) -> None:
        if index.column() != COLUMN["action"]:
            return
        job: JobSnapshot = index.data(JOB_ROLE)
        action = action_for(job)
        if action == "Retry":
            self.bridge.retry(job.id)
        elif action == "Resume":
            self.bridge.resume(job.id)
        elif action == "Pause":
            self.bridge.pause(job.id)

    def _auto_toggled(self, on: bool) -> None:
        self.bridge.set_auto_download(on)
        self.autoDownloadToggled.emit(on)

    # -- commands on the selection -------------------------------------------------------
    def selected_jobs(self) -> list[JobSnapshot]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.jobs[r] for r in rows]

    def _each(self, command: Callable[[int], object], states: tuple[JobState, ...]) -> None:
        for job in self.selected_jobs():
            if job.id > 0 and (not states or job.state in states):
                command(job.id)

    def pause_selected(self) -> None:
        self._each(self.bridge.pause, (JobState.QUEUED, *_ACTIVE))

    def resume_selected(self) -> None:
        self._each(self.bridge.resume, (JobState.PAUSED,))

    def retry_selected(self) -> None:
        self._each(self.bridge.retry, (JobState.FAILED,))

    def cancel_selected(self) -> None:
        self._each(
            self.bridge.cancel, (JobState.QUEUED, JobState.PAUSED, JobState.FAILED, *_ACTIVE)
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Drops of our own rows reorder the engine's queue; the model follows its order."""
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) and (
            isinstance(event, QDropEvent) and event.mimeData().hasFormat(JOBS_MIME)
        ):
            event.setDropAction(Qt.DropAction.CopyAction)  # never let the view delete rows
            event.accept()
            if kind == QEvent.Type.Drop:
                data = bytes(event.mimeData().data(JOBS_MIME).data()).decode()
                ids = [int(x) for x in data.split(",") if x.strip().lstrip("-").isdigit()]
                row = self.table.indexAt(event.position().toPoint()).row()
                self.drop_jobs(ids, row if row >= 0 else self.model.rowCount())
            return True
        return super().eventFilter(watched, event)

    def drop_jobs(self, job_ids: list[int], row: int) -> None:
        """Put ``job_ids`` (in this order) where row ``row`` of the panel is now."""
        order = list(self.bridge.order)
        target_id = self.model.jobs[row].id if row < len(self.model.jobs) else None
        moving = [j for j in job_ids if j > 0 and j in order]
        rest = [j for j in order if j not in moving]
        at = rest.index(target_id) if target_id in rest else len(rest)
        for offset, job_id in enumerate(moving):
            self.bridge.move(job_id, at + offset)

    def move_selected(self, step: int = 0, *, to_top: bool = False) -> None:
        """Move the selected jobs one place (or to the top) in the engine's queue."""
        jobs = self.selected_jobs()
        if step > 0:
            jobs.reverse()
        order = self.bridge.order  # the engine's order (the panel may hide finished jobs)
        for n, job in enumerate(jobs):
            if job.id <= 0 or job.id not in order:
                continue
            target = n if to_top else max(0, order.index(job.id) + step)
            self.bridge.move(job.id, target)

    def clear_finished(self) -> None:
        """Hide done and cancelled jobs (the library keeps the files)."""
        keep = [j for j in self.model.jobs if j.state not in (JobState.DONE, JobState.CANCELLED)]
        self.model.reset(keep)
        self.tally = JobTally(keep)
        self._update_summary()


_ACTIVE = (JobState.CONNECTING, JobState.DOWNLOADING, JobState.VERIFYING, JobState.TAGGING)
