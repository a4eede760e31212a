"""The results grid's columns, declared once as data (rows: ``MediaRow``, one per version).

The model answers ``data()`` and ``headerData()`` from this tuple, sorting uses each
column's sort key, the header's context menu offers exactly these columns, and a mode's
fresh layout shows the columns whose ``shown_in`` names it (widget mode: the slim set, with
its own widths). App mode's set fits a 1280-pixel window beside the filter dock without
scrolling; fullscreen adds Year, Editor, Length and Advisory. Key (Camelot, sorted round the
wheel: 1A, 1B, 2A, …) and LUFS come from the library's analysis of a downloaded version
(``crateq.core.harmonic``), the key else from the pool where it sends one. Adding a column
is one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING

from crateq.core.harmonic import row_camelot
from crateq.core.keys import camelot_order
from crateq.ui.columns import (
    CENTER,
    LARGE_MODES,
    NO_MODE,
    NO_PLACE,
    RIGHT,
    Column,
    RowPlace,
    column_index,
)
from crateq.ui.shell.mode_names import FULLSCREEN, WIDGET

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow


def _folded(attr: str) -> Callable[[MediaRow], str]:
    return lambda row: getattr(row, attr).casefold()


def _number(attr: str) -> Callable[[MediaRow], str]:
    return lambda row: str(getattr(row, attr) or "")


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


def _song_title(row: MediaRow, place: RowPlace) -> str:
    """A song row shows the song's clean title (Mix and Advisory show its tags); a version
    row, unfolded below it, keeps the pool's own title."""
    return row.title if place.is_child or not place.title else place.title


def _pools(row: MediaRow, place: RowPlace) -> str:
    """The pool of a version (or of a song only one pool has); "3 pools" on a song row that
    several pools have (unfold it for each pool's versions)."""
    return row.pool if place.is_child or place.pools < 2 else f"{place.pools} pools"


def _versions_tooltip(_row: MediaRow) -> str:
    return "Versions of this song: click or press → to show them, ← to fold"


def _pools_tooltip(row: MediaRow) -> str:
    return f"{row.pool}; a song row names how many pools have it: unfold it (→) to see them"
def _key_order(row: MediaRow) -> tuple[int, int]:
    return camelot_order(row_camelot(row) or None)


def _key_tooltip(row: MediaRow) -> str:
    if row.match:
        return f"Mixes with the playing track: {row.match}"
    if row.camelot:
        return f"{row.camelot}: measured by the library's analysis"
    return f"{row_camelot(row)}: the pool's key" if row_camelot(row) else ""


def _lufs(row: MediaRow) -> str:
    return "" if row.lufs is None else f"{row.lufs:.1f}"


def _lufs_order(row: MediaRow) -> tuple[bool, float]:
    return (row.lufs is None, row.lufs or 0.0)  # unmeasured last


def _lufs_tooltip(row: MediaRow) -> str:
    return "" if row.lufs is None else f"Integrated loudness (EBU R128): {row.lufs:.1f} LUFS"


def _no_place_badges(row: MediaRow) -> str:
    return _badges(row, NO_PLACE)


Col = Column  # short, for the table below (a subscripted alias would not construct)
_text = attrgetter
_WIDE, _NONE = LARGE_MODES, NO_MODE
_FULL = frozenset({FULLSCREEN})  # app mode at 1280x720 keeps the core set without scrolling
VERSIONS_LABEL = "Versions (▸ n: this song has n versions; click to unfold)"
POOLS_LABEL = "Pool (of a version; on a song several pools have, how many: “3 pools”)"
BADGES_LABEL = "Badges (♪ in your library, ⬇ downloaded before, Q in the pool's queue)"

RESULT_COLUMNS: tuple[Column[MediaRow], ...] = (
    Col("versions", "", lambda _r: "", lambda _r: 0, width=52, widths={WIDGET: 52},
        tooltip=_versions_tooltip, placed=_versions, label=VERSIONS_LABEL),
    Col("state", "", _no_place_badges, _badge_rank, CENTER, 44, widths={WIDGET: 40},
        tooltip=_badges_tooltip, placed=_badges, label=BADGES_LABEL),
    Col("artist", "Artist", _text("artist"), _folded("artist"), width=150, widths={WIDGET: 136}),
    Col("title", "Title", _text("title"), _folded("title"), width=200, widths={WIDGET: 176},
        placed=_song_title),
    Col("tool", "Mix", _text("tool"), _folded("tool"), width=96, widths={WIDGET: 96}),
    Col("bpm", "BPM", _number("bpm"), attrgetter("bpm"), RIGHT, 56, widths={WIDGET: 54}),
    Col("key", "Key", row_camelot, _key_order, CENTER, 44, widths={WIDGET: 44},
        tooltip=_key_tooltip, label="Key (Camelot)"),
    Col("lufs", "LUFS", _lufs, _lufs_order, RIGHT, 58, _FULL, tooltip=_lufs_tooltip,
        label="LUFS (loudness)"),
    Col("genre", "Genre", _text("genre"), _folded("genre"), width=100, shown_in=_WIDE),
    Col("release_year", "Year", _number("release_year"), attrgetter("release_year"), RIGHT, 60,
        _FULL),
    Col("editor", "Editor", _text("editor"), _folded("editor"), width=130, shown_in=_FULL),
    Col("length", "Length", _text("length"), lambda r: r.length_seconds or 0, RIGHT, 70, _FULL),
    Col("size", "Size", _text("size"), lambda r: r.size_bytes or 0, RIGHT, 90, _NONE),
    Col("quality", "Quality", _text("quality"), _folded("quality"), width=80, shown_in=_NONE),
    Col("kind", "Type", _kind, width=64, shown_in=_NONE),
    Col("advisory", "Advisory", _text("advisory"), _folded("advisory"), width=80, shown_in=_FULL),
    Col("date", "Date", _text("date"), width=108, shown_in=_WIDE),
    Col("pool", "Pool", _text("pool"), _folded("pool"), width=92, widths={WIDGET: 96},
        tooltip=_pools_tooltip, placed=_pools, label=POOLS_LABEL),
)  # fmt: skip

RESULT_COLUMN_INDEX: dict[str, int] = column_index(RESULT_COLUMNS)
