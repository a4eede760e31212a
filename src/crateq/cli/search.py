"""`crateq search`: one query across every enabled pool (or the ``--pool`` ones).

Every filter string is checked before any request (exit 2 on a malformed one). ``--genre``
is a name: each pool's Genres list turns it into that pool's own genreId(s), so the same
name may match different ids per pool, and a pool without such a genre reports it as its
error; ``--playlist`` (a name or id) is resolved the same way, through each pool's playlists.
``--limit`` rows per pool (up to 100,000) or ``--all``: each pool is paged at the pool API's
maximum page size, every pool at once. Tracks in the bin (`crateq bin`) are left out.
Results are grouped by song (versions together); a pool that fails is reported next to the
others' results — exit 0 when at least one pool answered, 1 when none did. ``--json`` prints
JSON lines as each page arrives, so the first rows come at once: one line per row (``song``
groups the versions; ``downloadedBefore``: the pool's flag or this app's history;
``library``: "version", "song" or null) and one ``{"pool", "error"}`` line per failed pool.
``--songs --json`` waits for every pool and prints one line per song across pools.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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
    print_json_line,
    print_table,
    run,
)

# pydantic (under the row models), httpx (under PoolClient) and the core are imported where
# a search runs, not for --help.
if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import TypeAlias

    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import MediaQuery, MediaRow
    from crateq.core.search import Song
    from crateq.core.songs import Have

    #: A search to run: given where each page's rows go and where each failed pool goes.
    Search: TypeAlias = Callable[
        [Callable[[list[MediaRow]], None], Callable[[str, str], None]],
        Coroutine[object, object, None],
    ]


@functools.cache
def sort_fields() -> tuple[str, ...]:
    """What ``--sort`` accepts: the row's wire fields, in their wire spelling."""
    from crateq.api.pool_models import LOCAL_FIELDS, MediaRow

    return tuple(
        sorted(
            (f.alias or name)
            for name, f in MediaRow.model_fields.items()
            if name not in LOCAL_FIELDS | {"auth", "musical_key"}  # not the pool's to sort
        )
    )


@functools.cache
def _unsent() -> frozenset[str]:
    """Row fields ``--json`` leaves out: the token, and the GUI's library figures."""
    from crateq.api.pool_models import LOCAL_FIELDS

    return frozenset({"auth"} | (LOCAL_FIELDS - {"pool"}))


COLUMNS = ("Artist", "Title", "Mix", "BPM", "Genre", "Year", "Pool", "POOL:ID")
#: ``--limit``'s bound: rows per pool and search.
MAX_LIMIT = 100_000
#: The pool API's largest page (docs of the pool API: ``size`` max 500).
POOL_MAX_PAGE = 500


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
    names: tuple[str | None, str | None],
    window: tuple[int | None, int | None],
    on_rows: Callable[[list[MediaRow]], None],
    on_error: Callable[[str, str], None],
) -> None:
    """Search every pool at once, handing each page's rows to ``on_rows`` as it arrives;
    ``names`` is (genre, playlist) to resolve per pool, ``window`` (rows per pool or None for
    all, first row or None)."""
    import asyncio

    from crateq.core.search import PoolFailed, PoolRows, federated_search

    limit, start = window
    genre, playlist = names

    async def one(group: dict[str, PoolClient], q: MediaQuery) -> None:
        async for event in federated_search(group, q, limit=limit, start=start):
            if isinstance(event, PoolRows):
                on_rows(event.rows)
            elif isinstance(event, PoolFailed):
                on_error(event.pool, str(event.error))

    async def per_pool(name: str, client: PoolClient) -> None:
        try:
            pool_query = await _pool_query(client, query, genre, playlist)
        except PoolError as exc:
            on_error(name, str(exc))
            return
        if isinstance(pool_query, str):
            on_error(name, pool_query)
            return
        await one({name: client}, pool_query)

    try:
        if genre is None and playlist is None:
            await one(clients, query)
        else:
            await asyncio.gather(*(per_pool(n, c) for n, c in clients.items()))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)


class _Local:
    """What this machine knows of result rows, opened once per search: binned rows are left
    out, ``--key`` keeps the rows analysed in a wanted key, ``downloadedBefore`` and
    ``library`` are filled in. Without a database yet nothing
    is binned or downloaded here, and a search creates none."""

    def __init__(self, keys: set[str] | None = None) -> None:
        from crateq.core.collections import Collections
        from crateq.core.history import History
        from crateq.core.songs import LibraryIndex
        from crateq.core.store import Store, default_db_path

        self._store = Store() if default_db_path().exists() else None
        self._collections = Collections(self._store) if self._store else None
        self._history = History(self._store) if self._store else None
        self.have: Callable[[MediaRow], Have | None] = LibraryIndex(self._store).status
        self._keys = keys  # --key: only rows analysed in one of these Camelot codes
        self._analysed = self._store.analysed_keys() if keys and self._store else {}

    def view(self, rows: list[MediaRow]) -> tuple[list[MediaRow], set[str]]:
        """The rows without the binned ones (and, with ``--key``, only those analysed in a
        wanted key), order kept, and the keys downloaded before."""
        if self._keys is not None:
            rows = [row for row in rows if self._analysed.get(row.key) in self._keys]
        if self._collections is None or self._history is None:
            return rows, {row.key for row in rows if row.downloaded}
        visible = self._collections.visible(rows)
        return visible, self._history.downloaded_before(visible)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def row_json(row: MediaRow) -> dict[str, JSONValue]:
    """A row for ``--json``: the wire fields plus ``pool`` and ``key``; never the download
    token (``auth``), which is per user and short-lived. ``crateq search --json`` adds
    ``song``: rows with the same ``song`` are versions of one song, best version first, and
    ``library``: "version", "song" or null (crateq.core.songs.LibraryIndex.status)."""
    data: dict[str, JSONValue] = row.model_dump(mode="json", by_alias=True, exclude=set(_unsent()))
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
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=50, show_default=True,
              help="Rows per pool.")  # fmt: skip
@click.option("--all", "every", is_flag=True, help="Every matching row of every pool.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True,
              help="Which block of --limit rows.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines as pages arrive.")
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
    keys: str | None,
    media: str | None,
    sort: str | None,
    asc: bool,
    limit: int,
    every: bool,
    page: int,
    as_json: bool,
    by_song: bool,
    password_stdin: bool,
) -> None:
    """Search the pools for KEYWORDS (artist, title or editor) and filters; binned tracks
    (`crateq bin`) are left out."""
    if by_song and not as_json:
        raise click.UsageError("--songs works with --json.")
    if every and page > 1:
        raise click.UsageError("--page cannot be combined with --all.")
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
        limit=POOL_MAX_PAGE if every else min(limit, POOL_MAX_PAGE),
        page=1,
    )
    wanted = _key_codes(keys)
    accounts = make_accounts()
    clients = accounts.clients(pools or None)
    if not clients:
        raise click.UsageError("No pools to search. Add one with `crateq pool add`.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    window = (None, None) if every else (limit, (page - 1) * limit)
    names = (genre.strip() if genre else None, (playlist or "").strip() or None)

    def search(
        rows: Callable[[list[MediaRow]], None], failed: Callable[[str, str], None]
    ) -> Coroutine[object, object, None]:
        return _search(clients, query, names, window, rows, failed)

    local = _Local(wanted)
    try:
        if as_json and by_song:
            errors = _songs(search, local)
        elif as_json:
            errors = _json_lines(search, local)
        else:
            errors = _table(search, len(clients), local)
    finally:
        local.close()
    if errors and len(errors) >= len(clients):
        raise SystemExit(1)


def _json_lines(search: Search, local: _Local) -> list[str]:
    """Run ``search``, printing each page's rows (grouped into songs) as it arrives and each
    failed pool as a line; returns the failed pools."""
    from crateq.core.search import group_versions

    errors: list[str] = []

    def rows(page: list[MediaRow]) -> None:
        visible, before = local.view(page)
        for song in group_versions(visible):
            for row in song.versions:
                print_json_line(
                    {
                        **row_json(row),
                        "song": song.key,
                        "downloadedBefore": row.key in before,
                        "library": local.have(row),
                    }
                )

    def failed(pool: str, message: str) -> None:
        errors.append(pool)
        print_json_line({"pool": pool, "error": message})

    run(search(rows, failed))
    return errors


def _songs(search: Search, local: _Local) -> list[str]:
    """``--songs --json``: every pool's rows merged into songs across pools, one JSON line
    per song once every pool is done (failed pools on stderr); returns the failed pools."""
    from crateq.core.songs import merge_songs

    found: list[MediaRow] = []
    errors: list[tuple[str, str]] = []
    run(search(found.extend, lambda pool, message: errors.append((pool, message))))
    visible, _before = local.view(found)
    for song in merge_songs(visible):
        print_json_line(song.as_json(local.have))
    for pool, message in errors:
        error(f"{pool}: {message}")
    return [pool for pool, _ in errors]


def _table(search: Search, pools: int, local: _Local) -> list[str]:
    """Run ``search`` to its end, then print the songs as a table (or "No results." when
    some of the ``pools`` answered without rows) and the failed pools on stderr; returns the
    failed pools."""
    from crateq.core.search import group_versions

    found: list[MediaRow] = []
    errors: list[tuple[str, str]] = []
    run(search(found.extend, lambda pool, message: errors.append((pool, message))))
    found, _before = local.view(found)
    for pool, message in errors:
        error(f"{pool}: {message}")
    if found:
        print_table(COLUMNS, _table_rows(group_versions(found)))
    elif len(errors) < pools:
        click.echo("No results.")
    return [pool for pool, _ in errors]


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
