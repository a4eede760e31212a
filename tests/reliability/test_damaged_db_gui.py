"""The window over a damaged or locked download database: it starts, and says so plainly.

The real app objects (``crateq.ui.shell.app.build``) over a real ``$CRATEQ_HOME`` whose
SQLite file was damaged (the status bar names the file set aside) or is held by another
process (the window still opens, downloads say why they are unavailable; no crash loop).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from pytestqt.qtbot import QtBot

import reliability_log
from crateq.core.accounts import Accounts
from crateq.core.store import Store, default_db_path
from crateq.demo.cluster import DemoCluster
from crateq.ui.shell.app import GuiApp, build
from memory_keyring import MemoryKeyring


@pytest.fixture
def accounts(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[Accounts]:
    previous: KeyringBackend = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    accounts = Accounts()
    handle = demo_cluster.pools["urban-beats"]
    accounts.add("urban-beats", handle.url, handle.api_key, "demo")
    accounts.hold_password("urban-beats", "demo")
    yield accounts
    keyring.set_keyring(previous)


def _start(qtbot: QtBot, accounts: Accounts) -> GuiApp:
    gui = build(accounts=accounts, mode="app")
    qtbot.addWidget(gui.window)
    return gui


def _stop(gui: GuiApp) -> None:
    gui.shutdown()
    gui.app.removeEventFilter(gui.window)


def test_the_window_says_a_damaged_database_was_set_aside(qtbot: QtBot, accounts: Accounts) -> None:
    store = Store()
    store.add_job("urban-beats", 7, "{}", "downloads")
    store.close()
    default_db_path().write_bytes(b"\x00garbage, not a database\n" * 300)
    gui = _start(qtbot, accounts)
    try:
        message = gui.window.statusBar().currentMessage()
        assert "The download database was damaged" in message
        aside = next(default_db_path().parent.glob("crateq.sqlite3.damaged-*[0-9]Z"))
        assert aside.name in message
        assert gui.downloads is not None and gui.downloads.queue is not None  # downloads work
    finally:
        _stop(gui)
    again = _start(qtbot, accounts)  # the next start is a normal one
    try:
        assert "damaged" not in again.window.statusBar().currentMessage()
        assert len(list(default_db_path().parent.glob("*.damaged-*[0-9]Z"))) == 1
    finally:
        _stop(again)
    reliability_log.record(
        "resources", "damaged database (GUI start)",
        "status bar names the file set aside; downloads work; next start normal", tries=2,
    )  # fmt: skip


def test_the_window_opens_over_a_locked_database_and_says_why(
    qtbot: QtBot, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRATEQ_DB_TIMEOUT", "0.5")
    Store().close()
    code = (
        "import sqlite3, sys;"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None);"
        "db.execute('PRAGMA locking_mode=EXCLUSIVE'); db.execute('BEGIN EXCLUSIVE');"
        "db.execute('DELETE FROM jobs'); print('locked', flush=True); sys.stdin.readline()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(default_db_path())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        gui = _start(qtbot, accounts)
        try:
            message = gui.window.statusBar().currentMessage()
            assert "Downloads are unavailable" in message and "locked by another" in message
            assert gui.downloads is not None and gui.downloads.engine is None
        finally:
            _stop(gui)
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(30)
    assert not list(default_db_path().parent.glob("*damaged*"))
    reliability_log.record(
        "resources", "database locked at GUI start",
        "window opens; status bar: downloads unavailable, locked by another program", tries=1,
    )  # fmt: skip
