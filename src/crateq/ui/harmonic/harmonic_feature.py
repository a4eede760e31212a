"""Harmonic mixing in the window: the track playing, and what mixes with it.

On the grid or the library tab, P marks the selected track as the one playing (shown in
the status bar until another is marked), M fills the grid with what mixes with the
selected track, Shift+M with the playing one: the library's analysed tracks and the pool
rows the grid showed, in a compatible key and within ±6 % BPM, best first (the score in
``crateq.core.harmonic``; the Key column's tooltip says why each one mixes). The same
actions are in the ☰ menu. A download analysed while the app runs gets its Key and LUFS
on the grid at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel

from crateq.ui.harmonic.harmonic_controller import HarmonicController

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.download_jobs import JobSnapshot
    from crateq.services import Services
    from crateq.ui.downloads.downloads_feature import DownloadsFeature
    from crateq.ui.downloads.engine_bridge import EngineBridge
    from crateq.ui.downloads.library_view import LibraryView
    from crateq.ui.search.controller import AppController
    from crateq.ui.shell.main_window import MainWindow

_OVERRIDE, _PRESS = QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress
NO_KEY = "{what}: no key known yet (a download is analysed on arrival; `crateq analyse` " \
    "measures files already on disk)"  # fmt: skip


class HarmonicFeature(QObject):
    """The playing track and the "mixes with" view; keys on the grid and the library."""

    def __init__(
        self,
        services: Services,
        window: MainWindow,
        search: AppController,
        *,
        library: LibraryView | None = None,
        engine: EngineBridge | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.search = search
        self.library = library
        self.controller = HarmonicController(services, search, parent=self)
        self.playing: MediaRow | None = None
        self.pool_rows: list[MediaRow] = []  # what the grid showed before a mixes-with view
        self.label = QLabel(window)
        self.label.setObjectName("playingLabel")
        self.label.setToolTip("The track playing (P marks the selected one; Shift+M: mixes with)")
        self.label.hide()
        window.statusBar().addPermanentWidget(self.label)
        window.add_menu_action("Mark as playing\tP", self.mark_playing)
        window.add_menu_action("Mixes with the selected track\tM", self.mixes_with_selected)
        window.add_menu_action("Mixes with the playing track\tShift+M", self.mixes_with_playing)
        window.results.installEventFilter(self)
        if library is not None:
            library.table.installEventFilter(self)
        if engine is not None:
            engine.jobChanged.connect(self._job_changed)

    @classmethod
    def attach(
        cls,
        services: Services,
        window: MainWindow,
        search: AppController,
        downloads: DownloadsFeature | None,
    ) -> HarmonicFeature:
        """The feature in ``window`` (once: the one already there is returned), with the
        downloads' library tab and engine when downloads started."""
        found = window.findChild(HarmonicFeature)
        if found is not None:
            return found
        library = downloads.library if downloads is not None else None
        engine = downloads.engine if downloads is not None else None
        return cls(services, window, search, library=library, engine=engine)

    # -- keys -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """P, M and Shift+M on the grid and the library table (their ShortcutOverride is
        taken too, so no window-wide shortcut of the same key fires instead)."""
        kind = event.type()
        if not isinstance(event, QKeyEvent) or kind not in (_OVERRIDE, _PRESS):
            return False
        action = self._key_action(event)
        if action is None:
            return False
        if kind == _OVERRIDE:
            event.accept()
        else:
            action()
        return True

    def _key_action(self, event: QKeyEvent) -> Callable[[], None] | None:
        key, mods = event.key(), event.modifiers()
        shift = Qt.KeyboardModifier.ShiftModifier
        if key == Qt.Key.Key_P and not mods:
            return self.mark_playing
        if key == Qt.Key.Key_M and not mods:
            return self.mixes_with_selected
        if key == Qt.Key.Key_M and mods == shift:
            return self.mixes_with_playing
        return None

    # -- the selected and the playing track ------------------------------------------------
    def selected(self) -> MediaRow | None:
        """The library tab's selected track when it has the focus, else the grid's."""
        library = self.library
        if library is not None and library.table.hasFocus():
            from crateq.core.harmonic import entry_row

            entries = library.selected_entries()
            return entry_row(entries[0]) if entries else None
        rows = self.window.results.selected_rows()
        return rows[0] if rows else None

    def mark_playing(self) -> None:
        """P: the selected track is the one playing."""
        from crateq.core.harmonic import row_tune

        row = self.selected()
        if row is None:
            self._say("Select the track that is playing, then press P.")
            return
        self.playing = row.model_copy()
        tune = row_tune(row)
        figures = f" · {tune.camelot} · {tune.bpm:g} BPM" if tune else " · key unknown"
        name = self.label.fontMetrics().elidedText(_name(row), Qt.TextElideMode.ElideMiddle, 360)
        self.label.setText(f"▶ {name}{figures}")  # the name elided: the status line keeps room
        self.label.setToolTip(f"Playing: {_name(row)}{figures} (Shift+M: what mixes with it)")
        self.label.show()
        hint = "Shift+M shows what mixes with it" if tune else NO_KEY.format(what="its key")
        self._say(f"Playing: {_name(row)}. {hint}")

    def mixes_with_selected(self) -> None:
        """M: what mixes with the selected track (the playing one when none is selected)."""
        row = self.selected() or self.playing
        if row is None:
            self._say("Select a track (or mark the playing one with P), then press M.")
            return
        self.mixes_with(row)

    def mixes_with_playing(self) -> None:
        """Shift+M: what mixes with the track marked as playing."""
        if self.playing is None:
            self._say("Mark the playing track first: select it and press P.")
            return
        self.mixes_with(self.playing)

    def mixes_with(self, row: MediaRow) -> int:
        """Fill the grid with what mixes with ``row``; the run number (0: its key unknown)."""
        from crateq.core.harmonic import row_tune

        tune = row_tune(row)
        if tune is None:
            self._say(NO_KEY.format(what=_name(row)))
            return 0
        if self.search.current_run != self.controller.shown_run:
            self.pool_rows = self.window.model.all_rows()  # the search or source shown
        self.window.model.set_sort_keys([])  # best first, as ranked
        return self.controller.show(row, tune, self.pool_rows)

    # -- figures of downloads analysed meanwhile -------------------------------------------
    def _job_changed(self, job: JobSnapshot) -> None:
        found = job.analysis
        if found is None or str(job.state) != "done":
            return
        changes: dict[str, object] = {"camelot": found.camelot, "measured_bpm": found.bpm}
        changes["lufs"] = found.lufs
        self.window.model.update_row(job.key, changes)

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)


def _name(row: MediaRow) -> str:
    return f"{row.artist} - {row.title}".strip(" -") or row.key
