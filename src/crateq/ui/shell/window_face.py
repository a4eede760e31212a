"""What the window's menus (``window_menus``) use of the main window, declared below both.

``MainWindow`` builds the menus, so the menus cannot import it back; they are typed against
this base class instead, which ``MainWindow`` implements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from crateq.core.settings import Settings
    from crateq.ui.search.controller import AppController
    from crateq.ui.search.filters_panel import FiltersPanel
    from crateq.ui.search.search_bar import SearchBar


class WindowFace(QMainWindow):
    """The main window as its menus see it."""

    settings: Settings
    controller: AppController
    search_bar: SearchBar
    filters: FiltersPanel

    def set_theme(self, name: str) -> None:
        raise NotImplementedError

    def set_widget_opacity(self, value: float) -> None:
        raise NotImplementedError

    def query_spec(self) -> dict[str, Any]:  # Any: the filter panel's values, as it gives them
        raise NotImplementedError
