"""The system tray icon: show/hide, mode switch, the download switches and quit.

Desktops without a tray (and the offscreen platform tests use) simply get no icon; the
window's own toolbar offers the same actions, so nothing depends on the tray.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QAbstractButton, QApplication, QMenu, QSystemTrayIcon, QWidget

from crateq.ui.shell.window_modes import MODE_SPECS, MODES


class TrayWindow(Protocol):
    """What the tray drives (``crateq.ui.shell.main_window.MainWindow``)."""

    def window(self) -> QWidget:
        """The top-level widget itself: the parent of the icon and its menu."""
        ...

    def isVisible(self) -> bool: ...

    def hide(self) -> None: ...

    def set_mode(self, mode: str) -> None: ...

    def raise_to_front(self) -> None: ...


class DownloadSwitches(Protocol):
    """The queue panel's buttons the tray mirrors (``QueuePanel``)."""

    @property
    def download_all(self) -> QAbstractButton: ...

    @property
    def auto(self) -> QAbstractButton: ...


def make_tray(window: TrayWindow, icon: QIcon) -> QSystemTrayIcon | None:
    """A tray icon for ``window``, or None when the platform has no tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable() or icon.isNull():
        return None
    parent = window.window()
    tray = QSystemTrayIcon(icon, parent)
    tray.setToolTip("CrateQ")
    menu = QMenu(parent)
    menu.addAction("Show / hide").triggered.connect(lambda: toggle_visible(window))

    def show_mode(mode: str) -> None:
        window.set_mode(mode)
        window.raise_to_front()

    modes = menu.addMenu("Mode")
    for mode in MODES:
        modes.addAction(MODE_SPECS[mode].title).triggered.connect(
            lambda _on=False, m=mode: show_mode(m)
        )
    menu.addSeparator()
    menu.addAction("Quit").triggered.connect(QApplication.quit)
    tray.setContextMenu(menu)

    def activated(reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            toggle_visible(window)

    tray.activated.connect(activated)
    tray.show()
    return tray


def add_download_actions(menu: QMenu, queue: DownloadSwitches) -> QAction:
    """ "Download all queued" and an auto-download switch kept in step with the queue panel's.

    The panel's check box stays the one source of truth (it persists the choice and tells the
    engine); the tray action only mirrors it, so the two can never disagree.
    """
    download_all = QAction("Download all queued", menu)
    download_all.triggered.connect(queue.download_all.click)
    auto = QAction("Auto-download the pools' queues", menu)
    auto.setCheckable(True)
    auto.setChecked(queue.auto.isChecked())
    auto.toggled.connect(queue.auto.setChecked)
    queue.auto.toggled.connect(auto.setChecked)
    if menu.actions():  # on top of what the menu already offers
        first = menu.actions()[0]
        menu.insertActions(first, [download_all, auto])
        menu.insertSeparator(first)
    else:
        menu.addActions([download_all, auto])
        menu.addSeparator()
    return auto


def toggle_visible(window: TrayWindow) -> None:
    if window.isVisible():
        window.hide()
    else:
        window.raise_to_front()
