"""Secrets (pool passwords, pool JWTs, the crate API key) in the OS keyring — nowhere else.

Every entry lives under the keyring service ``crateq``; the keyring "username" names the
secret (see ``pool_password``, ``pool_jwt``, ``config_secret``). When the machine has no usable
keyring backend (``keyring.backends.fail.Keyring``, a locked or broken store), secrets can still
be handed in for one process (``--password-stdin``): they are then held in memory only and
never written anywhere — there is deliberately no plaintext fallback.
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from crateq.api.errors import KeyringUnavailable

SERVICE = "crateq"
log = logging.getLogger(__name__)

NO_KEYRING_HINT = (
    "Install or unlock a system keyring (Secret Service, KWallet, macOS Keychain or Windows "
    "Credential Locker); nothing is ever stored in plaintext instead."
)


def pool_password(pool: str) -> str:
    """Keyring entry of a pool account's password."""
    return f"pool/{pool}/password"


def pool_jwt(pool: str) -> str:
    """Keyring entry of a pool account's last JWT (reused until the pool rejects it)."""
    return f"pool/{pool}/jwt"


def config_secret(key: str) -> str:
    """Keyring entry of a secret setting such as ``crate.api_key``."""
    return f"config/{key}"


def _is_fail_backend(backend: KeyringBackend) -> bool:
    from keyring.backends import fail

    return isinstance(backend, fail.Keyring)


class SecretStore:
    """The app's view of the keyring, with an in-memory layer for keyring-less machines.

    Reads look in memory first (values handed in this run), then in the keyring. Writes go to
    the keyring; with ``remember_in_memory=True`` they fall back to memory when no keyring is
    usable, otherwise ``KeyringUnavailable`` is raised so the caller can tell the user.
    Nothing here ever logs a secret's value.
    """

    def __init__(self, backend: KeyringBackend | None = None, *, service: str = SERVICE) -> None:
        self._backend = backend
        self._service = service
        self._memory: dict[str, str] = {}

    @property
    def backend(self) -> KeyringBackend:
        # Looked up lazily so ``keyring.set_keyring`` (tests, embedding apps) is honoured.
        return self._backend if self._backend is not None else keyring.get_keyring()

    @property
    def available(self) -> bool:
        """True when a real keyring backend is configured (it may still fail on use)."""
        try:
            return not _is_fail_backend(self.backend)
        except Exception:  # a backend whose import/probe explodes is not usable
            return False

    def get(self, name: str) -> str | None:
        if name in self._memory:
            return self._memory[name]
        if not self.available:
            return None
        try:
            return self.backend.get_password(self._service, name)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read of %s failed: %s", name, exc.__class__.__name__)
            return None

    def set(self, name: str, value: str, *, remember_in_memory: bool = False) -> bool:
        """Store a secret; True when it reached the keyring, False when kept in memory only."""
        if self.available:
            try:
                self.backend.set_password(self._service, name, value)
                self._memory.pop(name, None)
                return True
            except keyring.errors.KeyringError as exc:
                log.warning("keyring write of %s failed: %s", name, exc.__class__.__name__)
                if not remember_in_memory:
                    raise KeyringUnavailable(
                        f"The system keyring refused to store the secret ({exc}).",
                        hint=NO_KEYRING_HINT,
                    ) from exc
        elif not remember_in_memory:
            raise KeyringUnavailable("No usable system keyring was found.", hint=NO_KEYRING_HINT)
        self._memory[name] = value
        return False

    def hold(self, name: str, value: str) -> None:
        """Keep a secret for this process only (``--password-stdin``), never persisted."""
        self._memory[name] = value

    def delete(self, name: str) -> None:
        """Forget a secret everywhere; a missing entry or a missing keyring is fine."""
        self._memory.pop(name, None)
        if not self.available:
            return
        try:
            self.backend.delete_password(self._service, name)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            log.warning("keyring delete of %s failed: %s", name, exc.__class__.__name__)
