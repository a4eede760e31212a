"""The crate feature in the window: the artist card as a dock beside the grid, the Discover tab.

The card follows the grid's current row; every search the card or the lists ask for goes to
the window's own search entry point, and rows that "queue all" put on a pool's queue are
reported through the search controller's ``row_changed`` (grid and pool-queue panel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex

from crateq.ui.crate.artist_card import ArtistCardPanel
from crateq.ui.crate.crate_controller import CrateController
from crateq.ui.crate.discovery_panel import DiscoveryPanel
from crateq.ui.shell.window_docks import ARTIST

if TYPE_CHECKING:
    from crateq.services import Services
    from crateq.ui.search.controller import AppController
    from crateq.ui.shell.main_window import MainWindow


class CrateFeature:
    """Builds the crate controller and its two panels into ``window``; ``shutdown`` before
    the core loop stops."""

    def __init__(self, services: Services, window: MainWindow, search: AppController) -> None:
        self.window = window
        self.controller = CrateController(services, parent=window)
        self.card = ArtistCardPanel(self.controller, window)
        self.discovery = DiscoveryPanel(self.controller, window)
        self.dock = window.add_side_panel(ARTIST, self.card)  # hidden in widget mode
        window.add_panel("Discover", self.discovery)

        selection = window.results.selectionModel()
        selection.currentRowChanged.connect(self._row_selected)
        self.card.search_requested.connect(window.search_artist)
        self.controller.search_requested.connect(window.search_artist)
        self.controller.row_changed.connect(search.row_changed)
        self.controller.notice.connect(lambda text: window.statusBar().showMessage(text, 8000))
        self.dock.visibilityChanged.connect(self._shown)

    def _row_selected(
        self,
        current: QModelIndex | QPersistentModelIndex,
        _previous: QModelIndex | QPersistentModelIndex | None = None,
    ) -> None:
        row = self.window.model.row_at(current)
        if row is not None and self.card.isVisible():
            self.card.show_artist(row.artist)

    def _shown(self, visible: bool) -> None:
        if visible:
            self._row_selected(self.window.results.currentIndex())  # catch up while hidden

    def shutdown(self) -> None:
        self.controller.shutdown()
