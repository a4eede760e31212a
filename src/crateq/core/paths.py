"""Where the app keeps its files.

With ``$CRATEQ_HOME`` set, every file of the app lives under that one folder (tests and
portable installs rely on it); otherwise platformdirs' standard per-user places are used.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "crateq"


def _home() -> Path | None:
    value = os.environ.get("CRATEQ_HOME")
    return Path(value).expanduser() if value else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    home = _home()
    return _ensure(home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME)))


def data_dir() -> Path:
    home = _home()
    return _ensure(home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME)))


def cache_dir() -> Path:
    home = _home()
    return _ensure(home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME)))


def log_dir() -> Path:
    home = _home()
    return _ensure(home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME)))


def default_download_dir() -> Path:
    """Downloads go to the user's music folder unless settings say otherwise."""
    home = _home()
    if home:
        return home / "downloads"
    return Path(platformdirs.user_music_dir()) / "CrateQ"
