"""User settings: one pydantic model saved as JSON in the config dir.

The file carries a ``version``; older files are brought forward by ordered migrations so a
setting is never silently lost. Secrets (passwords, JWTs, the crate API key) are never here:
they live in the OS keyring (see ``crateq.core.accounts``). The GUI and the CLI read the same
file. Window geometry and column layouts are kept by the UI separately.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crateq.api.errors import ConfigError
from crateq.core import paths
from crateq.core.errors import SettingsInvalid

SETTINGS_VERSION = 1
DEFAULT_CRATE_URL = "https://crate.hosaka.fm"


class PoolConfig(BaseModel):
    """A record pool the user signed up with; the password lives in the keyring."""

    model_config = ConfigDict(extra="ignore")

    name: str
    url: str
    api_key: str
    username: str
    enabled: bool = True


class CrateConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = DEFAULT_CRATE_URL


class DownloadSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    folder: str = ""  # empty: crateq.core.paths.default_download_dir()
    folder_template: str = "{pool}"
    file_template: str = "{artist} - {title}"
    per_pool_jobs: int = Field(3, ge=1, le=16)
    total_jobs: int = Field(6, ge=1, le=32)
    overwrite_tags: bool = False
    auto_download: bool = False
    auto_interval_seconds: int = Field(60, ge=10)
    remove_from_server_queue: bool = False
    read_timeout_seconds: float = Field(30.0, gt=0, le=600)  # silence before a retry

    def folder_path(self) -> Path:
        return Path(self.folder).expanduser() if self.folder else paths.default_download_dir()


class ExportSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    auto_playlist: bool = False  # add each finished download to <folder>/CrateQ.m3u8


class AnalysisSettings(BaseModel):
    """Analysis on arrival (the ``analysis`` extra): on unless turned off or not installed."""

    model_config = ConfigDict(extra="ignore")

    enabled: bool = True  # analyse each download when essentia is importable
    bpm: Literal["pool", "measured", "verified"] = "verified"  # what goes into TBPM
    key_in: Literal["none", "comment", "grouping"] = "none"  # Camelot code also there


class TagSettings(BaseModel):
    """How downloads are tagged: ``profile`` names the DJ software (see core.tag_profiles)."""

    model_config = ConfigDict(extra="ignore")

    profile: Literal["generic", "serato", "rekordbox", "traktor", "virtualdj"] = "generic"

    @field_validator("profile", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:  # Any: pydantic's raw input
        return value.strip().lower() if isinstance(value, str) else value


class SearchSettings(BaseModel):
    """``timeout_seconds``: how long a pool may take to answer one request (a search page,
    mostly) before its chip says it timed out; the other pools' results never wait for it.
    The pools' own search gives up after 30 s, so the default waits a little longer."""

    model_config = ConfigDict(extra="ignore")

    timeout_seconds: float = Field(45.0, ge=5.0, le=300.0)


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    theme: Literal["dark", "high-contrast", "large-text"] = "dark"
    widget_opacity: float = Field(0.95, ge=0.3, le=1.0)
    preview_device: str = ""  # empty: the system default output
    preview_volume: float = Field(0.8, ge=0.0, le=1.0)


class PreferSettings(BaseModel):
    """Which version of a song to take when several pools have it (see core.songs).

    ``tools`` and ``pools`` are ordered, best first; text such as ``"Intro,Extended"`` (what
    ``crateq config set`` passes) is split on commas.
    """

    model_config = ConfigDict(extra="ignore")

    advisory: Literal["dirty", "clean", "any"] = "any"
    tools: list[str] = Field(default_factory=list)
    pools: list[str] = Field(default_factory=list)
    media: Literal["audio", "video", "any"] = "any"

    @field_validator("tools", "pools", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:  # Any: pydantic's raw input, a string or a list
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return list(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
        return value

    @field_validator("advisory", "media", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:  # Any: pydantic's raw input
        return value.strip().lower() if isinstance(value, str) else value


class Settings(BaseModel):
    """Everything the user can set; the single source for GUI and CLI."""

    model_config = ConfigDict(extra="ignore")

    version: int = SETTINGS_VERSION
    pools: list[PoolConfig] = Field(default_factory=list)
    crate: CrateConfig = Field(default_factory=CrateConfig)
    downloads: DownloadSettings = Field(default_factory=DownloadSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    prefer: PreferSettings = Field(default_factory=PreferSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    tags: TagSettings = Field(default_factory=TagSettings)

    def pool(self, name: str) -> PoolConfig:
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise ConfigError(f"No pool named {name!r} is configured.", hint="See `crateq pool list`.")


# Ordered migrations: MIGRATIONS[n] turns a version-n dict into version n+1.
# Any: an older file's JSON, read key by key before pydantic validates it
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


# Settings that are secrets: set with `crateq config set-secret`, stored in the keyring only.
SECRET_KEYS: frozenset[str] = frozenset({"crate.api_key"})
# Top-level fields that `config set` must not touch (managed by `crateq pool …` / migrations).
_NOT_SETTABLE = frozenset({"version", "pools"})


def settable_keys() -> list[str]:
    """Every dotted key ``config set``/``config get`` accept, e.g. ``downloads.per_pool_jobs``."""
    keys: list[str] = []
    for section, field in Settings.model_fields.items():
        if section in _NOT_SETTABLE:
            continue
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            keys.extend(f"{section}.{name}" for name in model.model_fields)
        else:
            keys.append(section)
    return sorted(keys)


def _split_key(key: str) -> tuple[str, str]:
    if key in SECRET_KEYS:
        raise ConfigError(
            f"{key} is a secret.", hint=f"Store it with `crateq config set-secret {key}`."
        )
    if key not in settable_keys():
        raise ConfigError(
            f"Unknown setting {key!r}.", hint="Known settings: " + ", ".join(settable_keys())
        )
    section, _, name = key.partition(".")
    return section, name


def get_value(settings: Settings, key: str) -> object:
    """The value of a dotted key; ConfigError for an unknown key or a secret."""
    section, name = _split_key(key)
    value = getattr(settings, section)
    return getattr(value, name) if name else value


def set_value(settings: Settings, key: str, raw: str) -> Settings:
    """A copy of ``settings`` with one dotted key set from text, validated by the model.

    The text is coerced by pydantic ("3" -> 3, "true" -> True); a value the model rejects
    raises ConfigError with pydantic's reason, and ``settings`` itself is left untouched.
    """
    section, name = _split_key(key)
    data = settings.model_dump()
    if name:
        data[section][name] = raw
    else:
        data[section] = raw
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        reason = "; ".join(err["msg"] for err in exc.errors()) or "invalid value"
        raise ConfigError(f"Invalid value for {key}: {reason}.") from exc


def settings_path() -> Path:
    return paths.config_dir() / "settings.json"


def migrate(raw: dict[str, Any]) -> dict[str, Any]:  # Any: as MIGRATIONS'
    version = int(raw.get("version", 0) or 0)
    if version > SETTINGS_VERSION:
        raise SettingsInvalid(
            f"The settings file is from a newer CrateQ (version {version}).",
            hint="Update CrateQ Desktop.",
        )
    while version < SETTINGS_VERSION:
        step = MIGRATIONS.get(version)
        if step is not None:
            raw = step(raw)
        version += 1
        raw["version"] = version
    return raw


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing file gives defaults, a broken one :class:`SettingsInvalid`."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        return Settings.model_validate(migrate(raw))
    except (ValueError, ValidationError) as exc:
        raise SettingsInvalid(
            f"The settings file {path.name} cannot be read ({exc.__class__.__name__}).",
            hint="Fix or delete it to start from defaults.",
        ) from exc


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a settings file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = settings.model_dump_json(indent=2)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
