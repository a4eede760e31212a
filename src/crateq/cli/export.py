"""`crateq export m3u|rekordbox|serato`: the library as a playlist DJ software imports.

The downloaded files still on disk, filtered by ``--since``, ``--pool`` and ``--track``,
become one playlist (``--name``, "CrateQ" by default); ``--crate NAME`` exports one of the
DJ's crates instead, its sub-crates nested under it. ``--out`` is the M3U8 file or folder,
the rekordbox XML file or folder, or for Serato the music folder or drive root that holds
(or will hold) ``_Serato_``. A file CrateQ did not write is never replaced without
``--force``. Nothing to export, a bad date, an unwritable folder or a foreign file in the
way: one line on stderr and exit 2, with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import click

from crateq.cli._common import JSONValue, cli_errors, parse_track_key, print_json

# The store, mutagen and the writers load when the command runs, not for --help.
FORMATS = ("m3u", "rekordbox", "serato")


@click.command("export")
@click.argument("fmt", metavar="m3u|rekordbox|serato", type=click.Choice(FORMATS))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Playlist file or folder; for serato the music folder or drive root.",
)
@click.option("--since", metavar="DATE", help="Only files downloaded on or after DATE.")
@click.option("--pool", metavar="NAME", help="Only files from this pool.")
@click.option("--track", "tracks", multiple=True, metavar="POOL:ID", help="Only these tracks.")
@click.option("--crate", metavar="NAME", help="One of your crates (with its sub-crates), nested.")
@click.option("--saved", metavar="NAME", help="Only what the saved search NAME finds (by tags).")
@click.option("--name", default="CrateQ", show_default=True, help="Playlist or crate name.")
@click.option("--relative", is_flag=True, help="M3U: paths relative to the playlist.")
@click.option("--force", is_flag=True, help="Replace files CrateQ did not write.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@cli_errors
def command(
    fmt: str,
    out: Path,
    since: str | None,
    pool: str | None,
    tracks: tuple[str, ...],
    crate: str | None,
    saved: str | None,
    name: str,
    relative: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Export downloaded tracks as an M3U8 playlist, rekordbox XML or a Serato crate."""
    from crateq.core.export import Playlist, export_playlist, library_tracks, parse_since
    from crateq.core.store import Store

    if crate is not None and (since or pool or tracks or saved):
        raise click.UsageError(
            "--crate exports a crate as it is: no --since, --pool, --track or --saved."
        )
    saved_name, spec = _saved_spec(saved) if saved else (None, None)
    keys = {"{}:{}".format(*parse_track_key(t)) for t in tracks}
    after = parse_since(since) if since is not None else None
    store = Store()
    try:
        if crate is not None:
            from crateq.core.crate_export import crate_playlist
            from crateq.core.crates import Crates

            playlist = crate_playlist(Crates(store), crate).playlist
        else:
            chosen = library_tracks(store, since=after, pool=pool, keys=keys)
            if spec is not None:
                from crateq.core.saved_search import matches, track_fields

                chosen = [t for t in chosen if matches(track_fields(t), spec)]
                name = saved_name if saved_name and name == "CrateQ" else name
            playlist = Playlist(name, tuple(chosen))
    finally:
        store.close()
    result = export_playlist(fmt, playlist, out.expanduser(), relative=relative, force=force)
    if as_json:
        summary: dict[str, JSONValue] = {
            "format": fmt,
            "tracks": result.tracks,
            "written": [str(p) for p in result.written],
            "skipped": [_shown(p) for p in result.skipped],
        }
        print_json(summary)
        return
    for path in result.written:
        click.echo(f"Wrote {path}")
    for path in result.skipped:
        click.echo(f"Left out (its path cannot be written in {fmt}): {_shown(path)}", err=True)
    click.echo(f"{result.tracks} track(s) exported.")


def _shown(path: Path) -> str:
    """A path for the terminal or JSON: bytes that are no UTF-8 shown as U+FFFD."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _saved_spec(saved: str) -> tuple[str, dict[str, object]]:
    """The saved search's name and filters; the filters the library cannot judge are named
    on stderr."""
    from crateq.core.saved_search import load_saved, unjudged

    name, spec = load_saved(saved)
    left_out = unjudged(spec)
    if left_out:
        click.echo(
            f"Note: the library cannot judge {', '.join(left_out)}; those filters are left out.",
            err=True,
        )
    return name, spec
