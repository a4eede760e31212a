"""The library view lists downloads from the store, marks missing files, drags real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from crateq.core.store import Store
from crateq.ui.downloads.library_view import LibraryView


@pytest.fixture
def store(crateq_home: Path) -> Iterator[Store]:
    db = Store(crateq_home / "data" / "library.sqlite3")
    yield db
    db.close()


def add(store: Store, folder: Path, media_id: int, artist: str, title: str) -> Path:
    path = folder / f"{artist} - {title}.mp3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"ID3" + bytes(1000))
    tags = {"artist": artist, "title": title, "grouping": "Extended"}
    store.add_to_library("urban-beats", media_id, path, 1003, f"sha{media_id}", tags)
    return path


def test_lists_downloads_and_filters_by_search(
    qtbot: QtBot, store: Store, crateq_home: Path
) -> None:
    add(store, crateq_home / "dl", 1, "Burna Boy", "Last Last")
    add(store, crateq_home / "dl", 2, "Tems", "Free Mind")
    view = LibraryView(store)
    qtbot.addWidget(view)
    assert view.proxy.rowCount() == 2
    view.search.setText("tems")
    assert view.proxy.rowCount() == 1
    assert view.proxy.index(0, 2).data() == "Free Mind"
    assert "2 track(s) downloaded" in view.summary.text()


def test_missing_files_are_marked_left_out_of_drags_and_forgettable(
    qtbot: QtBot, store: Store, crateq_home: Path
) -> None:
    kept = add(store, crateq_home / "dl", 1, "Burna Boy", "Last Last")
    gone = add(store, crateq_home / "dl", 2, "Tems", "Free Mind")
    gone.unlink()
    view = LibraryView(store)
    qtbot.addWidget(view)
    states = {view.proxy.index(r, 1).data(): view.proxy.index(r, 0).data() for r in range(2)}
    assert states == {"Burna Boy": "", "Tems": "missing"}
    assert "1 missing on disk" in view.summary.text()

    view.table.selectAll()
    with qtbot.waitSignal(view.notice) as told:
        mime = view.drag.prepare()
    assert "missing" in told.args[0]
    assert mime is not None
    assert [Path(u.toLocalFile()) for u in mime.urls()] == [kept]
    assert all(Path(u.toLocalFile()).is_file() for u in mime.urls())

    view.forget_missing()
    assert [e.media_id for e in store.library()] == [1]
    assert view.proxy.rowCount() == 1


def test_reveal_shows_the_selected_file(qtbot: QtBot, store: Store, crateq_home: Path) -> None:
    path = add(store, crateq_home / "dl", 7, "Tyla", "Water")
    shown: list[Path] = []
    view = LibraryView(store, reveal=shown.append)
    qtbot.addWidget(view)
    view.table.selectRow(0)
    view.reveal_selected()
    assert shown == [path]


def test_a_mouse_drag_on_a_row_starts_a_file_drag(
    qtbot: QtBot, store: Store, crateq_home: Path
) -> None:
    path = add(store, crateq_home / "dl", 9, "Ayra Starr", "Rush")
    view = LibraryView(store)
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    qtbot.waitExposed(view)
    port = view.table.viewport()
    start = view.table.visualRect(view.proxy.index(0, 2)).center()
    QTest.mousePress(port, Qt.MouseButton.LeftButton, pos=start)
    end = start + QPoint(QApplication.startDragDistance() + 20, 8)
    QTest.mouseMove(port, end)
    qtbot.waitUntil(lambda: view.drag.last_mime is not None, timeout=5_000)
    QTest.mouseRelease(port, Qt.MouseButton.LeftButton, pos=end)
    assert [Path(u.toLocalFile()) for u in view.drag.last_mime.urls()] == [path]


def test_export_writes_what_is_shown_and_asks_before_replacing_a_foreign_file(
    qtbot: QtBot, store: Store, crateq_home: Path, tmp_path: Path
) -> None:
    kept = add(store, crateq_home / "dl", 1, "Burna Boy", "Last Last")
    add(store, crateq_home / "dl", 2, "Tems", "Free Mind")
    target = tmp_path / "Set.m3u8"
    answers: list[bool] = []
    questions: list[str] = []

    def confirm(question: str) -> bool:
        questions.append(question)
        return answers.pop(0)

    view = LibraryView(store, choose=lambda _fmt, _where: target, confirm=confirm)
    qtbot.addWidget(view)
    view.search.setText("burna")  # only what is shown is exported
    with qtbot.waitSignal(view.notice, timeout=10_000) as done:
        view.export_shown("m3u")
    assert "Exported 1 track(s)" in done.args[0]
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U" and lines[-1] == str(kept)

    target.write_text("#EXTM3U\nthe DJ's own list\n", encoding="utf-8")  # not written by CrateQ
    answers.append(False)
    with qtbot.waitSignal(view.notice, timeout=10_000) as refused:
        view.export_shown("m3u")
    assert "nothing was written" in refused.args[0] and questions
    assert "the DJ's own list" in target.read_text(encoding="utf-8")
    answers.append(True)
    with qtbot.waitSignal(view.notice, timeout=10_000) as replaced:
        view.export_shown("m3u")
    assert "Exported 1 track(s)" in replaced.args[0]
    assert str(kept) in target.read_text(encoding="utf-8")


def test_export_with_nothing_on_disk_says_so(qtbot: QtBot, store: Store, crateq_home: Path) -> None:
    add(store, crateq_home / "dl", 1, "Tems", "Free Mind").unlink()
    chosen: list[str] = []
    view = LibraryView(store, choose=lambda fmt, _where: chosen.append(fmt) or None)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.notice, timeout=5_000) as said:
        view.export_shown("serato")
    assert said.args[0].startswith("Nothing to export") and chosen == []
