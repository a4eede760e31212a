"""The one column model: a declared list drives the headers, cells, sort and default layout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from crateq.ui.columns import (
    ALL_MODES,
    LARGE_MODES,
    LEFT,
    NO_MODE,
    RIGHT,
    ROW_ROLE,
    SORT_ROLE,
    Column,
    ColumnTable,
    RowPlace,
    apply_default_layout,
    sort_rows,
)
from crateq.ui.search.results_model import ResultsModel
from crateq.ui.search.results_view import ResultsView

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
H = Qt.Orientation.Horizontal


class Track(NamedTuple):
    artist: str
    bpm: int


@dataclass
class Job:
    name: str
    done: float


TRACK_COLUMNS: tuple[Column[Track], ...] = (
    Column("artist", "Artist", lambda t: t.artist, lambda t: t.artist.casefold(), width=200,
           tooltip=lambda t: f"by {t.artist}"),
    Column("bpm", "BPM", lambda t: str(t.bpm), lambda t: t.bpm, RIGHT, 60, LARGE_MODES,
           widths={"fullscreen": 80}),
    Column("versions", "", lambda t: "", placed=lambda t, p: f"{p.versions}x", shown_in=NO_MODE),
)  # fmt: skip
JOB_COLUMNS: tuple[Column[Job], ...] = (
    Column("name", "Job", lambda j: j.name, shown_in=frozenset({"widget"})),
    Column("done", "Done", lambda j: f"{j.done:.0%}", lambda j: j.done, RIGHT, sample="100%"),
)


class TrackTable(ColumnTable[Track]):
    def place_of(self, row: Track) -> RowPlace:
        return RowPlace(len(row.artist), False, False)


def test_headers_cells_and_roles_come_from_the_declared_columns(qapp: object) -> None:
    tracks = TrackTable(TRACK_COLUMNS)
    jobs: ColumnTable[Job] = ColumnTable(JOB_COLUMNS)
    tracks.set_rows([Track("Nina", 124)])
    jobs.set_rows([Job("Fetch", 0.5)])
    assert [tracks.headerData(s, H) for s in range(3)] == ["Artist", "BPM", ""]
    assert [jobs.headerData(s, H) for s in range(2)] == ["Job", "Done"]
    assert [tracks.data(tracks.index(0, s)) for s in range(3)] == ["Nina", "124", "4x"]
    assert [jobs.data(jobs.index(0, s)) for s in range(2)] == ["Fetch", "50%"]
    align = Qt.ItemDataRole.TextAlignmentRole
    assert [tracks.data(tracks.index(0, s), align) for s in range(2)] == [LEFT, RIGHT]
    assert [jobs.data(jobs.index(0, s), align) for s in range(2)] == [LEFT, RIGHT]
    tip = Qt.ItemDataRole.ToolTipRole
    assert tracks.data(tracks.index(0, 0), tip) == "by Nina"
    assert tracks.data(tracks.index(0, 1), tip) is None
    assert tracks.data(tracks.index(0, 1), ROW_ROLE) == Track("Nina", 124)
    assert tracks.data(tracks.index(0, 1), SORT_ROLE) == 124
    assert jobs.data(jobs.index(0, 0), SORT_ROLE) == "Fetch"  # no sort key: the text
    assert tracks.data(tracks.index(0, 0), Qt.ItemDataRole.DecorationRole) is None
    assert tracks.columns[2].text(Track("Nina", 124), RowPlace(3, False, False)) == "3x"
    assert TRACK_COLUMNS[2].name == "Versions" and TRACK_COLUMNS[2].uses_place


def test_sort_order_follows_each_columns_sort_key(qapp: object) -> None:
    rows = [Track("b", 90), Track("A", 128), Track("c", 90), Track("a", 100)]
    artist, bpm = TRACK_COLUMNS[0], TRACK_COLUMNS[1]
    assert sort_rows(rows, [(artist, ASC)]) == [rows[1], rows[3], rows[0], rows[2]]
    assert sort_rows(rows, [(bpm, DESC), (artist, ASC)]) == [rows[1], rows[3], rows[0], rows[2]]
    assert sort_rows(rows, [(bpm, ASC), (artist, DESC)]) == [rows[2], rows[0], rows[3], rows[1]]
    jobs = [Job("x", 0.9), Job("y", 0.1)]
    assert sort_rows(jobs, [(JOB_COLUMNS[1], ASC)]) == [jobs[1], jobs[0]]


def test_default_visibility_and_width_per_window_mode(qapp: object) -> None:
    view = QTableView()
    tracks = TrackTable(TRACK_COLUMNS)
    view.setModel(tracks)
    header = view.horizontalHeader()

    def hidden_in(mode: str) -> list[bool]:
        apply_default_layout(header, TRACK_COLUMNS, mode)
        return [header.isSectionHidden(s) for s in range(3)]

    assert {mode: hidden_in(mode) for mode in sorted(ALL_MODES)} == {
        "widget": [False, True, True],
        "app": [False, False, True],
        "fullscreen": [False, False, True],
    }
    apply_default_layout(header, TRACK_COLUMNS, "fullscreen")
    assert [header.sectionSize(s) for s in range(2)] == [200, 80]  # fullscreen's own width
    apply_default_layout(header, TRACK_COLUMNS, "app")
    assert [header.sectionSize(s) for s in range(2)] == [200, 60]
    jobs_view = QTableView()
    jobs_view.setModel(ColumnTable(JOB_COLUMNS))
    metrics = jobs_view.fontMetrics()
    apply_default_layout(jobs_view.horizontalHeader(), JOB_COLUMNS, "app", metrics)
    assert jobs_view.horizontalHeader().isSectionHidden(0)
    assert jobs_view.horizontalHeader().sectionSize(1) == metrics.horizontalAdvance("100%") + 28


def test_the_results_grid_default_layout_per_mode(qapp: object) -> None:
    view = ResultsView(ResultsModel())
    view.apply_default_layout("widget")
    assert view.visible_columns() == [
        "versions", "state", "artist", "title", "tool", "bpm", "key", "pool"
    ]  # fmt: skip
    assert view.horizontalHeader().sectionSize(2) == 136
    for mode in ("app", "fullscreen"):
        view.apply_default_layout(mode)
        shown = view.visible_columns()
        assert "genre" in shown and "date" in shown
        assert "key" in shown and ("lufs" in shown) == (mode == "fullscreen")
        assert ("editor" in shown) == (mode == "fullscreen")  # app mode fits 1280 px
        assert not {"size", "quality", "kind"} & set(shown)
        assert view.horizontalHeader().sectionSize(2) == 150
