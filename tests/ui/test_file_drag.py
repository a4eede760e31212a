"""File drags carry real file URLs; drops on the search field become a search."""

from __future__ import annotations

from pathlib import Path

from mutagen.id3 import ID3, TIT2, TPE1
from PySide6.QtCore import QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLineEdit, QTableView
from pytestqt.qtbot import QtBot

from crateq.demo.audio import encode_pcm
from crateq.ui.downloads.file_drag import (
    GNOME_FILES,
    DragPlan,
    FileDragFilter,
    SearchDropFilter,
    file_mime_data,
    query_for_file,
    results_file_drag,
)

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def mp3(path: Path, artist: str = "", title: str = "") -> Path:
    path.write_bytes(encode_pcm(bytes(2 * 22050)))
    if artist or title:
        tags = ID3()
        tags.add(TPE1(encoding=3, text=[artist]))
        tags.add(TIT2(encoding=3, text=[title]))
        tags.save(path)
    return path


def test_mime_data_holds_file_urls_and_linux_flavours(tmp_path: Path) -> None:
    a = mp3(tmp_path / "Artist A - Song (Extended).mp3")
    b = mp3(tmp_path / "ünïcode & space.mp3")
    mime = file_mime_data([a, b])
    assert [u.toLocalFile() for u in mime.urls()] == [str(a), str(b)]
    assert all(u.scheme() == "file" for u in mime.urls())
    assert mime.hasFormat("text/uri-list")
    uri_list = bytes(mime.data("text/uri-list").data()).decode().split()
    assert [QUrl(u).toLocalFile() for u in uri_list] == [str(a), str(b)]
    gnome = bytes(mime.data(GNOME_FILES).data()).decode().splitlines()
    assert gnome[0] == "copy" and [QUrl(u).toLocalFile() for u in gnome[1:]] == [str(a), str(b)]
    assert mime.text().splitlines() == [str(a), str(b)]


def _view(qtbot: QtBot, items: list[tuple[str, Path | None]]) -> QTableView:
    model = QStandardItemModel()
    for title, path in items:
        item = QStandardItem(title)
        item.setData(str(path) if path else "", PATH_ROLE)
        model.appendRow(item)
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    qtbot.addWidget(view)
    return view


def _resolve(rows: list) -> DragPlan:
    plan = DragPlan()
    for index in rows:
        path = index.data(PATH_ROLE)
        if path:
            plan.paths.append(Path(path))
        else:
            plan.pending.append(index.data())
    return plan


def test_drag_of_downloaded_rows_carries_their_files(qtbot: QtBot, tmp_path: Path) -> None:
    a, b = mp3(tmp_path / "a.mp3"), mp3(tmp_path / "b.mp3")
    view = _view(qtbot, [("A", a), ("B", b)])
    view.selectAll()
    drag = FileDragFilter(view, _resolve)
    mime = drag.prepare()
    assert mime is not None
    assert [Path(u.toLocalFile()) for u in mime.urls()] == [a, b]
    assert all(Path(u.toLocalFile()).is_file() for u in mime.urls())


def test_rows_not_downloaded_start_a_download_instead(qtbot: QtBot, tmp_path: Path) -> None:
    a = mp3(tmp_path / "a.mp3")
    view = _view(qtbot, [("have", a), ("want", None), ("want too", None)])
    view.selectAll()
    drag = FileDragFilter(view, _resolve)
    with (
        qtbot.waitSignal(drag.downloadRequested) as asked,
        qtbot.waitSignal(drag.notice) as told,
    ):
        mime = drag.prepare()
    assert asked.args == [["want", "want too"]]
    assert "not downloaded yet" in told.args[0]
    assert mime is not None and [Path(u.toLocalFile()) for u in mime.urls()] == [a]

    view.clearSelection()
    view.selectRow(1)
    with qtbot.waitSignal(drag.downloadRequested):
        assert drag.prepare() is None  # nothing to drag: no broken, empty drag


def test_a_deleted_file_is_never_dragged(qtbot: QtBot, tmp_path: Path) -> None:
    gone = tmp_path / "gone.mp3"
    view = _view(qtbot, [("gone", gone)])
    view.selectAll()
    assert FileDragFilter(view, _resolve).prepare() is None


def _drop(drops: SearchDropFilter, mime) -> None:
    """Qt only delivers drop events during a real drag, so the filter gets it directly."""
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert drops.eventFilter(drops.field, event)
    assert event.isAccepted()


def test_dropping_a_tagged_file_searches_artist_and_title(qtbot: QtBot, tmp_path: Path) -> None:
    field = QLineEdit()
    qtbot.addWidget(field)
    drops = SearchDropFilter(field)
    song = mp3(tmp_path / "track01.mp3", "Kaytranada", "10%")
    with qtbot.waitSignal(drops.searchRequested) as got:
        _drop(drops, file_mime_data([song]))
    assert got.args == ["Kaytranada - 10%"]
    assert field.text() == "Kaytranada - 10%"


def test_dropping_text_or_an_untagged_file(qtbot: QtBot, tmp_path: Path) -> None:
    field = QLineEdit()
    qtbot.addWidget(field)
    drops = SearchDropFilter(field)
    mime = file_mime_data([])
    mime.setText("  Disclosure   Latch \n")
    with qtbot.waitSignal(drops.searchRequested) as got:
        _drop(drops, mime)
    assert got.args == ["Disclosure Latch"]
    plain = mp3(tmp_path / "Burna_Boy - Last_Last.mp3")
    assert query_for_file(plain) == "Burna Boy - Last Last"


def test_results_rows_drag_their_library_files_and_download_the_rest(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from crateq.api.pool_models import MediaRow
    from crateq.core.store import Store
    from crateq.ui.search.results_model import ResultsModel

    have = MediaRow.model_validate({"mediaId": 1, "artist": "Tems", "title": "Me & U"})
    want = MediaRow.model_validate({"mediaId": 2, "artist": "Rema", "title": "Calm Down"})
    for row in (have, want):
        row.pool = "urban-beats"
    store = Store(tmp_path / "store.sqlite3")
    try:
        file = mp3(tmp_path / "Tems - Me & U.mp3")
        store.add_to_library("urban-beats", 1, file, file.stat().st_size, "sha-1")
        model = ResultsModel()
        model.append_rows([have, want])
        view = QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.selectAll()
        drag = results_file_drag(view, model.row_at, store)
        with qtbot.waitSignal(drag.downloadRequested) as asked:
            mime = drag.prepare()
        assert [r.key for r in asked.args[0]] == ["urban-beats:2"]
        assert mime is not None
        assert [Path(u.toLocalFile()) for u in mime.urls()] == [file]
    finally:
        store.close()
