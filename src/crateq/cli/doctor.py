"""`crateq doctor`: check this machine's setup, one line a check, each with its fix.

The checks live in the core (``crateq.core.doctor``); this prints them (``--json``: one
document) and exits 1 when one failed, 0 otherwise (warnings included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from crateq.cli._common import cli_errors, print_json

if TYPE_CHECKING:  # the checks (httpx, keyring, pydantic) load when the command runs
    from crateq.core.doctor import Check

_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def _line(check: Check) -> str:
    fix = f" Fix: {check.fix}" if check.fix and check.status != "ok" else ""
    return f"{_MARK[check.status]}  {check.name}: {check.message}{fix}"


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Sign in to pools that have no stored password with the first line of stdin.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.5, 120),
    default=10.0,
    show_default=True,
    help="Seconds to wait for each pool and for crate.",
)
@cli_errors
def command(as_json: bool, password_stdin: bool, timeout: float) -> None:
    """Check the keyring, Qt, folders, disk space, pools, the crate key and the clock."""
    from crateq.cli._common import hold_stdin_password, make_accounts
    from crateq.core.doctor import any_failed, run_checks

    accounts = make_accounts()
    if password_stdin:
        hold_stdin_password(accounts, [p.name for p in accounts.pools()])
    checks = run_checks(accounts.secrets, timeout=timeout)
    failed = any_failed(checks)
    if as_json:
        print_json({"ok": not failed, "checks": [check.to_json() for check in checks]})
    else:
        for check in checks:
            click.echo(_line(check))
    raise SystemExit(1 if failed else 0)
