"""The results model: version grouping, streaming appends and multi-column sort."""

from __future__ import annotations

from PySide6.QtCore import Qt

from crateq.api.pool_models import MediaRow
from crateq.ui.search.columns import RESULT_COLUMN_INDEX as COLUMN_INDEX
from crateq.ui.search.columns import RESULT_COLUMNS as COLUMNS
from crateq.ui.search.results_model import ResultsModel

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder


def row(media_id: int, *, pool: str = "p1", group: int = 0, **fields: object) -> MediaRow:
    data = {"mediaId": media_id, "groupId": group, "artist": f"Artist {media_id}"}
    data.update(fields)
    made = MediaRow.model_validate(data)
    made.pool = pool
    return made


def shown(model: ResultsModel, key: str) -> list[str]:
    col = COLUMN_INDEX[key]
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def test_versions_of_one_song_collapse_into_one_expandable_row(qapp: object) -> None:
    model = ResultsModel()
    model.append_rows([row(1, group=7, tool="Extended"), row(2, group=7, tool="Intro")])
    model.append_rows(
        [row(3, group=7, tool="Acapella"), row(4, group=8), row(5, pool="p2", group=7)]
    )
    assert model.song_count() == 3  # group 7 in p1, group 8, group 7 in p2 (another pool)
    assert model.rowCount() == 3
    assert shown(model, "versions")[0] == "▸ 3"
    model.toggle_expanded(model.index(0, 0))
    assert model.rowCount() == 5
    assert shown(model, "tool")[:3] == ["Extended", "Intro", "Acapella"]
    assert shown(model, "versions")[:3] == ["▾ 3", "  ↳", "  ↳"]
    model.toggle_expanded(model.index(0, 0))
    assert model.rowCount() == 3


def test_the_same_media_twice_is_kept_once(qapp: object) -> None:
    model = ResultsModel()
    model.append_rows([row(1), row(2)])
    model.append_rows([row(2), row(3)])
    assert model.version_count() == 3
    assert model.rowCount() == 3


def test_data_comes_from_the_column_table(qapp: object) -> None:
    model = ResultsModel()
    model.append_rows([row(1, bpm="124", releaseYear=2019, length="3:21", title="Song")])
    for section, col in enumerate(COLUMNS):
        assert model.data(model.index(0, section)) == col.text(
            model.row_at(model.index(0, 0)), model.place_of(model.row_at(model.index(0, 0)))
        )
    assert model.data(model.index(0, COLUMN_INDEX["bpm"])) == "124"
    assert model.headerData(COLUMN_INDEX["bpm"], Qt.Orientation.Horizontal) == "BPM"


def test_multi_column_sort_bpm_then_year(qapp: object) -> None:
    model = ResultsModel()
    model.append_rows(
        [
            row(1, bpm=128, releaseYear=2001),
            row(2, bpm=90, releaseYear=2020),
            row(3, bpm=128, releaseYear=1999),
            row(4, bpm=90, releaseYear=2010),
        ]
    )
    bpm, year = COLUMN_INDEX["bpm"], COLUMN_INDEX["release_year"]
    model.click_sort(bpm, add=False)
    model.click_sort(year, add=True)
    assert model.sort_keys == [(bpm, ASC), (year, ASC)]
    assert [r.media_id for r in (model.row_at(model.index(i, 0)) for i in range(4))] == [4, 2, 3, 1]
    assert model.headerData(bpm, Qt.Orientation.Horizontal) == "BPM ▲1"
    model.click_sort(year, add=True)  # Shift+click again flips that key only
    assert model.sort_keys == [(bpm, ASC), (year, DESC)]
    assert [model.row_at(model.index(i, 0)).media_id for i in range(4)] == [2, 4, 1, 3]
    model.click_sort(year, add=False)  # a plain click starts over with one key
    assert model.sort_keys == [(year, ASC)]


def test_rows_streaming_into_a_sorted_grid_land_in_order(qapp: object) -> None:
    model = ResultsModel()
    model.sort(COLUMN_INDEX["bpm"], DESC)
    model.append_rows([row(1, bpm=100), row(2, bpm=120)])
    model.append_rows([row(3, bpm=110), row(4, bpm=130)])
    assert shown(model, "bpm") == ["130", "120", "110", "100"]


def test_update_row_marks_a_queued_version(qapp: object) -> None:
    model = ResultsModel()
    model.append_rows([row(1), row(2)])
    model.update_row("p1:2", {"queue_id": 55})
    assert shown(model, "state") == ["", "Q"]
