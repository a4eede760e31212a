"""The discovery panel: crate's breakouts, tastemakers and ones-to-watch, side by side.

Each list says how fresh it is in crate's own terms (stale after 7 days, said plainly) and
shows a degraded or empty list as exactly that — never padded, never an error. Each list
loads and fails on its own. Every entry can be found in the pools ("Find") or have its best
match queued ("Queue"); "Queue all found" does that for the whole list and reports a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from crateq.core.crate_service import DISCOVERY_KINDS, DiscoveryKind, DiscoveryList
from crateq.ui.crate.artist_card import PANEL_QSS, label, link_button
from crateq.ui.crate.crate_controller import CrateController

TITLES: dict[str, str] = {
    "breakouts": "Breakouts",
    "tastemakers": "Tastemakers",
    "ones-to-watch": "Ones to watch",
}
IDLE, LOADING, READY, ERROR, NO_KEY = "idle", "loading", "ready", "error", "no-key"


@dataclass
class ListView:
    """One list's column: its widgets and what it currently shows."""

    kind: DiscoveryKind
    frame: QFrame
    freshness: QLabel
    entries: QVBoxLayout
    queue_all: QPushButton
    status: QLabel
    state: str = IDLE
    listing: DiscoveryList | None = None
    find_buttons: dict[str, QPushButton] = field(default_factory=dict)
    queue_buttons: dict[str, QPushButton] = field(default_factory=dict)


class DiscoveryPanel(QWidget):
    """Three discovery lists; ``load`` (re)reads all of them from crate."""

    def __init__(self, crate: CrateController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("discoveryPanel")
        self.setStyleSheet(PANEL_QSS + "QFrame#discoveryList { border: none; }")
        self.crate = crate
        self.loaded = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(6)
        top = QHBoxLayout()
        intro = label("Discover with crate: click a name to find it in every pool.", "crateDim")
        intro.setWordWrap(False)
        top.addWidget(intro)
        top.addStretch(1)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("crateSmall")
        self.refresh_button.clicked.connect(self.load)
        top.addWidget(self.refresh_button)
        outer.addLayout(top)
        columns = QHBoxLayout()
        columns.setSpacing(14)
        self.lists: dict[str, ListView] = {}
        for kind in DISCOVERY_KINDS:
            self.lists[kind] = view = self._column(kind)
            columns.addWidget(view.frame, 1)
        outer.addLayout(columns, 1)
        crate.discovery_loading.connect(self._loading)
        crate.discovery_ready.connect(self._ready)
        crate.discovery_failed.connect(self._failed)
        crate.queue_progress.connect(lambda kind, text: self._set_status(kind, text))
        crate.queue_finished.connect(self._queue_finished)

    def _column(self, kind: DiscoveryKind) -> ListView:
        frame = QFrame(self)
        frame.setObjectName("discoveryList")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        head = QHBoxLayout()
        head.addWidget(label(TITLES[kind].upper(), "crateHeading"))
        head.addStretch(1)
        queue_all = QPushButton("Queue all found", frame)
        queue_all.setObjectName("crateSmall")
        queue_all.setToolTip("Search every pool for each artist and queue the best match of each")
        queue_all.setEnabled(False)
        queue_all.clicked.connect(lambda _on=False, k=kind: self.queue_all(k))
        head.addWidget(queue_all)
        layout.addLayout(head)
        freshness = label("", "crateDim", frame)
        freshness.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout.addWidget(freshness)
        scroll = QScrollArea(frame)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumHeight(0)
        body = QWidget()
        entries = QVBoxLayout(body)
        entries.setContentsMargins(0, 0, 4, 0)
        entries.setSpacing(0)
        entries.addStretch(1)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        status = label("", "crateDim", frame)
        status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        status.setVisible(False)
        layout.addWidget(status)
        return ListView(kind, frame, freshness, entries, queue_all, status)

    # -- entry points --------------------------------------------------------------------------
    def load(self) -> None:
        self.loaded = True
        for kind in DISCOVERY_KINDS:
            self.crate.load_discovery(kind)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.loaded:
            self.load()  # first time the panel is seen: no crate traffic before that

    def queue_all(self, kind: str, names: list[str] | None = None) -> None:
        view = self.lists[kind]
        if names is None:
            names = [e.name for e in view.listing.entries] if view.listing else []
        if not names:
            return
        view.queue_all.setEnabled(False)
        self._set_status(kind, f"Finding {len(names)} artists in the pools…")
        self.crate.queue_all_found(kind, names)

    def text(self, kind: str) -> str:
        """What one list shows, as plain text (tests and accessibility)."""
        frame = self.lists[kind].frame
        parts = [w.text() for w in frame.findChildren(QLabel) + frame.findChildren(QPushButton)]
        return "\n".join(p for p in parts if p)

    # -- controller signals --------------------------------------------------------------------
    def _loading(self, kind: str) -> None:
        view = self.lists[kind]
        view.state = LOADING
        self._clear(view)
        self._say(view, "Loading from crate…", "crateDim")

    def _ready(self, kind: str, listing: DiscoveryList) -> None:
        view = self.lists[kind]
        view.state, view.listing = READY, listing
        self._clear(view)
        tone = (
            "crateError"
            if listing.state == "degraded"
            else "crateStale"
            if listing.stale
            else "crateDim"
        )
        self._say(view, listing.freshness, tone)
        for entry in listing.entries:
            self._entry(view, entry.rank, entry.name, entry.tier, entry.verified)
        view.queue_all.setEnabled(bool(listing.entries))

    def _failed(self, kind: str, message: str, key_problem: bool) -> None:
        view = self.lists[kind]
        view.state = NO_KEY if key_problem else ERROR
        view.listing = None
        self._clear(view)
        self._say(
            view,
            message if key_problem else f"crate could not answer: {message}",
            "crateStale" if key_problem else "crateError",
        )

    def _queue_finished(self, kind: str, added: int, summary: str) -> None:
        if kind in self.lists:
            view = self.lists[kind]
            self._set_status(kind, summary)
            view.queue_all.setEnabled(bool(view.listing and view.listing.entries))

    # -- widgets -------------------------------------------------------------------------------
    def _clear(self, view: ListView) -> None:
        view.find_buttons.clear()
        view.queue_buttons.clear()
        view.queue_all.setEnabled(False)
        while view.entries.count() > 1:  # keep the trailing stretch
            item = view.entries.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def _say(self, view: ListView, text: str, tone: str) -> None:
        view.freshness.setText(text)
        view.freshness.setObjectName(tone)
        view.freshness.style().unpolish(view.freshness)
        view.freshness.style().polish(view.freshness)

    def _entry(
        self, view: ListView, rank: int, name: str, tier: str | None, verified: bool | None
    ) -> None:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(label(f"{rank}.", "crateDim"))
        find = link_button(name, f"Find {name} in every pool", row)
        find.clicked.connect(lambda _on=False, n=name: self.crate.find_in_pools(n))
        layout.addWidget(find)
        detail = " · ".join(x for x in (tier, "verified" if verified else None) if x)
        if detail:
            layout.addWidget(label(detail, "crateDim"))
        layout.addStretch(1)
        queue = QPushButton("Queue", row)
        queue.setObjectName("crateSmall")
        queue.setToolTip(f"Queue the best match for {name} from the pools")
        queue.clicked.connect(lambda _on=False, n=name: self.queue_all(view.kind, [n]))
        layout.addWidget(queue)
        view.find_buttons[name] = find
        view.queue_buttons[name] = queue
        view.entries.insertWidget(view.entries.count() - 1, row)

    def _set_status(self, kind: str, text: str) -> None:
        status = self.lists[kind].status
        status.setText(text)
        status.setVisible(bool(text))
