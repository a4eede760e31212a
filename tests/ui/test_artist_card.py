"""The artist card against the real crate stand-in on 127.0.0.1 (offscreen Qt).

The card's controller runs on a real core loop and talks HTTP to the stand-in; the key comes
from the (in-memory) keyring and the URL from settings, as in the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from crateq.core.accounts import Accounts
from crateq.core.secrets import config_secret
from crateq.core.settings import load_settings, save_settings
from crateq.demo.crate_data import GAP_LABEL, DemoArtist, DemoCrateData
from crateq.demo.crate_server import CrateStandIn
from crateq.services import Services
from crateq.ui.crate import artist_card as ac
from crateq.ui.crate.crate_controller import CrateController, primary_artist
from memory_keyring import MemoryKeyring

WAIT_MS = 15_000


@pytest.fixture
def accounts(crateq_home: Path, ui_keyring: MemoryKeyring, crate: CrateStandIn) -> Accounts:
    """Settings point at the stand-in; no key yet (tests that need one call ``set_key``)."""
    settings = load_settings()
    settings.crate.url = crate.url
    save_settings(settings)
    return Accounts()


def set_key(accounts: Accounts, key: str) -> None:
    accounts.secrets.set(config_secret("crate.api_key"), key)


@pytest.fixture
def controller(accounts: Accounts) -> Iterator[CrateController]:
    services = Services(accounts=accounts)
    crate = CrateController(services)
    yield crate
    crate.shutdown()
    services.shutdown()


@pytest.fixture
def card(qtbot: QtBot, controller: CrateController) -> ac.ArtistCardPanel:
    panel = ac.ArtistCardPanel(controller)
    qtbot.addWidget(panel)
    panel.resize(360, 700)
    panel.show()
    return panel


def data(crate: CrateStandIn) -> DemoCrateData:
    return crate.app.state.data  # type: ignore[no-any-return]


def dossier(crate: CrateStandIn, artist: DemoArtist) -> dict[str, Any]:
    """The stand-in's own answer for the artist, read directly (the test's truth)."""
    answer = httpx.get(
        f"{crate.url}/api/v2/artist/{artist.slug}", headers={"X-API-Key": crate.api_key}
    )
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def shown(qtbot: QtBot, card: ac.ArtistCardPanel, artist: str) -> None:
    card.show_artist(artist)
    qtbot.waitUntil(lambda: card.state not in (ac.IDLE, ac.LOADING), timeout=WAIT_MS)


def test_an_artist_crate_does_not_know_reads_not_known_not_an_error(
    qtbot: QtBot, card: ac.ArtistCardPanel, accounts: Accounts, crate: CrateStandIn
) -> None:
    set_key(accounts, crate.api_key)
    unknown = next(a for a in data(crate).artists if a.tier == "unknown")
    shown(qtbot, card, unknown.name)
    assert card.state == ac.READY
    assert card.badge is not None and card.badge.text() == "Not known"
    assert card.badge.property("state") == ""
    text = card.text()
    assert f"crate has no artist for “{unknown.name}”" in text
    assert "crate could not answer" not in text
    assert "Verified" not in text and "DJ plays" not in text  # nothing made up


def test_a_verified_artist_shows_badge_labels_momentum_and_travels_with(
    qtbot: QtBot, card: ac.ArtistCardPanel, accounts: Accounts, crate: CrateStandIn
) -> None:
    set_key(accounts, crate.api_key)
    picked = None
    for artist in data(crate).artists:
        if artist.tier != "verified":
            continue
        body = dossier(crate, artist)
        facts = body.get("facts") or {}
        if facts.get("state") == "present" and (facts.get("signals") or {}).get("recordLabels"):
            picked, truth = artist, body
            break
    assert picked is not None, "the stand-in has no verified artist with labels"
    shown(qtbot, card, picked.name)
    assert card.state == ac.READY
    assert card.badge is not None and card.badge.text() == "✓ Verified"
    assert card.badge.property("state") == "ok"
    labels = truth["facts"]["signals"]["recordLabels"][:3]
    travels = [t["name"] for t in truth["behavioral"]["signals"]["travelsWith"]]
    assert travels, "the stand-in gave this artist nobody to travel with"
    for name in [*labels, *travels]:
        assert name in card.links and card.links[name].isVisible()
    assert "DJ plays in the last 365 days" in card.text()
    assert "Bound to a Discogs artist" in card.text()


def test_an_unverified_artist_says_so_and_missing_parts_read_not_known(
    qtbot: QtBot, card: ac.ArtistCardPanel, accounts: Accounts, crate: CrateStandIn
) -> None:
    set_key(accounts, crate.api_key)
    for artist in data(crate).artists:
        if (
            artist.tier == "unverified"
            and (dossier(crate, artist).get("facts") or {}).get("state") != "present"
        ):
            break
    shown(qtbot, card, artist.name)
    assert card.badge is not None and card.badge.text() == "Unverified"
    assert "not bound to Discogs" in card.text()
    assert ac.NOT_KNOWN in card.text().splitlines()  # its labels: crate has none to give


def test_clicking_an_artist_or_label_asks_for_a_search_of_all_pools(
    qtbot: QtBot, card: ac.ArtistCardPanel, accounts: Accounts, crate: CrateStandIn
) -> None:
    set_key(accounts, crate.api_key)
    artist = next(a for a in data(crate).artists if a.tier == "verified")
    shown(qtbot, card, artist.name)
    assert card.links, "nothing to click on the card"
    for name, button in list(card.links.items())[:3]:
        with qtbot.waitSignal(card.search_requested, timeout=WAIT_MS) as got:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert got.args == [name]
    search = next(b for b in card.findChildren(QPushButton) if b.objectName() == "crateSearch")
    with qtbot.waitSignal(card.search_requested, timeout=WAIT_MS) as got:
        qtbot.mouseClick(search, Qt.MouseButton.LeftButton)
    assert got.args == [artist.name]


def test_a_newer_row_wins_and_a_recent_card_comes_from_the_cache(
    qtbot: QtBot, card: ac.ArtistCardPanel, accounts: Accounts, crate: CrateStandIn
) -> None:
    set_key(accounts, crate.api_key)
    first, second = [a for a in data(crate).artists if a.tier == "verified"][:2]
    shown_names: list[str] = []
    card.crate.card_ready.connect(lambda n, q, c: shown_names.append(c.name))
    card.show_artist(first.name)
    card.show_artist(second.name)  # the DJ moved on before the first answer
    qtbot.waitUntil(lambda: card.state == ac.READY, timeout=WAIT_MS)
    assert card.card is not None and card.card.name == second.name
    qtbot.waitUntil(lambda: not card.crate.tasks.running("crate:card"), timeout=WAIT_MS)
    assert card.card.name == second.name  # a late answer for the first row is not shown

    requests = len(crate.control.requests)
    card.show_artist(f"{second.name} feat. {first.name}")  # same artist: from the cache
    assert card.state == ac.READY and card.card.name == second.name
    assert len(crate.control.requests) == requests
    assert primary_artist(f"{second.name} ft. X") == second.name


def test_without_a_key_the_card_says_how_to_set_one_and_sends_nothing(
    qtbot: QtBot, card: ac.ArtistCardPanel, crate: CrateStandIn
) -> None:
    shown(qtbot, card, data(crate).artists[0].name)
    assert card.state == ac.NO_KEY
    assert "crateq config set-secret crate.api_key" in card.text()
    assert "Accounts…" in card.text()
    assert crate.control.requests == []


def test_a_refused_key_is_a_key_problem_and_a_new_key_is_picked_up(
    qtbot: QtBot, card: ac.ArtistCardPanel, accounts: Accounts, crate: CrateStandIn
) -> None:
    set_key(accounts, "ck_test_not-the-right-one")
    artist = next(a for a in data(crate).artists if a.tier == "verified")
    shown(qtbot, card, artist.name)
    assert card.state == ac.NO_KEY and "refused the API key" in card.text()
    set_key(accounts, crate.api_key)
    card.refresh()
    qtbot.waitUntil(lambda: card.state == ac.READY, timeout=WAIT_MS)
    assert card.card is not None and card.card.known


def test_a_label_whose_momentum_crate_has_not_seen_reads_not_known(
    qtbot: QtBot, card: ac.ArtistCardPanel, accounts: Accounts, crate: CrateStandIn
) -> None:
    set_key(accounts, crate.api_key)
    picked = None
    for artist in data(crate).artists:
        labels = ((dossier(crate, artist).get("facts") or {}).get("signals") or {}).get(
            "recordLabels"
        ) or []
        if GAP_LABEL in labels[:3]:
            picked = artist
            break
    assert picked is not None, f"no artist on {GAP_LABEL} in the stand-in"
    shown(qtbot, card, picked.name)
    assert GAP_LABEL in card.links
    assert "DJ momentum: not known" in card.text()
    assert "not known DJ plays" not in card.text()
