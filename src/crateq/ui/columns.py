"""The results grid's columns, declared once as data.

``COLUMNS`` is the single source of truth for the grid: the model answers ``data()`` and
``headerData()`` by looking the column up here, sorting uses each column's ``sort_key``, and
the header's context menu offers exactly these columns. Adding a column is one line.
Which columns are visible, their order and widths belong to the view (``QHeaderView`` state,
persisted per mode), not to this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow


LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


class RowPlace(NamedTuple):
    """Where a row sits among its song's versions (for the expander column)."""

    versions: int
    expanded: bool
    is_child: bool
    in_library: bool = False  # a file of this version is in the local library


@dataclass(frozen=True, slots=True)
class Column:
    """One grid column: how to show a row's value and how to order rows by it."""

    key: str
    title: str
    width: int
    align: Qt.AlignmentFlag
    sort_key: Callable[[MediaRow], Any]
    formatter: Callable[[MediaRow, RowPlace], str]
    visible_by_default: bool = True
    tooltip: Callable[[MediaRow], str] | None = None
    uses_place: bool = False  # the formatter reads RowPlace (versions, library badge)


Formatter = Callable[["MediaRow", RowPlace], str]


def _text(attr: str) -> Formatter:
    return lambda row, _place: getattr(row, attr)


def _folded(attr: str) -> Callable[[MediaRow], str]:
    return lambda row: getattr(row, attr).casefold()


def _number(attr: str) -> Formatter:
    return lambda row, _place: str(getattr(row, attr) or "")


def _badges(row: MediaRow, place: RowPlace) -> str:
    """Short glyphs readable at arm's length; the tooltip spells them out."""
    marks = []
    if place.in_library:
        marks.append("♪")
    elif row.downloaded:
        marks.append("⬇")
    if row.queue_id:
        marks.append("Q")
    return " ".join(marks)


def _badges_tooltip(row: MediaRow) -> str:
    words = []
    if row.downloaded:
        words.append("downloaded from the pool before")
    if row.queue_id:
        words.append("in the pool's download queue")
    return ", ".join(words).capitalize()


def _badge_rank(row: MediaRow) -> int:
    return (4 if row.queue_id else 0) + (2 if row.downloaded else 0)


def _kind(row: MediaRow) -> str:
    return "Video" if row.video else "Audio"


def _versions(_row: MediaRow, place: RowPlace) -> str:
    if place.is_child:
        return "  ↳"
    if place.versions < 2:
        return ""
    return f"{'▾' if place.expanded else '▸'} {place.versions}"


def _versions_tooltip(_row: MediaRow) -> str:
    return "Versions of this song: click or press → to show them, ← to fold"


COLUMNS: tuple[Column, ...] = (
    Column(
        "versions", "", 50, LEFT, lambda r: 0, _versions, tooltip=_versions_tooltip, uses_place=True
    ),
    Column("state", "", 56, CENTER, _badge_rank, _badges, tooltip=_badges_tooltip, uses_place=True),
    Column("artist", "Artist", 220, LEFT, _folded("artist"), _text("artist")),
    Column("title", "Title", 260, LEFT, _folded("title"), _text("title")),
    Column("tool", "Mix", 130, LEFT, _folded("tool"), _text("tool")),
    Column("bpm", "BPM", 60, RIGHT, attrgetter("bpm"), _number("bpm")),
    Column("genre", "Genre", 130, LEFT, _folded("genre"), _text("genre")),
    Column("release_year", "Year", 60, RIGHT, attrgetter("release_year"), _number("release_year")),
    Column("editor", "Editor", 130, LEFT, _folded("editor"), _text("editor")),
    Column("length", "Length", 70, RIGHT, lambda r: r.length_seconds or 0, _text("length")),
    Column("size", "Size", 90, RIGHT, lambda r: r.size_bytes or 0, _text("size"), False),
    Column("quality", "Quality", 80, LEFT, _folded("quality"), _text("quality"), False),
    Column("kind", "Type", 64, LEFT, _kind, lambda r, _p: _kind(r), False),
    Column("advisory", "Advisory", 80, LEFT, _folded("advisory"), _text("advisory")),
    Column("date", "Date", 100, LEFT, attrgetter("date"), _text("date")),
    Column("pool", "Pool", 120, LEFT, _folded("pool"), _text("pool")),
)

COLUMN_INDEX: dict[str, int] = {column.key: i for i, column in enumerate(COLUMNS)}

# The slim column set widget mode starts with, and its widths there (app mode: the defaults).
WIDGET_MODE_WIDTHS: dict[str, int] = {
    "versions": 48, "state": 40, "artist": 150, "title": 190, "tool": 104, "bpm": 58,
    "pool": 110,
}  # fmt: skip
WIDGET_MODE_COLUMNS: tuple[str, ...] = tuple(WIDGET_MODE_WIDTHS)


def column(key: str) -> Column:
    return COLUMNS[COLUMN_INDEX[key]]
