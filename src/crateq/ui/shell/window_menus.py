"""The main window's menus that are not about searching itself: view and saved searches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu

from crateq.ui.search.saved_searches import SavedSearches
from crateq.ui.shell.theme import theme_names

if TYPE_CHECKING:
    from crateq.ui.shell.window_face import WindowFace as MainWindow


def view_menu(window: MainWindow) -> QMenu:
    """Theme and widget opacity."""
    menu = QMenu(window)
    themes = menu.addMenu("Theme")
    group = QActionGroup(window)
    for name in theme_names():
        action = themes.addAction(name.replace("-", " ").capitalize())
        action.setCheckable(True)
        action.setChecked(name == window.settings.ui.theme)
        action.triggered.connect(lambda _on=False, n=name: window.set_theme(n))
        group.addAction(action)
    opacity = menu.addMenu("Widget opacity")
    for percent in (100, 95, 85, 75, 60):
        opacity.addAction(f"{percent}%").triggered.connect(
            lambda _on=False, p=percent: window.set_widget_opacity(p / 100)
        )
    return menu


class SavedSearchesUi:
    """Save the current search (text, filters, pools) under a name; recall or delete it."""

    def __init__(self, window: MainWindow, store: SavedSearches) -> None:
        self.window = window
        self.store = store

    def show_menu(self) -> None:
        window, button = self.window, self.window.search_bar.saved_button
        menu = QMenu(window)
        menu.addAction("Save this search…").triggered.connect(self.ask_name_and_save)
        names = self.store.names()
        if names:
            menu.addSeparator()
            for name in names:
                menu.addAction(name).triggered.connect(lambda _on=False, n=name: self.recall(n))
            remove = menu.addMenu("Delete")
            for name in names:
                remove.addAction(name).triggered.connect(
                    lambda _on=False, n=name: self.store.delete(n)
                )
        menu.popup(button.mapToGlobal(button.rect().bottomLeft()))

    def ask_name_and_save(self) -> None:
        window = self.window
        name, ok = QInputDialog.getText(
            window, "Save search", "Name:", text=window.search_bar.text()
        )
        if ok and name.strip():
            self.save(name.strip())

    def save(self, name: str) -> None:
        window = self.window
        spec = {"spec": window.query_spec(), "pools": window.filters.selected_pools()}
        self.store.save(name, spec)
        window.statusBar().showMessage(f"Saved search “{name}”", 5000)

    def recall(self, name: str) -> None:
        """Restore text, pools and filters, then search once."""
        window = self.window
        entry = self.store.get(name)
        if entry is None:
            return
        spec = dict(entry.get("spec", {}))
        window.search_bar.field.setText(str(spec.pop("keywords", "")))
        pools = window.filters.pools
        was_blocked = pools.blockSignals(True)
        pools.set_checked(entry.get("pools") or window.controller.pool_names())
        pools.blockSignals(was_blocked)
        window.filters.set_spec(spec)  # emits changed: one search
