"""The results model: version grouping, streaming appends and batches, multi-column sort."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt

from crateq.api.pool_models import MediaRow
from crateq.ui.search.columns import RESULT_COLUMN_INDEX as COLUMN_INDEX
from crateq.ui.search.columns import RESULT_COLUMNS as COLUMNS
from crateq.ui.search.result_stream import ResultBatch, ResultStream
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


def streamed(model: ResultsModel, run: int = 1) -> ResultStream:
    """Rows as a search delivers them: grouped and sorted by a stream, swapped in by batch."""
    return ResultStream(run, model.sort_columns, model.apply_batch)


def test_rows_arriving_out_of_order_end_up_in_sort_order(qapp: object) -> None:
    model = ResultsModel()
    model.sort(COLUMN_INDEX["bpm"], DESC)
    stream = streamed(model)
    stream.add([row(1, bpm=100), row(2, pool="p2", bpm=140), row(3, bpm=90)])
    stream.add([row(4, pool="p3", bpm=120), row(5, bpm=150)])
    stream.add([row(6, pool="p2", bpm=95), row(7, pool="p3", bpm=130), row(1, bpm=100)])
    assert shown(model, "bpm") == ["150", "140", "130", "120", "100", "95", "90"]
    assert model.version_count() == 7  # the repeated media is kept once


def test_a_batch_sorted_before_a_header_click_is_shown_in_the_new_order(qapp: object) -> None:
    model = ResultsModel()
    batches: list[ResultBatch] = []
    stream = ResultStream(1, model.sort_columns, batches.append)
    stream.add([row(1, bpm=100), row(2, bpm=140), row(3, bpm=120)])
    model.sort(COLUMN_INDEX["bpm"], ASC)  # the DJ clicks while the batch is on its way
    model.apply_batch(batches[-1])
    assert shown(model, "bpm") == ["100", "120", "140"]


def test_the_selection_stays_on_the_same_row_while_rows_arrive(qapp: object) -> None:
    model = ResultsModel()
    model.sort(COLUMN_INDEX["bpm"], DESC)
    selection = QItemSelectionModel(model)
    stream = streamed(model)
    stream.add([row(1, bpm=100), row(2, bpm=120)])
    picked = model.row_at(model.index(1, 0))
    assert picked is not None and picked.media_id == 1
    flags = QItemSelectionModel.SelectionFlag
    selection.setCurrentIndex(model.index(1, 0), flags.ClearAndSelect | flags.Rows)
    stream.add([row(3, bpm=130), row(4, bpm=110), row(5, bpm=90)])
    stream.add([row(6, bpm=125), row(7, group=0, bpm=80)])
    assert [model.row_at(i) for i in selection.selectedRows()] == [picked]
    assert model.row_at(selection.currentIndex()) is picked
    assert model.row_at(model.index(4, 0)) is picked  # 130, 125, 120, 110, then 100


def test_an_unfolded_song_keeps_its_versions_below_it_while_rows_arrive(qapp: object) -> None:
    model = ResultsModel()
    model.sort(COLUMN_INDEX["bpm"], DESC)
    stream = streamed(model)
    stream.add([row(1, group=7, bpm=100, tool="Main"), row(2, group=7, bpm=100, tool="Intro")])
    model.toggle_expanded(model.index(0, 0))
    stream.add([row(3, bpm=130), row(4, group=7, bpm=100, tool="Dub"), row(5, bpm=90)])
    assert shown(model, "tool")[1:4] == ["Main", "Intro", "Dub"]
    assert shown(model, "versions")[:4] == ["", "▾ 3", "  ↳", "  ↳"]
    assert shown(model, "bpm")[-1] == "90"


def test_a_newer_batch_in_place_of_one_not_shown_keeps_the_songs_both_changed(
    qapp: object,
) -> None:
    model = ResultsModel()
    batches: list[ResultBatch] = []
    stream = ResultStream(1, model.sort_columns, batches.append)
    stream.add([row(1, group=7), row(2, group=8)])
    stream.add([row(3, group=9), row(4, group=7)])
    model.apply_batch(batches[1].replacing(batches[0]))
    assert model.song_count() == 3
    assert shown(model, "versions") == ["▸ 2", "", ""]


def test_one_song_in_three_pools_is_one_row_with_its_clean_title_and_pool_count(
    qapp: object,
) -> None:
    model = ResultsModel()
    stream = streamed(model)
    stream.add([row(1, artist="Crown", title="Let It Go [Outro] - Clean", tool="Outro")])
    stream.add([row(2, pool="p2", artist="CROWN", title="let it go (Intro) [Dirty]", tool="Intro"),
                row(3, pool="p3", artist="Crown", title="Let It Go (Extended Mix)"),
                row(4, pool="p2", artist="Crown", title="Another Song")])  # fmt: skip
    assert model.song_count() == 2 and model.version_count() == 4
    assert shown(model, "title") == ["Let It Go", "Another Song"]
    assert shown(model, "pool") == ["3 pools", "p2"]  # a song one pool has names it
    assert shown(model, "versions")[0] == "▸ 3"
    model.toggle_expanded(model.index(0, 0))
    assert shown(model, "title")[:3] == ["Let It Go", "let it go (Intro) [Dirty]",
                                         "Let It Go (Extended Mix)"]  # fmt: skip
    assert shown(model, "pool")[:3] == ["3 pools", "p2", "p3"]  # each version its own pool
    assert [r.pool for r in model.versions_of(model.row_at(model.index(0, 0)))] == [
        "p1",
        "p2",
        "p3",
    ]


def test_rows_appended_without_a_stream_merge_across_pools_too(qapp: object) -> None:
    model = ResultsModel()
    model.append_rows([row(1, artist="Crown", title="Let It Go [Outro] - Clean", group=3)])
    model.append_rows([row(2, pool="p2", artist="Crown ft. Ayla", title="Let It Go")])
    model.append_rows([row(3, artist="Crown", title="Other Name (Acapella)", group=3)])
    assert model.song_count() == 2  # p2 names a featured artist: another song
    assert shown(model, "versions") == ["▸ 2", ""]  # the pool's group stays one song


def test_binned_versions_leave_without_a_new_merge_and_come_back(qapp: object) -> None:
    model = ResultsModel()
    model.sort(COLUMN_INDEX["bpm"], DESC)
    selection = QItemSelectionModel(model)
    stream = streamed(model)
    stream.add([row(1, artist="Crown", title="Let It Go (Clean)", bpm=120, tool="Main"),
                row(2, pool="p2", artist="Crown", title="Let It Go [Intro]", bpm=100, tool="Intro"),
                row(3, bpm=110), row(4, bpm=90)])  # fmt: skip
    assert model.song_count() == 3 and model.version_count() == 4
    assert shown(model, "pool")[0] == "2 pools"
    kept = model.row_at(model.index(2, 0))  # bpm 90
    assert kept is not None and kept.media_id == 4
    flags = QItemSelectionModel.SelectionFlag
    selection.setCurrentIndex(model.index(2, 0), flags.ClearAndSelect | flags.Rows)
    model.remove_rows({"p1:1", "p1:3"})  # a song's first version, and a song of one version
    assert model.song_count() == 2 and model.version_count() == 2
    assert shown(model, "bpm") == ["100", "90"]  # the song now shows its p2 version, in order
    assert shown(model, "pool")[0] == "p2" and shown(model, "versions")[0] == ""
    assert model.find_row("p1:1") is None and model.find_row("p1:3") is None
    assert [model.row_at(i) for i in selection.selectedRows()] == [kept]
    model.append_rows([row(1, artist="Crown", title="Let It Go (Clean)", bpm=120, tool="Main"),
                       row(3, bpm=110)])  # Ctrl+Z: the grid takes them back  # fmt: skip
    assert model.song_count() == 3 and model.version_count() == 4
    assert shown(model, "bpm") == ["110", "100", "90"]  # the song keeps the version it showed
    assert shown(model, "versions")[1] == "▸ 2" and shown(model, "pool")[1] == "2 pools"
    assert shown(model, "title")[1] == "Let It Go"


def test_a_binned_version_stays_out_of_the_runs_next_pages_until_ctrl_z(qapp: object) -> None:
    model = ResultsModel()
    model.sort(COLUMN_INDEX["bpm"], DESC)
    stream = streamed(model)
    stream.add([row(1, group=7, bpm=120, tool="Main"), row(2, group=7, bpm=120, tool="Intro"),
                row(3, bpm=110)])  # fmt: skip
    binned = {"p1:1", "p1:3"}
    model.remove_rows(binned)
    stream.forget(binned)  # what the controller runs on the core thread
    stream.add([row(4, bpm=100)])  # the next page, the DJ scrolling down
    stream.flush()
    assert sorted(r.key for r in model.all_rows()) == ["p1:2", "p1:4"]
    assert model.version_count() == 2
    assert shown(model, "tool") == ["Intro", ""]
    restored = [row(1, group=7, bpm=120, tool="Main"), row(3, bpm=110)]
    model.append_rows(restored)
    stream.restore(restored)
    assert sorted(r.key for r in model.all_rows()) == ["p1:1", "p1:2", "p1:3", "p1:4"]
    assert model.version_count() == 4 and shown(model, "bpm") == ["120", "110", "100"]


def test_a_song_binned_in_two_goes_leaves_the_stream_working(qapp: object) -> None:
    model = ResultsModel()
    stream = streamed(model)
    stream.add([row(1, group=7, tool="Main"), row(2, group=7, tool="Intro"), row(3)])
    for key in ("p1:1", "p1:2"):  # one version, then the other: the song goes
        model.remove_rows({key})
        stream.forget({key})
    stream.add([row(4)])
    stream.flush()
    assert sorted(r.key for r in model.all_rows()) == ["p1:3", "p1:4"]


def test_a_batch_made_before_a_bin_is_shown_safely_and_put_right(qapp: object) -> None:
    model = ResultsModel()
    model.sort(COLUMN_INDEX["bpm"], DESC)
    batches: list[ResultBatch] = []
    stream = ResultStream(1, model.sort_columns, batches.append)
    stream.add([row(1, group=7, bpm=120), row(2, group=7, bpm=120), row(3, bpm=110)])
    model.apply_batch(batches[-1])
    model.toggle_expanded(model.index(0, 0))
    stream.add([row(4, bpm=100)])  # this batch is on its way to the GUI thread ...
    model.remove_rows({"p1:1", "p1:2", "p1:3"})  # ... when the DJ bins
    model.apply_batch(batches[-1])  # it lands, with the binned rows in it
    for r in range(model.rowCount()):  # every cell still paints
        for c in range(model.columnCount()):
            model.data(model.index(r, c))
        model.toggle_expanded(model.index(r, 0))
    stream.forget({"p1:1", "p1:2", "p1:3"})  # the core thread's turn: a batch without them
    model.apply_batch(batches[-1])
    assert [r.key for r in model.all_rows()] == ["p1:4"]
    assert model.version_count() == 1 and shown(model, "bpm") == ["100"]
