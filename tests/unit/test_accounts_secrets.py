"""Secrets live in the keyring (service ``crateq``) or, without one, in memory only."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

from crateq.api.errors import KeyringUnavailable
from crateq.core import secrets
from crateq.core.secrets import SecretStore
from memory_keyring import MemoryKeyring


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_entry_names_are_stable() -> None:
    assert secrets.SERVICE == "crateq"
    assert secrets.pool_password("demo-a") == "pool/demo-a/password"
    assert secrets.pool_jwt("demo-a") == "pool/demo-a/jwt"
    assert secrets.config_secret("crate.api_key") == "config/crate.api_key"


def test_set_get_delete_go_through_the_configured_backend(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    assert store.available
    assert store.set("pool/a/password", "hunter2") is True
    assert memory_keyring.entries[("crateq", "pool/a/password")] == "hunter2"
    assert SecretStore().get("pool/a/password") == "hunter2"  # another store sees it
    store.delete("pool/a/password")
    store.delete("pool/a/password")  # deleting twice is fine
    assert store.get("pool/a/password") is None
    assert memory_keyring.entries == {}


def test_without_a_keyring_a_write_is_refused_with_a_clear_message(no_keyring: None) -> None:
    store = SecretStore()
    assert not store.available
    with pytest.raises(KeyringUnavailable, match="No usable system keyring"):
        store.set("config/crate.api_key", "k")
    assert store.get("config/crate.api_key") is None


def test_without_a_keyring_memory_holds_the_secret_for_this_process_only(
    no_keyring: None,
) -> None:
    store = SecretStore()
    assert store.set("pool/a/jwt", "tok", remember_in_memory=True) is False
    store.hold("pool/a/password", "pw")
    assert store.get("pool/a/jwt") == "tok"
    assert store.get("pool/a/password") == "pw"
    assert SecretStore().get("pool/a/password") is None  # nothing persisted anywhere
    store.delete("pool/a/password")
    assert store.get("pool/a/password") is None
