"""Load: a 10,000-job download queue persists, restores and schedules, in the GUI and the CLI.

The pool is a real HTTP server on 127.0.0.1 (tests/big_queue_pool.py) whose downloads hold
(a job stays running, like a long file) or are refused (a job fails at once). The GUI path
is the app's own: ``Services``, the engine thread and its bridge, the queue panel; the
restore is a new ``Services`` over the same SQLite file. The asserts are behaviour (every
job there, in order, the right ones running within the limits); the long run records the
figures (scripts/bench reliability --long).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import reliability_log
from big_queue_pool import API_KEY, BigQueuePool, queue_row
from cli_harness import CliHarness
from crateq.api.pool_models import MediaRow
from crateq.core.download_jobs import JobSnapshot, JobState
from crateq.core.settings import Settings
from crateq.services import PoolSeed, Services, SettingsSeed
from crateq.ui.downloads.engine_bridge import start_engine
from crateq.ui.downloads.queue_panel import QueuePanel

JOBS = 10_000
HALF = JOBS // 2  # ids 1..HALF on pool a, the rest on pool b
WAIT_MS = 120_000


@pytest.fixture
def pool() -> Iterator[BigQueuePool]:
    server = BigQueuePool(JOBS)
    yield server
    server.close()


def seeded(pool: BigQueuePool) -> Services:
    app = Services(in_process_secrets=True)
    app.seed(SettingsSeed([PoolSeed(n, pool.url, API_KEY, "u", "p") for n in ("a", "b")]))
    return app


def rows() -> list[MediaRow]:
    made = [MediaRow.model_validate(queue_row(i)) for i in range(1, JOBS + 1)]
    for row in made:
        row.pool = "a" if row.media_id <= HALF else "b"
    return made


def settings(home: Path) -> Settings:
    chosen = Settings()
    chosen.downloads.folder = str(home / "downloads")
    return chosen


def wait_running(qtbot: QtBot, pool: BigQueuePool, count: int) -> None:
    qtbot.waitUntil(lambda: len(pool.downloads) >= count, timeout=WAIT_MS)


def summary_is(panel: QueuePanel, text: str) -> bool:
    return panel.model.rowCount() == JOBS and panel.summary.text().startswith(text)


def run_gui_queue(qtbot: QtBot, home: Path, pool: BigQueuePool) -> dict[str, float]:
    """Add 10k jobs through the bridge with the queue panel open, stop, restore; the
    figures in ms. Asserts each step's behaviour on the way."""
    limits = settings(home).downloads
    expected = [*range(1, limits.per_pool_jobs + 1), *range(HALF + 1, HALF + 4)]
    running_text = f"{len(expected)} downloading  ·  {JOBS - len(expected)} waiting"
    app = seeded(pool)
    bridge = start_engine(app, settings(home))
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    started = time.perf_counter()
    added = bridge.add_rows(rows()).result(timeout=WAIT_MS / 1000)
    figures = {"add": time.perf_counter() - started}
    qtbot.waitUntil(lambda: summary_is(panel, running_text), timeout=WAIT_MS)
    figures["panel"] = time.perf_counter() - started
    assert [job.media_id for job in added] == list(range(1, JOBS + 1))
    assert len({job.id for job in added}) == JOBS
    wait_running(qtbot, pool, len(expected))
    assert sorted(pool.downloads) == expected  # per pool 3, 6 in all, first in queue order
    started = time.perf_counter()
    bridge.stop()
    figures["stop"] = time.perf_counter() - started
    assert len(app.store.unfinished_jobs()) == JOBS
    app.shutdown()

    again = seeded(pool)  # a new start over the same database file
    bridge = start_engine(again, settings(home))
    started = time.perf_counter()
    restored = bridge.start().result(timeout=WAIT_MS / 1000)
    figures["restore"] = time.perf_counter() - started
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: summary_is(panel, running_text), timeout=WAIT_MS)
    figures["restored panel"] = time.perf_counter() - started
    assert [job.id for job in restored] == [job.id for job in added]
    assert [job.id for job in panel.model.jobs] == [job.id for job in added]
    wait_running(qtbot, pool, 2 * len(expected))
    assert sorted(pool.downloads) == sorted(expected * 2)  # the same six, resumed
    bridge.stop()
    again.shutdown()
    return {name: seconds * 1000 for name, seconds in figures.items()}


def test_a_10k_queue_persists_restores_and_schedules_in_the_gui(
    qtbot: QtBot, crateq_home: Path, pool: BigQueuePool
) -> None:
    run_gui_queue(qtbot, crateq_home, pool)
    reliability_log.record("load", f"{JOBS:,} jobs queued in the GUI, the app restarted",
                           "all restored in order; the queue panel lists them; the same 6 "
                           "(3 per pool) run before and after")  # fmt: skip


DOWNLOADS = reliability_log.scaled(2_000, JOBS)  # of the queue, refused; 2 ms each in CI


def run_cli_queue(home: Path, pool: BigQueuePool) -> dict[str, float]:
    """`crateq queue list` over a 10k server queue, then `crateq download --queue` of the
    first ``DOWNLOADS`` (all of it in the long run) with every download refused: each job
    is scheduled, tried once and fails; the figures in ms."""
    cli = CliHarness(home)
    pool.downloads.clear()  # what a GUI run before this one fetched
    seeded(pool).shutdown()  # the pools into the settings file
    assert cli("pool", "disable", "b").exit_code == 0
    started = time.perf_counter()
    listed = cli.json("queue", "list", "--password-stdin", input="p\n")
    figures = {"queue list": time.perf_counter() - started}
    pool.refuse, pool.size = True, DOWNLOADS
    started = time.perf_counter()
    result = cli("download", "--queue", "--json", "--password-stdin", input="p\n")
    figures["download --queue"] = time.perf_counter() - started
    assert listed["errors"] == []
    assert [row["key"] for row in listed["results"]] == [f"a:{i}" for i in range(1, JOBS + 1)]
    assert result.exit_code == 1, result.stderr[-2000:]
    assert sorted(pool.downloads) == list(range(1, DOWNLOADS + 1))  # each job tried once
    assert result.stderr.count("refused the download: Your subscription has expired") == (DOWNLOADS)
    return {name: seconds * 1000 for name, seconds in figures.items()}


def test_a_10k_server_queue_through_the_cli(crateq_home: Path, pool: BigQueuePool) -> None:
    run_cli_queue(crateq_home, pool)
    reliability_log.record("load", f"{JOBS:,}-track server queue; `download --queue` of "
                           f"{DOWNLOADS:,} with every download refused",
                           "`queue list` lists every track; each job tried once, each "
                           "failure named; exit 1")  # fmt: skip


@pytest.mark.long
@pytest.mark.timeout(900)
def test_a_10k_queue_figures(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[dict[str, float]] = []
    for n in range(3):
        home = tmp_path / f"run{n}"
        home.mkdir()
        monkeypatch.setenv("CRATEQ_HOME", str(home))
        pool = BigQueuePool(JOBS)
        try:
            runs.append(run_gui_queue(qtbot, home, pool) | run_cli_queue(home, pool))
        finally:
            pool.close()
    median = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    text = (f"{JOBS:,} jobs added in {median['add']:.0f} ms (panel shows them at "
            f"{median['panel']:.0f} ms); engine stopped in {median['stop']:.0f} ms; "
            f"{JOBS:,} jobs restored in {median['restore']:.0f} ms (panel at "
            f"{median['restored panel']:.0f} ms); `queue list` {median['queue list']:.0f} ms; "
            f"`download --queue` of {DOWNLOADS:,} refused downloads "
            f"{median['download --queue']:.0f} ms (medians)")  # fmt: skip
    reliability_log.record("load", f"{JOBS:,}-job queue: figures", text, tries=len(runs))


def test_the_job_tally_matches_a_recount() -> None:
    """The panel's summary counts are kept per event; they must equal a full recount."""
    import random

    from crateq.ui.downloads.queue_panel import JobTally

    rng = random.Random(25)
    states = list(JobState)
    base = [_snapshot(i, JobState.QUEUED) for i in range(200)]
    tally = JobTally(base)
    latest: dict[int, JobSnapshot] = {job.id: job for job in base}
    for _ in range(5000):
        job = _snapshot(rng.randrange(220), rng.choice(states), rng.choice([0.0, 1e5]))
        latest[job.id] = job
        tally.update(job)
    jobs = list(latest.values())
    assert tally.running == sum(j.state.active for j in jobs)
    assert tally.waiting == sum(j.state is JobState.QUEUED for j in jobs)
    assert tally.failed == sum(j.state is JobState.FAILED for j in jobs)
    assert tally.speed == sum(j.speed for j in jobs)


def _snapshot(job_id: int, state: JobState, speed: float = 0.0) -> JobSnapshot:
    return JobSnapshot(
        id=job_id, key=f"a:{job_id}", pool="a", media_id=job_id, artist="A", title="T",
        state=state, reason="", bytes_done=0, total_bytes=None, speed=speed, eta=None,
        path="", tag_note="", skipped=False,
    )  # fmt: skip


async def test_a_queue_feed_does_not_try_again_what_failed_in_this_run(
    crateq_home: Path, tmp_path: Path
) -> None:
    """Jobs restored from an earlier run fail before the server queue is read: the feed
    must not add those tracks again (each refused download is tried once per run), and a
    DJ's retry of the failed job is what tries it again."""
    from crateq.api.pool import PoolClient
    from crateq.core.autodownload import AutoDownloader
    from crateq.core.downloads import DownloadEngine
    from crateq.core.store import Store

    async def password() -> str:
        return "p"

    server = BigQueuePool(8, refuse=True)
    try:
        client = PoolClient("a", server.url, API_KEY, username="u", password_provider=password)
        async with client:
            engine = DownloadEngine(Store(), {"a": client})
            for media_id in (1, 2, 3):  # what a restart restored, ahead of the feed
                row = MediaRow.model_validate(queue_row(media_id))
                row.pool = "a"
                await engine.add(row, dest=tmp_path)
            assert {j.state for j in await engine.wait()} == {JobState.FAILED}
            auto = AutoDownloader(engine, {"a": client}, dest=tmp_path)
            first = await auto.run_once()
            assert [j.media_id for j in first.added] == [4, 5, 6, 7, 8]
            await engine.wait()
            assert (await auto.run_once()).added == []  # a second pass adds nothing either
            assert sorted(server.downloads) == list(range(1, 9))  # each tried once
            failed = next(j for j in engine.jobs() if j.media_id == 1)
            await engine.retry(failed.id)
            await engine.wait()
            assert sorted(server.downloads) == [1, *range(1, 9)]
            assert engine.gave_up("a:1") is not None and len(engine.jobs()) == 8
            auto.close()
            await engine.shutdown()
    finally:
        server.close()
