"""The set-prep grid: one row per tracklist line, its status, the chosen version and options.

Rows are ``PrepLine`` objects (the line as read, then what the core's set prep made of it);
the columns are declared once with the one column model (``crateq.ui.columns``). A line
waits as "…" until its result streams in. Choosing another version (``choose``) makes the
line ``found`` with that version: the DJ decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from crateq.ui.columns import BASE_ROLES, CENTER, RIGHT, Column, ColumnTable

if TYPE_CHECKING:
    from crateq.core.setprep import Candidate, LineResult
    from crateq.core.tracklist import TrackLine

PENDING = "…"
STATUSES = ("have", "found", "ambiguous", "missing", "unparsed")


class PrepLine:
    """One tracklist line: the entry, its result once matched, and the version chosen."""

    __slots__ = ("chosen", "entry", "picked", "result")

    def __init__(self, entry: TrackLine) -> None:
        self.entry = entry
        self.result: LineResult | None = None
        self.chosen: Candidate | None = None
        self.picked = False  # the DJ chose a version from the menu

    @property
    def status(self) -> str:
        if self.result is None:
            return PENDING
        return "found" if self.picked else self.result.status

    @property
    def given(self) -> str:
        entry = self.entry
        if not entry.ok:
            return entry.title or entry.artist or entry.source or ""
        return f"{entry.artist} - {entry.title}" if entry.artist else entry.title

    def options(self) -> list[Candidate]:
        """What the menu offers: the chosen version first, then the alternatives."""
        result = self.result
        if result is None:
            return []
        found = [c for c in (result.chosen,) if c is not None] + list(result.candidates)
        seen: dict[str, Candidate] = {}
        for candidate in found:
            seen.setdefault(candidate.version.row.key, candidate)
        return list(seen.values())


def _chosen_text(line: PrepLine) -> str:
    chosen = line.chosen
    if chosen is not None:
        return f"{chosen.version.row.artist} - {chosen.version.row.title}"
    if line.status == "ambiguous":
        return "pick one of the candidates (Enter)"
    if line.result is not None and line.result.path:
        return f"in your library: {Path(line.result.path).name}"
    return ""


def _tool(line: PrepLine) -> str:
    return line.chosen.version.tool if line.chosen is not None else ""


def _pool(line: PrepLine) -> str:
    return line.chosen.version.pool if line.chosen is not None else ""


def _note(line: PrepLine) -> str:
    result = line.result
    if result is None:
        return ""
    if result.path:  # the file's name is in the chosen column, its whole path in the tooltip
        return f"in {Path(result.path).parent.name or result.path}/"
    if line.entry.error:
        return line.entry.error
    count = len(line.options())
    return f"{count} options" if count > 1 else ""


def _note_tip(line: PrepLine) -> str:
    errors = line.result.errors if line.result is not None else {}
    said = "; ".join(f"{pool}: {text}" for pool, text in errors.items())
    return said or (line.result.path if line.result is not None and line.result.path else "")


def _score(line: PrepLine) -> str:
    return f"{line.chosen.score:.0f}" if line.chosen is not None else ""


Col = Column
PREP_COLUMNS: tuple[Column[PrepLine], ...] = (
    Col("line", "#", lambda r: str(r.entry.line), lambda r: r.entry.line, RIGHT, 44),
    Col("status", "Status", lambda r: r.status, lambda r: r.status, CENTER, 116),
    Col("input", "Tracklist line", lambda r: r.given, width=250, tooltip=lambda r: r.given),
    Col("chosen", "Chosen version", _chosen_text, width=300, tooltip=_chosen_text),
    Col("tool", "Mix", _tool, width=96),
    Col("pool", "Pool", _pool, width=112),
    Col("score", "Match", _score, lambda r: r.chosen.score if r.chosen else 0.0, RIGHT, 76),
    Col("note", "Options / file", _note, width=160, tooltip=_note_tip),
)
PREP_COLUMN_INDEX = {column.id: i for i, column in enumerate(PREP_COLUMNS)}


class PrepModel(ColumnTable[PrepLine]):
    """The lines of one tracklist, in the list's order."""

    roles = BASE_ROLES

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(PREP_COLUMNS, parent)
        self.run = 0
        self._at: dict[int, int] = {}  # id(entry) -> its row

    def start(self, run: int, entries: Sequence[TrackLine]) -> None:
        """A new tracklist: every line waiting."""
        self.beginResetModel()
        self.run = run
        self.rows = [PrepLine(entry) for entry in entries]
        self._at = {id(line.entry): at for at, line in enumerate(self.rows)}
        self.endResetModel()

    def resolve(self, run: int, result: LineResult) -> None:
        """A line's result (dropped when it belongs to an older tracklist)."""
        at = self._at.get(id(result.entry))
        if run != self.run or at is None:
            return
        line = self.rows[at]
        line.result, line.chosen = result, result.chosen
        self.row_changed(at)

    def choose(self, at: int, candidate: Candidate) -> None:
        """The DJ picked ``candidate`` for the line at ``at``."""
        line = self.rows[at]
        line.chosen, line.picked = candidate, line.status != "have"
        self.row_changed(at)

    def lines(self) -> list[PrepLine]:
        return list(self.rows)

    def counts(self) -> dict[str, int]:
        counted = dict.fromkeys((*STATUSES, PENDING), 0)
        for line in self.rows:
            counted[line.status] += 1
        return counted
