"""The artist card beside the grid: who the selected row's artist really is, per crate.

It shows what crate knows and says plainly what it does not: a missing part reads "Not
known", never an error and never a made-up value. Every artist and label on the card is a
link-styled button that asks for a search of all pools (``search_requested``); presence
links open in the browser (link only: no artwork is fetched or kept). Its own states —
idle, loading, ready, error, no key — stay on the card; the grid never waits on it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
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

from crateq.core.crate_service import ArtistCard, LabelMomentum
from crateq.ui.crate.crate_controller import KEY_HINT, CrateController

NOT_KNOWN = "Not known"
IDLE, LOADING, READY, ERROR, NO_KEY = "idle", "loading", "ready", "error", "no-key"
BADGES = {  # verification -> (text, chip state of the theme)
    "verified": ("✓ Verified", "ok"),
    "unverified": ("Unverified", "slow"),
    "not known": (NOT_KNOWN, ""),
}
PANEL_QSS = """
QPushButton#crateLink { background: transparent; border: none; color: #8fb4ff;
    padding: 2px 0; text-align: left; font-weight: 600; }
QPushButton#crateLink:hover { color: #c4d6ff; text-decoration: underline; }
QLabel#crateName { font-size: 17pt; font-weight: 700; }
QLabel#crateHeading { color: #9aa3b2; font-weight: 700; margin-top: 8px; }
QLabel#crateDim { color: #aab2bf; }
QLabel#crateGap { color: #8b93a1; font-style: italic; }
QLabel#crateError { color: #ffb3b3; }
QLabel#crateStale { color: #ffd977; }
QPushButton#crateSmall { padding: 2px 10px; }
"""


def link_button(text: str, tooltip: str, parent: QWidget | None = None) -> QPushButton:
    """A flat, link-looking button: one click, keyboard-reachable, easy to test."""
    button = QPushButton(text.replace("&", "&&"), parent)  # "&" is a mnemonic marker
    button.setObjectName("crateLink")
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setToolTip(tooltip)
    button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    return button


def label(text: str, name: str = "", parent: QWidget | None = None) -> QLabel:
    widget = QLabel(text, parent)
    widget.setWordWrap(True)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        widget.setObjectName(name)
    return widget


def describe_resolution(card: ArtistCard) -> str:
    """How crate got to this identity, in words."""
    if not card.known:
        return f"crate has no artist for “{card.query}”."
    how = (
        "Bound to a Discogs artist"
        if card.verification == "verified"
        else "Seen in the booking graph, not bound to Discogs"
    )
    on = card.matched_on or card.resolved_from
    return f"{how}; matched on {on}." if on else f"{how}."


def describe_momentum(item: LabelMomentum) -> str:
    if item.error:
        return f"DJ momentum: not known ({item.error})"
    if item.plays_last_365d is None and item.velocity is None:
        return "DJ momentum: not known"
    plays = "not known" if item.plays_last_365d is None else f"{item.plays_last_365d:,.0f}"
    velocity = "not known" if item.velocity is None else f"{item.velocity:+.2f}"
    return f"{plays} DJ plays in the last 365 days · velocity {velocity}"


class ArtistCardPanel(QWidget):
    """Shows one artist card; ``show_artist`` is called with the selected row's artist."""

    search_requested = Signal(str)
    wish_requested = Signal(str)  # an artist for the wish list (new releases of theirs)

    def __init__(self, crate: CrateController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("artistCard")
        self.setStyleSheet(PANEL_QSS)
        self.crate = crate
        self.state = IDLE
        self.query = ""
        self.card: ArtistCard | None = None
        self.message = ""
        self._wanted = 0  # the look-up number whose answer this card waits for
        self.links: dict[str, QPushButton] = {}  # artist/label name -> its search button
        self.badge: QLabel | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self.scroller)
        crate.card_loading.connect(self._loading)
        crate.card_ready.connect(self._ready)
        crate.card_failed.connect(self._failed)
        self._render_idle()

    # -- entry points --------------------------------------------------------------------------
    def show_artist(self, artist: str) -> None:
        if artist.strip():
            self._lookup(artist, refresh=False)

    def refresh(self) -> None:
        if self.query:
            self._lookup(self.query, refresh=True)

    def _lookup(self, artist: str, *, refresh: bool) -> None:
        # a cached card is answered synchronously, inside lookup_artist: expect it first
        self._wanted = self.crate.lookup_number + 1
        self.crate.lookup_artist(artist, refresh=refresh)

    def text(self) -> str:
        """Everything the card says, as plain text (tests and accessibility)."""
        body = self.scroller.widget()
        if body is None:
            return ""
        parts = [w.text() for w in body.findChildren(QLabel)]
        parts += [b.text().replace("&&", "&") for b in body.findChildren(QPushButton)]
        return "\n".join(p for p in parts if p)

    # -- controller signals --------------------------------------------------------------------
    def _loading(self, number: int, query: str) -> None:
        if number != self._wanted:
            return
        self.state, self.query = LOADING, query
        body, layout = self._fresh_body()
        layout.addWidget(label(query, "crateName"))
        layout.addWidget(label("Looking this artist up in crate…", "crateDim"))
        self._finish(body, layout)

    def _ready(self, number: int, query: str, card: ArtistCard) -> None:
        if number != self._wanted:
            return  # an answer for a row the DJ has already left
        self.state, self.query, self.card, self.message = READY, query, card, ""
        self._render_card(card)

    def _failed(self, number: int, query: str, message: str, key_problem: bool) -> None:
        if number != self._wanted:
            return
        self.state = NO_KEY if key_problem else ERROR
        self.query, self.message = query, message
        body, layout = self._fresh_body()
        layout.addWidget(label(query, "crateName"))
        if key_problem:
            layout.addWidget(label("crate needs an API key for artist cards.", "crateStale"))
            layout.addWidget(label(message, "crateDim"))
        else:
            layout.addWidget(label(f"crate could not answer: {message}", "crateError"))
            retry = QPushButton("Try again", body)
            retry.clicked.connect(self.refresh)
            layout.addWidget(retry, 0, Qt.AlignmentFlag.AlignLeft)
        self._search_button(layout, query)
        self._finish(body, layout)

    # -- rendering -----------------------------------------------------------------------------
    def _fresh_body(self) -> tuple[QWidget, QVBoxLayout]:
        self.links = {}
        self.badge = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        return body, layout

    def _finish(self, body: QWidget, layout: QVBoxLayout) -> None:
        layout.addStretch(1)
        old = self.scroller.takeWidget()
        self.scroller.setWidget(body)
        if old is not None:
            old.deleteLater()

    def _render_idle(self) -> None:
        self.state = IDLE
        body, layout = self._fresh_body()
        layout.addWidget(label("Artist", "crateHeading"))
        layout.addWidget(label("Select a track to see who its artist really is.", "crateDim"))
        self._finish(body, layout)

    def _render_card(self, card: ArtistCard) -> None:
        body, layout = self._fresh_body()
        layout.addWidget(label(card.name or card.query, "crateName"))
        text, chip_state = BADGES[card.verification if card.known else "not known"]
        self.badge = QLabel(text, body)
        self.badge.setObjectName("chip")
        self.badge.setProperty("state", chip_state)
        row = QHBoxLayout()
        row.addWidget(self.badge)
        row.addStretch(1)
        layout.addLayout(row)
        if card.known:
            tier = card.momentum_tier or NOT_KNOWN.lower()
            layout.addWidget(label(f"Artist momentum: {tier}", "crateDim"))
        layout.addWidget(label(describe_resolution(card), "crateDim"))
        if card.note:
            layout.addWidget(label(card.note, "crateDim"))
        if not card.known:
            if card.candidates:
                self._heading(layout, "Close names crate has seen (unverified)")
                for cand in card.candidates:
                    self._artist_link(layout, cand.name, "")
            self._search_button(layout, card.query)
            self._finish(body, layout)
            return
        self._heading(layout, "Labels · DJ momentum")
        if not card.labels:
            layout.addWidget(label(NOT_KNOWN, "crateGap"))
        for item in card.labels or []:
            self._label_link(layout, item.name)
            layout.addWidget(label(describe_momentum(item), "crateDim"))
        self._heading(layout, "Travels with")
        if not card.travels_with:
            layout.addWidget(label(NOT_KNOWN, "crateGap"))
        for other in card.travels_with or []:
            shared = "" if other.strength is None else f"{other.strength:,.0f} collectors"
            self._artist_link(layout, other.name, shared)
        self._heading(layout, "Elsewhere")
        if not card.links:
            layout.addWidget(label(NOT_KNOWN, "crateGap"))
        for link in card.links or []:
            button = link_button(f"{link.kind.capitalize()} ↗", link.url, body)
            button.clicked.connect(lambda _on=False, u=link.url: QDesktopServices.openUrl(QUrl(u)))
            layout.addWidget(button)
        self._search_button(layout, card.name or card.query)
        self._finish(body, layout)

    def _heading(self, layout: QVBoxLayout, text: str) -> None:
        layout.addWidget(label(text.upper(), "crateHeading"))

    def _artist_link(self, layout: QVBoxLayout, name: str, detail: str) -> None:
        row = QHBoxLayout()
        button = link_button(name, f"Search all pools for {name}")
        button.clicked.connect(lambda _on=False, n=name: self._search(n))
        self.links[name] = button
        row.addWidget(button)
        if detail:
            row.addWidget(label(detail, "crateDim"))
        row.addStretch(1)
        layout.addLayout(row)

    def _label_link(self, layout: QVBoxLayout, name: str) -> None:
        button = link_button(name, f"Search all pools for the label {name}")
        button.clicked.connect(lambda _on=False, n=name: self._search(n))
        self.links[name] = button
        layout.addWidget(button)

    def _search_button(self, layout: QVBoxLayout, name: str) -> None:
        button = QPushButton("Search all pools for this artist")
        button.setToolTip(f"Search every pool for “{name}”")
        button.setObjectName("crateSearch")
        button.clicked.connect(lambda _on=False, n=name: self._search(n))
        wish = QPushButton("Add to the wish list")
        wish.setToolTip(f"Watch every pool for new tracks by “{name}”")
        wish.setObjectName("crateWish")
        wish.clicked.connect(lambda _on=False, n=name: self.wish_requested.emit(n))
        buttons = QHBoxLayout()
        buttons.addWidget(button)
        buttons.addWidget(wish)
        buttons.addStretch(1)
        layout.addSpacing(8)
        layout.addLayout(buttons)

    def _search(self, name: str) -> None:
        self.search_requested.emit(name)


__all__ = ["KEY_HINT", "ArtistCardPanel"]
