"""`crateq analyse`: tempo, key and loudness of files already on disk, or of the library.

The same analysis the download engine runs on arrival (``crateq.core.analysis``), in the
same worker pool (all cores but one). Results go to the store, so ``crateq search --key``
and the library see them; ``--tags`` also writes them into the files (TKEY, TBPM as
``analysis.bpm`` says, ReplayGain). Exit 1 when a file could not be analysed or the
``analysis`` extra is not installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from crateq.cli._common import JSONValue, cli_errors, cli_services, error, print_json, print_table

if TYPE_CHECKING:
    from crateq.core.analysis import Analysis
    from crateq.core.store import LibraryEntry, Store

COLUMNS = ("File", "BPM", "Key", "Camelot", "LUFS", "Gain", "Note")


def collect(paths: tuple[Path, ...]) -> list[Path]:
    """Files named, and the audio files under folders named (sorted), each once."""
    from crateq.core.analysis import AUDIO_SUFFIXES

    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.suffix.lower() in AUDIO_SUFFIXES and child.is_file():
                    found[child] = None
        else:
            found[path] = None
    return list(found)


@click.command("analyse")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--library", is_flag=True, help="Analyse every file of the download library.")
@click.option("--tags", is_flag=True, help="Also write key, BPM and ReplayGain into the files.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@cli_errors
def command(paths: tuple[Path, ...], library: bool, tags: bool, as_json: bool) -> None:
    """Measure BPM, musical key (Camelot, Open Key) and loudness (LUFS) of PATHS (files or
    folders) or of the --library."""
    from crateq.core import analysis

    if not paths and not library:
        raise click.UsageError("Name files or folders to analyse, or --library.")
    if not analysis.available():
        error(analysis.UNAVAILABLE)
        raise SystemExit(1)
    services = cli_services()
    store = services.store
    entries = {e.path: e for e in store.library() if e.present} if library else {}
    files = collect(paths) + [p for p in entries if p not in set(paths)]
    analyser = analysis.Analyser()
    results: list[dict[str, JSONValue]] = []
    try:
        futures = [(path, analyser.submit(path)) for path in files]
        for path, future in futures:
            _kind, payload = future.result()
            entry = entries.get(path) or _entry_for(store, path)
            results.append(_record(store, path, entry, payload, tags, services.settings()))
    finally:
        analyser.shutdown()
    _show(results, as_json)
    if any(r["error"] for r in results):
        raise SystemExit(1)


def _entry_for(store: Store, path: Path) -> LibraryEntry | None:
    resolved = path.resolve()
    return next((e for e in store.library() if e.path.resolve() == resolved), None)


def _record(
    store: Store,
    path: Path,
    entry: LibraryEntry | None,
    payload: Analysis | str,
    write_tags: bool,
    settings: object,
) -> dict[str, JSONValue]:
    """Store one outcome (and tag the file if asked); the row ``--json`` prints."""
    from crateq.core.analysis import Analysis
    from crateq.core.analysis_bpm import check_bpm
    from crateq.core.download_analysis import analysis_tags
    from crateq.core.settings import Settings
    from crateq.core.tagging import tag_file

    assert isinstance(settings, Settings)
    pool, media_id = (entry.pool, entry.media_id) if entry else ("", 0)
    target = entry.path if entry else path
    if not isinstance(payload, Analysis):
        store.record_analysis(target, None, pool=pool, media_id=media_id, error=payload)
        return {"path": str(path), "analysis": None, "note": "", "error": payload}
    pool_bpm = _number(entry.tags.get("bpm")) if entry else 0.0
    check = check_bpm(pool_bpm, payload.bpm, str(entry.tags.get("genre", "")) if entry else "")
    note = check.note
    if write_tags:
        values = analysis_tags(path, payload, check, settings.analysis, pool_bpm=pool_bpm)
        outcome = tag_file(path, values, overwrite=True)
        note = " ".join(filter(None, [note, "" if outcome.ok else outcome.reason]))
    store.record_analysis(target, payload.as_dict(), pool=pool, media_id=media_id, note=note)
    data: dict[str, JSONValue] = dict(payload.as_dict())
    return {"path": str(path), "analysis": data, "note": note, "error": ""}


def _show(results: list[dict[str, JSONValue]], as_json: bool) -> None:
    if as_json:
        failed = sum(1 for r in results if r["error"])
        print_json({"results": results, "analysed": len(results) - failed, "failed": failed})
        return
    rows = []
    for result in results:
        data = result["analysis"]
        if isinstance(data, dict):
            gain = f"{data['replay_gain']:+.2f} dB"
            rows.append((Path(str(result["path"])).name, data["bpm"], data["key"],
                         data["camelot"], data["lufs"], gain, result["note"]))  # fmt: skip
        else:
            error(str(result["error"]))
    if rows:
        print_table(COLUMNS, rows)


def _number(value: object) -> float:
    """A tag's number (the library keeps tags as JSON text), 0.0 when it holds none."""
    try:
        return float(str(value or 0))
    except ValueError:
        return 0.0
