"""Auto-complete in the search field and "Did you mean" after a search that found nothing.

The feature asks ``services.suggestions`` (``crateq.core.suggest``) on the core loop, never
on the GUI thread: each keystroke starts a "suggest" task (a newer one cancels the older),
whose answer comes back as a queued signal and fills a QCompleter popup under the field if
the field still holds that text. When every pool of the current run delivered zero rows,
``did_you_mean`` runs on the core loop and the search bar shows its hint. At start the
library's tags are added to the index (``Suggestions.know``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QObject, QStringListModel, QTimer, Signal
from PySide6.QtWidgets import QCompleter

from crateq.core.errors import user_message
from crateq.core_loop import TaskGroup

if TYPE_CHECKING:
    from crateq.services import Services
    from crateq.ui.search.controller import AppController
    from crateq.ui.search.result_stream import ResultBatch
    from crateq.ui.search.search_bar import SearchBar

SUGGESTIONS = 8


class SuggestFeature(QObject):
    """Wires the completer and the hint to one search bar and its controller."""

    suggested = Signal(str, list)  # the text asked for, the suggestions (from the core thread)
    hinted = Signal(int, str)  # run, the closest known artist or title ("" for none)

    def __init__(self, services: Services, bar: SearchBar, controller: AppController) -> None:
        super().__init__(bar)
        self.services, self.bar, self.controller = services, bar, controller
        self.tasks = TaskGroup(services.core, self._failed)
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setWidget(bar.field)  # driven by hand: the index already filtered
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.rows: dict[int, int] = {}  # run -> rows delivered
        bar.field.textEdited.connect(self._typed)
        self.completer.activated.connect(self._chosen)
        self.suggested.connect(self._show)
        self.hinted.connect(self._hint)
        controller.search_started.connect(self._started)
        controller.results_ready.connect(self._arrived)
        controller.search_finished.connect(self._finished)
        self.tasks.start("library", self._know_library())

    # -- auto-complete -------------------------------------------------------------------------
    def _typed(self, text: str) -> None:
        self.bar.clear_hint()
        if text.strip():
            self.tasks.start("suggest", self._suggest(text))
        else:
            self._hide_popup()

    async def _suggest(self, text: str) -> None:
        found = self.services.suggestions.suggest(text, SUGGESTIONS)
        self.suggested.emit(text, [s.text for s in found])

    def _show(self, text: str, found: list[str]) -> None:
        if text != self.bar.field.text():
            return  # the DJ typed on meanwhile: a newer answer is coming
        self.model.setStringList(found)
        if found and self.bar.field.hasFocus():
            self.completer.complete()
        else:
            self._hide_popup()

    def _hide_popup(self) -> None:
        popup = self.completer.popup()
        if popup is not None:
            popup.hide()

    def _chosen(self, text: str) -> None:
        self.bar.field.setText(text)
        # Enter in the popup also reaches the field (returnPressed commits): search only once
        QTimer.singleShot(0, self._commit_if_new)

    def _commit_if_new(self) -> None:
        if self.bar.committed != self.bar.text():
            self.bar.commit()

    # -- "did you mean" ------------------------------------------------------------------------
    def _started(self, run: int, _pools: list[str]) -> None:
        self.rows = {run: 0}
        self.bar.clear_hint()

    def _arrived(self, batch: ResultBatch) -> None:
        self.rows[batch.run] = batch.versions  # every row of the run so far

    def _finished(self, run: int) -> None:
        text = self.bar.text()
        if run == self.controller.current_run and self.rows.get(run, 0) == 0 and text:
            self.tasks.start("hint", self._did_you_mean(run, text))

    async def _did_you_mean(self, run: int, text: str) -> None:
        self.hinted.emit(run, self.services.suggestions.did_you_mean(text) or "")

    def _hint(self, run: int, text: str) -> None:
        if text and run == self.controller.current_run:
            self.bar.show_hint(text)

    # -- feeding and failures ------------------------------------------------------------------
    async def _know_library(self) -> None:
        library = self.services.opened_store()
        if library is not None:
            self.services.suggestions.know(entry.tags for entry in library.library())

    def _failed(self, name: str, exc: BaseException) -> None:
        self.controller.notice.emit(f"Suggestions unavailable: {user_message(exc)}")

    def shutdown(self) -> None:
        self.tasks.cancel_all()
