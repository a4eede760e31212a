"""Attach the panels and dialogs that live in their own modules to the main window.

Downloads (the engine on its own thread, through ``EngineBridge``), the download queue
panel, the library, and the accounts and settings dialogs. Each piece is optional: when one
cannot start (e.g. the download store cannot be opened) the window still works and the
status bar says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QApplication

from crateq.core.settings import Settings
from crateq.ui.search.controller import AppController, user_message
from crateq.ui.shell.main_window import MainWindow
from crateq.ui.shell.theme import apply_theme

log = logging.getLogger(__name__)


@dataclass
class Panels:
    """What ``attach`` started, so shutdown can stop it (the engine before the servers)."""

    engine: Any = None
    store: Any = None
    server_queue: Any = None  # ServerQueuePanel: its clients live on the core loop
    notifier: Any = None  # DownloadNotifier: set ``notifier.tray`` once the tray exists
    queue: Any = None  # QueuePanel: the tray mirrors its auto-download switch

    def stop(self) -> None:
        if self.server_queue is not None:
            self.server_queue.shutdown()
            self.server_queue = None
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        if self.store is not None:
            self.store.close()
            self.store = None


def attach(window: MainWindow, controller: AppController, accounts: Any) -> Panels:
    panels = Panels()
    status = window.statusBar()
    try:
        from crateq.core.store import Store
        from crateq.ui.downloads.engine_bridge import start_engine
        from crateq.ui.downloads.library_view import LibraryView
        from crateq.ui.downloads.queue_panel import QueuePanel

        panels.store = Store()
        panels.engine = start_engine(accounts, panels.store, window.settings, parent=window)
        panels.engine.notice.connect(lambda text: status.showMessage(text, 8000))
        panels.engine.start()  # resume what an earlier run left unfinished
        controller.download_hook = panels.engine.add_rows
        controller.library = panels.store
        panels.engine.jobChanged.connect(lambda job: _downloaded(window, job))
        queue = QueuePanel(
            panels.engine, window, auto_download=window.settings.downloads.auto_download
        )
        window.add_panel("Downloads", queue)
        panels.queue = queue
        library = LibraryView(panels.store, window)
        library.notice.connect(lambda text: status.showMessage(text, 8000))
        window.add_panel("Library", library)
        panels.engine.batchFinished.connect(lambda _done, _failed: library.refresh())
        _attach_queue_extras(window, controller, accounts, panels, queue)
    except Exception as exc:  # downloads unavailable: searching and previews still work
        log.warning("downloads unavailable: %s", exc, exc_info=True)
        status.showMessage(f"Downloads are unavailable: {user_message(exc)}", 15000)
    window.add_menu_action("Accounts…", lambda: open_accounts(window, controller, panels))
    window.add_menu_action("Settings…", lambda: open_settings(window, panels), "Ctrl+,")
    return panels


def _attach_queue_extras(
    window: MainWindow, controller: AppController, accounts: Any, panels: Panels, queue: Any
) -> None:
    """The pools' server queues, tray notices, file drags out of the grid, search drops."""
    from crateq.core.settings import load_settings, save_settings
    from crateq.ui.downloads.file_drag import SearchDropFilter, results_file_drag
    from crateq.ui.downloads.notifications import DownloadNotifier
    from crateq.ui.downloads.server_queue_panel import ServerQueuePanel

    status = window.statusBar()
    server = ServerQueuePanel(
        accounts,
        controller.core.submit,
        window,
        poll_seconds=window.settings.downloads.auto_interval_seconds,
    )
    server.downloadRequested.connect(panels.engine.add_rows)
    server.notice.connect(lambda text: status.showMessage(text, 8000))
    controller.row_changed.connect(
        lambda _key, changes: server.refresh() if "queue_id" in changes else None
    )
    window.add_panel("Pool queues", server)
    server.refresh()
    panels.server_queue = server

    panels.notifier = DownloadNotifier(panels.engine, None, window)
    panels.notifier.notice.connect(lambda text: status.showMessage(text, 10000))

    def save_auto(on: bool) -> None:
        fresh = load_settings()
        fresh.downloads.auto_download = on
        save_settings(fresh)
        window.settings.downloads.auto_download = on

    queue.autoDownloadToggled.connect(save_auto)

    drag = results_file_drag(window.results, window.model.row_at, panels.store)
    drag.downloadRequested.connect(controller.download)
    drag.notice.connect(lambda text: status.showMessage(text, 8000))
    drops = SearchDropFilter(window.search_bar.field)
    drops.searchRequested.connect(lambda _text: window.run_search())


def _downloaded(window: MainWindow, job: Any) -> None:
    from crateq.core.download_jobs import JobState

    if job.state is JobState.DONE:
        window.model.mark_in_library([f"{job.pool}:{job.media_id}"])


def open_accounts(window: MainWindow, controller: AppController, panels: Panels) -> None:
    from crateq.ui.accounts.accounts_dialog import AccountsDialog

    dialog = AccountsDialog(controller.accounts, controller.core.submit, window)

    def pools_changed() -> None:
        controller.reset_clients()
        window.filters.set_pools(controller.pool_names())
        if panels.engine is not None:
            panels.engine.reset_pools()
        window.run_search()

    dialog.poolsChanged.connect(pools_changed)
    dialog.open()


def open_settings(window: MainWindow, panels: Panels | None = None) -> None:
    from crateq.ui.settings.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.settings, window)
    app = QApplication.instance()
    dialog.themePreview.connect(lambda name: apply_theme(app, name))  # type: ignore[arg-type]
    dialog.opacityPreview.connect(window.set_widget_opacity)

    def saved(settings: Settings) -> None:
        window.settings = settings
        apply_theme(app, settings.ui.theme)  # type: ignore[arg-type]
        if panels is not None and panels.engine is not None:
            panels.engine.apply_settings(settings)

    def closed(_result: int) -> None:
        apply_theme(app, window.settings.ui.theme)  # type: ignore[arg-type]

    dialog.saved.connect(saved)
    dialog.finished.connect(closed)
    dialog.open()
