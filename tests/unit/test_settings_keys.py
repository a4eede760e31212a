"""Dotted settings keys: what `crateq config set/get` rely on."""

import json

import pytest

from crateq.api.errors import ConfigError
from crateq.core.settings import (
    Settings,
    get_value,
    load_settings,
    save_settings,
    set_value,
    settable_keys,
)


def test_set_value_coerces_text_through_the_model() -> None:
    settings = set_value(Settings(), "downloads.per_pool_jobs", "5")
    assert settings.downloads.per_pool_jobs == 5
    settings = set_value(settings, "downloads.auto_download", "true")
    assert settings.downloads.auto_download is True
    assert get_value(settings, "downloads.per_pool_jobs") == 5


def test_set_value_leaves_the_original_untouched_on_a_bad_value() -> None:
    original = Settings()
    with pytest.raises(ConfigError, match="less than or equal to 16"):
        set_value(original, "downloads.per_pool_jobs", "99")
    with pytest.raises(ConfigError, match="high-contrast"):
        set_value(original, "ui.theme", "neon")
    assert original.downloads.per_pool_jobs == 3


@pytest.mark.parametrize("key", ["nope", "downloads", "downloads.nope", "version", "pools"])
def test_unknown_or_managed_keys_are_refused(key: str) -> None:
    with pytest.raises(ConfigError, match="Unknown setting"):
        set_value(Settings(), key, "1")


def test_secret_keys_are_refused_by_plain_set_and_get() -> None:
    with pytest.raises(ConfigError, match="set-secret"):
        set_value(Settings(), "crate.api_key", "k")
    with pytest.raises(ConfigError, match="secret"):
        get_value(Settings(), "crate.api_key")


def test_settable_keys_cover_every_section_field() -> None:
    keys = settable_keys()
    assert {"crate.url", "downloads.folder", "downloads.per_pool_jobs", "ui.theme"} <= set(keys)
    assert not any(k.startswith(("pools", "version")) for k in keys)


def test_saved_settings_round_trip(tmp_path) -> None:
    path = tmp_path / "settings.json"
    save_settings(set_value(Settings(), "crate.url", "https://crate.example"), path)
    assert json.loads(path.read_text())["crate"]["url"] == "https://crate.example"
    assert load_settings(path).crate.url == "https://crate.example"
