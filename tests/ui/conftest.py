"""GUI fixtures: the real app objects (``crateq.ui.shell.app.build``) signed in to the demo pools.

The core runs on its own loop thread and answers with queued Qt signals, so ``qtbot``
waiting on signals or conditions is all a test needs (see ``crateq.ui.shell.app``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from pytestqt.qtbot import QtBot

from crateq.core.accounts import Accounts
from crateq.demo.cluster import DemoCluster
from crateq.demo.crate_server import CrateStandIn
from crateq.ui.shell.app import GuiApp, build
from memory_keyring import MemoryKeyring


@pytest.fixture
def ui_keyring() -> Iterator[MemoryKeyring]:
    previous: KeyringBackend = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def signed_in_accounts(
    crateq_home: Path, demo_cluster: DemoCluster, ui_keyring: MemoryKeyring
) -> Accounts:
    """Accounts for every demo pool, signed in as demo/demo (password held in memory)."""
    accounts = Accounts()
    for name, handle in demo_cluster.pools.items():
        accounts.add(name, handle.url, handle.api_key, "demo")
        accounts.hold_password(name, "demo")
    return accounts


MakeGui = Callable[..., GuiApp]


@pytest.fixture
def make_gui(qtbot: QtBot, signed_in_accounts: Accounts) -> Iterator[MakeGui]:
    """``make_gui(mode="app")``: start the app objects (again, for restart tests)."""
    started: list[GuiApp] = []

    def make(mode: str = "app") -> GuiApp:
        gui = build(accounts=signed_in_accounts, mode=mode)
        qtbot.addWidget(gui.window)
        gui.window.show_current_mode()
        qtbot.waitExposed(gui.window)
        started.append(gui)
        return gui

    yield make
    for gui in started:
        gui.shutdown()
        gui.app.removeEventFilter(gui.window)


@pytest.fixture
def gui(make_gui: MakeGui) -> GuiApp:
    """The app window in app mode over the demo pools; shut down in order afterwards."""
    return make_gui()


@pytest.fixture(scope="module")
def crate_server() -> Iterator[CrateStandIn]:
    """The crate stand-in on 127.0.0.1, shared by a module's tests."""
    with CrateStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def crate(crate_server: CrateStandIn) -> Iterator[CrateStandIn]:
    """The stand-in with its faults and counters reset before and after the test."""
    crate_server.control.reset()
    yield crate_server
    crate_server.control.reset()
