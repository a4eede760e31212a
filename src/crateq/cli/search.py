"""`crateq search`: one query across every enabled pool (or the ``--pool`` ones).

Every filter string is checked before any request (exit 2 on a malformed one). ``--genre``
is a name: each pool's Genres list turns it into that pool's own genreId(s), so the same
name may match different ids per pool, and a pool without such a genre reports it as its
error; ``--playlist`` (a name or id) is resolved the same way, through each pool's playlists.
Tracks in the bin (`crateq bin`) are left out, and ``--json`` marks each row
``downloadedBefore`` (the pool's flag, or this app's history). Results are grouped by song
(versions together); a pool that fails is reported on stderr next to the others' results —
exit 0 when at least one pool answered, 1 when none did.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import click

from crateq.api.errors import FilterError, PoolError
from crateq.cli._common import (
    JSONValue,
    LazyChoice,
    cli_errors,
    error,
    hold_stdin_password,
    make_accounts,
    print_json,
    print_json_line,
    print_table,
    run,
)
from crateq.cli._tracks import local_view

# pydantic (under the row models), httpx (under PoolClient) and the core are imported where
# a search runs, not for --help.
if TYPE_CHECKING:
    from collections.abc import Callable

    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import MediaQuery, MediaRow
    from crateq.core.search import Song
    from crateq.core.songs import Have


@functools.cache
def sort_fields() -> tuple[str, ...]:
    """What ``--sort`` accepts: the row's wire fields, in their wire spelling."""
    from crateq.api.pool_models import MediaRow

    return tuple(
        sorted(
            (f.alias or name)
            for name, f in MediaRow.model_fields.items()
            if name not in {"pool", "auth"}  # not a wire field / a per-user token
        )
    )


COLUMNS = ("Artist", "Title", "Mix", "BPM", "Genre", "Year", "Pool", "POOL:ID")


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def build_query(
    keywords: tuple[str, ...],
    *,
    artist: str | None,
    title: str | None,
    editor: str | None,
    bpm: str | None,
    year: str | None,
    mix: str | None,
    advisory: str | None,
    media: str | None,
    sort: str | None,
    asc: bool,
    limit: int,
    page: int,
) -> MediaQuery:
    """The pool query for the options, or a click.BadParameter (exit 2) before any request."""
    from crateq.core.search import query_from_filters

    try:
        return query_from_filters(  # a blank value (no sort, no artist…) is left out
            keywords=" ".join(keywords),
            artist=artist,
            title=title,
            editor=editor,
            bpm=bpm,
            release_year=year,
            mix=_list(mix),
            advisory=advisory,
            media=media,
            page=page,
            size=limit,
            dir="asc" if asc else "desc",
            sort=sort,
        )
    except FilterError as exc:
        option = {"release_year": "year", "size": "limit"}.get(exc.code or "", exc.code)
        raise click.BadParameter(str(exc), param_hint=f"--{option}" if option else None) from exc


async def _genre_ids(client: PoolClient, name: str) -> list[int]:
    """This pool's ids for a genre name: exact title matches, else substring matches."""
    genres = await client.genres(title=name)
    exact = [g.genre_id for g in genres if g.title.lower() == name.lower()]
    return exact or [g.genre_id for g in genres if name.lower() in g.title.lower()]


async def _pool_query(
    client: PoolClient, query: MediaQuery, genre: str | None, playlist: str | None
) -> MediaQuery | str:
    """``query`` with this pool's own ids for the genre and playlist names, or why not."""
    from crateq.core.pool_lists import find_playlist

    update: dict[str, object] = {}
    if genre is not None:
        ids = await _genre_ids(client, genre)
        if not ids:
            return f"no genre matching {genre!r}."
        update["genre_ids"] = ids
    if playlist is not None:
        found = find_playlist(await client.playlists(), playlist)
        if found is None:
            return f"no playlist matching {playlist!r}."
        update["playlist_id"] = found.playlist_id
    return query.model_copy(update=update)


async def _search(
    clients: dict[str, PoolClient],
    query: MediaQuery,
    genre: str | None,
    limit: int,
    playlist: str | None = None,
) -> tuple[list[MediaRow], list[tuple[str, str]]]:
    import asyncio

    from crateq.core.search import PoolFailed, PoolRows, federated_search

    rows: list[MediaRow] = []
    errors: list[tuple[str, str]] = []

    async def one(group: dict[str, PoolClient], q: MediaQuery) -> None:
        async for event in federated_search(group, q, limit=limit):
            if isinstance(event, PoolRows):
                rows.extend(event.rows)
            elif isinstance(event, PoolFailed):
                errors.append((event.pool, str(event.error)))

    async def per_pool(name: str, client: PoolClient) -> None:
        try:
            pool_query = await _pool_query(client, query, genre, playlist)
        except PoolError as exc:
            errors.append((name, str(exc)))
            return
        if isinstance(pool_query, str):
            errors.append((name, pool_query))
            return
        await one({name: client}, pool_query)

    try:
        if genre is None and playlist is None:
            await one(clients, query)
        else:
            await asyncio.gather(*(per_pool(n, c) for n, c in clients.items()))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
    return rows, errors


def row_json(row: MediaRow) -> dict[str, JSONValue]:
    """A row for ``--json``: the wire fields plus ``pool`` and ``key``; never the download
    token (``auth``), which is per user and short-lived. ``crateq search --json`` adds
    ``song``: rows with the same ``song`` are versions of one song, best version first, and
    ``library``: "version", "song" or null (crateq.core.songs.LibraryIndex.status)."""
    data: dict[str, JSONValue] = row.model_dump(mode="json", by_alias=True, exclude={"auth"})
    data["key"] = row.key
    return data


@click.command("search")
@click.argument("keywords", nargs=-1)
@click.option("--pool", "pools", multiple=True, metavar="NAME", help="Only this pool (repeat).")
@click.option("--artist", help="Artist contains.")
@click.option("--title", help="Title contains.")
@click.option("--editor", help="Editor contains.")
@click.option("--genre", help="Genre name (resolved per pool).")
@click.option("--playlist", metavar="NAME|ID", help="A pool playlist's tracks (see `playlists`).")
@click.option("--bpm", help="120, 80-90 or 80,100.")
@click.option("--year", help="2019, 2000-2010 or 2018,2019.")
@click.option("--mix", help="Mixes, comma-separated (e.g. Extended,Intro).")
@click.option(
    "--advisory",
    type=click.Choice(["Clean", "Dirty"], case_sensitive=False),
    metavar="Clean|Dirty",
    help="Only clean or only explicit versions.",
)
@click.option("--audio", "media", flag_value="audio", help="Audio only.")
@click.option("--video", "media", flag_value="video", help="Video only.")
@click.option(
    "--sort",
    type=LazyChoice(sort_fields, case_sensitive=False),
    metavar="FIELD",
    help="Order by a row field: date (default), bpm, artist, title, releaseYear…",
)
@click.option("--asc", is_flag=True, help="Ascending order (default: descending).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True,
              help="Rows per pool.")  # fmt: skip
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--songs", "by_song", is_flag=True,
              help="With --json: one line per song across pools, versions inside.")  # fmt: skip
@click.option("--password-stdin", is_flag=True,
              help="Password (first stdin line) for pools without a stored one.")  # fmt: skip
@cli_errors
def command(
    keywords: tuple[str, ...],
    pools: tuple[str, ...],
    artist: str | None,
    title: str | None,
    editor: str | None,
    genre: str | None,
    playlist: str | None,
    bpm: str | None,
    year: str | None,
    mix: str | None,
    advisory: str | None,
    media: str | None,
    sort: str | None,
    asc: bool,
    limit: int,
    page: int,
    as_json: bool,
    by_song: bool,
    password_stdin: bool,
) -> None:
    """Search the pools for KEYWORDS (artist, title or editor) and filters; binned tracks
    (`crateq bin`) are left out."""
    from crateq.core.search import group_versions

    if by_song and not as_json:
        raise click.UsageError("--songs works with --json.")
    if sort:
        sort = next(f for f in sort_fields() if f.lower() == sort.lower())
    query = build_query(
        keywords,
        artist=artist,
        title=title,
        editor=editor,
        bpm=bpm,
        year=year,
        mix=mix,
        advisory=advisory.capitalize() if advisory else None,
        media=media,
        sort=sort,
        asc=asc,
        limit=limit,
        page=page,
    )
    accounts = make_accounts()
    clients = accounts.clients(pools or None)
    if not clients:
        raise click.UsageError("No pools to search. Add one with `crateq pool add`.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    rows, errors = run(
        _search(clients, query, genre.strip() if genre else None, limit,
                playlist.strip() if playlist and playlist.strip() else None)
    )  # fmt: skip
    rows, before = local_view(rows)
    songs = group_versions(rows)
    ordered = [row for song in songs for row in song.versions]
    if as_json and by_song:
        _print_songs(rows, errors)
    elif as_json:
        have = _library_status()
        print_json(
            {
                "results": [
                    {
                        **row_json(row),
                        "song": song.key,
                        "downloadedBefore": row.key in before,
                        "library": have(row),
                    }
                    for song in songs
                    for row in song.versions
                ],
                "errors": [{"pool": p, "error": e} for p, e in errors],
            }
        )
    else:
        for pool, message in errors:
            error(f"{pool}: {message}")
        if ordered:
            print_table(COLUMNS, _table_rows(songs))
        elif len(errors) < len(clients):
            click.echo("No results.")
    if errors and len(errors) >= len(clients):
        raise SystemExit(1)


def _library_status() -> Callable[[MediaRow], Have | None]:
    """``row -> "version" | "song" | None``: whether the library holds this very version,
    another version of the same song (by identity key), or neither."""
    from crateq.core.songs import LibraryIndex
    from crateq.core.store import Store, default_db_path

    if not default_db_path().exists():  # nothing downloaded yet: no database to create
        return LibraryIndex().status
    store = Store()
    try:
        index = LibraryIndex(store)
    finally:
        store.close()
    return index.status


def _print_songs(rows: list[MediaRow], errors: list[tuple[str, str]]) -> None:
    """``--songs --json``: one JSON line per song across pools (pool errors on stderr)."""
    from crateq.core.songs import merge_songs

    have = _library_status()
    for song in merge_songs(rows):
        print_json_line(song.as_json(have))
    for pool, message in errors:
        error(f"{pool}: {message}")


def _table_rows(songs: list[Song]) -> list[tuple[str | int | float, ...]]:
    out: list[tuple[str | int | float, ...]] = []
    for song in songs:
        for index, row in enumerate(song.versions):
            first = index == 0
            out.append(
                (
                    row.artist if first else "",
                    row.title if first else "",
                    row.tool,
                    row.bpm or "",
                    row.genre,
                    row.release_year or "",
                    row.pool,
                    row.key,
                )
            )
    return out
