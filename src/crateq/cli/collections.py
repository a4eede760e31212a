"""`crateq fav|bin|crates|history`: the DJ's own collections, kept in the app's store.

Tracks are named ``POOL:ID`` or by a local file's path (see :mod:`crateq.cli._tracks`).
``crates`` are the DJ's crates (not the crate artist API of `crateq artist`): a crate is
named by its path, ``Parent/Child`` for a nested one. The bin hides tracks from every
result list (`crateq search`, `charts`, `playlists`) until they are restored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from crateq.cli._common import cli_errors, print_json, print_table
from crateq.cli._tracks import (
    JSON_OPTION,
    open_store,
    report_change,
    resolve_tracks,
    show_tracks,
    track_keys,
)

EXPORT_FORMATS = ("m3u", "rekordbox", "serato")  # crateq.core.export.FORMATS, without importing it

_TRACKS = click.argument("tracks", nargs=-1, required=True, metavar="POOL:ID|FILE...")


# -- favorites -----------------------------------------------------------------------------


@click.group("fav")
def fav() -> None:
    """Favorite tracks (their artists feed "new from artists I favorited")."""


@fav.command("add")
@_TRACKS
@JSON_OPTION
@cli_errors
def fav_add(tracks: tuple[str, ...], as_json: bool) -> None:
    """Mark tracks as favorites."""
    from crateq.core.collections import Collections

    with open_store() as store:
        collections = Collections(store)
        found = resolve_tracks(collections, tracks)
        added = collections.favorite(found)
    report_change([t.key for t in added], [t.key for t in found], "favorited",
                  "already a favorite", as_json)  # fmt: skip


@fav.command("remove")
@_TRACKS
@JSON_OPTION
@cli_errors
def fav_remove(tracks: tuple[str, ...], as_json: bool) -> None:
    """Take tracks off the favorites."""
    from crateq.core.collections import Collections

    with open_store() as store:
        collections = Collections(store)
        keys = track_keys(collections, tracks)
        removed = collections.unfavorite(keys)
    report_change(removed, keys, "removed", "not a favorite", as_json)


@fav.command("list")
@JSON_OPTION
@cli_errors
def fav_list(as_json: bool) -> None:
    """The favorites, first favorited first."""
    from crateq.core.collections import Collections

    with open_store() as store:
        show_tracks(Collections(store).favorites(), as_json, empty="No favorites yet.")


# -- the bin -------------------------------------------------------------------------------


@click.group("bin")
def bin_() -> None:
    """Tracks you never want to see again: hidden from every result list until restored."""


@bin_.command("add")
@_TRACKS
@JSON_OPTION
@cli_errors
def bin_add(tracks: tuple[str, ...], as_json: bool) -> None:
    """Put tracks in the bin (hidden from searches, charts and playlists)."""
    from crateq.core.collections import Collections

    with open_store() as store:
        collections = Collections(store)
        found = resolve_tracks(collections, tracks)
        added = collections.bin(found)
    report_change([t.key for t in added], [t.key for t in found], "binned", "already binned",
                  as_json)  # fmt: skip


@bin_.command("remove")
@_TRACKS
@JSON_OPTION
@cli_errors
def bin_remove(tracks: tuple[str, ...], as_json: bool) -> None:
    """Restore tracks from the bin."""
    from crateq.core.collections import Collections

    with open_store() as store:
        collections = Collections(store)
        keys = track_keys(collections, tracks)
        removed = collections.restore(keys)
    report_change(removed, keys, "restored", "not in the bin", as_json)


@bin_.command("list")
@JSON_OPTION
@cli_errors
def bin_list(as_json: bool) -> None:
    """What is in the bin."""
    from crateq.core.collections import Collections

    with open_store() as store:
        show_tracks(Collections(store).binned(), as_json, empty="The bin is empty.")


# -- crates --------------------------------------------------------------------------------


@click.group("crates")
def crates() -> None:
    """Your crates: named, nestable (Parent/Child), ordered lists of tracks."""


@crates.command("new")
@click.argument("name")
@JSON_OPTION
@cli_errors
def crates_new(name: str, as_json: bool) -> None:
    """Create the crate NAME (Parent/Child nests it; missing parents are created)."""
    from crateq.core.crates import Crates

    with open_store() as store:
        crate = Crates(store).new(name)
    if as_json:
        print_json({"id": crate.id, "name": crate.name, "path": crate.path})
    else:
        click.echo(f"Created crate {crate.path}.")


@crates.command("add")
@click.argument("name")
@_TRACKS
@click.option("--at", "index", type=click.IntRange(1), help="Insert at this position (1 = top).")
@JSON_OPTION
@cli_errors
def crates_add(name: str, tracks: tuple[str, ...], index: int | None, as_json: bool) -> None:
    """Add tracks to the crate NAME (at the end, or --at a position)."""
    from crateq.core.collections import Collections
    from crateq.core.crates import Crates

    with open_store() as store:
        found = resolve_tracks(Collections(store), tracks)
        added = Crates(store).add(name, found, None if index is None else index - 1)
    report_change([t.key for t in added], [t.key for t in found], "added", "already there",
                  as_json)  # fmt: skip


@crates.command("remove")
@click.argument("name")
@click.argument("tracks", nargs=-1, metavar="[POOL:ID|FILE...]")
@click.option("--crate", "whole", is_flag=True,
              help="Delete the crate itself (with its sub-crates; the files stay).")  # fmt: skip
@JSON_OPTION
@cli_errors
def crates_remove(name: str, tracks: tuple[str, ...], whole: bool, as_json: bool) -> None:
    """Take tracks out of the crate NAME, or delete the crate with --crate."""
    from crateq.core.collections import Collections
    from crateq.core.crates import Crates

    if bool(tracks) == whole:
        raise click.UsageError("Name the tracks to take out, or pass --crate (not both).")
    with open_store() as store:
        crates_ = Crates(store)
        if whole:
            crates_.delete(name)
            if as_json:
                print_json({"deleted": name})
            else:
                click.echo(f"Deleted crate {name}.")
            return
        keys = track_keys(Collections(store), tracks)
        removed = crates_.remove(name, keys)
    report_change(removed, keys, "removed", "not in the crate", as_json)


@crates.command("list")
@click.argument("name", required=False)
@JSON_OPTION
@cli_errors
def crates_list(name: str | None, as_json: bool) -> None:
    """Every crate (nested), or with NAME the crate's tracks in order."""
    from crateq.core.crates import Crate, Crates

    with open_store() as store:
        if name is not None:
            show_tracks(Crates(store).tracks(name), as_json, empty=f"The crate {name} is empty.")
            return
        tree = Crates(store).tree()

    def flat(items: list[Crate], depth: int = 0) -> list[tuple[int, Crate]]:
        return [pair for c in items for pair in [(depth, c), *flat(c.children, depth + 1)]]

    if as_json:

        def as_dict(c: Crate) -> dict[str, object]:
            return {"id": c.id, "name": c.name, "path": c.path, "count": c.count,
                    "children": [as_dict(child) for child in c.children]}  # fmt: skip

        print_json({"results": [as_dict(c) for c in tree]})
    elif not tree:
        click.echo("No crates yet. Make one with `crateq crates new NAME`.")
    else:
        print_table(("Crate", "Tracks", "Path"),
                    (("  " * d + c.name, c.count, c.path) for d, c in flat(tree)))  # fmt: skip


@crates.command("export")
@click.argument("name")
@click.argument("fmt", metavar="m3u|rekordbox|serato", type=click.Choice(EXPORT_FORMATS))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Playlist file or folder; for serato the music folder or drive root.",
)
@click.option("--relative", is_flag=True, help="M3U: paths relative to the playlist.")
@click.option("--force", is_flag=True, help="Replace files CrateQ did not write.")
@JSON_OPTION
@cli_errors
def crates_export(
    name: str, fmt: str, out: Path, relative: bool, force: bool, as_json: bool
) -> None:
    """Export the crate NAME and its sub-crates as M3U8, rekordbox playlists or Serato crates
    of the same names, nested as they are nested (tracks with a file on disk)."""
    from crateq.core.crate_export import crate_playlist
    from crateq.core.crates import Crates
    from crateq.core.export import export_playlist

    with open_store() as store:
        tree = crate_playlist(Crates(store), name)
    result = export_playlist(fmt, tree.playlist, out.expanduser(), relative=relative, force=force)
    if as_json:
        print_json({
            "crate": name, "format": fmt, "tracks": result.tracks,
            "withoutFile": tree.without_file,
            "written": [str(p) for p in result.written],
        })  # fmt: skip
        return
    for path in result.written:
        click.echo(f"Wrote {path}")
    if tree.without_file:
        click.echo(f"Left out {tree.without_file} track(s) not downloaded yet.", err=True)
    click.echo(f"{result.tracks} track(s) exported.")


# -- history -------------------------------------------------------------------------------


def _since(text: str | None) -> float | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        message = f"{text!r} is not a date (YYYY-MM-DD)."
        raise click.BadParameter(message, param_hint="--since") from exc
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a date the DJ typed is local time
    return moment.timestamp()


@click.command("history")
@click.option("--since", metavar="DATE", help="Only downloads on or after DATE (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True)
@JSON_OPTION
@cli_errors
def history(since: str | None, limit: int, as_json: bool) -> None:
    """Every finished download, newest first: when, where to, from which pool."""
    from crateq.core.history import History

    with open_store() as store:
        entries = History(store).downloads(_since(since), limit)
    if as_json:
        print_json({"results": [e.as_json() for e in entries]})
        return
    if not entries:
        click.echo("No downloads yet.")
        return
    print_table(
        ("When", "Artist", "Title", "Mix", "Pool", "POOL:ID", "File"),
        (
            (dt.datetime.fromtimestamp(e.at).strftime("%Y-%m-%d %H:%M"), e.track.artist,
             e.track.title, e.track.mix, e.track.pool, e.track.key,
             e.path if e.present else f"{e.path} (gone)")
            for e in entries
        ),
    )  # fmt: skip
