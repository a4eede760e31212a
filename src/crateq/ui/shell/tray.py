"""The system tray icon: show/hide, mode switch, the download switches and quit.

Desktops without a tray (and the offscreen platform tests use) simply get no icon; the
window's own toolbar offers the same actions, so nothing depends on the tray.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from crateq.ui.shell.main_window import MainWindow
from crateq.ui.shell.window_modes import MODE_SPECS, MODES


def make_tray(window: MainWindow, icon: QIcon) -> QSystemTrayIcon | None:
    """A tray icon for ``window``, or None when the platform has no tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable() or icon.isNull():
        return None
    tray = QSystemTrayIcon(icon, window)
    tray.setToolTip("CrateQ")
    menu = QMenu(window)
    menu.addAction("Show / hide").triggered.connect(lambda: toggle_visible(window))
    modes = menu.addMenu("Mode")
    for mode in MODES:
        modes.addAction(MODE_SPECS[mode].title).triggered.connect(
            lambda _on=False, m=mode: (window.set_mode(m), window.raise_to_front())
        )
    menu.addSeparator()
    menu.addAction("Quit").triggered.connect(QApplication.quit)
    tray.setContextMenu(menu)
    tray.activated.connect(
        lambda reason: (
            toggle_visible(window) if reason == QSystemTrayIcon.ActivationReason.Trigger else None
        )
    )
    tray.show()
    return tray


def add_download_actions(menu: QMenu, queue: Any) -> QAction:
    """ "Download all queued" and an auto-download switch kept in step with the queue panel's.

    The panel's check box stays the one source of truth (it persists the choice and tells the
    engine); the tray action only mirrors it, so the two can never disagree.
    """
    first = menu.actions()[0] if menu.actions() else None
    download_all = QAction("Download all queued", menu)
    download_all.triggered.connect(queue.download_all.click)
    auto = QAction("Auto-download the pools' queues", menu)
    auto.setCheckable(True)
    auto.setChecked(queue.auto.isChecked())
    auto.toggled.connect(queue.auto.setChecked)
    queue.auto.toggled.connect(auto.setChecked)
    menu.insertActions(first, [download_all, auto])
    menu.insertSeparator(first)
    return auto


def toggle_visible(window: MainWindow) -> None:
    if window.isVisible():
        window.hide()
    else:
        window.raise_to_front()
