"""`crateq download`: fetch tracks by POOL:ID, or the pools' server-side queues.

Runs the same engine as the GUI on this process's loop. Unfinished jobs of an earlier run
(Ctrl-C, a kill, a crash) are resumed first, from their ``.part`` files. Ctrl-C pauses
every running job cleanly and exits 1; the next run resumes them. A full disk pauses the
jobs it has no room for (the reason says how much to free where) and exits 1; the next run
resumes them too. ``--json`` prints one JSON object per engine event and a final
``summary`` object; without it a terminal shows rich progress bars. The exit code is 1 when
any track failed.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections import defaultdict
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from crateq.cli._common import (
    cli_errors,
    cli_services,
    console,
    error,
    hold_stdin_password,
    parse_track_key,
    print_json_line,
    print_table,
    run,
)

# asyncio, rich's progress bars, httpx (under PoolClient) and the download engine are
# imported where a download runs: `crateq download --help` needs none of them.
if TYPE_CHECKING:
    import asyncio

    from rich.progress import Progress, TaskID

    from crateq.api.pool import PoolClient
    from crateq.api.pool_models import MediaRow
    from crateq.core.autodownload import AutoDownloader
    from crateq.core.download_jobs import JobEvent, JobSnapshot
    from crateq.core.settings import DownloadSettings
    from crateq.services import Services


class _Display:
    """Turns engine events into JSON lines or rich progress bars."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.progress: Progress | None = None
        self._tasks: dict[int, TaskID] = {}
        self._total: TaskID | None = None
        self._sizes: dict[int, tuple[int, int | None]] = {}
        if not as_json and console().is_terminal:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}", justify="left"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=console(),
            )
            self._total = self.progress.add_task("[bold]Total", total=None)

    def __call__(self, event: JobEvent) -> None:
        from crateq.core.download_jobs import JobState

        job = event.job
        if self.as_json:
            print_json_line(event.as_dict())
            return
        if self.progress is None:
            if event.kind == "state" and (job.state.finished or job.state is JobState.PAUSED):
                click.echo(f"{job.key}: {job.state}{' - ' + job.reason if job.reason else ''}")
                if job.analysis or job.analysis_note:
                    click.echo(f"{job.key}: {_analysis_text(job)}")
            return
        self._bar(job)

    def _bar(self, job: JobSnapshot) -> None:
        from crateq.core.download_jobs import JobState

        assert self.progress is not None
        task = self._tasks.get(job.id)
        label = f"{job.artist} - {job.title}"[:40]
        if task is None:
            task = self.progress.add_task(label, total=job.total_bytes)
            self._tasks[job.id] = task
        suffix = "" if job.state is JobState.DOWNLOADING else f" [{job.state}]"
        self.progress.update(
            task, completed=job.bytes_done, total=job.total_bytes, description=label + suffix
        )
        self._sizes[job.id] = (job.bytes_done, job.total_bytes)
        if self._total is not None:
            done = sum(d for d, _ in self._sizes.values())
            totals = [t for _, t in self._sizes.values()]
            total = sum(t for t in totals if t) if all(totals) else None
            self.progress.update(self._total, completed=done, total=total)

    @contextmanager
    def live(self) -> Iterator[None]:
        if self.progress is None:
            yield
            return
        with self.progress:
            yield


async def _download(
    keys: tuple[str, ...],
    queue: bool,
    watch: bool,
    dest: Path | None,
    jobs: int | None,
    as_json: bool,
    force: bool,
    remove: bool | None,
    password_stdin: bool,
) -> int:
    import asyncio

    from crateq.cli._rows import look_up

    services = cli_services()
    accounts = services.accounts
    settings = accounts.settings().downloads
    if jobs:
        settings = settings.model_copy(
            update={"total_jobs": jobs, "per_pool_jobs": min(settings.per_pool_jobs, jobs)}
        )
    wanted = [parse_track_key(key) for key in keys]
    clients = accounts.clients(None)
    missing = [p for p, _ in wanted if p not in clients]
    if missing:
        raise click.BadParameter(f"No pool named {missing[0]!r} is configured.")
    if password_stdin:
        hold_stdin_password(accounts, clients)
    # The rows are asked for first, and each goes to the engine as it is found; the
    # engine's imports (a tenth of a second) run on a worker while the pools answer.
    arrived: asyncio.Queue[MediaRow | None] = asyncio.Queue()
    looked_up = asyncio.ensure_future(look_up(clients, wanted, arrived.put_nowait))
    looked_up.add_done_callback(lambda _: arrived.put_nowait(None))
    try:
        return await _run_engine(services, clients, settings, looked_up, arrived,
                                 _Options(queue, watch, dest, as_json, force, remove))  # fmt: skip
    finally:
        looked_up.cancel()  # done unless something failed first
        await asyncio.gather(looked_up, return_exceptions=True)
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)


class _Options(NamedTuple):
    queue: bool
    watch: bool
    dest: Path | None
    as_json: bool
    force: bool
    remove: bool | None


async def _run_engine(
    services: Services,
    clients: dict[str, PoolClient],
    settings: DownloadSettings,
    looked_up: asyncio.Future[tuple[dict[tuple[str, int], MediaRow], dict[str, str]]],
    arrived: asyncio.Queue[MediaRow | None],
    opts: _Options,
) -> int:
    """Start the engine, give it each row looked up and the queues, wait; the summary."""
    import asyncio
    import importlib

    await asyncio.to_thread(importlib.import_module, "crateq.core.autodownload")
    from crateq.core.autodownload import AutoDownloader

    engine = services.download_engine(clients, settings)
    display = _Display(opts.as_json)
    engine.subscribe(display)
    playlist = None
    auto: AutoDownloader | None = None
    stop, interrupted = _stop_on_signals()
    errors: dict[str, str] = {}
    try:
        from crateq.core.export_auto import auto_playlist

        playlist = auto_playlist(services.store, services.accounts.settings(), opts.dest)
        if playlist is not None:
            engine.subscribe(playlist)
        with display.live():
            await engine.start()
            while (row := await arrived.get()) is not None:
                await engine.add(row, dest=opts.dest, force=opts.force)
            errors.update((await looked_up)[1])
            if opts.queue:
                remove_after = (
                    settings.remove_from_server_queue if opts.remove is None else opts.remove
                )
                auto = AutoDownloader(engine, clients, dest=opts.dest, remove_after=remove_after,
                                      interval=settings.auto_interval_seconds)  # fmt: skip
                if opts.watch:
                    await _race(auto.watch(stop), stop)
                else:
                    run_errors = (await auto.run_once()).errors
                    errors.update({f"{k} queue": v for k, v in run_errors.items()})
            if not stop.is_set():
                await _race(engine.wait(), stop)
    finally:
        await engine.shutdown()
        if auto is not None:
            await auto.drain()  # removals from server queues for what did finish
            auto.close()
        if playlist is not None:
            playlist.close()  # its pending additions read the store
        services.shutdown()  # closes the store
    return _summary(engine.jobs(), errors, opts.as_json, interrupted.is_set())


def _stop_on_signals() -> tuple[asyncio.Event, asyncio.Event]:
    """Events set by Ctrl-C or SIGTERM: stop the run, and it was interrupted."""
    import asyncio

    stop, interrupted = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        interrupted.set()
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no handlers
            loop.add_signal_handler(sig, on_signal)
    return stop, interrupted


async def _race(work: Awaitable[object], stop: asyncio.Event) -> None:
    """Run ``work`` until it ends or ``stop`` is set (Ctrl-C)."""
    import asyncio

    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, stopper):
        if not pending.done():
            pending.cancel()
    if task.done() and not task.cancelled():
        failure = task.exception()
        if failure is not None:
            raise failure


def _analysis_text(job: JobSnapshot) -> str:
    """ "128.0 BPM, A minor (8A), -9.1 LUFS" and the BPM check's or the failure's note."""
    parts = [job.analysis_note] if job.analysis_note else []
    if (found := job.analysis) is not None:
        figures = f"{found.bpm:.1f} BPM, {found.key} ({found.camelot}), {found.lufs:.1f} LUFS"
        parts.insert(0, figures)
    return "; ".join(parts)


def _summary(
    jobs: list[JobSnapshot], errors: dict[str, str], as_json: bool, interrupted: bool
) -> int:
    from crateq.core.download_jobs import JobState

    counts: dict[str, int] = defaultdict(int)
    for job in jobs:
        counts["skipped" if job.skipped else str(job.state)] += 1
    failed = [j for j in jobs if j.state is JobState.FAILED]
    no_room = [j for j in jobs if j.waits_for_space]
    summary = {
        "event": "summary",
        "done": counts["done"],
        "skipped": counts["skipped"],
        "failed": len(failed) + len(errors),
        "paused": counts["paused"],
        "cancelled": counts["cancelled"],
        "no_room": len(no_room),
        "interrupted": interrupted,
        "errors": [{"key": j.key, "reason": j.reason} for j in failed]
        + [{"key": k, "reason": v} for k, v in errors.items()],
    }
    if as_json:
        print_json_line(summary)
    else:
        rows = [(j.key, str(j.state), j.path or j.reason) for j in jobs]
        if rows:
            print_table(("track", "state", "file / reason"), rows)
        click.echo(
            f"{summary['done']} downloaded, {summary['skipped']} already there, "
            f"{summary['failed']} failed, {summary['paused']} paused."
        )
    for key, reason in errors.items():
        error(f"{key}: {reason}")
    for job in failed:
        error(f"{job.key}: {job.reason}")
    for job in no_room:
        error(f"{job.key}: paused: {job.reason}")
    if no_room:
        error("Once there is room, run the command again: paused downloads resume from there.")
    if interrupted and summary["paused"]:
        error("Interrupted: running downloads are paused; run the command again to resume.")
    # Ctrl-C that paused work is a failure to finish, so is a full disk; ending an idle
    # --watch is not.
    return 1 if summary["failed"] or no_room or (interrupted and summary["paused"]) else 0


@click.command("download")
@click.argument("keys", nargs=-1, metavar="POOL:ID...")
@click.option("--queue", is_flag=True, help="Download every pool's server-side queue.")
@click.option("--watch", is_flag=True, help="With --queue: keep polling the queues.")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), help="Folder.")
@click.option("--jobs", type=click.IntRange(1, 32), help="Downloads at the same time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
@click.option("--force", is_flag=True, help="Download again even if in the library.")
@click.option(
    "--remove-from-queue/--keep-in-queue",
    "remove",
    default=None,
    help="With --queue: remove tracks from the server queue once downloaded.",
)
@click.option("--password-stdin", is_flag=True, help="Password (first stdin line).")
@cli_errors
def command(
    keys: tuple[str, ...],
    queue: bool,
    watch: bool,
    dest: Path | None,
    jobs: int | None,
    as_json: bool,
    force: bool,
    remove: bool | None,
    password_stdin: bool,
) -> None:
    """Download tracks (POOL:ID...) or the pools' queues (--queue [--watch])."""
    if not keys and not queue:
        raise click.UsageError("Name tracks as POOL:ID, or pass --queue.")
    if watch and not queue:
        raise click.UsageError("--watch works with --queue.")
    code = run(_download(keys, queue, watch, dest, jobs, as_json, force, remove, password_stdin))
    sys.exit(code)
