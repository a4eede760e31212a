"""`crateq config`: dotted keys validated by the settings model; secrets in the keyring only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail

from cli_harness import CliHarness, using_keyring
from crateq.core.settings import load_settings
from memory_keyring import MemoryKeyring


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    with using_keyring(MemoryKeyring()) as backend:
        yield backend  # type: ignore[misc]


@pytest.fixture
def cli(crateq_home: Path, ring: MemoryKeyring) -> CliHarness:
    return CliHarness(crateq_home)


def test_set_then_get_round_trips_through_settings_json(cli: CliHarness) -> None:
    assert cli("config", "set", "downloads.per_pool_jobs", "5").exit_code == 0
    assert cli("config", "set", "crate.url", "https://crate.example").exit_code == 0
    assert cli("config", "set", "downloads.folder", str(cli.home / "music")).exit_code == 0
    assert cli("config", "get", "downloads.per_pool_jobs").stdout == "5\n"
    settings = load_settings()
    assert settings.downloads.per_pool_jobs == 5
    assert settings.crate.url == "https://crate.example"
    assert settings.downloads.folder_path() == cli.home / "music"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("downloads.nope", "1", "Unknown setting 'downloads.nope'"),
        ("pools", "[]", "Unknown setting 'pools'"),
        ("downloads.per_pool_jobs", "many", "valid integer"),
        ("downloads.per_pool_jobs", "0", "greater than or equal to 1"),
        ("ui.theme", "neon", "'dark', 'high-contrast' or 'large-text'"),
        ("crate.api_key", "k", "set-secret"),
    ],
)
def test_bad_keys_and_values_exit_2_and_change_nothing(
    cli: CliHarness, key: str, value: str, message: str
) -> None:
    result = cli("config", "set", key, value)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (cli.home / "config" / "settings.json").exists()


def test_get_of_an_unknown_key_exits_2(cli: CliHarness) -> None:
    result = cli("config", "get", "nope")
    assert result.exit_code == 2
    assert "Unknown setting" in result.stderr


def test_set_secret_reads_stdin_and_stores_in_the_keyring_only(
    cli: CliHarness, ring: MemoryKeyring
) -> None:
    result = cli("config", "set-secret", "crate.api_key", input="crate-secret-123\n")
    assert result.exit_code == 0, result.stderr
    assert ring.entries[("crateq", "config/crate.api_key")] == "crate-secret-123"
    shown = cli("config", "show")
    as_json = cli.json("config", "show")
    assert as_json["secrets"] == {"crate.api_key": True}
    assert as_json["settings"]["downloads.per_pool_jobs"] == 3
    for output in (result.stdout, shown.stdout, json.dumps(as_json), cli.files_text()):
        assert "crate-secret-123" not in output
    assert "(set in keyring)" in shown.stdout


def test_set_secret_refuses_a_key_that_is_not_secret(cli: CliHarness) -> None:
    result = cli("config", "set-secret", "crate.url", input="x\n")
    assert result.exit_code == 2
    assert "not a secret setting" in result.stderr


def test_set_secret_without_a_keyring_fails_and_writes_nothing(crateq_home: Path) -> None:
    cli = CliHarness(crateq_home)
    with using_keyring(fail.Keyring()):
        result = cli("config", "set-secret", "crate.api_key", input="crate-secret-123\n")
    assert result.exit_code == 1
    assert "No usable system keyring" in result.stderr
    assert "crate-secret-123" not in cli.files_text()
