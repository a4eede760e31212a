"""A real keyring backend that keeps entries in a dict: the tests' stand-in for the OS store.

It implements the whole ``KeyringBackend`` contract (get/set/delete, PasswordDeleteError on a
missing entry) so the code under test talks to it exactly as to Secret Service or Keychain.
Install it with ``keyring.set_keyring(MemoryKeyring())``.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError(f"no entry {username!r}")
        del self.entries[(service, username)]
