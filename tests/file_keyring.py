"""A real keyring backend that keeps its entries in a JSON file: the tests' stand-in for the
OS store when a password must outlive a process (a GUI killed and started again) or several
processes share it (the real `crateq` command run as subprocesses).

A subprocess gets it with ``PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring`` (the ``tests``
folder on its ``PYTHONPATH``) and ``CRATEQ_TEST_KEYRING=<file>``; a test installs
``FileKeyring(path)`` with ``keyring.set_keyring``. The file lives in the test's temporary
folder, never under ``$CRATEQ_HOME`` (whose files must hold no secret).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

ENV = "CRATEQ_TEST_KEYRING"


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        """Viable only where a test names its file (keyring's detection never picks it in
        the test process; a backend that is not viable raises here)."""
        if ENV not in os.environ:
            raise RuntimeError(f"FileKeyring needs {ENV}")
        return 1

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = path or Path(os.environ[ENV])

    def _entries(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in loaded.items()}

    def _save(self, entries: dict[str, str]) -> None:
        temporary = self.path.with_name(self.path.name + ".new")
        temporary.write_text(json.dumps(entries), encoding="utf-8")
        temporary.replace(self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._save({**self._entries(), f"{service}\n{username}": password})

    def delete_password(self, service: str, username: str) -> None:
        entries = self._entries()
        if entries.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError(f"no entry {username!r}")
        self._save(entries)
