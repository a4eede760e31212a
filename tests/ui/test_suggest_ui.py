"""Auto-complete under the search field and the "Did you mean" hint after zero results."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.ui.conftest import MakeGui

from crateq.core.store import Store
from crateq.ui.search.suggest_feature import SuggestFeature
from crateq.ui.shell.app import GuiApp

WAIT_MS = 20_000
pytest.importorskip("crateq.core.search", reason="federated search (crateq.core.search) missing")


def _settled(gui: GuiApp) -> bool:
    return (
        not gui.controller.tasks.running("search")
        and gui.window.finished_run == gui.controller.current_run
    )


def _gui_with_library(make_gui: MakeGui, tmp_path: Path, qtbot: QtBot) -> GuiApp:
    """The app over a library holding one Burna Boy and one Beyonce track."""
    store = Store()
    for media_id, (artist, title) in enumerate(
        [("Burna Boy", "Last Last"), ("Beyonce", "Halo")], start=90_001
    ):
        path = tmp_path / f"{media_id}.mp3"
        path.write_bytes(b"audio")
        tags = {"artist": artist, "title": title}
        store.add_to_library("urban-beats", media_id, path, 5, f"{media_id:064x}", tags)
    store.close()
    gui = make_gui()
    qtbot.waitUntil(lambda: gui.suggest is not None, timeout=WAIT_MS)
    feature = gui.suggest
    assert isinstance(feature, SuggestFeature)
    qtbot.waitUntil(lambda: not feature.tasks.running("library"), timeout=WAIT_MS)
    gui.services.suggestions.flush()  # the library's names are written by the index's thread
    qtbot.waitUntil(lambda: _settled(gui), timeout=WAIT_MS)
    return gui


def test_typing_offers_the_library_s_artists(
    make_gui: MakeGui, tmp_path: Path, qtbot: QtBot
) -> None:
    gui = _gui_with_library(make_gui, tmp_path, qtbot)
    feature, bar = gui.suggest, gui.window.search_bar
    assert feature is not None
    bar.field.setFocus()
    qtbot.keyClicks(bar.field, "bur")
    qtbot.waitUntil(lambda: "Burna Boy" in feature.model.stringList(), timeout=WAIT_MS)
    assert feature.model.stringList()[0] == "Burna Boy"
    feature.completer.activated.emit("Burna Boy")  # the DJ picks it in the popup
    qtbot.waitUntil(lambda: bar.committed == "Burna Boy", timeout=WAIT_MS)
    assert bar.field.text() == "Burna Boy"


def test_a_search_that_finds_nothing_offers_the_closest_known_name(
    make_gui: MakeGui, tmp_path: Path, qtbot: QtBot
) -> None:
    gui = _gui_with_library(make_gui, tmp_path, qtbot)
    bar = gui.window.search_bar
    bar.field.setText("beyonse")
    bar.commit()
    qtbot.waitUntil(lambda: _settled(gui), timeout=WAIT_MS)
    assert gui.window.model.all_rows() == []
    qtbot.waitUntil(lambda: bar.hint.isVisibleTo(bar), timeout=WAIT_MS)
    assert bar.hinted == "Beyonce"
    assert "Did you mean:" in bar.hint.text() and "Beyonce" in bar.hint.text()
    before = gui.controller.current_run
    qtbot.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: gui.controller.current_run > before, timeout=WAIT_MS)
    assert bar.field.text() == "Beyonce"
    assert bar.committed == "Beyonce"
    assert not bar.hint.isVisibleTo(bar)


def test_the_hint_link_searches_too(make_gui: MakeGui, tmp_path: Path, qtbot: QtBot) -> None:
    gui = _gui_with_library(make_gui, tmp_path, qtbot)
    bar = gui.window.search_bar
    bar.show_hint("Burna Boy")
    bar.hint.linkActivated.emit("suggest")
    assert bar.committed == "Burna Boy" and not bar.hinted
