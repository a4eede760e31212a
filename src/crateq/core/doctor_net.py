"""The doctor's network checks: each pool's sign-in, the crate key, the clock.

A pool is checked by signing in with its stored password through ``Accounts``, exactly as
the app does; its answer (or the failure to get one) is the line, within ``limit``. Every
pool's answers pass through a transport that notes their ``Date`` header: the clock check
compares it with this machine's clock, which decides when a stored JWT counts as expired.
The crate key, when one is set, is tried on one cheap keyed request (one tastemaker).
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import time

import httpx

from crateq.api.crate import CrateClient
from crateq.api.pool import default_ssl_context
from crateq.core.accounts import Accounts
from crateq.core.doctor_check import Check
from crateq.core.errors import CrateError, CrateQError, PoolError
from crateq.core.secrets import SecretStore, config_secret
from crateq.core.settings import PoolConfig, Settings

#: Clock offsets (seconds) beyond which the clock check warns, and fails.
CLOCK_WARN, CLOCK_FAIL = 60.0, 600.0
CRATE_KEY_FIX = "Set it with: crateq config set-secret crate.api_key"


class DateRecorder(httpx.AsyncBaseTransport):
    """The pool client's usual transport, noting each answer's clock offset: local time
    (the middle of the exchange) minus the server's ``Date``."""

    def __init__(self) -> None:
        self._inner: httpx.AsyncHTTPTransport | None = None  # made on first use
        self.offsets: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._inner is None:
            self._inner = httpx.AsyncHTTPTransport(
                http2=True, retries=0, verify=default_ssl_context()
            )
        sent = time.time()
        response = await self._inner.handle_async_request(request)
        date = response.headers.get("date")
        if date:
            try:
                server = email.utils.parsedate_to_datetime(date).timestamp()
            except (TypeError, ValueError):
                return response
            # Date has whole seconds (truncated): the server's moment is half a second later
            self.offsets.append((sent + time.time()) / 2 - (server + 0.5))
        return response

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def _pool_failure(config: PoolConfig, exc: CrateQError) -> Check:
    name = config.name
    status = exc.status if isinstance(exc, PoolError) else None
    if status == 401:
        fix = f"Check the username ({config.username}) and password: crateq pool login {name}"
    elif status == 403:
        fix = f"Check the API key the pool gave you: crateq pool add {name} --api-key KEY ..."
    elif isinstance(exc, PoolError):
        fix = exc.hint or f"Check the pool's URL ({config.url}) and this machine's network."
    else:
        fix = exc.hint or f"Sign in again: crateq pool login {name}"
    return Check(f"pool {name}", "fail", exc.message, fix)


async def check_pool(
    config: PoolConfig, store: SecretStore, recorder: DateRecorder, limit: float
) -> Check:
    """Sign in to one pool with its stored password; the pool's own words on failure."""
    name = f"pool {config.name}"
    if not config.enabled:
        return Check(name, "ok", f"Disabled: not checked (crateq pool enable {config.name}).")
    accounts = Accounts(store, transport=recorder)
    try:
        result = await asyncio.wait_for(accounts.login(config.name), limit)
    except TimeoutError:
        return Check(
            name,
            "fail",
            f"{config.url} did not answer within {limit:g} s.",
            f"Check the pool's URL ({config.url}) and this machine's network.",
        )
    except CrateQError as exc:
        return _pool_failure(config, exc)
    except Exception as exc:  # a diagnosis reports the unexpected too, as this pool's line
        return Check(
            name,
            "fail",
            f"Signing in failed: {type(exc).__name__}: {exc}",
            "Please report this; the other checks are unaffected.",
        )
    status = result.status or "unknown"
    signed = f"Signed in at {config.url} as {config.username} (account status: {status})"
    if not result.can_download:
        said = f": {result.msg}" if result.msg else "."
        return Check(
            name,
            "warn",
            f"{signed}; every download will be refused{said}",
            "Renew or reactivate the account with the pool.",
        )
    return Check(name, "ok", f"{signed}.")


async def check_crate(settings: Settings, store: SecretStore, limit: float) -> Check:
    """The crate key is set and crate accepts it (one keyed request, no retries)."""
    key = os.environ.get("CRATEQ_CRATE_API_KEY") or store.get(config_secret("crate.api_key"))
    url = os.environ.get("CRATEQ_CRATE_URL") or settings.crate.url
    if not key:
        return Check(
            "crate key",
            "warn",
            "No crate API key is set: artist cards and discovery lists stay empty.",
            CRATE_KEY_FIX,
        )
    client = CrateClient(url, key, timeout=limit, max_retries=0, deadline=limit)
    try:
        await asyncio.wait_for(client.tastemakers(limit=1), limit)
    except TimeoutError:
        return Check(
            "crate key",
            "fail",
            f"crate ({url}) did not answer within {limit:g} s.",
            "Check crate.url (crateq config show) and this machine's network.",
        )
    except CrateQError as exc:
        status = exc.status if isinstance(exc, CrateError) else None
        if status in (401, 403):
            return Check(
                "crate key",
                "fail",
                f"crate refused the key: {exc.message}",
                CRATE_KEY_FIX + " (the key from your crate account).",
            )
        fix = exc.hint or "Check crate.url (crateq config show) and this machine's network."
        return Check("crate key", "fail", exc.message, fix)
    except Exception as exc:  # a diagnosis reports the unexpected too, as crate's line
        return Check(
            "crate key",
            "fail",
            f"The request failed: {type(exc).__name__}: {exc}",
            "Please report this; the other checks are unaffected.",
        )
    finally:
        await client.aclose()
    return Check("crate key", "ok", f"crate ({url}) accepts the key.")


def check_clock(offsets: list[float]) -> Check:
    """This machine's clock against the pools' (JWT expiry is judged on the local clock)."""
    if not offsets:
        return Check(
            "clock",
            "warn",
            "No pool answered with a Date header to compare with.",
            "Make sure the system clock is synchronised (NTP, e.g. timedatectl).",
        )
    offset = sorted(offsets)[len(offsets) // 2]
    ahead = f"{abs(offset):.0f} s {'ahead of' if offset > 0 else 'behind'} the pools' clocks"
    fix = "Synchronise the system clock (NTP: timedatectl set-ntp true, or the OS settings)."
    if abs(offset) > CLOCK_FAIL:
        return Check("clock", "fail", f"The clock is {ahead}: sign-ins expire wrongly.", fix)
    if abs(offset) > CLOCK_WARN:
        return Check("clock", "warn", f"The clock is {ahead}.", fix)
    return Check("clock", "ok", f"The clock agrees with the pools' (within {CLOCK_WARN:.0f} s).")


async def network_checks(settings: Settings, store: SecretStore, *, limit: float) -> list[Check]:
    """The pools (at once), then the crate key and the clock."""
    recorders = [DateRecorder() for _ in settings.pools]
    pools = [check_pool(p, store, r, limit) for p, r in zip(settings.pools, recorders, strict=True)]
    checks = list(await asyncio.gather(*pools, check_crate(settings, store, limit)))
    if not settings.pools:
        checks.insert(
            0,
            Check(
                "pools",
                "warn",
                "No pool is configured yet.",
                "Add one: crateq pool add NAME --url URL --api-key KEY --username USER",
            ),
        )
    offsets = [offset for recorder in recorders for offset in recorder.offsets]
    checks.append(check_clock(offsets))
    return checks
