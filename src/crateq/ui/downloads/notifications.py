"""Tray notices for finished batches and failed downloads: seen, never in the way.

A DJ may be mid-set with the DJ software in front: a notice must not take focus or block,
so it is a ``QSystemTrayIcon.showMessage`` balloon (no dialog, no window raise). Failures
arriving together are gathered into one notice. Without a tray (some desktops, the offscreen
tests) the same sentence goes to ``notice`` for the status bar.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QSystemTrayIcon

from crateq.core.download_jobs import JobSnapshot

GATHER_MS = 1500  # failures within this window make one notice
SHOW_MS = 6000


class DownloadEvents(Protocol):
    """The signals a notifier listens to (``crateq.ui.downloads.engine_bridge.EngineBridge``)."""

    @property
    def batchFinished(self) -> SignalInstance:
        """``(done, failed)`` counts when the queue runs empty."""
        ...

    @property
    def jobFailed(self) -> SignalInstance:
        """The ``JobSnapshot`` of a job that just failed."""
        ...


class DownloadNotifier(QObject):
    """Listens to an engine bridge (``batchFinished``, ``jobFailed``) and tells the user.

    ``notified(title, text)`` fires for every notice shown (also when there is no tray).
    """

    notified = Signal(str, str)
    notice = Signal(str)

    def __init__(
        self, bridge: DownloadEvents, tray: QSystemTrayIcon | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.tray = tray
        self.enabled = True
        self._failed: list[JobSnapshot] = []
        self._gather = QTimer(self)
        self._gather.setSingleShot(True)
        self._gather.setInterval(GATHER_MS)
        self._gather.timeout.connect(self._flush_failures)
        bridge.batchFinished.connect(self.batch_finished)
        bridge.jobFailed.connect(self.job_failed)

    def batch_finished(self, done: int, failed: int) -> None:
        self._flush_failures()
        if done and not failed:
            self._show("Downloads finished", f"{done} track(s) downloaded.")
        elif done or failed:
            self._show(
                "Downloads finished with errors",
                f"{done} track(s) downloaded, {failed} failed. The queue shows why.",
                QSystemTrayIcon.MessageIcon.Warning,
            )

    def job_failed(self, job: JobSnapshot) -> None:
        self._failed.append(job)
        if not self._gather.isActive():
            self._gather.start()

    def _flush_failures(self) -> None:
        self._gather.stop()
        failed, self._failed = self._failed, []
        if len(failed) == 1:
            job = failed[0]
            text = f"{job.artist} - {job.title}: {job.reason or 'failed.'}"
            self._show("Download failed", text, QSystemTrayIcon.MessageIcon.Warning)
        elif failed:
            text = f"{len(failed)} downloads failed; the first: {failed[0].reason}"
            self._show("Downloads failed", text, QSystemTrayIcon.MessageIcon.Warning)

    def _show(
        self,
        title: str,
        text: str,
        icon: QSystemTrayIcon.MessageIcon = QSystemTrayIcon.MessageIcon.Information,
    ) -> None:
        if not self.enabled:
            return
        if self.tray is not None and self.tray.isVisible() and self.tray.supportsMessages():
            self.tray.showMessage(title, text, icon, SHOW_MS)
        else:
            self.notice.emit(f"{title}: {text}")
        self.notified.emit(title, text)
