"""The discovery panel against the real crate stand-in: freshness, degraded, empty, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from crateq.core.accounts import Accounts
from crateq.core.secrets import config_secret
from crateq.core.settings import load_settings, save_settings
from crateq.demo.crate_server import CrateStandIn
from crateq.services import Services
from crateq.ui.crate import discovery_panel as dp
from crateq.ui.crate.crate_controller import CrateController
from memory_keyring import MemoryKeyring

WAIT_MS = 15_000


@pytest.fixture
def accounts(crateq_home: Path, ui_keyring: MemoryKeyring, crate: CrateStandIn) -> Accounts:
    settings = load_settings()
    settings.crate.url = crate.url
    save_settings(settings)
    accounts = Accounts()
    accounts.secrets.set(config_secret("crate.api_key"), crate.api_key)
    return accounts


@pytest.fixture
def panel(qtbot: QtBot, accounts: Accounts) -> Iterator[dp.DiscoveryPanel]:
    services = Services(accounts=accounts)
    # no retries: a 5xx is shown at once (the retry policy has its own tests)
    factory = services.crate_factory(max_retries=0)
    crate = CrateController(services, service_factory=factory)
    widget = dp.DiscoveryPanel(crate)
    qtbot.addWidget(widget)
    widget.resize(1300, 320)
    yield widget
    crate.shutdown()
    services.shutdown()


def settled(panel: dp.DiscoveryPanel) -> bool:
    return all(v.state not in (dp.IDLE, dp.LOADING) for v in panel.lists.values())


def test_showing_the_panel_loads_every_list_with_its_freshness(
    qtbot: QtBot, panel: dp.DiscoveryPanel
) -> None:
    panel.show()  # the first show loads: no crate traffic before the DJ looks
    qtbot.waitUntil(lambda: settled(panel), timeout=WAIT_MS)
    breakouts, tastemakers, watch = (
        panel.lists[k] for k in ("breakouts", "tastemakers", "ones-to-watch")
    )
    assert breakouts.state == dp.READY and breakouts.listing is not None
    assert len(breakouts.find_buttons) == len(breakouts.listing.entries) > 0
    assert breakouts.queue_all.isEnabled()

    assert tastemakers.listing is not None and tastemakers.listing.stale  # the stand-in's default
    assert tastemakers.freshness.text().startswith("Stale: snapshot of")
    assert "older than 7 days are stale" in tastemakers.freshness.text()
    assert tastemakers.freshness.objectName() == "crateStale"
    assert tastemakers.find_buttons  # a stale list is still shown, said plainly
    for name, button in [*breakouts.find_buttons.items(), *tastemakers.find_buttons.items()]:
        assert button.text() == name.replace("&", "&&")  # "&" shown, not a mnemonic

    assert watch.listing is not None and watch.listing.state == "degraded"
    assert "degraded" in watch.freshness.text()
    assert watch.freshness.objectName() == "crateError"
    assert watch.find_buttons == {} and not watch.queue_all.isEnabled()


def test_an_empty_list_says_it_is_empty(
    qtbot: QtBot, panel: dp.DiscoveryPanel, crate: CrateStandIn
) -> None:
    crate.control.modes["breakouts"] = "empty"
    crate.control.modes["tastemakers"] = "present"
    panel.load()
    qtbot.waitUntil(lambda: settled(panel), timeout=WAIT_MS)
    assert "no entries" in panel.lists["breakouts"].freshness.text()
    assert panel.lists["breakouts"].find_buttons == {}
    assert panel.lists["tastemakers"].freshness.text().startswith("Fresh: snapshot of")


def test_a_503_fails_only_its_own_list(
    qtbot: QtBot, panel: dp.DiscoveryPanel, crate: CrateStandIn
) -> None:
    crate.control.set_fault("503", count=1)  # the first list asked gets the 503
    panel.load()
    qtbot.waitUntil(lambda: settled(panel), timeout=WAIT_MS)
    states = {k: v.state for k, v in panel.lists.items()}
    assert sorted(states.values()) == sorted([dp.ERROR, dp.READY, dp.READY])
    failed = next(v for v in panel.lists.values() if v.state == dp.ERROR)
    assert failed.freshness.text().startswith("crate could not answer")
    assert failed.freshness.objectName() == "crateError"
    panel.load()  # and it comes back once crate does
    qtbot.waitUntil(lambda: settled(panel), timeout=WAIT_MS)
    assert all(v.state == dp.READY for v in panel.lists.values())


def test_clicking_an_entry_asks_to_find_it_in_the_pools(
    qtbot: QtBot, panel: dp.DiscoveryPanel
) -> None:
    panel.load()
    qtbot.waitUntil(lambda: settled(panel), timeout=WAIT_MS)
    name, button = next(iter(panel.lists["breakouts"].find_buttons.items()))
    with qtbot.waitSignal(panel.crate.search_requested, timeout=WAIT_MS) as got:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert got.args == [name]


def test_without_pools_queue_all_says_nothing_was_queued(
    qtbot: QtBot, panel: dp.DiscoveryPanel
) -> None:
    panel.load()
    qtbot.waitUntil(lambda: settled(panel), timeout=WAIT_MS)
    with qtbot.waitSignal(panel.crate.queue_finished, timeout=WAIT_MS) as got:
        qtbot.mouseClick(panel.lists["breakouts"].queue_all, Qt.MouseButton.LeftButton)
    assert got.args[1] == 0
    assert "No pool is signed in" in panel.lists["breakouts"].status.text()
