"""The set-prep feature in the window: a tab under the grid, its keys, drops and pastes.

A tracklist file dropped anywhere on the window (text, M3U/M3U8, rekordbox XML, CSV, a
Serato crate) or text pasted with Ctrl+V (outside a text field, which keeps its own paste)
opens the "Set prep" tab and is matched line by line on the core loop
(``SetPrepController``). Ctrl+Shift+P opens the tab, Ctrl+Shift+G grabs every found line's
version — downloaded through the download engine (the search controller's
``download``) or put on the pools' server queues — and the lines' files export as M3U8,
rekordbox XML or a Serato crate through the library's exporter (``core.export``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence, QShortcut

from crateq.ui.downloads.library_export import (
    LibraryExporter,
    choose_with_dialog,
    confirm_with_dialog,
)
from crateq.ui.setprep.setprep_controller import SetPrepController
from crateq.ui.setprep.setprep_model import PrepLine, PrepModel
from crateq.ui.setprep.setprep_view import SetPrepView

if TYPE_CHECKING:
    from crateq.core.songs import Version
    from crateq.core.store import LibraryEntry
    from crateq.core.tracklist import TrackLine
    from crateq.services import Services
    from crateq.ui.search.controller import AppController
    from crateq.ui.shell.main_window import MainWindow

OPEN_KEY, GRAB_KEY = "Ctrl+Shift+P", "Ctrl+Shift+G"
TITLE = "Set prep"
OPEN_SHARE = 0.6  # of the grid's and tabs' height, when the tab opens
_DROPS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)
TRACKLIST_SUFFIXES = frozenset({".txt", ".m3u", ".m3u8", ".xml", ".csv", ".tsv", ".crate"})


def tracklist_files(paths: list[str]) -> list[Path]:
    """The paths that name a tracklist (a media file dragged from the grid is none)."""
    return [Path(p) for p in paths if Path(p).suffix.lower() in TRACKLIST_SUFFIXES]


def grabbable(lines: list[PrepLine]) -> list[Version]:
    """Each found line's chosen version, every one once, in the list's order."""
    out: dict[str, Version] = {}
    for line in lines:
        if line.status == "found" and line.chosen is not None:
            out.setdefault(line.chosen.version.row.key, line.chosen.version)
    return list(out.values())


class SetPrepFeature(QObject):
    """Builds the tab into ``window``; ``shutdown`` before the core loop stops."""

    def __init__(self, services: Services, window: MainWindow, search: AppController) -> None:
        super().__init__(window)
        self.window = window
        self.search = search
        self.model = PrepModel(self)
        self.view = SetPrepView(self.model, window)
        self.controller = SetPrepController(services, self)
        self.export_to: Path | None = None  # where the next export goes without asking
        ask = choose_with_dialog(window)
        self.exporter = LibraryExporter(
            lambda: window.settings.downloads.folder_path(),
            lambda fmt, suggested: self.export_to or ask(fmt, suggested),
            confirm_with_dialog(window),
            parent=self,
        )
        window.add_panel(TITLE, self.view)
        window.add_menu_action(f"{TITLE}…", self.open, OPEN_KEY)
        window.add_menu_action("Grab all found (set prep)", self.view.grab_found, GRAB_KEY)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), window, self.paste)
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self._wire()

    def _wire(self) -> None:
        c, view, status = self.controller, self.view, self.window.statusBar()
        c.lines_ready.connect(self._lines_ready)
        c.line_resolved.connect(self.model.resolve)
        c.finished.connect(self._finished)
        c.failed.connect(self._failed)
        c.notice.connect(lambda text: status.showMessage(text, 8000))
        c.entries_ready.connect(self._export_entries)
        view.text_submitted.connect(c.load_text)
        view.file_chosen.connect(self.load_file)
        view.grab_requested.connect(self.grab)
        view.export_requested.connect(self.export)
        self.exporter.finished.connect(lambda text: status.showMessage(text, 10000))

    # -- input ---------------------------------------------------------------------------------
    def open(self) -> None:
        """Show the tab (app mode, if the window is the slim widget) and focus its lines."""
        if self.window.mode == "widget":  # crateq.ui.shell.window_modes.WIDGET
            self.window.set_mode("app")
        tabs = self.window.tabs
        folded = tabs.folded
        tabs.open(self.view)
        if folded:  # a list wants more room than a download queue: most of the height
            total = max(sum(tabs.splitter.sizes()), 1)
            tabs.splitter.setSizes([int(total * (1 - OPEN_SHARE)), int(total * OPEN_SHARE)])
        target = self.view.table if self.model.rows else self.view.paste_box
        target.setFocus()

    def load_file(self, path: Path) -> int:
        self.open()
        self.window.statusBar().showMessage(f"Set prep: reading {path.name}…", 6000)
        return self.controller.load_file(Path(path))

    def load_text(self, text: str) -> int:
        self.open()
        return self.controller.load_text(text)

    def paste(self) -> None:
        """Ctrl+V outside a text field: the clipboard's tracklist file or text."""
        mime = QGuiApplication.clipboard().mimeData()
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime else []
        if files:
            self.load_file(Path(files[0]))
        elif mime is not None and mime.text().strip():
            self.load_text(mime.text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Tracklist files dropped on the window (where no other widget takes them)."""
        if watched is not self.window or event.type() not in _DROPS:
            return False
        assert isinstance(event, QDragEnterEvent | QDropEvent)  # DragMove is a QDropEvent
        mime = event.mimeData()
        files = tracklist_files([u.toLocalFile() for u in mime.urls() if u.isLocalFile()])
        text = mime.hasText() and not mime.hasUrls() and event.source() is None  # not ours
        if not files and not text:
            return False
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            if files:
                self.load_file(files[0])
            else:
                self.load_text(mime.text())
        return True

    # -- results -------------------------------------------------------------------------------
    def _lines_ready(self, run: int, entries: list[TrackLine]) -> None:
        if run == self.controller.run:
            self.model.start(run, entries)
            self.view.table.setFocus()
            if self.model.rows:
                self.view.table.setCurrentIndex(self.model.index(0, 0))

    def _finished(self, run: int) -> None:
        if run == self.controller.run:
            self.window.statusBar().showMessage(f"Set prep: {len(self.model.rows)} lines", 6000)

    def _failed(self, run: int, message: str) -> None:
        if run == self.controller.run:
            self.window.statusBar().showMessage(message, 12000)
            self.view.summary.setText(message)

    # -- grab and export -----------------------------------------------------------------------
    def grab(self, mode: str = "download") -> list[Version]:
        """Every found line's version: downloaded through the engine, or queued on the pools."""
        versions = grabbable(self.model.lines())
        if not versions:
            self.window.statusBar().showMessage("Set prep: no found line to grab.", 6000)
        elif mode == "queue":
            self.controller.queue(versions)
        else:
            self.search.download([version.row for version in versions])
        return versions

    def export(self, fmt: str, out: Path | None = None) -> None:
        """The lines' files (in the library: have, and chosen versions downloaded) as
        ``fmt``; ``out`` spares the file dialog."""
        if out is not None:
            self.export_to = out
        wanted: list[str | tuple[str, int]] = []
        for line in self.model.lines():
            if line.result is not None and line.result.path and not line.picked:
                wanted.append(line.result.path)
            elif line.chosen is not None and line.status in ("found", "have"):
                wanted.append((line.chosen.version.pool, line.chosen.version.media_id))
        self.controller.gather(fmt, wanted)

    def _export_entries(self, fmt: str, entries: list[LibraryEntry]) -> None:
        try:
            self.exporter.export(fmt, entries)
        finally:
            self.export_to = None

    def shutdown(self) -> None:
        self.controller.shutdown()
        self.exporter.close()
