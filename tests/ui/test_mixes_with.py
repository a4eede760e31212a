"""Key and LUFS on the grid, the key filter, the playing track and "mixes with" (P, M, Shift+M).

Real demo pools, the real app objects (``tests/ui/conftest.py``) and the test's own store:
downloads' analyses are recorded there as the engine records them (``Store.record_analysis``
on a library entry), so the grid reads them back the way it does after real downloads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from crateq.api.pool_models import MediaRow
from crateq.core.download_jobs import JobSnapshot
from crateq.ui.downloads.library_view import ENTRY_ROLE, LIBRARY_COLUMN_INDEX
from crateq.ui.harmonic.harmonic_controller import GROUP
from crateq.ui.harmonic.harmonic_feature import HarmonicFeature
from crateq.ui.search.columns import RESULT_COLUMN_INDEX
from crateq.ui.shell.app import GuiApp

WAIT_MS = 30_000


def settled(gui: GuiApp) -> bool:
    return (
        not gui.controller.tasks.running("search")
        and gui.window.finished_run == gui.controller.current_run
    )


def wait_run(gui: GuiApp, qtbot: QtBot, run: int) -> list[MediaRow]:
    qtbot.waitUntil(lambda: gui.window.finished_run >= run and settled(gui), timeout=WAIT_MS)
    return gui.window.model.all_rows()


def search(gui: GuiApp, qtbot: QtBot, text: str) -> list[MediaRow]:
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    gui.window.search_bar.field.setText(text)
    return wait_run(gui, qtbot, gui.window.run_search())


def core(gui: GuiApp, call):  # a store write on the core loop, as the app does
    async def run():
        return call()

    return gui.services.core.call(run())


def analysed(gui: GuiApp, tmp_path: Path, row: MediaRow, camelot: str, bpm: float, lufs: float):
    """``row`` downloaded and analysed: a library entry (a real file) with its analysis."""
    path = tmp_path / f"{row.pool}-{row.media_id}.mp3"
    path.write_bytes(b"ID3")
    store = gui.services.store
    tags = {"artist": row.artist, "title": row.title, "bpm": str(row.bpm)}
    core(gui, lambda: store.add_to_library(row.pool, row.media_id, path, 3, "ab" * 32, tags))
    figures = {"camelot": camelot, "bpm": bpm, "lufs": lufs, "key": camelot}
    core(gui, lambda: store.record_analysis(path, figures, pool=row.pool, media_id=row.media_id))


def cell(gui: GuiApp, row: MediaRow, column: str, role=Qt.ItemDataRole.DisplayRole) -> object:
    model = gui.window.model
    index = model.index_of_key(row.key)
    return model.index(index.row(), RESULT_COLUMN_INDEX[column]).data(role)


def select(gui: GuiApp, row: MediaRow) -> None:
    view, model = gui.window.results, gui.window.model
    index = model.index_of_key(row.key)
    assert index.isValid(), row.key
    flags = QItemSelectionModel.SelectionFlag
    view.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
    view.setFocus()


def feature(gui: GuiApp) -> HarmonicFeature:
    found = gui.window.findChild(HarmonicFeature)
    assert found is not None
    return found


def five_songs(gui: GuiApp, qtbot: QtBot) -> list[MediaRow]:
    search(gui, qtbot, "love")
    songs = [song[0] for song in gui.window.model.songs()]
    assert len(songs) >= 5
    return songs[:5]


def test_key_and_lufs_come_from_the_librarys_analysis_sort_round_the_wheel_and_filter(
    gui: GuiApp, qtbot: QtBot, tmp_path: Path
) -> None:
    a, b, c, d, unknown = five_songs(gui, qtbot)
    for row, code, lufs in ((a, "10A", -8.4), (b, "2A", -9.25), (c, "1B", -12.0), (d, "2A", -7.0)):
        analysed(gui, tmp_path, row, code, float(row.bpm or 120), lufs)
    rows = search(gui, qtbot, "love")
    assert cell(gui, a, "key") == "10A" and cell(gui, a, "lufs") == "-8.4"
    assert cell(gui, b, "lufs") == "-9.2" or cell(gui, b, "lufs") == "-9.3"
    assert cell(gui, unknown, "key") == "" and cell(gui, unknown, "lufs") == ""
    assert "library's analysis" in str(cell(gui, a, "key", Qt.ItemDataRole.ToolTipRole))

    model = gui.window.model
    model.click_sort(RESULT_COLUMN_INDEX["key"], add=False)  # Camelot order, not the text's
    keyed = [cell(gui, r, "key") for r in model.rows if cell(gui, r, "key")]
    assert keyed == ["1B", "2A", "2A", "10A"]
    assert cell(gui, model.rows[-1], "key") == ""  # no key: last
    model.click_sort(RESULT_COLUMN_INDEX["lufs"], add=False)
    assert [r.key for r in model.rows[:4]] == [c.key, b.key, a.key, d.key]  # quietest first

    keys = gui.window.filters.keys
    keys.field.setText("2A, 10a")
    with qtbot.waitSignal(gui.controller.search_finished, timeout=WAIT_MS):
        keys.field.editingFinished.emit()
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    assert gui.window.query_spec()["keys"] == ["2A", "10A"]
    assert sorted(r.key for r in model.all_rows()) == sorted([a.key, b.key, d.key])
    assert len(rows) > 3

    keys.field.setText("2A, H#")  # no such key: named, the filter keeps its last good value
    keys.field.editingFinished.emit()
    assert not keys.error.isHidden() and "'H#' is not a key" in keys.error.text()
    assert gui.window.query_spec()["keys"] == ["2A", "10A"]
    keys.field.clear()  # cleared: every key again
    qtbot.waitUntil(lambda: settled(gui) and len(model.all_rows()) == len(rows), timeout=WAIT_MS)
    assert "keys" not in gui.window.query_spec() and keys.error.isHidden()


def test_mixes_with_the_playing_track_shows_compatible_keys_within_six_percent_best_first(
    gui: GuiApp, qtbot: QtBot, tmp_path: Path
) -> None:
    playing, same, neighbour, clash, too_fast = five_songs(gui, qtbot)
    analysed(gui, tmp_path, playing, "8A", 128.0, -8.0)
    analysed(gui, tmp_path, same, "Am", 129.0, -9.0)  # the same key, +0.8 %
    analysed(gui, tmp_path, neighbour, "9A", 128.0, -9.0)  # +1 on the wheel, same tempo
    analysed(gui, tmp_path, clash, "3B", 128.0, -9.0)  # clashes
    analysed(gui, tmp_path, too_fast, "8B", 137.0, -9.0)  # relative, but +7 %
    search(gui, qtbot, "love")
    harmonic = feature(gui)

    select(gui, playing)
    qtbot.keyClick(gui.window.results, Qt.Key.Key_P)
    assert not harmonic.label.isHidden()
    assert "8A · 128 BPM" in harmonic.label.text() and playing.title in harmonic.label.text()

    search(gui, qtbot, "nothing of these")  # the DJ browses on; Shift+M still knows
    run = gui.controller.current_run
    qtbot.keyClick(gui.window.results, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert gui.controller.current_run == run + 1
    rows = wait_run(gui, qtbot, run + 1)
    assert [r.key for r in rows] == [same.key, neighbour.key]  # best first
    assert gui.window.model.sort_keys == []  # the ranking is the order
    chip = gui.window.search_bar.chips[GROUP]
    assert "2 mix with" in chip.toolTip() and "(8A, 128 BPM)" in chip.toolTip()
    tip = str(cell(gui, same, "key", Qt.ItemDataRole.ToolTipRole))
    assert tip == "Mixes with the playing track: same key, +0.8 % BPM"
    tip = str(cell(gui, neighbour, "key", Qt.ItemDataRole.ToolTipRole))
    assert tip == "Mixes with the playing track: +1 (9A), +0.0 % BPM"


def test_m_on_a_pool_row_ranks_the_library_and_the_pool_results_together(
    gui: GuiApp, qtbot: QtBot, tmp_path: Path
) -> None:
    playing, in_library, pool_keyed, unkeyed, _other = five_songs(gui, qtbot)
    analysed(gui, tmp_path, playing, "5B", 124.0, -8.0)
    analysed(gui, tmp_path, in_library, "5A", 125.0, -8.0)  # relative, +0.8 %
    rows = {r.key: r for r in search(gui, qtbot, "love")}
    # a pool that sends keys: this result row came with one (pool-api rows may carry
    # extra fields; the demo pools send none)
    rows[pool_keyed.key].__dict__.update(musical_key="6B", bpm=62)  # +1, at half time
    select(gui, rows[playing.key])
    run = gui.controller.current_run
    qtbot.keyClick(gui.window.results, Qt.Key.Key_M)
    found = wait_run(gui, qtbot, run + 1)
    assert [r.key for r in found] == [in_library.key, pool_keyed.key]
    shown = rows[in_library.key]  # shown and in the library: the pool's row, mix and all
    assert (found[0].tool, found[0].preview) == (shown.tool, shown.preview) and shown.preview
    assert "half/double time" in found[1].match and "+1 (6B)" in found[1].match
    assert unkeyed.key not in {r.key for r in found}
    assert rows[pool_keyed.key].match == ""  # the search's own rows are left as they were

    search(gui, qtbot, "love")
    select(gui, rows[unkeyed.key])
    qtbot.keyClick(gui.window.results, Qt.Key.Key_M)  # no key known: said, grid kept
    assert "no key known yet" in gui.window.statusBar().currentMessage()


def test_the_library_tab_selects_the_track_to_mix_with(
    gui: GuiApp, qtbot: QtBot, tmp_path: Path
) -> None:
    playing, match, _a, _b, _c = five_songs(gui, qtbot)
    analysed(gui, tmp_path, playing, "11B", 100.0, -8.0)
    analysed(gui, tmp_path, match, "12B", 97.0, -8.0)  # +1, -3 %
    assert gui.downloads is not None and gui.downloads.library is not None
    library = gui.downloads.library
    library.refresh()
    proxy = library.proxy
    at = next(r for r in range(proxy.rowCount())
              if proxy.index(r, 0).data(ENTRY_ROLE).media_id == playing.media_id)  # fmt: skip
    assert proxy.index(at, LIBRARY_COLUMN_INDEX["key"]).data() == "11B"
    assert proxy.index(at, LIBRARY_COLUMN_INDEX["lufs"]).data() == "-8.0"
    library.table.selectRow(at)
    library.table.setFocus()
    run = gui.controller.current_run
    qtbot.keyClick(library.table, Qt.Key.Key_M)
    found = wait_run(gui, qtbot, run + 1)
    assert [r.key for r in found] == [match.key]
    assert found[0].match == "+1 (12B), -3.0 % BPM"


@pytest.mark.analysis
def test_a_download_analysed_while_the_app_runs_gets_its_key_and_lufs_on_the_grid(
    gui: GuiApp, qtbot: QtBot
) -> None:
    songs = five_songs(gui, qtbot)
    row = songs[-1]
    assert gui.downloads is not None and gui.downloads.engine is not None
    assert cell(gui, row, "key") == "" and cell(gui, row, "lufs") == ""
    done: list[JobSnapshot] = []
    gui.downloads.engine.jobChanged.connect(
        lambda job: done.append(job) if job.analysis is not None else None
    )
    gui.controller.download([row])
    qtbot.waitUntil(lambda: bool(done), timeout=120_000)  # downloaded, then analysed (essentia)
    found = done[-1].analysis
    assert found is not None and found.camelot
    qtbot.waitUntil(lambda: cell(gui, row, "key") == found.camelot, timeout=WAIT_MS)
    assert cell(gui, row, "lufs") == f"{found.lufs:.1f}"
