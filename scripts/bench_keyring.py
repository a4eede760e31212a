"""A keyring backend in one JSON file under ``$CRATEQ_HOME``, for benchmark child processes
only: a machine without a system keyring still caches the pool's session token between runs,
as a DJ's desktop does. Select it with ``PYTHON_KEYRING_BACKEND=bench_keyring.FileKeyring``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


def _path() -> Path:
    return Path(os.environ["CRATEQ_HOME"]) / "bench-keyring.json"


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]  # keyring declares it a classproperty

    def _load(self) -> dict[str, str]:
        try:
            entries: dict[str, str] = json.loads(_path().read_text())
        except FileNotFoundError:
            return {}
        return entries

    def _save(self, entries: dict[str, str]) -> None:
        _path().parent.mkdir(parents=True, exist_ok=True)
        _path().write_text(json.dumps(entries))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}\0{username}"] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(entries)
