"""Export from the library view: the selection (or every track shown) as an M3U8 playlist,
rekordbox XML or a Serato crate, through the core's exporters.

The export reads each file's tags, so it runs on a worker thread and reports back on the GUI
thread. A file CrateQ did not write is only replaced after the DJ says so.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from crateq.core.errors import user_message
from crateq.ui.downloads.engine_bridge import relay

if TYPE_CHECKING:
    from crateq.core.export import ExportResult
    from crateq.core.store import LibraryEntry

#: format id -> (menu text, what --out is: "file" or "folder", file filter)
FORMATS: dict[str, tuple[str, str, str]] = {
    "m3u": ("M3U8 playlist…", "file", "M3U8 playlist (*.m3u8)"),
    "rekordbox": ("rekordbox XML…", "file", "rekordbox XML (*.xml)"),
    "serato": ("Serato crate (music folder)…", "folder", ""),
}
Chooser = Callable[[str, Path], Path | None]  # format, suggested place -> where, or None
Confirm = Callable[[str], bool]  # the question -> yes


def choose_with_dialog(parent: QWidget) -> Chooser:
    """Ask with the platform's file dialogs (a folder for Serato: where ``_Serato_`` is)."""

    def choose(fmt: str, suggested: Path) -> Path | None:
        title, kind, pattern = FORMATS[fmt]
        if kind == "folder":
            picked = QFileDialog.getExistingDirectory(parent, title, str(suggested.parent))
        else:
            picked, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), pattern)
        return Path(picked) if picked else None

    return choose


def confirm_with_dialog(parent: QWidget) -> Confirm:
    def confirm(question: str) -> bool:
        answer = QMessageBox.question(parent, "Replace file?", question)
        return answer == QMessageBox.StandardButton.Yes

    return confirm


class LibraryExporter(QObject):
    """Runs one export at a time; ``finished(text)`` carries the sentence for the status bar."""

    finished = Signal(str)

    def __init__(
        self,
        music_folder: Callable[[], Path],
        choose: Chooser,
        confirm: Confirm,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._music_folder = music_folder
        self._choose = choose
        self._confirm = confirm
        self._worker = concurrent.futures.ThreadPoolExecutor(1, "crateq-library-export")
        self.running = False

    def export(self, fmt: str, entries: Sequence[LibraryEntry]) -> None:
        present = [entry for entry in entries if entry.present]
        if not present:
            self.finished.emit("Nothing to export: no track with a file on disk is shown.")
            return
        folder = self._music_folder()
        suggested = folder / ("CrateQ.xml" if fmt == "rekordbox" else "CrateQ.m3u8")
        out = self._choose(fmt, suggested)
        if out is not None:
            self._start(fmt, present, out, force=False)

    def _start(self, fmt: str, entries: list[LibraryEntry], out: Path, *, force: bool) -> None:
        from crateq.core.export import export_entries

        self.running = True
        future = self._worker.submit(export_entries, fmt, entries, out, force=force)

        def done(result: ExportResult | None, error: BaseException | None) -> None:
            self.running = False
            if error is not None:
                self._failed(fmt, entries, out, error, force)
            elif result is not None:
                where = ", ".join(str(p) for p in result.written)
                self.finished.emit(f"Exported {result.tracks} track(s) to {where}.")

        relay(future, self, done)

    def _failed(
        self, fmt: str, entries: list[LibraryEntry], out: Path, error: BaseException, force: bool
    ) -> None:
        from crateq.core.errors import ExportError
        from crateq.core.export import NOT_OURS

        if isinstance(error, ExportError) and error.code == NOT_OURS and not force:
            if self._confirm(f"{error.message}\nReplace it?"):
                self._start(fmt, entries, out, force=True)
                return
            self.finished.emit("Export cancelled: nothing was written.")
            return
        self.finished.emit(f"Export failed: {user_message(error)}")

    def close(self) -> None:
        self._worker.shutdown(wait=True)
