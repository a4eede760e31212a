"""The Accounts service: pools in settings.json, their secrets in the keyring only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import jwt
import keyring
import pytest
from keyring.backends import fail

from crateq.api.errors import ConfigError, KeyringUnavailable
from crateq.core import secrets
from crateq.core.accounts import Accounts, jwt_is_fresh, normalise_url
from crateq.core.secrets import SecretStore
from memory_keyring import MemoryKeyring


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def accounts(tmp_path: Path, ring: MemoryKeyring) -> Accounts:
    return Accounts(SecretStore(), settings_file=tmp_path / "settings.json")


def test_add_stores_config_in_settings_and_nothing_secret(
    accounts: Accounts, tmp_path: Path
) -> None:
    accounts.add("urban", "http://127.0.0.1:9/pool", "the-key", "demo")
    accounts.remember_password("urban", "s3cret-pw")
    [pool] = accounts.pools()
    assert (pool.name, pool.url, pool.api_key, pool.username) == (
        "urban", "http://127.0.0.1:9/pool/", "the-key", "demo",
    )  # fmt: skip
    assert pool.enabled
    assert "s3cret-pw" not in (tmp_path / "settings.json").read_text()
    assert accounts.has_password("urban")


def test_remove_forgets_the_pool_and_its_keyring_entries(
    accounts: Accounts, ring: MemoryKeyring
) -> None:
    accounts.add("urban", "http://127.0.0.1:9/", "k", "demo")
    accounts.add("club", "http://127.0.0.1:10/", "k", "demo")
    accounts.remember_password("urban", "pw")
    accounts.secrets.set(secrets.pool_jwt("urban"), "a.b.c")
    accounts.remember_password("club", "pw2")
    accounts.remove("urban")
    assert [p.name for p in accounts.pools()] == ["club"]
    assert set(ring.entries) == {("crateq", "pool/club/password")}
    with pytest.raises(ConfigError, match="No pool named 'urban'"):
        accounts.remove("urban")


def test_re_adding_with_another_username_drops_the_old_password(accounts: Accounts) -> None:
    accounts.add("urban", "http://127.0.0.1:9/", "k", "demo")
    accounts.remember_password("urban", "pw")
    accounts.set_enabled("urban", False)
    accounts.add("urban", "http://127.0.0.1:9/", "k2", "demo")
    assert accounts.has_password("urban")
    accounts.add("urban", "http://127.0.0.1:9/", "k2", "someone-else")
    assert not accounts.has_password("urban")
    [pool] = accounts.pools()
    assert (pool.api_key, pool.username, pool.enabled) == ("k2", "someone-else", False)


@pytest.mark.parametrize("name", ["", "a b", "a:b", "a/b", "-x", "x" * 41])
def test_unusable_pool_names_are_refused(accounts: Accounts, name: str) -> None:
    with pytest.raises(ConfigError, match="not a usable pool name"):
        accounts.add(name, "http://127.0.0.1:9/", "k", "demo")
    assert accounts.pools() == []


@pytest.mark.parametrize("url", ["", "ftp://x/", "127.0.0.1:9", "http://"])
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        normalise_url(url)


def test_enabled_pools_only_unless_named(accounts: Accounts) -> None:
    accounts.add("urban", "http://127.0.0.1:9/", "k", "demo")
    accounts.add("club", "http://127.0.0.1:10/", "k", "demo")
    accounts.set_enabled("club", False)
    assert list(accounts.clients()) == ["urban"]
    assert list(accounts.clients(["club", "club"])) == ["club"]
    with pytest.raises(ConfigError):
        accounts.clients(["nope"])


async def test_login_without_any_password_is_a_clear_config_error(accounts: Accounts) -> None:
    accounts.add("urban", "http://127.0.0.1:9/", "k", "demo")
    with pytest.raises(ConfigError, match="No password is stored for pool 'urban'"):
        await accounts.login("urban")


async def test_without_a_keyring_a_missing_password_points_to_password_stdin(
    tmp_path: Path,
) -> None:
    accounts = Accounts(SecretStore(fail.Keyring()), settings_file=tmp_path / "settings.json")
    accounts.add("urban", "http://127.0.0.1:9/", "k", "demo")
    with pytest.raises(KeyringUnavailable, match="--password-stdin"):
        await accounts.login("urban")
    client = accounts.client("urban")
    try:
        with pytest.raises(KeyringUnavailable):
            await client.login()  # the client asks the provider, which explains
    finally:
        await client.aclose()
    accounts.hold_password("urban", "pw")
    assert accounts.has_password("urban")
    assert (
        Accounts(
            SecretStore(fail.Keyring()), settings_file=tmp_path / "settings.json"
        ).has_password("urban")
        is False
    )


def test_jwt_freshness_reads_exp_without_trusting_the_signature() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    live = jwt.encode({"exp": int(now.timestamp()) + 60}, "x" * 32, algorithm="HS256")
    dead = jwt.encode({"exp": int(now.timestamp()) - 60}, "x" * 32, algorithm="HS256")
    assert jwt_is_fresh(live, now=now)
    assert not jwt_is_fresh(dead, now=now)
    assert jwt_is_fresh("opaque-token", now=now)
    assert not jwt_is_fresh(None) and not jwt_is_fresh("")
