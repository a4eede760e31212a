"""The downloads feature in the window: engine, queue panel, library, the pools' queues.

The engine runs on its own thread (``EngineBridge``), over the services' store and the
engine loop's pool clients. Rows to download arrive through the search controller's
``download_requested`` and the grid's file drags. When the engine cannot start (e.g. the
download store cannot be opened) the window still searches and previews, and the status
bar says why.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QSystemTrayIcon

from crateq.core.errors import user_message
from crateq.ui.downloads.engine_bridge import EngineBridge, start_engine
from crateq.ui.downloads.library_view import LibraryView
from crateq.ui.downloads.notifications import DownloadNotifier
from crateq.ui.downloads.queue_panel import QueuePanel
from crateq.ui.downloads.server_queue_panel import ServerQueuePanel

if TYPE_CHECKING:
    from crateq.core.download_jobs import JobSnapshot
    from crateq.core.settings import Settings
    from crateq.services import Services
    from crateq.ui.search.controller import AppController
    from crateq.ui.shell.main_window import MainWindow

log = logging.getLogger(__name__)


class DownloadsFeature:
    """Starts the engine and adds the Downloads, Library and Pool queues tabs to ``window``.

    ``engine``, ``queue`` and ``server_queue`` are None when downloads are unavailable.
    Call ``stop`` before the services shut down (the engine pauses its jobs; they resume on
    the next start).
    """

    def __init__(self, services: Services, window: MainWindow, search: AppController) -> None:
        self.services = services
        self.window = window
        self.engine: EngineBridge | None = None
        self.queue: QueuePanel | None = None
        self.server_queue: ServerQueuePanel | None = None
        self.notifier: DownloadNotifier | None = None
        self.library: LibraryView | None = None
        try:
            self._start(search)
        except Exception as exc:  # downloads unavailable: searching and previews still work
            log.warning("downloads unavailable: %s", exc, exc_info=True)
            window.statusBar().showMessage(f"Downloads are unavailable: {user_message(exc)}", 15000)

    def _start(self, search: AppController) -> None:
        window, status = self.window, self.window.statusBar()
        store = self.services.store
        if store.recovery is not None:  # a damaged database was set aside and replaced
            status.showMessage(store.recovery.message, 60000)
        engine = self.engine = start_engine(self.services, window.settings, parent=window)
        engine.notice.connect(lambda text: status.showMessage(text, 8000))
        engine.start()  # resume what an earlier run left unfinished
        search.download_requested.connect(engine.add_rows)
        engine.jobChanged.connect(self._job_changed)
        queue = self.queue = QueuePanel(
            engine, window, auto_download=window.settings.downloads.auto_download
        )
        window.add_panel("Downloads", queue)
        window.tabs.follow(queue.model, queue)  # a strip while empty, open once jobs arrive
        library = self.library = LibraryView(
            store, window, music_folder=lambda: window.settings.downloads.folder_path()
        )
        library.notice.connect(lambda text: status.showMessage(text, 8000))
        window.add_panel("Library", library)
        engine.batchFinished.connect(lambda _done, _failed: library.refresh())
        queue.autoDownloadToggled.connect(self._save_auto)
        self._add_server_queue(search, engine)
        self.notifier = DownloadNotifier(engine, None, window)
        self.notifier.notice.connect(lambda text: status.showMessage(text, 10000))
        self._add_drags(search)

    def _add_server_queue(self, search: AppController, engine: EngineBridge) -> None:
        window, status = self.window, self.window.statusBar()
        server = self.server_queue = ServerQueuePanel(
            self.services.queues,
            window,
            poll_seconds=window.settings.downloads.auto_interval_seconds,
        )
        server.downloadRequested.connect(engine.add_rows)
        server.notice.connect(lambda text: status.showMessage(text, 8000))
        search.row_changed.connect(
            lambda _key, changes: server.refresh() if "queue_id" in changes else None
        )
        window.add_panel("Pool queues", server)
        server.refresh()

    def _add_drags(self, search: AppController) -> None:
        """File drags out of the grid (downloading first when needed), drops on the search."""
        from crateq.ui.downloads.file_drag import SearchDropFilter, results_file_drag

        window = self.window
        drag = results_file_drag(window.results, window.model.row_at, self.services.store)
        drag.downloadRequested.connect(search.download)
        drag.notice.connect(lambda text: window.statusBar().showMessage(text, 8000))
        drops = SearchDropFilter(window.search_bar.field)
        drops.searchRequested.connect(lambda _text: window.run_search())

    def _save_auto(self, on: bool) -> None:
        fresh = self.services.settings()
        fresh.downloads.auto_download = on
        self.services.save_settings(fresh)
        self.window.settings.downloads.auto_download = on

    def _job_changed(self, job: JobSnapshot) -> None:
        from crateq.core.download_jobs import JobState

        if job.state is JobState.DONE:
            self.window.model.mark_in_library([f"{job.pool}:{job.media_id}"])

    # -- what the rest of the app tells this feature ---------------------------------------
    def use_tray(self, tray: QSystemTrayIcon | None) -> None:
        """Finished batches and failures also as tray notices."""
        if self.notifier is not None:
            self.notifier.tray = tray

    def pools_changed(self) -> None:
        """New engine clients and queue reader, and a fresh read of the pools' queues."""
        if self.engine is not None:
            self.engine.reset_pools()
        if self.server_queue is not None:
            self.server_queue.refresh()

    def apply_settings(self, settings: Settings) -> None:
        if self.engine is not None:
            self.engine.apply_settings(settings)

    def stop(self) -> None:
        if self.server_queue is not None:
            self.server_queue.shutdown()
            self.server_queue = None
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
