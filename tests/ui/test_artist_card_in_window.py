"""The artist card and discovery panel inside the real window: demo pools plus crate stand-in.

The grid's current row drives the card; the card's and the lists' searches go through the
window's own search; a failing crate stays on its panels while the grid keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from crateq.core.crate_service import DISCOVERY_KINDS
from crateq.core.secrets import config_secret
from crateq.core.settings import load_settings, save_settings
from crateq.demo.cluster import DemoCluster
from crateq.demo.crate_server import CrateStandIn
from crateq.ui.crate import artist_card as ac
from crateq.ui.crate import discovery_panel as dp
from crateq.ui.crate.crate_feature import CrateFeature
from crateq.ui.shell.app import GuiApp

WAIT_MS = 20_000


@pytest.fixture
def crate_gui(gui: GuiApp, crate_server: CrateStandIn) -> Iterator[tuple[GuiApp, CrateFeature]]:
    """The window with the app's own crate panels, keyed for the stand-in."""
    crate_server.control.reset()
    settings = load_settings()
    settings.crate.url = crate_server.url
    save_settings(settings)
    gui.services.accounts.secrets.set(config_secret("crate.api_key"), crate_server.api_key)
    factory = gui.services.crate_factory(max_retries=0)  # a 5xx shows at once
    crate = gui.crate
    assert crate is not None
    crate.controller.set_service_factory(factory)
    yield gui, crate
    crate_server.control.reset()


def settled(gui: GuiApp) -> bool:
    """The search is over and every row it brought is in the grid (``finished_run``)."""
    chips = gui.window.search_bar.chips.values()
    return (
        not gui.controller.tasks.running("search")
        and gui.window.finished_run == gui.controller.current_run
        and all(chip.state != "searching" for chip in chips)
    )


def search(gui: GuiApp, qtbot: QtBot, text: str) -> None:
    gui.window.search_bar.field.setText(text)
    qtbot.keyClick(gui.window.search_bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: settled(gui) and gui.window.model.rowCount() > 0, timeout=WAIT_MS)


def card_of(crate: CrateFeature) -> ac.ArtistCardPanel:
    return crate.card


def test_selecting_a_row_shows_its_artist_and_a_card_click_searches_the_pools(
    qtbot: QtBot, crate_gui: tuple[GuiApp, CrateFeature]
) -> None:
    gui, crate = crate_gui
    window, card = gui.window, card_of(crate)
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    search(gui, qtbot, "love")
    assert card.isVisible() and card.state == ac.IDLE
    row = window.model.row_at(window.model.index(0, 0))
    assert row is not None
    window.results.setCurrentIndex(window.model.index(0, 0))
    qtbot.waitUntil(lambda: card.state == ac.READY, timeout=WAIT_MS)
    assert card.query.casefold() in row.artist.casefold()

    target = next(iter(card.links), None) or card.query
    button = card.links.get(target) or next(
        b for b in card.findChildren(QPushButton) if b.objectName() == "crateSearch"
    )
    run = gui.controller.current_run
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: gui.controller.current_run > run and settled(gui), timeout=WAIT_MS)
    assert window.search_bar.text() == target


def test_a_503_from_crate_stays_on_the_crate_panels_while_the_grid_works(
    qtbot: QtBot,
    crate_gui: tuple[GuiApp, CrateFeature],
    crate_server: CrateStandIn,
    demo_cluster: DemoCluster,
) -> None:
    gui, crate = crate_gui
    window, card = gui.window, card_of(crate)
    discovery = crate.discovery
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    search(gui, qtbot, "love")
    crate_server.control.set_fault("503")  # every crate request, until reset
    window.results.setCurrentIndex(window.model.index(0, 0))
    discovery.load()
    qtbot.waitUntil(lambda: card.state == ac.ERROR, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: all(v.state == dp.ERROR for v in discovery.lists.values()), timeout=WAIT_MS
    )
    assert "crate could not answer" in card.text()
    for kind in DISCOVERY_KINDS:
        assert discovery.lists[kind].freshness.text().startswith("crate could not answer")

    search(gui, qtbot, "night")  # the grid does not care
    assert {c.state for c in window.search_bar.chips.values()} == {"ok"}
    rows = window.model.all_rows()
    assert rows and {r.pool for r in rows} == set(demo_cluster.pools)
    assert all("night" in f"{r.artist} {r.title} {r.editor}".lower() for r in rows)


def test_the_card_steps_aside_in_widget_mode_and_catches_up_after(
    qtbot: QtBot, crate_gui: tuple[GuiApp, CrateFeature]
) -> None:
    gui, crate = crate_gui
    window, card = gui.window, card_of(crate)
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    search(gui, qtbot, "love")
    window.set_mode("widget")
    assert not card.isVisible()
    window.results.setCurrentIndex(window.model.index(1, 0))
    assert card.state == ac.IDLE  # hidden: no look-up
    window.set_mode("app")
    qtbot.waitUntil(lambda: card.isVisible() and card.state == ac.READY, timeout=WAIT_MS)
    row = window.model.row_at(window.model.index(1, 0))
    assert row is not None and card.query.casefold() in row.artist.casefold()


def test_the_cards_wish_button_puts_the_artist_on_the_wish_list(
    qtbot: QtBot, crate_gui: tuple[GuiApp, CrateFeature]
) -> None:
    gui, crate = crate_gui
    window, card = gui.window, card_of(crate)
    qtbot.waitUntil(lambda: settled(gui), timeout=WAIT_MS)
    search(gui, qtbot, "love")
    window.results.setCurrentIndex(window.model.index(0, 0))
    qtbot.waitUntil(lambda: card.state == ac.READY, timeout=WAIT_MS)
    button = next(b for b in card.findChildren(QPushButton) if b.objectName() == "crateWish")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wished = lambda: [w.artist for w in gui.services.wishes.wishes()]  # noqa: E731
    qtbot.waitUntil(lambda: wished() == [card.card.name or card.query], timeout=WAIT_MS)
