"""Record-pool accounts: which pools the user has, and the credentials to reach them.

A pool is configured by name in the settings file (base URL, API key, username, enabled);
its password and its last JWT live in the OS keyring only (``crateq.core.secrets``), under
the entries ``pool/<name>/password`` and ``pool/<name>/jwt`` of the service ``crateq``.
``Accounts`` is the one place that joins the two: it hands out ``PoolClient`` objects that
reuse a stored JWT, fetch the password from the keyring only when the pool asks for a new
login, and store every new JWT they receive. Settings are re-read before each change so the
GUI and a CLI command running side by side do not overwrite each other's pools.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

import httpx

from crateq.api.errors import ConfigError, KeyringUnavailable
from crateq.api.pool import PoolClient
from crateq.api.pool_models import LoginResult
from crateq.api.pool_wire import timeout_for
from crateq.core import secrets
from crateq.core.secrets import SecretStore
from crateq.core.settings import PoolConfig, Settings, load_settings, save_settings

# A pool name is part of every ``POOL:ID`` and of keyring entry names: keep it plain.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def validate_pool_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"{name!r} is not a usable pool name.",
            hint="Use 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit.",
        )
    return name


def normalise_url(url: str) -> str:
    """Base URLs end with '/' so relative API paths join under them, never beside them."""
    url = url.strip()
    parsed = httpx.URL(url) if url else None
    if parsed is None or parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ConfigError(f"{url!r} is not an http(s) URL.", hint="e.g. https://api.my-pool.com/")
    return url if url.endswith("/") else url + "/"


def insecure_url_warning(url: str) -> str | None:
    """The warning for a plain ``http://`` pool or crate URL, None for https.

    Over http the password, the JWT, the API key and every download token cross the
    network readable by anyone on it (hotel or club wifi); only a server on this machine is
    safe that way, so a loopback host (``localhost``, 127.x, ::1: the demo pools) is not
    warned about.
    """
    if not url.strip().lower().startswith("http://"):
        return None
    host = httpx.URL(url.strip()).host
    if host == "localhost" or host.startswith("127.") or host == "::1":
        return None
    return (
        f"{url.strip()} is plain http://: the password, the API key and download tokens "
        "travel unencrypted. Use https:// unless the server runs on this machine."
    )


def jwt_is_fresh(token: str | None, *, now: dt.datetime | None = None) -> bool:
    """True for a token whose ``exp`` (when it carries one) is still ahead.

    The signature is not checked: only the pool can do that, and it answers 401 when the
    token is bad, which the client handles by logging in again.
    """
    if not token:
        return False
    claims = _jwt_claims(token)
    if claims is None:
        return True  # opaque token: let the pool judge it
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        return True
    moment = now or dt.datetime.now(dt.UTC)
    return float(exp) > moment.timestamp()


def _jwt_claims(token: str) -> dict[str, object] | None:
    """A JWT's payload, unverified, or None when ``token`` is no JWT. Read with the standard
    library: PyJWT would import ``cryptography`` (~0.15 s) for a command that only needs
    ``exp``."""
    import base64
    import binascii
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return claims if isinstance(header, dict) and isinstance(claims, dict) else None


class Accounts:
    """Pools + credentials; everything it needs is passed in (no globals, no singletons).

    ``settings_file`` defaults to the config dir's settings.json; ``transport`` is handed to
    every PoolClient (tests use it for wire quirks; normally None).
    """

    def __init__(
        self,
        secret_store: SecretStore | None = None,
        *,
        settings_file: Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.secrets = secret_store or SecretStore()
        self._settings_file = settings_file
        self._transport = transport

    # -- configuration -------------------------------------------------------------------

    @property
    def keyring_available(self) -> bool:
        return self.secrets.available

    def settings(self) -> Settings:
        return load_settings(self._settings_file)

    def pools(self) -> list[PoolConfig]:
        return list(self.settings().pools)

    def pool(self, name: str) -> PoolConfig:
        return self.settings().pool(name)

    def add(self, name: str, url: str, api_key: str, username: str) -> PoolConfig:
        """Add a pool, or update the one of that name (its old JWT is dropped).

        A changed username also drops the stored password: it belonged to another account.
        """
        validate_pool_name(name)
        if not api_key.strip():
            raise ConfigError("The API key is empty.", hint="Ask the pool for your API key.")
        if not username.strip():
            raise ConfigError("The username is empty.")
        config = PoolConfig(
            name=name, url=normalise_url(url), api_key=api_key.strip(), username=username.strip()
        )
        settings = self.settings()
        old = next((p for p in settings.pools if p.name == name), None)
        if old is not None:
            config.enabled = old.enabled
            if old.username != config.username:
                self.secrets.delete(secrets.pool_password(name))
        settings.pools = [p for p in settings.pools if p.name != name] + [config]
        save_settings(settings, self._settings_file)
        self.secrets.delete(secrets.pool_jwt(name))
        return config

    def remove(self, name: str) -> None:
        """Forget a pool and its keyring entries (password and JWT)."""
        settings = self.settings()
        settings.pool(name)  # ConfigError when unknown
        settings.pools = [p for p in settings.pools if p.name != name]
        save_settings(settings, self._settings_file)
        self.forget_credentials(name)

    def set_enabled(self, name: str, enabled: bool) -> None:
        settings = self.settings()
        settings.pool(name).enabled = enabled
        save_settings(settings, self._settings_file)

    # -- credentials ---------------------------------------------------------------------

    def forget_credentials(self, name: str) -> None:
        self.secrets.delete(secrets.pool_password(name))
        self.secrets.delete(secrets.pool_jwt(name))

    def hold_password(self, name: str, password: str) -> None:
        """Use this password for this process only (``--password-stdin``); never stored."""
        self.secrets.hold(secrets.pool_password(name), password)

    def remember_password(self, name: str, password: str) -> bool:
        """Store in the keyring; False when no keyring is usable (kept in memory only)."""
        return self.secrets.set(secrets.pool_password(name), password, remember_in_memory=True)

    def _no_password(self, name: str) -> ConfigError:
        if not self.keyring_available:
            return KeyringUnavailable(
                f"No usable system keyring holds the password of pool {name!r}.",
                hint="Pass it with --password-stdin, or install a system keyring.",
            )
        return ConfigError(
            f"No password is stored for pool {name!r}.",
            hint=f"Run `crateq pool login {name}` (or pass --password-stdin).",
        )

    def has_password(self, name: str) -> bool:
        return self.secrets.get(secrets.pool_password(name)) is not None

    def signed_in(self, name: str) -> bool:
        """A stored JWT that has not expired (the pool may still reject it)."""
        return jwt_is_fresh(self.secrets.get(secrets.pool_jwt(name)))

    # -- clients -------------------------------------------------------------------------

    def client(self, name: str) -> PoolClient:
        """A new client for one pool; the caller closes it (``await client.aclose()``)."""
        return self._client_for(self.pool(name))

    def clients(self, names: Iterable[str] | None = None) -> dict[str, PoolClient]:
        """Clients for the named pools, or for every enabled pool when ``names`` is None.

        Named pools are used even when disabled (the user asked for them explicitly).
        """
        settings = self.settings()
        if names is None:
            chosen = [p for p in settings.pools if p.enabled]
        else:
            chosen = [settings.pool(n) for n in dict.fromkeys(names)]
        return {p.name: self._client_for(p, settings) for p in chosen}

    def _client_for(self, config: PoolConfig, settings: Settings | None = None) -> PoolClient:
        """A client of ``config``'s pool, waiting ``search.timeout_seconds`` for answers."""
        name = config.name
        wait = (settings or self.settings()).search.timeout_seconds
        store = self.secrets

        async def password_provider() -> str | None:
            password = store.get(secrets.pool_password(name))
            if password is None:
                raise self._no_password(name)
            return password

        def on_token(token: str) -> None:
            store.set(secrets.pool_jwt(name), token, remember_in_memory=True)

        token = store.get(secrets.pool_jwt(name))
        return PoolClient(
            name,
            config.url,
            config.api_key,
            username=config.username,
            password_provider=password_provider,
            token=token if jwt_is_fresh(token) else None,
            on_token=on_token,
            transport=self._transport,
            timeout=timeout_for(wait),
        )

    async def login(self, name: str, password: str | None = None) -> LoginResult:
        """Log in now and return the pool's answer (status and the ``msg`` to show).

        With ``password`` given it is tried first and, when the pool accepts it, stored in
        the keyring (in memory only when there is none). Without it the stored password is
        used. Wrong credentials raise ``PoolAuthError``; nothing is stored then.
        """
        config = self.pool(name)
        if password is None and not self.has_password(name):
            raise self._no_password(name)
        client = self._client_for(config)
        try:
            result = await client.login(password)
        finally:
            await client.aclose()
        if password is not None:
            self.remember_password(name, password)
        return result
