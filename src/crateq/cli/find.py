"""`crateq find`: a tracklist (text, M3U, CSV, rekordbox XML, Serato crate) against every pool.

Each entry comes out as ``have`` (in the library: which file), ``found`` (the version the
``prefer.*`` settings choose, with alternatives), ``ambiguous`` (the top three), ``missing``
or ``unparsed`` (the line named no track; never dropped). ``--queue`` adds every chosen
version to its pool's server-side queue (toggle-safe); ``--download`` downloads them through
the download engine. ``--json`` prints one object per entry, in the input's order (streamed
as the lines are matched, unless they wait for --queue/--download to add the outcome). Exit 1
when the tracklist cannot be read at all or every pool failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crateq.cli._common import (
    cli_errors,
    hold_stdin_password,
    make_accounts,
    print_json_line,
    print_table,
    run,
    warn,
)

# asyncio, httpx (under PoolClient), rapidfuzz and the core load when a search runs.
if TYPE_CHECKING:
    from crateq.api.pool import PoolClient
    from crateq.core.setprep import LineResult
    from crateq.core.settings import DownloadSettings, PreferSettings
    from crateq.core.songs import LibraryIndex, Version
    from crateq.core.store import Store
    from crateq.core.tracklist import TrackLine

MAX_INPUT = 64 * 1024 * 1024  # bytes read from FILE or stdin (crateq.core.tracklist.MAX_BYTES)


def _read(source: str) -> tuple[bytes, str]:
    """The tracklist's bytes and its name (for the form); "-" reads stdin."""
    if source == "-":
        return sys.stdin.buffer.read(MAX_INPUT + 1), ""
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_INPUT + 1), path.name
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {source}: {exc.strerror}", param_hint="FILE"
        ) from exc


def _entries(source: str, playlist: str | None) -> list[TrackLine]:
    from crateq.core.tracklist import parse_tracklist

    data, name = _read(source)
    return parse_tracklist(data, name, playlist=playlist)


async def _find(
    entries: list[TrackLine],
    clients: dict[str, PoolClient],
    prefs: PreferSettings,
    library: LibraryIndex,
    queue: bool,
    stream: bool,
) -> tuple[list[LineResult], dict[str, str]]:
    """The results, and with ``queue`` each chosen version's queue state by POOL:ID.
    ``stream``: print each result's JSON line as soon as it and those before it are done."""
    import asyncio

    from crateq.core.setprep import SetPrep, queue_versions

    states: dict[str, str] = {}
    printer = (lambda result: print_json_line(result.as_json())) if stream else None
    try:
        results = await SetPrep(clients, prefs, library).find(entries, printer)
        if queue:
            for outcome in await queue_versions(clients, _chosen(results)):
                state = outcome.state + (f": {outcome.error}" if outcome.error else "")
                states[outcome.version.row.key] = state
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
    return results, states


def _chosen(results: list[LineResult]) -> list[Version]:
    """The versions to grab: each ``found`` line's choice, every one once."""
    out: dict[str, Version] = {}
    for result in results:
        if result.status == "found" and result.chosen is not None:
            out.setdefault(result.chosen.version.row.key, result.chosen.version)
    return list(out.values())


async def _download(
    versions: list[Version],
    store: Store,
    accounts_clients: dict[str, PoolClient],
    settings: DownloadSettings,
    dest: Path | None,
) -> dict[str, str]:
    """Download ``versions`` through the engine; each one's file (or state) by POOL:ID."""
    import asyncio

    from crateq.core.downloads import DownloadEngine

    engine = DownloadEngine(store, accounts_clients, settings)
    try:
        await engine.start()
        for version in versions:
            await engine.add(version.row, dest=dest)
        await engine.wait()
    finally:
        await engine.shutdown()
        await asyncio.gather(
            *(c.aclose() for c in accounts_clients.values()), return_exceptions=True
        )
    wanted = {v.row.key for v in versions}
    return {
        job.key: job.path if str(job.state) == "done" else f"{job.state}: {job.reason}".strip()
        for job in engine.jobs()
        if job.key in wanted
    }


def _table(results: list[LineResult], queued: dict[str, str], files: dict[str, str]) -> None:
    rows: list[tuple[object, ...]] = []
    for result in results:
        entry = result.entry
        chosen = result.chosen.version if result.chosen else None
        if chosen is not None:
            shown = f"{chosen.row.key} {chosen.row.artist} - {chosen.row.title}"
        else:
            shown = "; ".join(c.version.row.key for c in result.candidates)
        key = chosen.row.key if chosen else ""
        note = result.path or entry.error or files.get(key) or queued.get(key) or ""
        given = f"{entry.artist} - {entry.title}" if entry.artist else entry.title
        rows.append((entry.line, result.status, given, shown, note))
    print_table(("Line", "Status", "Input", "Chosen / candidates", "File / note"), rows)


@click.command("find")
@click.argument("source", metavar="[FILE|-]", default="-")
@click.option("--pool", "pools", multiple=True, metavar="NAME", help="Only this pool (repeat).")
@click.option(
    "--playlist", metavar="NAME", help="rekordbox XML: this playlist, not the collection."
)
@click.option("--queue", is_flag=True, help="Add every chosen version to its pool's queue.")
@click.option("--download", is_flag=True, help="Download every chosen version.")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), help="Folder.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per tracklist entry.")
@click.option("--password-stdin", is_flag=True,
              help="Password (first stdin line) for pools without one; name FILE.")  # fmt: skip
@cli_errors
def command(
    source: str,
    pools: tuple[str, ...],
    playlist: str | None,
    queue: bool,
    download: bool,
    dest: Path | None,
    as_json: bool,
    password_stdin: bool,
) -> None:
    """Find every track of a tracklist FILE (or stdin) in the pools."""
    from crateq.core.songs import LibraryIndex
    from crateq.core.store import Store

    if password_stdin and source == "-":
        raise click.UsageError("--password-stdin reads stdin: name the tracklist FILE.")
    accounts = make_accounts()
    clients = accounts.clients(pools or None)
    if not clients:
        raise click.UsageError("No pools to search. Add one with `crateq pool add`.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    entries = _entries(source, playlist)
    settings = accounts.settings()
    store = Store()
    try:
        library = LibraryIndex(store)
        stream = as_json and not (queue or download)  # else the lines wait for the outcomes
        results, queued = run(_find(entries, clients, settings.prefer, library, queue, stream))
        files: dict[str, str] = {}
        chosen = _chosen(results)
        if download and chosen:
            fresh = accounts.clients(list(clients))
            files = run(_download(chosen, store, fresh, settings.downloads, dest))
    finally:
        store.close()
    if not stream:
        _report(results, queued, files, as_json)
    failed = [r for r in results if r.status == "missing" and len(r.errors) >= len(clients)]
    if (results and len(failed) == len(results)) or any(
        s.startswith("failed") for s in queued.values()
    ):
        raise SystemExit(1)


def _report(
    results: list[LineResult], queued: dict[str, str], files: dict[str, str], as_json: bool
) -> None:
    if not as_json:
        if results:
            _table(results, queued, files)
        else:
            click.echo("The tracklist names no tracks.")
        for result in results:
            for pool, message in result.errors.items():
                warn(f"line {result.entry.line}: {pool}: {message}")
        return
    for result in results:
        data = result.as_json()
        key = result.chosen.version.row.key if result.status == "found" and result.chosen else ""
        if key in queued:
            data["queue"] = queued[key]
        if key in files:
            data["download"] = files[key]
        print_json_line(data)
