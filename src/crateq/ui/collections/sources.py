"""The source tree beside the grid, as DJ software has, and its drop-down for widget mode.

Every node is a :class:`Source`: All pools (the normal search), each pool with its charts,
"new this week" and playlists, the pools' queues, favorites, the wish list (a node per
wish), crates (nested as the DJ nested them), the bin, the history and the library.
Choosing one emits ``source_chosen``; the collections feature fills the grid with it.
Rows dragged from the grid (files of downloaded tracks) can be dropped on a crate node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QTreeWidget, QTreeWidgetItem, QWidget

from crateq.ui.downloads.file_drag import TAKEN, TRACKS_MIME, tracks_of_mime

if TYPE_CHECKING:
    from crateq.core.crates import Crate
    from crateq.core.wishlist import Wish

ALL, POOL, PLAYLIST, CHARTS, NEW, NEW_ARTISTS = "all", "pool", "playlist", "charts", "new", "fans"
QUEUE, FAVORITES, WISHES, WISH = "queue", "favorites", "wishes", "wish"
CRATES, CRATE, BIN, HISTORY, LIBRARY = "crates", "crate", "bin", "history", "library"
#: Sources whose rows come from the pools, through the search path (``_deliver``).
SEARCHED = (ALL, POOL)
SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1
#: What a wish's match does, as the wish's menu names it.
WISH_ACTIONS = {"notify": "Notify me", "queue": "Queue it in its pool", "download": "Download it"}


class Source:
    """One node: ``kind``, its label, the ``pool`` it belongs to, ``ident`` (a playlist id,
    a crate's path, a wish's id)."""

    def __init__(self, kind: str, label: str, pool: str = "", ident: str = "") -> None:
        self.kind = kind
        self.label = label
        self.pool = pool
        self.ident = ident

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pool}:{self.ident}"

    def __repr__(self) -> str:
        return f"Source({self.key!r}, {self.label!r})"


def _children(item: QTreeWidgetItem | None) -> list[QTreeWidgetItem]:
    found = [item.child(i) for i in range(item.childCount())] if item is not None else []
    return [child for child in found if child is not None]


def _item(parent: QTreeWidget | QTreeWidgetItem, source: Source) -> QTreeWidgetItem:
    item = QTreeWidgetItem(parent, [source.label])
    item.setData(0, SOURCE_ROLE, source)
    return item


def source_of(item: QTreeWidgetItem | None) -> Source | None:
    value = item.data(0, SOURCE_ROLE) if item is not None else None
    return value if isinstance(value, Source) else None


class SourceTree(QTreeWidget):
    """The tree of sources; ``files_dropped(crate path, file paths)`` for drops on a crate,
    ``menu_requested(source, global position)`` for a node's context menu."""

    source_chosen = Signal(object)  # Source
    files_dropped = Signal(str, list)  # crate path, [str path]
    tracks_dropped = Signal(str, list)  # crate path, [Track]: grid rows, on disk or not
    menu_requested = Signal(object, QPoint)  # Source, global position
    changed = Signal()  # nodes were added or removed (the drop-down follows)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceTree")
        self.setHeaderHidden(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemClicked.connect(lambda item, _col: self._chosen(item))
        self.itemActivated.connect(lambda item, _col: self._chosen(item))
        self.all_pools = _item(self, Source(ALL, "All pools"))
        _item(self.all_pools, Source(NEW_ARTISTS, "New from my artists"))
        self.pools: dict[str, QTreeWidgetItem] = {}
        self._wish_actions: dict[int, str] = {}
        self.queue = _item(self, Source(QUEUE, "Queue"))
        self.favorites = _item(self, Source(FAVORITES, "Favorites"))
        self.wishes = _item(self, Source(WISHES, "Wish list"))
        self.crates = _item(self, Source(CRATES, "Crates"))
        self.bin = _item(self, Source(BIN, "Bin"))
        self.history = _item(self, Source(HISTORY, "History"))
        self.library = _item(self, Source(LIBRARY, "Library"))
        for node in (self.all_pools, self.crates, self.wishes):
            node.setExpanded(True)
        self.setCurrentItem(self.all_pools)

    # -- filling ---------------------------------------------------------------------------
    def set_pools(self, names: list[str]) -> None:
        """One node per pool (under All pools) with its charts and new releases."""
        for item in self.pools.values():
            self.all_pools.removeChild(item)
        self.pools.clear()
        for name in names:
            node = self.pools[name] = _item(self.all_pools, Source(POOL, name, name))
            _item(node, Source(CHARTS, "Charts", name))
            _item(node, Source(NEW, "New this week", name))
        self.changed.emit()

    def set_playlists(self, playlists: dict[str, list[tuple[int, str]]]) -> None:
        """Each pool's playlists (id, title) under its node."""
        for pool, items in playlists.items():
            node = self.pools.get(pool)
            if node is None:
                continue
            for child in _children(node):
                found = source_of(child)
                if found is not None and found.kind == PLAYLIST:
                    node.removeChild(child)
            for playlist_id, title in items:
                _item(node, Source(PLAYLIST, title, pool, str(playlist_id)))
        self.changed.emit()

    def set_crates(self, tree: list[Crate]) -> None:
        current = source_of(self.currentItem())

        def add(parent: QTreeWidgetItem, crates: list[Crate]) -> None:
            for crate in crates:
                node = _item(parent, Source(CRATE, crate.name, "", crate.path))
                node.setToolTip(0, f"{crate.path}: {crate.count} tracks")
                add(node, crate.children)
                node.setExpanded(True)

        self.crates.takeChildren()
        add(self.crates, tree)
        self._reselect(current)
        self.changed.emit()

    def set_wishes(self, wishes: list[Wish]) -> None:
        import time

        current = source_of(self.currentItem())
        self.wishes.takeChildren()
        self._wish_actions = {wish.id: wish.action for wish in wishes}
        for wish in wishes:
            matched = [m for m in wish.matches if m.outcome != "seen"]
            node = _item(self.wishes, Source(WISH, wish.label, "", str(wish.id)))
            checked = (
                time.strftime("%d %b %H:%M", time.localtime(wish.last_checked))
                if wish.last_checked
                else "never"
            )
            node.setText(0, f"{wish.label} ({len(matched)})")
            then = WISH_ACTIONS.get(wish.action, wish.action).lower()
            error = f"; {wish.last_error}" if wish.last_error else ""
            node.setToolTip(
                0, f"Last checked: {checked}; {len(matched)} matched; when found: {then}{error}"
            )
        self._reselect(current)
        self.changed.emit()

    def wish_action(self, wish_id: int) -> str:
        """What a match of the wish does ("notify", "queue", "download")."""
        return self._wish_actions.get(wish_id, "notify")

    # -- finding and choosing ---------------------------------------------------------------
    def flat(self) -> list[tuple[int, Source]]:
        """Every node (depth, source), in tree order: the drop-down's entries."""
        out: list[tuple[int, Source]] = []

        def walk(item: QTreeWidgetItem, depth: int) -> None:
            found = source_of(item)
            if found is not None:
                out.append((depth, found))
            for child in _children(item):
                walk(child, depth + 1)

        for item in self._top():
            walk(item, 0)
        return out

    def _top(self) -> list[QTreeWidgetItem]:
        found = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        return [item for item in found if item is not None]

    def item_for(self, key: str) -> QTreeWidgetItem | None:
        stack = self._top()
        while stack:
            item = stack.pop()
            found = source_of(item)
            if found is not None and found.key == key:
                return item
            stack.extend(_children(item))
        return None

    def choose(self, key: str) -> None:
        item = self.item_for(key)
        if item is not None:
            self.setCurrentItem(item)
            self._chosen(item)

    def _reselect(self, current: Source | None) -> None:
        item = self.item_for(current.key) if current is not None else None
        if item is not None:
            self.setCurrentItem(item)

    def _chosen(self, item: QTreeWidgetItem) -> None:
        found = source_of(item)
        if found is not None:
            self.source_chosen.emit(found)

    def _menu(self, pos: QPoint) -> None:
        found = source_of(self.itemAt(pos))
        if found is not None:
            self.menu_requested.emit(found, self.viewport().mapToGlobal(pos))

    # -- drops on a crate -------------------------------------------------------------------
    def crate_at(self, pos: QPoint) -> str | None:
        found = source_of(self.itemAt(pos))
        return found.ident if found is not None and found.kind == CRATE else None

    @staticmethod
    def _carries(mime: QMimeData) -> bool:
        return mime.hasUrls() or mime.hasFormat(TRACKS_MIME)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._carries(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        crate = self.crate_at(event.position().toPoint())
        if self._carries(event.mimeData()) and crate is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """Grid rows (downloaded or not) join the crate as tracks; files from elsewhere as
        the library's tracks they came from, else as local files."""
        crate = self.crate_at(event.position().toPoint())
        mime = event.mimeData()
        tracks = tracks_of_mime(mime)
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if crate is None or not (tracks or paths):
            event.ignore()
            return
        event.acceptProposedAction()
        if tracks:
            mime.setProperty(TAKEN, True)  # the drag's rows are in the crate: no download
            self.tracks_dropped.emit(crate, tracks)
        else:
            self.files_dropped.emit(crate, paths)


class SourceCombo(QComboBox):
    """The tree as a drop-down (widget mode): indented labels, same sources."""

    source_chosen = Signal(object)  # Source

    def __init__(self, tree: SourceTree, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceCombo")
        self.setToolTip("Where the grid's rows come from")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(14)
        self.tree = tree
        self._sources: list[Source] = []
        tree.changed.connect(self.rebuild)
        self.activated.connect(self._activated)
        self.rebuild()

    def rebuild(self) -> None:
        current = self.currentIndex()
        key = self._sources[current].key if 0 <= current < len(self._sources) else ""
        self.blockSignals(True)
        self.clear()
        self._sources = []
        for depth, source in self.tree.flat():
            self.addItem("  " * depth + source.label)
            self._sources.append(source)
        keys = [s.key for s in self._sources]
        self.setCurrentIndex(keys.index(key) if key in keys else 0)
        self.blockSignals(False)

    def select_key(self, key: str) -> None:
        keys = [s.key for s in self._sources]
        if key in keys:
            self.setCurrentIndex(keys.index(key))

    def _activated(self, index: int) -> None:
        if 0 <= index < len(self._sources):
            self.source_chosen.emit(self._sources[index])
