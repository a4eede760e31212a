"""The collections feature in the window: the source tree beside the grid, and its keys.

The tree is a dock on the left (app and fullscreen modes); widget mode folds it away into a
drop-down of the same sources on the toolbar. Choosing a source fills the one grid: All
pools and a pool run the window's normal search, the other sources go through
:class:`CollectionsController`. On the grid, F toggles favorite, W wishes, Del bins (or, in a crate,
takes out; in the bin, restores), Ctrl+Z undoes the last of these. Files dragged from the
grid onto a crate are added to it. The wish list is re-checked on its schedule while the
app runs; matches show in the status line and as a tray notice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSystemTrayIcon,
)

from crateq.ui.collections.collections_controller import CollectionsController
from crateq.ui.collections.sources import (
    ALL,
    BIN,
    CRATE,
    CRATES,
    FAVORITES,
    POOL,
    WISH,
    WISH_ACTIONS,
    WISHES,
    Source,
    SourceCombo,
    SourceTree,
)
from crateq.ui.shell.window_docks import SOURCES

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.tracks import Track
    from crateq.services import Services
    from crateq.ui.search.controller import AppController
    from crateq.ui.shell.main_window import MainWindow

WIDGET = "widget"  # crateq.ui.shell.window_modes.WIDGET
#: What reloads the shown source after an edit: edit kind → source kinds.
_OVERRIDE, _PRESS = QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress
RELOADS = {"bin": (BIN,), "favorite": (FAVORITES,), "crate": (CRATE,), "wish": (WISHES, WISH)}


class Undo:
    """One undoable edit: ``kind`` is "bin", "restore" or "crate"; grid rows of a bin."""

    def __init__(self, kind: str, tracks: list[Track], rows: list[MediaRow], where: str = ""):
        self.kind, self.tracks, self.rows, self.where = kind, tracks, rows, where


class CollectionsFeature(QObject):
    """Builds the source tree (a dock) and its drop-down into ``window``; ``shutdown``
    before the core loop stops."""

    def __init__(self, services: Services, window: MainWindow, search: AppController) -> None:
        super().__init__(window)
        self.window = window
        self.search = search
        self.controller = CollectionsController(services, search, parent=self)
        self.tree = SourceTree(window)
        self.tree.set_pools(search.pool_names())
        self.current = Source(ALL, "All pools")
        self.undo: list[Undo] = []
        # one of the grid's docks: stacked with the filters (no width taken from the grid),
        # in the View menu with its key, remembered per mode, hidden in widget mode
        self.dock = window.add_side_panel(SOURCES, self.tree)
        self.combo = SourceCombo(self.tree, window)
        # no taller than the slim top row of widget mode: every pixel there is a grid row
        self.combo.setMaximumHeight(self.combo.fontMetrics().height() + 10)
        after_handle = window.mode_actions[next(iter(window.mode_actions))]
        self.combo_action = window.toolbar.insertWidget(after_handle, self.combo)
        self._wire()
        self._mode_changed(True)
        self.controller.load_tree(playlists=True)
        self.controller.start_wishes()

    def _wire(self) -> None:
        c, tree, window = self.controller, self.tree, self.window
        tree.source_chosen.connect(self.choose)
        self.combo.source_chosen.connect(self.choose)
        tree.files_dropped.connect(c.crate_files)
        tree.tracks_dropped.connect(c.crate_add)
        tree.menu_requested.connect(self._menu)
        c.crates_ready.connect(tree.set_crates)
        c.wishes_ready.connect(tree.set_wishes)
        c.playlists_ready.connect(tree.set_playlists)
        c.changed.connect(self._changed)
        c.notice.connect(lambda text: window.statusBar().showMessage(text, 8000))
        c.wish_matched.connect(self._wish_matched)
        window.search_bar.text_committed.connect(lambda _text: self._searched())
        window.search_bar.field.textEdited.connect(lambda _text: self._searched())
        window.filters.changed.connect(self._searched)
        window.results.installEventFilter(self)
        tree.installEventFilter(self)
        for action in window.mode_actions.values():
            action.toggled.connect(self._mode_changed)

    # -- choosing a source ------------------------------------------------------------------
    def choose(self, source: Source) -> int:
        """Fill the grid with ``source``; returns the run number of its rows."""
        self.current = source
        self.combo.select_key(source.key)
        item = self.tree.item_for(source.key)
        if item is not None and self.tree.currentItem() is not item:
            self.tree.setCurrentItem(item)
        if source.kind == ALL:
            return self.window.run_search()
        if source.kind == POOL:
            return self.search.search(self.window.query_spec(), [source.pool])
        bar = self.window.search_bar  # its text searches the pools, not this source
        bar.debounce.stop()
        bar.field.clear()
        return self.controller.show(source)

    def _searched(self) -> None:
        """A search typed into the bar shows pool rows again: the tree follows."""
        if self.current.kind not in (ALL, POOL):
            self.current = Source(ALL, "All pools")
            self.tree.setCurrentItem(self.tree.all_pools)
            self.combo.select_key(self.current.key)

    def _changed(self, kind: str) -> None:
        if kind in ("crate", "wish"):
            self.controller.load_tree()
        if self.current.kind in RELOADS.get(kind, ()):
            self.controller.show(self.current)

    # -- keys on the grid -------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The keys on the grid (and Ctrl+Z on the tree). Their ShortcutOverride is taken
        too: a window-wide Del shortcut (the downloads panel's) must not fire instead."""
        kind = event.type()
        if not isinstance(event, QKeyEvent) or kind not in (_OVERRIDE, _PRESS):
            return False
        action = self._key_action(watched, event)
        if action is None:
            return False
        if kind == _OVERRIDE:
            event.accept()
        else:
            action()
        return True

    def _key_action(self, watched: QObject, event: QKeyEvent) -> Callable[[], None] | None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Z and mods == Qt.KeyboardModifier.ControlModifier:
            return self.undo_last
        if watched is not self.window.results or mods:
            return None
        if key == Qt.Key.Key_F:
            return self.toggle_favorite
        if key == Qt.Key.Key_Delete:
            return self.delete_selected
        if key == Qt.Key.Key_W:
            return self.wish_selected
        return None

    def wish_selected(self) -> None:
        """W: the selected rows go on the wish list (their other versions and pools match)."""
        for row in self.window.results.selected_rows():
            self.controller.wish_add(row=row)

    def selected(self) -> tuple[list[MediaRow], list[Track]]:
        rows = self.window.results.selected_rows()
        return rows, self.controller.tracks_of(rows)

    def toggle_favorite(self) -> None:
        _rows, tracks = self.selected()
        if tracks:
            self.controller.toggle_favorite(tracks)

    def delete_selected(self) -> None:
        """Del: out of the crate shown, out of the bin shown, else into the bin."""
        rows, tracks = self.selected()
        if not tracks:
            return
        if self.current.kind == CRATE:
            self.undo.append(Undo("crate", tracks, rows, self.current.ident))
            self.controller.crate_remove(self.current.ident, tracks)
        elif self.current.kind == BIN:
            self.undo.append(Undo("restore", tracks, rows))
            self.controller.restore(tracks)
        else:
            self.undo.append(Undo("bin", tracks, rows, str(self.search.current_run)))
            self.controller.bin(tracks)
            self._drop_rows({row.key for row in rows})

    def _drop_rows(self, keys: set[str]) -> None:
        self.window.model.remove_rows(keys)
        self.search.forget_rows(keys)  # the run's next pages must not bring them back

    def undo_last(self) -> None:
        """Ctrl+Z: the last bin, restore or crate removal, undone."""
        if not self.undo:
            self.window.statusBar().showMessage("Nothing to undo", 4000)
            return
        last = self.undo.pop()
        if last.kind == "bin":
            self.controller.restore(last.tracks)
            if last.where == str(self.search.current_run):  # the grid still shows those rows
                self.window.model.append_rows(last.rows)
                self.search.restore_rows(last.rows)
        elif last.kind == "restore":
            self.controller.bin(last.tracks)
        else:
            self.controller.crate_add(last.where, last.tracks)

    # -- context menus ----------------------------------------------------------------------
    def _menu(self, source: Source, at: QPoint) -> None:
        menu = QMenu(self.window)
        c = self.controller
        if source.kind in (CRATES, CRATE):
            menu.addAction("New crate…" if source.kind == CRATES else "New sub-crate…")
            menu.actions()[-1].triggered.connect(lambda: self._new_crate(source))
        if source.kind == CRATE:
            menu.addAction("Add the selected rows").triggered.connect(
                lambda: c.crate_add(source.ident, self.selected()[1])
            )
            menu.addAction("Rename…").triggered.connect(lambda: self._rename_crate(source))
            menu.addAction("Delete…").triggered.connect(lambda: self._delete_crate(source))
            export = menu.addMenu("Export")
            for fmt in ("m3u", "rekordbox", "serato"):
                export.addAction(fmt).triggered.connect(
                    lambda _on=False, f=fmt: self._export(source, f)
                )
        if source.kind in (WISHES, WISH):
            menu.addAction("Add a wish…").triggered.connect(self._add_wish)
            menu.addAction("Check now").triggered.connect(c.check_now)
        if source.kind == WISH:
            self._wish_actions(menu, int(source.ident))
            menu.addAction("Remove this wish").triggered.connect(
                lambda: c.wish_remove(int(source.ident))
            )
        if menu.actions():
            menu.popup(at)

    def _wish_actions(self, menu: QMenu, wish_id: int) -> None:
        """"When found": notify only, queue it in its pool, or download it."""
        current = self.tree.wish_action(wish_id)
        sub = menu.addMenu("When found")
        for action, label in WISH_ACTIONS.items():
            item = sub.addAction(label)
            item.setCheckable(True)
            item.setChecked(action == current)
            item.triggered.connect(
                lambda _on=False, a=action: self.controller.wish_set_action(wish_id, a)
            )

    def _ask(self, title: str, label: str, text: str = "") -> str:
        value, ok = QInputDialog.getText(self.window, title, label, QLineEdit.EchoMode.Normal, text)
        return value.strip() if ok else ""

    def _new_crate(self, parent: Source) -> None:
        name = self._ask("New crate", "Name:")
        if name:
            path = f"{parent.ident}/{name}" if parent.kind == CRATE else name
            self.controller.crate_edit("new", path)

    def _rename_crate(self, source: Source) -> None:
        name = self._ask("Rename crate", "New name:", source.label)
        if name and name != source.label:
            self.controller.crate_edit("rename", source.ident, name)

    def _delete_crate(self, source: Source) -> None:
        answer = QMessageBox.question(
            self.window, "Delete crate", f"Delete the crate {source.ident} and its sub-crates?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.crate_edit("delete", source.ident)

    def _export(self, source: Source, fmt: str) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, f"Export {source.label} ({fmt}) to")
        if folder:
            self.controller.crate_export(source.ident, fmt, folder)

    def _add_wish(self) -> None:
        text = self._ask("Add a wish", "Artist, “Artist - Title” or keywords:")
        if text:
            self.controller.wish_add(text)

    # -- modes, notices, lifecycle ----------------------------------------------------------
    def _mode_changed(self, on: bool) -> None:
        if on:
            self.combo_action.setVisible(self.window.mode == WIDGET)

    def _wish_matched(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 15000)
        tray = self.window.findChild(QSystemTrayIcon)
        if tray is not None and tray.isVisible():
            tray.showMessage("CrateQ wish list", text, QSystemTrayIcon.MessageIcon.Information)

    def pools_changed(self) -> None:
        self.tree.set_pools(self.search.pool_names())
        self.controller.load_tree(playlists=True)
        self.controller.start_wishes()  # the scheduler over the new clients

    def shutdown(self) -> None:
        self.controller.shutdown()
