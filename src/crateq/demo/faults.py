"""Fault switches: the misbehaviour of real pools, turned on per pool by tests at runtime.

The app reads the handle's :class:`PoolFaults` on every request, so a test flips a field
and the very next request sees it; ``reset()`` restores well-behaved defaults.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields

DEFAULT_JWT_TTL_SECONDS = 3600.0
DEFAULT_DOWNLOAD_TOKEN_TTL_SECONDS = 900.0
#: A response delay range in milliseconds: (low, high).
Latency = tuple[float, float]


@dataclass
class PoolFaults:
    """Switches one demo pool reads per request (all off by default)."""

    jwt_ttl_seconds: float = DEFAULT_JWT_TTL_SECONDS
    """Lifetime of JWTs issued from now on."""
    download_token_ttl_seconds: float = DEFAULT_DOWNLOAD_TOKEN_TTL_SECONDS
    """How long a row's ``auth`` stays valid (checked at download time)."""
    drop_connection_after_bytes: int | None = None
    """Abort download/preview bodies after this many body bytes (connection closed)."""
    drop_connection_random_seed: int | None = None
    """Abort every download/preview body at a random offset drawn from this seed."""
    ignore_range: bool = False
    """Answer Range requests with 200 and the whole file."""
    rate_limit: int | None = None
    """Requests per second allowed; beyond it 429 with ``Retry-After``."""
    retry_after_seconds: int = 1
    search_timeout_after_seconds: float | None = None
    """Media searches wait this long, then answer 200 with ``[]`` (the timeout quirk)."""
    slow_bytes_per_second: int | None = None
    """Throttle download/preview bodies to this rate."""
    fail_with_status: int | None = None
    """Answer every request with this status and the JSON error body."""
    html_error_page: bool = False
    """Answer every request with 502 and an HTML page (a proxy in front of a dead pool)."""
    chunked: bool = False
    """Omit Content-Length on downloads (chunked transfer encoding)."""
    opaque_etag: bool = False
    """Send an ETag that is a version tag, not the file's SHA-256 (as most real pools do)."""
    corrupt_body_at: int | None = None
    """Flip the bits of the file's byte at this offset in every body (length unchanged)."""
    page_gate: threading.Event | None = None
    """Media searches past page 1 wait until this event is set (a test holds later pages)."""
    latency: Latency | None = None
    """Delay every response by a draw from this range of milliseconds (a far-away pool)."""
    latency_seed: int = 0
    """Seed of the latency draws: the same seed gives the same delays in the same order."""
    _rng: random.Random | None = field(default=None, repr=False, compare=False)
    _latency_rng: random.Random | None = field(default=None, repr=False, compare=False)

    def reset(self) -> None:
        for item in fields(self):
            if not item.name.startswith("_"):
                setattr(self, item.name, item.default)
        self._rng = self._latency_rng = None

    def response_delay(self) -> float:
        """Seconds to wait before this response: 0 without ``latency``, else a seeded draw
        from its range (uniform, so successive answers jitter like a distant server's)."""
        if self.latency is None:
            return 0.0
        if self._latency_rng is None:
            self._latency_rng = random.Random(self.latency_seed)
        low, high = self.latency
        return self._latency_rng.uniform(low, high) / 1000

    def drop_offset(self, body_length: int) -> int | None:
        """Where to cut a body of ``body_length`` bytes, or None to send it whole."""
        if self.drop_connection_after_bytes is not None:
            return self.drop_connection_after_bytes
        if self.drop_connection_random_seed is not None and body_length > 1:
            if self._rng is None:
                self._rng = random.Random(self.drop_connection_random_seed)
            return self._rng.randrange(1, body_length)
        return None


def parse_latency(text: str) -> Latency:
    """``"80-250"`` or ``"120"`` (milliseconds) as a (low, high) range; ValueError otherwise."""
    low, sep, high = text.partition("-")
    values = (float(low), float(high) if sep else float(low))  # ValueError when not numbers
    if not 0 <= values[0] <= values[1]:
        raise ValueError(f"{text!r} is not a latency range in ms such as 80-250")
    return values


class RateLimiter:
    """Sliding one-second window over a pool's requests."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def allow(self, per_second: int) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._times and now - self._times[0] >= 1.0:
                self._times.popleft()
            if len(self._times) >= per_second:
                return False
            self._times.append(now)
            return True
