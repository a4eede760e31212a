"""The accounts dialog keeps passwords in the keyring only and shows the pool's answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from pytestqt.qtbot import QtBot

from crateq.api.pool_models import LoginResult
from crateq.core import secrets
from crateq.core.accounts import Accounts
from crateq.core.settings import load_settings
from crateq.core_loop import CoreLoop
from crateq.demo.cluster import DemoCluster
from crateq.services import Services
from crateq.ui.accounts.accounts_dialog import AccountsDialog, describe_login
from memory_keyring import MemoryKeyring


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous: KeyringBackend = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def core() -> Iterator[CoreLoop]:
    loop = CoreLoop("test-core")
    yield loop
    loop.stop()


def fill(dialog: AccountsDialog, name: str, url: str, key: str, user: str, pw: str) -> None:
    dialog.new_pool()
    dialog.name.setText(name)
    dialog.url.setText(url)
    dialog.api_key.setText(key)
    dialog.username.setText(user)
    dialog.password.setText(pw)


def test_password_goes_to_the_keyring_never_to_the_config(
    qtbot: QtBot, crateq_home: Path, memory_keyring: MemoryKeyring, core: CoreLoop
) -> None:
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    fill(dialog, "my-pool", "http://127.0.0.1:9", "KEY-123", "dj", "s3cret-Pa55")
    with qtbot.waitSignal(dialog.poolsChanged):
        assert dialog.save_pool()

    assert memory_keyring.entries[("crateq", secrets.pool_password("my-pool"))] == "s3cret-Pa55"
    for path in crateq_home.rglob("*"):
        if path.is_file():
            assert b"s3cret-Pa55" not in path.read_bytes(), path
    pool = load_settings().pool("my-pool")
    assert (pool.url, pool.api_key, pool.username) == ("http://127.0.0.1:9/", "KEY-123", "dj")
    assert dialog.password.text() == ""
    assert "keyring" in dialog.password.placeholderText()
    assert "password stored" in dialog.pool_list.item(0).text()


def test_remove_forgets_pool_and_password(
    qtbot: QtBot, crateq_home: Path, memory_keyring: MemoryKeyring, core: CoreLoop
) -> None:
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    fill(dialog, "gone", "http://127.0.0.1:9/", "K", "dj", "pw")
    assert dialog.save_pool()
    dialog.remove_pool()
    assert load_settings().pools == []
    assert memory_keyring.entries == {}
    assert dialog.pool_list.count() == 0


def test_renaming_a_pool_moves_its_password(
    qtbot: QtBot, crateq_home: Path, memory_keyring: MemoryKeyring, core: CoreLoop
) -> None:
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    fill(dialog, "old-name", "http://127.0.0.1:9/", "K", "dj", "pw-1")
    assert dialog.save_pool()
    dialog.name.setText("new-name")
    assert dialog.save_pool()
    assert [p.name for p in load_settings().pools] == ["new-name"]
    assert memory_keyring.entries == {("crateq", secrets.pool_password("new-name")): "pw-1"}


def test_bad_input_is_explained_and_nothing_saved(
    qtbot: QtBot, crateq_home: Path, memory_keyring: MemoryKeyring, core: CoreLoop
) -> None:
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    fill(dialog, "x", "not a url", "K", "dj", "pw")
    assert not dialog.save_pool()
    assert "not an http(s) URL" in dialog.status.text()
    assert load_settings().pools == []
    assert memory_keyring.entries == {}


def test_crate_key_to_keyring_and_url_to_settings(
    qtbot: QtBot, crateq_home: Path, memory_keyring: MemoryKeyring, core: CoreLoop
) -> None:
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    dialog.crate_url.setText("http://127.0.0.1:7000")
    dialog.crate_key.setText("crate-secret-key")
    dialog.save_crate()
    assert load_settings().crate.url == "http://127.0.0.1:7000/"
    assert memory_keyring.entries[("crateq", "config/crate.api_key")] == "crate-secret-key"
    assert b"crate-secret-key" not in (crateq_home / "config" / "settings.json").read_bytes()


@pytest.mark.parametrize(
    ("status", "msg", "state", "words"),
    [
        ("current", "", "ok", "downloading work"),
        ("expired", "Your subscription is expired.", "warn", "Renew it"),
        ("suspended", "", "warn", "support"),
    ],
)
def test_login_answers_are_explained(status: str, msg: str, state: str, words: str) -> None:
    shown_state, text = describe_login(LoginResult(status=status, msg=msg))
    assert shown_state == state
    assert words in text
    if msg:
        assert msg in text


def test_sign_in_shows_the_pools_status_and_message(
    qtbot: QtBot,
    crateq_home: Path,
    memory_keyring: MemoryKeyring,
    core: CoreLoop,
    demo_cluster: DemoCluster,
) -> None:
    handle = demo_cluster.pools["club-edits"]
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    fill(dialog, "club-edits", handle.url, handle.api_key, "expired", "expired")
    with qtbot.waitSignal(dialog.signedIn, timeout=20_000) as signed:
        dialog.sign_in()
    name, result = signed.args
    assert (name, result.status) == ("club-edits", "expired")
    assert "Your subscription is expired" in dialog.status.text()
    assert "Renew it" in dialog.status.text()
    assert "expired" in dialog.pool_list.currentItem().text()
    assert memory_keyring.entries[("crateq", secrets.pool_password("club-edits"))] == "expired"
    assert ("crateq", secrets.pool_jwt("club-edits")) in memory_keyring.entries


def test_wrong_password_is_said_plainly(
    qtbot: QtBot,
    crateq_home: Path,
    memory_keyring: MemoryKeyring,
    core: CoreLoop,
    demo_cluster: DemoCluster,
) -> None:
    handle = demo_cluster.pools["urban-beats"]
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    fill(dialog, "urban-beats", handle.url, handle.api_key, "demo", "not-the-password")
    dialog.sign_in()
    qtbot.waitUntil(lambda: dialog.signin_button.isEnabled(), timeout=20_000)
    assert "rejected the username or password" in dialog.status.text()


def test_test_connection_saves_nothing(
    qtbot: QtBot,
    crateq_home: Path,
    memory_keyring: MemoryKeyring,
    core: CoreLoop,
    demo_cluster: DemoCluster,
) -> None:
    handle = demo_cluster.pools["vj-vault"]
    dialog = AccountsDialog(Services(accounts=Accounts(), core=core))
    qtbot.addWidget(dialog)
    fill(dialog, "vj-vault", handle.url, handle.api_key, "dj2", "dj2")
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20_000)
    assert "The connection works." in dialog.status.text()
    assert load_settings().pools == []
    assert memory_keyring.entries == {}

    dialog.api_key.setText("wrong-key")
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20_000)
    assert "API key" in dialog.status.text()
