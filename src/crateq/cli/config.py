"""`crateq config …`: read and change settings by dotted key; secrets go to the keyring.

``config set`` validates through the Settings model (exit 2 on an unknown key or a value the
model rejects, with nothing written). ``config set-secret`` stores a secret setting such as
``crate.api_key`` in the keyring under ``config/<key>`` and never in settings.json.
``config show`` prints every setting, and for secrets only whether one is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from crateq.api.errors import ConfigError
from crateq.cli._common import cli_errors, print_json, print_table, read_secret

# The settings model (pydantic) and the keyring load when a command runs, not for --help.
if TYPE_CHECKING:
    from crateq.core.secrets import SecretStore


@click.group("config")
def command() -> None:
    """Show and change settings (secrets live in the system keyring)."""


def _secret_states(store: SecretStore) -> dict[str, bool]:
    from crateq.core import secrets
    from crateq.core.settings import SECRET_KEYS

    return {key: store.get(secrets.config_secret(key)) is not None for key in sorted(SECRET_KEYS)}


@command.command("set")
@click.argument("key")
@click.argument("value")
@cli_errors
def set_(key: str, value: str) -> None:
    """Set KEY (e.g. downloads.folder, prefer.tools Intro,Extended, tags.profile serato)."""
    from crateq.core.settings import get_value, load_settings, save_settings, set_value

    settings = load_settings()
    try:
        updated = set_value(settings, key, value)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    save_settings(updated)
    click.echo(f"{key} = {_show(get_value(updated, key))}")


@command.command("get")
@click.argument("key")
@cli_errors
def get(key: str) -> None:
    """Print the value of KEY."""
    from crateq.core.settings import get_value, load_settings

    try:
        value = get_value(load_settings(), key)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(_show(value))


@command.command("set-secret")
@click.argument("key")
@cli_errors
def set_secret(key: str) -> None:
    """Store secret KEY (e.g. crate.api_key) in the keyring; the value is read from stdin
    when it is not a terminal, else from a hidden prompt."""
    from crateq.core import secrets
    from crateq.core.secrets import SecretStore
    from crateq.core.settings import SECRET_KEYS

    if key not in SECRET_KEYS:
        raise click.UsageError(
            f"{key!r} is not a secret setting. Secret settings: {', '.join(sorted(SECRET_KEYS))}."
        )
    value = read_secret(f"{key}", from_stdin=False, stdin_when_piped=True).strip()
    SecretStore().set(secrets.config_secret(key), value)
    click.echo(f"{key} stored in the system keyring.")


@command.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@cli_errors
def show(as_json: bool) -> None:
    """Print every setting (secrets only as set / not set)."""
    from crateq.core.secrets import SecretStore
    from crateq.core.settings import get_value, load_settings, settable_keys

    settings = load_settings()
    values = {key: get_value(settings, key) for key in settable_keys()}
    states = _secret_states(SecretStore())
    if as_json:
        print_json(
            {"settings": values, "secrets": states, "pools": [p.name for p in settings.pools]}
        )
        return
    rows: list[tuple[str, str]] = [(key, _show(value)) for key, value in values.items()]
    rows += [(key, "(set in keyring)" if ok else "(not set)") for key, ok in states.items()]
    print_table(("Setting", "Value"), rows)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # prefer.tools, prefer.pools: as `config set` takes them
        return ",".join(str(item) for item in value)
    return str(value)
