"""`crateq wish add|list|remove|check`: standing searches for wanted tracks or artists.

``wish add "Artist - Title"`` wants a track, ``--artist`` an artist, other text is keywords.
``wish check`` runs every wish once now, across the pools (the GUI re-checks on its own
schedule): a match is reported on the check that first finds it, never again, and the
wish's action (``--action notify|queue|download``) is done for it. ``download`` runs the
download engine in this process until the matched tracks are in.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

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
from crateq.cli._tracks import JSON_OPTION, open_store

# the core, asyncio and the pool client load where a command runs, not for --help.
if TYPE_CHECKING:
    from crateq.api.pool import PoolClient
    from crateq.core.store import Store
    from crateq.core.wishlist import Action, CheckResult

_ACTIONS = ("notify", "queue", "download")


@click.group("wish")
def command() -> None:
    """Wanted tracks and artists, watched across every pool."""


@command.command("add")
@click.argument("text", required=False, default="")
@click.option("--artist", default="", help="The wanted artist.")
@click.option("--title", default="", help="The wanted title (with --artist: a track).")
@click.option("--action", type=click.Choice(_ACTIONS), default="notify", show_default=True,
              help="What a match does.")  # fmt: skip
@JSON_OPTION
@cli_errors
def add(text: str, artist: str, title: str, action: str, as_json: bool) -> None:
    """Wish for TEXT ("Artist - Title" is a track, other text keywords) or --artist/--title."""
    from crateq.core.wishlist import WishList

    with open_store() as store:
        wish = WishList(store).add(text, artist=artist, title=title, action=cast("Action", action))
    if as_json:
        print_json(wish.as_json())
    else:
        click.echo(f"Wish {wish.id}: {wish.label} ({wish.action}).")


def _when(stamp: float | None) -> str:
    return dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M") if stamp else "never"


@command.command("list")
@JSON_OPTION
@cli_errors
def list_(as_json: bool) -> None:
    """Every wish, when it was last checked and what it matched."""
    from crateq.core.wishlist import SEEN, WishList

    with open_store() as store:
        wishes = WishList(store).wishes()
    if as_json:
        print_json({"results": [w.as_json() for w in wishes]})
        return
    if not wishes:
        click.echo("No wishes yet. Add one with `crateq wish add`.")
        return
    print_table(
        ("ID", "Wish", "Action", "Last checked", "Matched", "Last error"),
        (
            (w.id, w.label, w.action, _when(w.last_checked),
             ", ".join(m.track.key for m in w.matches if m.outcome != SEEN), w.last_error)
            for w in wishes
        ),
    )  # fmt: skip


@command.command("remove")
@click.argument("ids", nargs=-1, required=True, type=int, metavar="ID...")
@JSON_OPTION
@cli_errors
def remove(ids: tuple[int, ...], as_json: bool) -> None:
    """Drop wishes (by the ids `crateq wish list` shows)."""
    from crateq.core.wishlist import WishList

    with open_store() as store:
        wishes = WishList(store)
        results = [{"id": i, "removed": wishes.remove(i)} for i in dict.fromkeys(ids)]
    if as_json:
        print_json({"results": results})
        return
    for item in results:
        click.echo(f"Wish {item['id']}: {'removed' if item['removed'] else 'no such wish'}.")


async def _check(store: Store, clients: dict[str, PoolClient]) -> CheckResult:
    import asyncio

    from crateq.core.collections import Collections
    from crateq.core.downloads import DownloadEngine
    from crateq.core.wishlist import WishChecker, WishList

    wishes = WishList(store)
    engine: DownloadEngine | None = None
    if any(w.action == "download" for w in wishes.wishes()):
        engine = DownloadEngine(store, clients, make_accounts().settings().downloads)
        await engine.start()
    checker = WishChecker(
        wishes,
        clients,
        download=engine.add if engine is not None else None,
        collections=Collections(store),
    )
    try:
        result = await checker.check()
        if engine is not None:
            await engine.wait()
    finally:
        if engine is not None:
            await engine.shutdown()
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
    return result


@command.command("check")
@click.option("--pool", "pools", multiple=True, metavar="NAME", help="Only this pool (repeat).")
@JSON_OPTION
@click.option("--password-stdin", is_flag=True,
              help="Password (first stdin line) for pools without a stored one.")  # fmt: skip
@cli_errors
def check(pools: tuple[str, ...], as_json: bool, password_stdin: bool) -> None:
    """Check every wish now; report (and act on) what it newly matched."""
    accounts = make_accounts()
    clients = accounts.clients(list(pools) or None)
    if not clients:
        raise click.UsageError("No pools to check. Add one with `crateq pool add`.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    with open_store() as store:
        result = run(_check(store, clients))
    if as_json:
        print_json({
            "matches": [m.as_json() for m in result.matches],
            "checked": result.checked,
            "errors": [{"pool": p, "error": e} for p, e in sorted(result.errors.items())],
        })  # fmt: skip
    else:
        for pool, message in sorted(result.errors.items()):
            error(f"{pool}: {message}")
        if result.matches:
            print_table(
                ("Wish", "Artist", "Title", "Mix", "POOL:ID", "Done"),
                ((m.wish_id, m.track.artist, m.track.title, m.track.mix, m.track.key,
                  m.outcome) for m in result.matches),
            )  # fmt: skip
        else:
            click.echo(f"Checked {len(result.checked)} wishes: nothing new.")
    if result.errors and len(result.errors) >= len(clients):
        raise SystemExit(1)
