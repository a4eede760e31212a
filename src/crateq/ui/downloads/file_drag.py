"""Drag downloaded tracks out of the app; drop text or files onto the search field.

Out: a real file drag. ``QMimeData.setUrls`` with ``file://`` URLs gives ``text/uri-list``,
from which Qt itself makes the platform flavours Finder, Explorer and the DJ programs read
(``NSFilenamesPboardType``/``public.file-url`` on macOS, ``CF_HDROP`` on Windows). On Linux we
add ``x-special/gnome-copied-files`` (Nautilus and GTK apps) and ``text/plain`` paths
(terminals, older apps). Rows that are not downloaded yet never produce a broken drag: their
download starts instead and the user is told so. Every drag of grid rows also carries the
tracks themselves (``TRACKS_MIME``), so a crate in the source tree takes rows that are not on
disk yet; such a drop starts no download.

In: :class:`SearchDropFilter`, installed on a line edit, turns a dropped text into that
text and a dropped audio file into "artist - title" from its tags (or its file name).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QMimeData, QModelIndex, QObject, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDrag,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QMouseEvent,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit, QWidget

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.store import LibraryEntry
    from crateq.core.tracks import Track

GNOME_FILES = "x-special/gnome-copied-files"
TRACKS_MIME = "application/x-crateq-tracks"  # JSON: the dragged rows as collection tracks
TAKEN = "crateqTaken"  # set on the mime data by an in-app drop target that used the tracks


def tracks_payload(rows: Sequence[MediaRow]) -> bytes:
    """The rows as the collections hold them (display fields, no download token)."""
    from crateq.core.tracks import Track

    return json.dumps([Track.of_row(row).as_json() for row in rows]).encode("utf-8")


def tracks_of_mime(mime: QMimeData) -> list[Track]:
    """The tracks a drag of grid rows carries (none for a drag from elsewhere)."""
    from crateq.core.tracks import Track

    if not mime.hasFormat(TRACKS_MIME):
        return []
    try:
        items = json.loads(bytes(mime.data(TRACKS_MIME).data()).decode("utf-8"))
    except ValueError:
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("pool") and isinstance(item.get("mediaId"), int):
            kept = ("key", "pool", "mediaId", "path")
            fields = {k: v for k, v in item.items() if k not in kept}
            key = f"{item['pool']}:{item['mediaId']}"
            out.append(Track(key, str(item["pool"]), item["mediaId"], fields=fields))
    return out


def file_mime_data(paths: Sequence[Path]) -> QMimeData:
    """Mime data for a file drag of ``paths`` (made absolute), in every flavour we know."""
    files = [Path(p).resolve() for p in paths]
    urls = [QUrl.fromLocalFile(str(p)) for p in files]
    mime = QMimeData()
    mime.setUrls(urls)
    mime.setText("\n".join(str(p) for p in files))
    gnome = "copy\n" + "\n".join(bytes(u.toEncoded().data()).decode("ascii") for u in urls)
    mime.setData(GNOME_FILES, gnome.encode("utf-8"))
    return mime


def drag_pixmap(paths: Sequence[Path], font: QFont | None = None) -> QPixmap:
    """A small readable badge under the cursor: the file name or "N files"."""
    text = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
    text = text if len(text) <= 48 else text[:45] + "…"
    pixmap = QPixmap(360, 34)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#2f6fdf"))
    painter.setPen(QColor("#5b8ff0"))
    painter.drawRoundedRect(0, 0, 359, 33, 8, 8)
    painter.setPen(QColor("#ffffff"))
    if font is not None:
        painter.setFont(font)
    painter.drawText(pixmap.rect().adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter, text)
    painter.end()
    return pixmap


def start_file_drag(source: QWidget, paths: Sequence[Path]) -> Qt.DropAction:
    """Run a copy drag of ``paths`` from ``source`` (blocks until dropped, like every drag)."""
    drag = QDrag(source)
    drag.setMimeData(file_mime_data(paths))
    drag.setPixmap(drag_pixmap(list(paths), source.font()))
    drag.setHotSpot(QPoint(-12, -12))
    return drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)


@dataclass
class DragPlan:
    """What a drag of some rows means: files to drag, and rows to download first."""

    paths: list[Path] = field(default_factory=list)
    pending: list[MediaRow] = field(default_factory=list)  # rows without a file on disk
    rows: list[MediaRow] = field(default_factory=list)  # every dragged grid row (for crates)


Resolver = Callable[[list[QModelIndex]], DragPlan]


class FileDragFilter(QObject):
    """Makes any item view a source of file drags without subclassing it.

    Install with ``FileDragFilter(view, resolve)``; ``resolve(rows)`` gets one index per
    selected row and returns a :class:`DragPlan`. Rows without a file are emitted through
    ``downloadRequested(list)`` and ``notice`` tells the user their download started.
    """

    downloadRequested = Signal(list)
    notice = Signal(str)

    def __init__(self, view: QAbstractItemView, resolve: Resolver) -> None:
        super().__init__(view)
        self.view = view
        self.resolve = resolve
        self._press: QPoint | None = None
        self.last_mime: QMimeData | None = None  # what the latest drag carried
        self.pending: list[MediaRow] = []  # prepared rows without a file, not yet asked for
        view.setDragEnabled(False)  # we start the drag ourselves, with real files
        view.viewport().installEventFilter(self)

    def selected_rows(self) -> list[QModelIndex]:
        model = self.view.selectionModel()
        rows = model.selectedRows() if model is not None else []
        return sorted(rows, key=lambda i: i.row())

    def prepare(
        self, rows: list[QModelIndex] | None = None, *, defer: bool = False
    ) -> QMimeData | None:
        """Resolve the rows, ask for missing downloads (after the drop when ``defer``: a
        crate may take them as they are), and build the mime data (or None)."""
        plan = self.resolve(rows if rows is not None else self.selected_rows())
        self.pending = list(plan.pending)
        if not defer:
            self.download_pending()
        existing = [p for p in plan.paths if p.is_file()]
        if not existing and not plan.rows:
            return None
        mime = file_mime_data(existing) if existing else QMimeData()
        if plan.rows:
            mime.setData(TRACKS_MIME, tracks_payload(plan.rows))
        return mime

    def download_pending(self) -> None:
        """Start the downloads of the prepared rows that have no file yet, and say so."""
        pending, self.pending = self.pending, []
        if pending:
            self.downloadRequested.emit(pending)
            count = len(pending)
            what = "track is" if count == 1 else "tracks are"
            self.notice.emit(
                f"{count} {what} not downloaded yet: the download has started; drag again "
                "when it is done."
            )

    def drag(self) -> Qt.DropAction:
        mime = self.last_mime = self.prepare(defer=True)
        if mime is None:
            self.download_pending()
            return Qt.DropAction.IgnoreAction
        paths = [Path(u.toLocalFile()) for u in mime.urls()]
        drag = QDrag(self.view)
        drag.setMimeData(mime)
        if paths:
            drag.setPixmap(drag_pixmap(paths, self.view.font()))
        drag.setHotSpot(QPoint(-12, -12))
        done = drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)
        if not mime.property(TAKEN):  # not a crate: the rows without a file download now
            self.download_pending()
        self.pending = []
        return done

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            pos = event.position().toPoint()
            hit = event.button() == Qt.MouseButton.LeftButton and self.view.indexAt(pos).isValid()
            self._press = pos if hit else None
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        elif (
            kind == QEvent.Type.MouseMove
            and isinstance(event, QMouseEvent)
            and self._press is not None
            and event.buttons() & Qt.MouseButton.LeftButton
        ):
            moved = (event.position().toPoint() - self._press).manhattanLength()
            if moved >= QApplication.startDragDistance():
                self._press = None
                self.drag()
                return True
        return False


class LibraryFiles(Protocol):
    """What a drag needs of the download ``Store`` (``crateq.core.store.Store``)."""

    def have(self, pool: str, media_id: int) -> LibraryEntry | None:
        """The library entry of a version whose file is still on disk."""
        ...


def library_plan(rows: Sequence[MediaRow], store: LibraryFiles) -> DragPlan:
    """Catalog rows (``MediaRow``) to files: the store's library file when it is still on
    disk, else the row goes to ``pending`` (to be downloaded)."""
    plan = DragPlan(rows=list(rows))
    for row in rows:
        entry = store.have(row.pool, row.media_id)
        if entry is not None:
            plan.paths.append(entry.path)
        else:
            plan.pending.append(row)
    return plan


def results_file_drag(
    view: QAbstractItemView,
    row_at: Callable[[QModelIndex], MediaRow | None],
    store: LibraryFiles,
) -> FileDragFilter:
    """File drags out of the search results: ``row_at(index)`` gives the row's MediaRow,
    ``store`` is the download ``Store``. Connect ``downloadRequested`` to the engine."""

    def resolve(indexes: list[QModelIndex]) -> DragPlan:
        rows = [row for row in map(row_at, indexes) if row is not None]
        return library_plan(rows, store)

    return FileDragFilter(view, resolve)


_NOISE = re.compile(r"[_]+|\s{2,}")


def query_for_file(path: Path) -> str:
    """What to search for a dropped file: "artist - title" from its tags, else its name."""
    try:
        import mutagen

        audio = mutagen.File(path, easy=True)
    except Exception:  # unreadable or not audio: fall back to the name
        audio = None
    if audio is not None and audio.tags is not None:
        artist = " ".join(audio.tags.get("artist", [])[:1]).strip()
        title = " ".join(audio.tags.get("title", [])[:1]).strip()
        if artist and title:
            return f"{artist} - {title}"
        if title:
            return title
    return _NOISE.sub(" ", path.stem).strip()


def query_for_mime(mime: QMimeData) -> str:
    """Search text for dropped mime data: a local file's tags or name, else the text."""
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            return query_for_file(Path(url.toLocalFile()))
    if mime.hasText():
        return " ".join(mime.text().split())
    if mime.hasUrls() and mime.urls():
        return mime.urls()[0].toString()
    return ""


class SearchDropFilter(QObject):
    """Install on the search field: a drop replaces its text and emits ``searchRequested``."""

    searchRequested = Signal(str)

    def __init__(self, field: QLineEdit) -> None:
        super().__init__(field)
        self.field = field
        field.setAcceptDrops(True)
        field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, QDragEnterEvent | QDropEvent
        ):
            mime = event.mimeData()
            if mime.hasUrls() or mime.hasText():
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            return self.drop(event.mimeData(), event)
        return False

    def drop(self, mime: QMimeData, event: QDropEvent | None = None) -> bool:
        text = query_for_mime(mime)
        if not text:
            return False
        self.field.setText(text)
        if event is not None:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        self.searchRequested.emit(text)
        return True
