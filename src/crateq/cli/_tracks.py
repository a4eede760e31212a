"""Helpers of the collection commands: naming tracks on the command line, and printing them.

A track is ``POOL:ID`` (as every command names one) or the path of a local file (a file the
library knows is its pool track). The display fields of ``POOL:ID`` come from what the app
already knows (library, jobs, earlier entries), else from the pool (its queue, then its
catalog), so a crate lists without a network call later.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crateq.cli._common import parse_track_key, print_json, print_table, warn

# The store, the core and the pool client load where a command runs, not for --help.
if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.collections import Collections
    from crateq.core.store import Store
    from crateq.core.tracks import Track

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
TRACK_COLUMNS = ("Artist", "Title", "Mix", "Pool", "POOL:ID", "File")


@contextlib.contextmanager
def open_store() -> Iterator[Store]:
    """The app's store (under $CRATEQ_HOME), closed when the command ends."""
    from crateq.core.store import Store

    store = Store()
    try:
        yield store
    finally:
        store.close()


def is_file_argument(text: str) -> bool:
    return Path(text).expanduser().is_file()


def track_keys(collections: Collections, args: Sequence[str]) -> list[str]:
    """The keys the arguments name (POOL:ID, or a file's key), without any look-up."""
    keys: list[str] = []
    for text in args:
        if is_file_argument(text):
            keys.append(collections.track_for_file(Path(text)).key)
        else:
            pool, media_id = parse_track_key(text)
            keys.append(f"{pool}:{media_id}")
    return keys


def resolve_tracks(collections: Collections, args: Sequence[str]) -> list[Track]:
    """The tracks the arguments name, with their display fields (see the module doc)."""
    tracks: list[Track] = []
    unknown: list[tuple[int, str, int]] = []
    for text in args:
        if is_file_argument(text):
            tracks.append(collections.track_for_file(Path(text)))
            continue
        pool, media_id = parse_track_key(text)
        track = collections.track_for_key(pool, media_id)
        if not track.fields:
            unknown.append((len(tracks), pool, media_id))
        tracks.append(track)
    if unknown:
        from crateq.cli._common import run

        found = run(_look_up([(p, m) for _, p, m in unknown]))
        for (index, pool, media_id), row in zip(unknown, found, strict=True):
            if row is not None:
                from crateq.core.tracks import Track

                tracks[index] = Track.of_row(row, tracks[index].path)
            else:
                warn(f"{pool}:{media_id}: not found on the pool; kept without its details.")
    return tracks


async def _look_up(keys: list[tuple[str, int]]) -> list[MediaRow | None]:
    """Each key's pool row (or None), from the configured pools."""
    import asyncio

    from crateq.cli._common import make_accounts
    from crateq.cli._rows import look_up

    accounts = make_accounts()
    configured = {p.name for p in accounts.pools()}
    clients = accounts.clients(sorted({pool for pool, _ in keys} & configured))
    try:
        rows, _why = await look_up(clients, keys)  # a key not found keeps its own details
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
    return [rows.get(key) for key in keys]


def local_view(rows: list[MediaRow]) -> tuple[list[MediaRow], set[str]]:
    """The rows without the binned ones (order kept), and the keys of those the DJ
    downloaded before (the pool's ``downloaded`` flag, or this app's history). Without a
    database yet there is nothing binned or downloaded here, and a search creates none."""
    from crateq.core.collections import Collections
    from crateq.core.history import History
    from crateq.core.store import default_db_path

    if not default_db_path().exists():
        return rows, {row.key for row in rows if row.downloaded}
    with open_store() as store:
        visible = Collections(store).visible(rows)
        return visible, History(store).downloaded_before(visible)


def show_tracks(tracks: Sequence[Track], as_json: bool, *, empty: str) -> None:
    """Tracks as a table, or ``{"results": [...]}`` with ``mediaId`` on each."""
    if as_json:
        print_json({"results": [t.as_json() for t in tracks]})
        return
    if not tracks:
        click.echo(empty)
        return
    print_table(
        TRACK_COLUMNS,
        ((t.artist, t.title, t.mix, t.pool, "" if t.is_file else t.key, t.path) for t in tracks),
    )


def _media_id(key: str) -> int:
    """The mediaId in ``POOL:ID`` (0 for a local file's key)."""
    _, _, ident = key.rpartition(":")
    return int(ident) if ident.isdigit() and not key.startswith("file:") else 0


def report_change(done: Sequence[str], asked: Sequence[str], verb: str, already: str,
                  as_json: bool) -> None:  # fmt: skip
    """One line per key (``demo-a:1: favorited.``), or the JSON list of outcomes."""
    results = [
        {"key": key, "mediaId": _media_id(key), "changed": key in done,
         "state": verb if key in done else already}
        for key in dict.fromkeys(asked)
    ]  # fmt: skip
    if as_json:
        print_json({"results": results})
        return
    for item in results:
        click.echo(f"{item['key']}: {item['state']}.")
