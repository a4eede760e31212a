"""`crateq charts` and `crateq playlists`: what the pools list besides a search.

``charts`` prints each pool's chart in the pool's own rank order (most downloaded first,
within ``--days`` when given); ``playlists`` each pool's playlists, newest first (their tracks:
``crateq search --playlist NAME|ID``). Binned tracks are left out, as everywhere. A pool that
fails is reported on stderr; exit 1 only when every pool failed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

import click

from crateq.cli._common import (
    cli_errors,
    error,
    hold_stdin_password,
    make_accounts,
    print_json,
    print_table,
    run,
)
from crateq.cli._tracks import JSON_OPTION, local_view

if TYPE_CHECKING:
    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import MediaRow
    from crateq.core.pool_lists import PoolLists

_POOLS = click.option(
    "--pool", "pools", multiple=True, metavar="NAME", help="Only this pool (repeat)."
)
_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True,
    help="Password (first stdin line) for pools without a stored one.",
)  # fmt: skip


def _clients(pools: tuple[str, ...], password_stdin: bool) -> dict[str, PoolClient]:
    accounts = make_accounts()
    clients = accounts.clients(list(pools) or None)
    if not clients:
        raise click.UsageError("No pools configured. Add one with `crateq pool add`.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    return clients


async def _closing(clients: dict[str, PoolClient], work: Awaitable[PoolLists]) -> PoolLists:
    """``work``'s answer; the clients are closed either way."""
    import asyncio

    try:
        return await work
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)


def _errors(found: PoolLists, as_json: bool) -> list[dict[str, str]]:
    errors = [{"pool": p, "error": str(e)} for p, e in sorted(found.errors.items())]
    if not as_json:
        for item in errors:
            error(f"{item['pool']}: {item['error']}")
    return errors


@click.command("charts")
@_POOLS
@click.option("--days", type=click.IntRange(1), help="Only tracks published in the last N days.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True,
              help="Ranks per pool.")  # fmt: skip
@JSON_OPTION
@_PASSWORD_STDIN
@cli_errors
def charts(
    pools: tuple[str, ...], days: int | None, limit: int, as_json: bool, password_stdin: bool
) -> None:
    """Each pool's chart (most downloaded first), in the pool's rank order."""
    from crateq.cli.search import row_json
    from crateq.core.pool_lists import charts as pool_charts

    clients = _clients(pools, password_stdin)
    found = run(_closing(clients, pool_charts(clients, days=days, limit=limit)))
    errors = _errors(found, as_json)
    ranked: list[tuple[int, MediaRow]] = []
    before: set[str] = set()
    for rows in found.rows.values():  # the pool's rank is kept when a binned row is left out
        visible, seen = local_view(rows)
        kept = {r.key for r in visible}
        ranked.extend((n, r) for n, r in enumerate(rows, 1) if r.key in kept)
        before |= seen
    if as_json:
        print_json({
            "results": [
                {**row_json(r), "rank": n, "downloadedBefore": r.key in before}
                for n, r in ranked
            ],
            "errors": errors,
        })  # fmt: skip
    elif ranked:
        print_table(
            ("Pool", "Rank", "Artist", "Title", "Mix", "BPM", "POOL:ID"),
            ((r.pool, n, r.artist, r.title, r.tool, r.bpm or "", r.key) for n, r in ranked),
        )
    elif len(errors) < len(clients):
        click.echo("The charts are empty.")
    if errors and len(errors) >= len(clients):
        raise SystemExit(1)


@click.command("playlists")
@_POOLS
@JSON_OPTION
@_PASSWORD_STDIN
@cli_errors
def playlists(pools: tuple[str, ...], as_json: bool, password_stdin: bool) -> None:
    """Each pool's own playlists, newest first (tracks: `crateq search --playlist`)."""
    from crateq.core.pool_lists import playlists as pool_playlists

    clients = _clients(pools, password_stdin)
    found = run(_closing(clients, pool_playlists(clients)))
    errors = _errors(found, as_json)
    items = [p for name in clients for p in found.playlists.get(name, [])]
    if as_json:
        print_json({
            "results": [
                {"pool": p.pool, "playlistId": p.playlist_id, "title": p.title,
                 "playlistDate": p.playlist_date, "count": p.count}
                for p in items
            ],
            "errors": errors,
        })  # fmt: skip
    elif items:
        print_table(
            ("Pool", "ID", "Playlist", "Tracks", "Date"),
            ((p.pool, p.playlist_id, p.title, p.count, p.playlist_date) for p in items),
        )
    elif len(errors) < len(clients):
        click.echo("The pools have no playlists.")
    if errors and len(errors) >= len(clients):
        raise SystemExit(1)
