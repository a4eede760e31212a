"""`crateq search`: one query across every enabled pool (or the ``--pool`` ones).

Every filter string is checked before any request (exit 2 on a malformed one). ``--genre``
is a name: each pool's Genres list turns it into that pool's own genreId(s), so the same
name may match different ids per pool, and a pool without such a genre reports it as its
error. Results are grouped by song (versions together); a pool that fails is reported on
stderr next to the others' results — exit 0 when at least one pool answered, 1 when none did.
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
    cli_services,
    error,
    hold_stdin_password,
    make_accounts,
    print_json,
    print_table,
    run,
)

# pydantic (under the row models), httpx (under PoolClient) and the core are imported where
# a search runs, not for --help.
if TYPE_CHECKING:
    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import MediaQuery, MediaRow
    from crateq.core.search import Song


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


async def _search(
    clients: dict[str, PoolClient], query: MediaQuery, genre: str | None, limit: int
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

    async def with_genre(name: str, client: PoolClient) -> None:
        assert genre is not None
        try:
            ids = await _genre_ids(client, genre)
        except PoolError as exc:
            errors.append((name, str(exc)))
            return
        if not ids:
            errors.append((name, f"no genre matching {genre!r}."))
            return
        await one({name: client}, query.model_copy(update={"genre_ids": ids}))

    try:
        if genre is None:
            await one(clients, query)
        else:
            await asyncio.gather(*(with_genre(n, c) for n, c in clients.items()))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
    return rows, errors


def row_json(row: MediaRow) -> dict[str, JSONValue]:
    """A row for ``--json``: the wire fields plus ``pool`` and ``key``; never the download
    token (``auth``), which is per user and short-lived. ``crateq search --json`` adds
    ``song``: rows with the same ``song`` are versions of one song, best version first."""
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
@click.option("--bpm", help="120, 80-90 or 80,100.")
@click.option("--year", help="2019, 2000-2010 or 2018,2019.")
@click.option("--mix", help="Mixes, comma-separated (e.g. Extended,Intro).")
@click.option(
    "--advisory",
    type=click.Choice(["Clean", "Dirty"], case_sensitive=False),
    metavar="Clean|Dirty",
    help="Only clean or only explicit versions.",
)
@click.option("--key", "keys", metavar="CODES",
              help="Only tracks analysed in these keys (8A,9A; Am or 1m work too). Pools send"
              " no key: this keeps rows whose POOL:ID is in the library, analysed.")  # fmt: skip
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
    bpm: str | None,
    year: str | None,
    mix: str | None,
    advisory: str | None,
    keys: str | None,
    media: str | None,
    sort: str | None,
    asc: bool,
    limit: int,
    page: int,
    as_json: bool,
    password_stdin: bool,
) -> None:
    """Search the pools for KEYWORDS (artist, title or editor) and filters."""
    from crateq.core.search import group_versions

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
    wanted = _key_codes(keys)
    accounts = make_accounts()
    clients = accounts.clients(pools or None)
    if not clients:
        raise click.UsageError("No pools to search. Add one with `crateq pool add`.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    rows, errors = run(_search(clients, query, genre.strip() if genre else None, limit))
    if wanted is not None:
        known = cli_services().store.analysed_keys()
        rows = [row for row in rows if known.get(row.key) in wanted]
    songs = group_versions(rows)
    ordered = [row for song in songs for row in song.versions]
    if as_json:
        print_json(
            {
                "results": [
                    {**row_json(row), "song": song.key} for song in songs for row in song.versions
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


def _key_codes(text: str | None) -> set[str] | None:
    """The Camelot codes ``--key`` names, or a BadParameter (exit 2) before any request."""
    if text is None:
        return None
    from crateq.core.keys import parse_key_filter

    try:
        return parse_key_filter(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--key") from exc


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
