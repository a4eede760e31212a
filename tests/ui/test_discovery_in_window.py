"""Discovery entries acted on in the real window: find in pools, queue all found (demo pools)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from crateq.api.pool_models import MediaRow
from crateq.core.secrets import config_secret
from crateq.core.settings import load_settings, save_settings
from crateq.demo.crate_server import CrateStandIn
from crateq.ui.crate import discovery_panel as dp
from crateq.ui.crate.crate_controller import primary_artist
from crateq.ui.shell.app import GuiApp

WAIT_MS = 30_000


@pytest.fixture
def panel(
    qtbot: QtBot, gui: GuiApp, crate_server: CrateStandIn
) -> Iterator[tuple[GuiApp, dp.DiscoveryPanel]]:
    crate_server.control.reset()
    settings = load_settings()
    settings.crate.url = crate_server.url
    save_settings(settings)
    gui.services.accounts.secrets.set(config_secret("crate.api_key"), crate_server.api_key)
    crate = gui.crate  # the app's own crate feature
    assert crate is not None
    crate.controller.set_service_factory(gui.services.crate_factory())
    discovery = crate.discovery
    discovery.load()
    qtbot.waitUntil(
        lambda: all(v.state == dp.READY for v in discovery.lists.values()), timeout=WAIT_MS
    )
    yield gui, discovery


def queued(gui: GuiApp) -> dict[str, MediaRow]:
    """Every pool's server-side queue, read on the core loop with the window's clients."""

    async def read() -> dict[str, MediaRow]:
        found: dict[str, MediaRow] = {}
        for client in gui.services.pool_clients().values():
            for row in await client.queue_all():
                found[row.key] = row
        return found

    return gui.services.core.call(read(), timeout=30)


def unqueue(gui: GuiApp, rows: list[MediaRow]) -> None:
    async def remove() -> None:
        clients = gui.services.pool_clients()
        for row in rows:
            await clients[row.pool].queue_remove(row.media_id)

    gui.services.core.call(remove(), timeout=30)


def test_find_in_pools_searches_the_grid_for_that_artist(
    qtbot: QtBot, panel: tuple[GuiApp, dp.DiscoveryPanel]
) -> None:
    gui, discovery = panel
    name, button = next(iter(discovery.lists["breakouts"].find_buttons.items()))
    run = gui.controller.current_run
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    # rows reach the grid in coalesced batches, so wait for the run's rows, not only its task
    qtbot.waitUntil(
        lambda: (
            gui.controller.current_run > run
            and not gui.controller.tasks.running("search")
            and any(primary_artist(r.artist) == name for r in gui.window.model.all_rows())
        ),
        timeout=WAIT_MS,
    )
    assert gui.window.search_bar.text() == name


def test_queue_all_found_queues_one_best_match_per_artist_and_is_toggle_safe(
    qtbot: QtBot, panel: tuple[GuiApp, dp.DiscoveryPanel]
) -> None:
    gui, discovery = panel
    view = discovery.lists["tastemakers"]
    assert view.listing is not None
    names = [e.name for e in view.listing.entries]
    before = queued(gui)
    new: list[MediaRow] = []
    try:
        with qtbot.waitSignal(discovery.crate.queue_finished, timeout=WAIT_MS) as done:
            qtbot.mouseClick(view.queue_all, Qt.MouseButton.LeftButton)
        added = done.args[1]
        after = queued(gui)
        new = [row for key, row in after.items() if key not in before]
        assert added == len(new) > 0
        owners = [next(n for n in names if n.casefold() in r.artist.casefold()) for r in new]
        assert len(owners) == len(set(owners))  # one track per artist, each one of the list's
        assert view.status.text().startswith(f"Queued {added} of {len(names)}")

        with qtbot.waitSignal(discovery.crate.queue_finished, timeout=WAIT_MS) as again:
            qtbot.mouseClick(view.queue_all, Qt.MouseButton.LeftButton)
        assert again.args[1] == 0
        assert f"{added} already queued" in again.args[2]
        assert set(queued(gui)) == set(after)  # the second run removed nothing
    finally:
        unqueue(gui, new)
    assert set(queued(gui)) == set(before)
