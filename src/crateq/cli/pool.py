"""`crateq pool …`: the record pools the user has accounts with.

The URL, API key and username go to settings.json; the password and the JWT only to the
keyring (``pool/<name>/password``, ``pool/<name>/jwt``). Passwords come from stdin
(``--password-stdin``) or a hidden prompt on a terminal — never from argv.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from crateq.api.errors import CrateQError
from crateq.cli._common import (
    cli_errors,
    error,
    make_accounts,
    print_json,
    print_table,
    read_secret,
    run,
    warn,
)

if TYPE_CHECKING:  # the accounts service (httpx, pydantic, keyring) loads when a command runs
    from crateq.api.pool_models import LoginResult
    from crateq.core.accounts import Accounts

_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


@click.group("pool")
def command() -> None:
    """Add, list, sign in to and remove record pools."""


def _report_login(accounts: Accounts, name: str, result: LoginResult) -> None:
    status = result.status or "unknown"
    click.echo(f"{name}: signed in as {accounts.pool(name).username} (account status: {status}).")
    if result.msg:
        click.echo(f"{name}: {result.msg}")
    if not result.can_download:
        warn(f"{name}: this account can search but every download will be refused.")
    if not accounts.keyring_available:
        warn(
            "no usable system keyring: the password was used for this command only and not "
            "stored. Pass it again with --password-stdin."
        )


@command.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The pool's API base URL.")
@click.option("--api-key", required=True, help="The API key the pool gave you.")
@click.option("--username", required=True, help="Your username at the pool.")
@_PASSWORD_STDIN
@cli_errors
def add(name: str, url: str, api_key: str, username: str, password_stdin: bool) -> None:
    """Add pool NAME (or update it); with --password-stdin also sign in to check it."""
    from crateq.core.accounts import insecure_url_warning

    accounts = make_accounts()
    config = accounts.add(name, url, api_key, username)
    click.echo(f"Pool {name} saved.")
    insecure = insecure_url_warning(config.url)
    if insecure:
        warn(f"{name}: {insecure}")
    if not password_stdin:
        if sys.stdin.isatty():
            click.echo(f"Sign in with `crateq pool login {name}`.")
        return
    password = read_secret("Password", from_stdin=True)
    try:
        result = run(accounts.login(name, password))
    except CrateQError as exc:
        error(f"{name}: signing in failed: {exc}")
        sys.exit(1)
    _report_login(accounts, name, result)


@command.command("login")
@click.argument("name")
@_PASSWORD_STDIN
@cli_errors
def login(name: str, password_stdin: bool) -> None:
    """Sign in to pool NAME and store the password in the system keyring."""
    accounts = make_accounts()
    accounts.pool(name)  # an unknown pool fails before asking for a password
    password = read_secret(f"Password for {name}", from_stdin=password_stdin)
    _report_login(accounts, name, run(accounts.login(name, password)))


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@cli_errors
def list_(as_json: bool) -> None:
    """List the configured pools (never any secret)."""
    accounts = make_accounts()
    pools = [
        {
            "name": p.name,
            "url": p.url,
            "username": p.username,
            "enabled": p.enabled,
            "signed_in": accounts.signed_in(p.name),
            "password_stored": accounts.has_password(p.name),
        }
        for p in accounts.pools()
    ]
    if as_json:
        print_json({"pools": pools, "keyring": accounts.keyring_available})
        return
    if not pools:
        click.echo("No pools yet. Add one with `crateq pool add`.")
        return
    yes_no = {True: "yes", False: "no"}
    print_table(
        ("Name", "URL", "Username", "Enabled", "Signed in", "Password stored"),
        (
            (
                p["name"],
                p["url"],
                p["username"],
                yes_no[bool(p["enabled"])],
                yes_no[bool(p["signed_in"])],
                yes_no[bool(p["password_stored"])],
            )
            for p in pools
        ),
    )
    if not accounts.keyring_available:
        warn("no usable system keyring: passwords cannot be stored (use --password-stdin).")


@command.command("remove")
@click.argument("name")
@cli_errors
def remove(name: str) -> None:
    """Remove pool NAME and its keyring entries."""
    make_accounts().remove(name)
    click.echo(f"Pool {name} removed.")


@command.command("enable")
@click.argument("name")
@cli_errors
def enable(name: str) -> None:
    """Include pool NAME in searches and queue listings again."""
    make_accounts().set_enabled(name, True)
    click.echo(f"Pool {name} enabled.")


@command.command("disable")
@click.argument("name")
@cli_errors
def disable(name: str) -> None:
    """Leave pool NAME out unless it is named with --pool."""
    make_accounts().set_enabled(name, False)
    click.echo(f"Pool {name} disabled.")
