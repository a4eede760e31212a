"""`crateq queue …`: each pool's server-side download queue (shared with its web site).

The pool's UpdateQueue call toggles, so ``queue add`` never sends it for a track that is
already queued and ``queue remove`` never for one that is not (``PoolClient.queue_add`` /
``queue_remove`` check the queue first; this module also reads the queue once per pool so it
can say which tracks were already where the user wanted them).

There is no look-up by mediaId, and UpdateQueue needs only the row's ``mediaId`` and
``source``; so ``queue add POOL:ID`` builds a minimal row: the id from the argument and the
pool's source name from a row that pool served (its queue, else one search result). The
server checks the id itself (an unknown one answers 404, reported for that key).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, TypedDict

import click

from crateq.api.errors import CrateQError
from crateq.cli._common import (
    cli_errors,
    error,
    hold_stdin_password,
    make_accounts,
    parse_track_key,
    print_json,
    print_table,
    run,
)
from crateq.cli.search import row_json

# asyncio and httpx (under PoolClient) load when a command runs, not for --help.
if TYPE_CHECKING:
    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import MediaRow

_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True,
    help="Password (first stdin line) for pools without a stored one.",
)  # fmt: skip


@click.group("queue")
def command() -> None:
    """List, add to and remove from the pools' download queues."""


class _Change(TypedDict):
    """One track's outcome in ``queue add`` / ``queue remove`` (also its ``--json`` form)."""

    key: str
    changed: bool
    state: str


async def _close(clients: dict[str, PoolClient]) -> None:
    import asyncio

    await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)


def _clients(pools: list[str] | None, password_stdin: bool) -> dict[str, PoolClient]:
    accounts = make_accounts()
    clients = accounts.clients(pools)
    if not clients:
        raise click.UsageError("No pools configured. Add one with `crateq pool add`.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    return clients


@command.command("list")
@click.option("--pool", "pools", multiple=True, metavar="NAME", help="Only this pool (repeat).")
@_JSON
@_PASSWORD_STDIN
@cli_errors
def list_(pools: tuple[str, ...], as_json: bool, password_stdin: bool) -> None:
    """Every track in every pool's queue (newest first per pool)."""
    clients = _clients(list(pools) or None, password_stdin)

    async def fetch() -> list[list[MediaRow] | BaseException]:
        import asyncio

        try:
            return await asyncio.gather(
                *(c.queue_all() for c in clients.values()), return_exceptions=True
            )
        finally:
            await _close(clients)

    rows: list[MediaRow] = []
    errors: list[dict[str, str]] = []
    for name, outcome in zip(clients, run(fetch()), strict=True):
        if isinstance(outcome, CrateQError):
            errors.append({"pool": name, "error": str(outcome)})
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            rows.extend(outcome)
    if as_json:
        print_json({"results": [row_json(r) for r in rows], "errors": errors})
    else:
        for item in errors:
            error(f"{item['pool']}: {item['error']}")
        if rows:
            print_table(
                ("Artist", "Title", "Mix", "Pool", "POOL:ID", "Queued"),
                ((r.artist, r.title, r.tool, r.pool, r.key, _when(r.queue_date)) for r in rows),
            )
        elif len(errors) < len(clients):
            click.echo("The queues are empty.")
    if errors and len(errors) == len(clients):
        raise SystemExit(1)


def _when(stamp: str) -> str:
    """``2026-11-23T21:14:02.39`` → ``2026-11-23 21:14``: minutes are enough in a table."""
    return stamp[:16].replace("T", " ")


def _group(keys: tuple[str, ...]) -> dict[str, list[int]]:
    by_pool: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        pool, media_id = parse_track_key(key)
        if media_id not in by_pool[pool]:
            by_pool[pool].append(media_id)
    return dict(by_pool)


async def _source_name(client: PoolClient, queued: list[MediaRow]) -> str:
    """The pool's ``source`` name, from a row it served: its queue, else one search hit."""
    from crateq.api.pool_models import MediaQuery

    for row in queued:
        if row.source:
            return row.source
    page = await client.search(MediaQuery(size=1))
    return page.data[0].source if page.data else ""


async def _change(
    clients: dict[str, PoolClient], by_pool: dict[str, list[int]], add: bool
) -> tuple[list[_Change], list[dict[str, str]]]:
    import asyncio

    from crateq.api.pool_models import MediaRow

    results: list[_Change] = []
    errors: list[dict[str, str]] = []

    async def one_pool(name: str, ids: list[int]) -> None:
        client = clients[name]
        try:
            queued = await client.queue_all()
            source = await _source_name(client, queued) if add else ""
        except CrateQError as exc:
            errors.extend({"key": f"{name}:{i}", "error": str(exc)} for i in ids)
            return
        present = {row.media_id for row in queued}
        for media_id in ids:
            key = f"{name}:{media_id}"
            if (media_id in present) == add:  # already where the user wants it
                state = "already queued" if add else "not queued"
                results.append({"key": key, "changed": False, "state": state})
                continue
            try:
                if add:
                    row = MediaRow(mediaId=media_id, source=source, pool=name)
                    changed = await client.queue_add(row)
                else:
                    changed = await client.queue_remove(media_id)
            except CrateQError as exc:
                errors.append({"key": key, "error": str(exc)})
                continue
            state = ("queued" if add else "removed") if changed else (
                "already queued" if add else "not queued"
            )  # fmt: skip
            results.append({"key": key, "changed": changed, "state": state})

    try:
        await asyncio.gather(*(one_pool(n, ids) for n, ids in by_pool.items()))
    finally:
        await _close(clients)
    return results, errors


def _run_change(keys: tuple[str, ...], add: bool, as_json: bool, password_stdin: bool) -> None:
    by_pool = _group(keys)
    clients = _clients(list(by_pool), password_stdin)
    results, errors = run(_change(clients, by_pool, add))
    if as_json:
        print_json({"results": results, "errors": errors})
    else:
        for result in results:
            click.echo(f"{result['key']}: {result['state']}.")
        for failure in errors:
            error(f"{failure['key']}: {failure['error']}")
    if errors:
        raise SystemExit(1)


@command.command("add")
@click.argument("keys", nargs=-1, required=True, metavar="POOL:ID...")
@_JSON
@_PASSWORD_STDIN
@cli_errors
def add(keys: tuple[str, ...], as_json: bool, password_stdin: bool) -> None:
    """Queue tracks on their pools; a track already queued stays queued."""
    _run_change(keys, True, as_json, password_stdin)


@command.command("remove")
@click.argument("keys", nargs=-1, required=True, metavar="POOL:ID...")
@_JSON
@_PASSWORD_STDIN
@cli_errors
def remove(keys: tuple[str, ...], as_json: bool, password_stdin: bool) -> None:
    """Take tracks off their pools' queues; a track not queued stays off."""
    _run_change(keys, False, as_json, password_stdin)
