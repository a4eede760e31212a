"""Demo accounts, API key, JWTs and the per-user, per-media download tokens.

Download tokens are ``<issued-at>.<hmac>`` over user, media and issue time: stateless, tied
to one user and one file, and expiring a fixed time after the listing that carried them.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

DEMO_API_KEY = "demo-key"


@dataclass(frozen=True)
class DemoAccount:
    """A login every demo pool accepts."""

    username: str
    password: str
    user_id: str
    status: str
    msg: str = ""
    country: str = "US"
    crateq: bool = False

    @property
    def can_download(self) -> bool:
        return self.crateq or self.status in ("current", "active", "pending")


RENEW_URL = "https://demo-pools.example/renew"

DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo", "demo", "1001", "active"),
    DemoAccount("dj2", "dj2", "1002", "current"),
    DemoAccount(
        "expired", "expired", "1003", "expired",
        msg=f"Your subscription is expired. Renew at {RENEW_URL}",
    ),
    DemoAccount("suspended", "suspended", "1004", "suspended", msg="Your account is suspended."),
    DemoAccount("denied", "denied", "1006", "denied", msg="Your application was denied."),
    DemoAccount("vip", "vip", "1005", "expired", msg="", crateq=True),
)  # fmt: skip
"""``demo``/``demo`` is the everyday account; ``expired``/``expired`` may search but every
download answers 403 (so do ``suspended`` and ``denied``); ``vip`` is expired but
``crateq: true`` overrides that; ``dj2`` is a second ordinary user."""


def find_account(username: str, password: str) -> DemoAccount | None:
    for account in DEMO_ACCOUNTS:
        if account.username == username and hmac.compare_digest(account.password, password):
            return account
    return None


def account_by_id(user_id: str) -> DemoAccount | None:
    return next((a for a in DEMO_ACCOUNTS if a.user_id == user_id), None)


def clock() -> float:
    """Seconds since the epoch, the one clock that signs links (tests freeze ``time`` here)."""
    return time.time()


class TokenAuthority:
    """Signs and checks this pool's JWTs, download tokens and preview tokens."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        # keyed once: a search page signs two tokens per row, copying beats re-keying
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def issue_jwt(self, account: DemoAccount, ttl_seconds: float) -> str:
        now = time.time()
        claims = {"sub": account.user_id, "name": account.username, "iat": int(now),
                  "exp": now + ttl_seconds}  # fmt: skip
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def user_of(self, token: str) -> DemoAccount | None:
        """The account a valid, unexpired JWT names; None otherwise."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], leeway=0)
        except jwt.PyJWTError:
            return None
        return account_by_id(str(claims.get("sub", "")))

    def _sign(self, *parts: object) -> str:
        mac = self._keyed.copy()
        mac.update(":".join(map(str, parts)).encode())
        return mac.hexdigest()[:32]

    def download_token(self, user_id: str, media_id: int, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        return f"{issued}.{self._sign('dl', user_id, media_id, issued)}"

    def download_tokens(self, user_id: str, now: float | None = None) -> Callable[[int], str]:
        """``media_id -> download_token(user_id, media_id, now)``, for a whole listing: what
        the tokens share is joined once, not once for each of a page's 100 tokens."""
        issued = int(now if now is not None else time.time())
        head, tail = f"dl:{user_id}:".encode(), f":{issued}".encode()
        keyed, prefix = self._keyed, f"{issued}."

        def token(media_id: int) -> str:
            mac = keyed.copy()
            mac.update(b"%s%d%s" % (head, media_id, tail))
            return prefix + mac.hexdigest()[:32]

        return token

    def download_token_valid(
        self, token: str, user_id: str, media_id: int, ttl_seconds: float
    ) -> bool:
        issued_text, _, signature = token.partition(".")
        if not issued_text.isdigit():
            return False
        expected = self._sign("dl", user_id, media_id, int(issued_text))
        if not hmac.compare_digest(signature, expected):
            return False
        return time.time() - int(issued_text) <= ttl_seconds

    def preview_token(self, media_id: int, version: int) -> str:
        return self._sign("preview", media_id, version)

    def preview_token_valid(self, token: str, media_id: int, version: int) -> bool:
        return hmac.compare_digest(token, self.preview_token(media_id, version))
