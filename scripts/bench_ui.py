"""UI benchmarks (run through `scripts/bench ui`): responsiveness, grid speed, cold start.

1. Event-loop lag: a 5 ms timer's drift (p50 / p99 / max) while a 10k-row search result
   streams from the demo pools into the real window, sorted by BPM, each search measured
   from the Enter key until the grid holds, has sorted and has painted every row, three
   searches pooled; the same while the grid scrolls a page every 50 ms; then while the
   download engine moves 4 files at full loopback speed. Each of ``--runs`` runs is
   printed (targets: p99 < 30 ms and max < 100 ms in every run).
2. Grid: 100k rows appended to the real model behind a shown view, then sorted by BPM
   (target < 200 ms).
3. Cold start: process start to the first painted window of `crateq gui`, as a ratio to a
   bare PySide6 window started in the same run (target <= 1.5x). Both report the end of the
   paint pass that starts with their window's first paint event (a zero timer after it): for
   the app that is the main window itself — toolbar, focused search field (typing works),
   status bar, in the theme's colours — not a splash. The grid, filter panel and the theme's
   style sheet are built right after that frame; the end of their first paint pass is
   printed too ("complete"), as a ratio to the same bare window. Both sides start with a
   warm bytecode cache, as an installed app does.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from crateq.api.pool_models import MediaRow

BARE_WINDOW = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
def painted():  # once the paint pass is over: the same point crateq.ui.shell.app reports
    print(f"first-paint {time.monotonic():.6f}", file=sys.stderr, flush=True)
    app.quit()
class Paint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, painted)
        return False
label = QLabel("bare window")
watch = Paint()
label.installEventFilter(watch)
label.resize(400, 300)
label.show()
app.exec()
"""


STREAM_RUNS = 3


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class LagProbe:
    """A 5 ms repeating timer; its late firings are the GUI loop's lag."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.interval = interval_ms
        self.samples: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.samples.clear()
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        elapsed = self.clock.nsecsElapsed() / 1e6
        self.clock.restart()
        self.samples.append(max(0.0, elapsed - self.interval))

    def stop(self) -> dict[str, Any]:
        self.timer.stop()
        return summarize(self.samples[1:])


def summarize(drift: list[float]) -> dict[str, Any]:
    """p50 / p99 / max / ticks of a probe's drift, and the drift itself (to pool runs)."""
    drift = drift or [0.0]
    return {
        "p50": statistics.median(drift),
        "p99": percentile(drift, 99),
        "max": max(drift),
        "ticks": len(drift),
        "drift": drift,
    }


def synthetic_rows(count: int, seed: int = 1) -> list[MediaRow]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        row = MediaRow(
            mediaId=i + 1, artist=f"Artist {rng.randrange(5000)}", title=f"Title {i}",
            bpm=rng.randrange(70, 175), releaseYear=rng.randrange(1970, 2026),
            groupId=i // 3 + 1, tool=rng.choice(["Main", "Extended", "Intro"]),
            length="3:30", size="9.5 MB", genre="House", date="2025-01-01",
        )  # fmt: skip
        row.pool = "bench"
        rows.append(row)
    return rows


def bench_grid(app: QApplication, count: int, repeats: int) -> None:
    from crateq.ui.search.columns import RESULT_COLUMN_INDEX as COLUMN_INDEX
    from crateq.ui.search.results_model import ResultsModel
    from crateq.ui.search.results_view import ResultsView

    rows = synthetic_rows(count)
    timings = []
    for _ in range(repeats):
        model = ResultsModel()
        view = ResultsView(model)
        view.resize(1400, 800)
        view.show()
        app.processEvents()
        start = time.perf_counter()
        model.append_rows(rows)
        app.processEvents()
        loaded = time.perf_counter()
        model.sort(COLUMN_INDEX["bpm"])
        app.processEvents()
        done = time.perf_counter()
        timings.append((loaded - start, done - loaded, done - start))
        view.close()
        view.deleteLater()
        app.processEvents()
    best = min(timings, key=lambda t: t[2])
    print(
        f"grid: {count} rows ({model.song_count()} songs) load {best[0] * 1000:.0f} ms + "
        f"sort by BPM {best[1] * 1000:.0f} ms = {best[2] * 1000:.0f} ms "
        f"(best of {repeats}; target < 200 ms)"
    )


def serve_demo_pools(
    per_pool: int, media_bytes: int | None = None
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`crateq demo serve` in its own process (real pools are remote: their JSON encoding
    must not compete with the GUI for this process's GIL); returns it and name -> URL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from crateq.cli import main; main()", "demo", "serve",
         "--catalog-size", str(per_pool),
         *(["--media-bytes", str(media_bytes)] if media_bytes else [])],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    from crateq.demo.catalog import DEMO_POOLS

    urls: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "READY":  # READY name url api-key
            urls[parts[1]] = parts[2]
        if all(spec.name in urls for spec in DEMO_POOLS):
            break
    return proc, {spec.name: urls[spec.name] for spec in DEMO_POOLS}


def measure_lag(
    app: QApplication,
    busy: Callable[[], bool],
    limit: float = 300,
    begin: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Run Qt's own event loop (as the app does) while ``busy()``; report the probe's drift.

    A Python loop of ``processEvents()`` would itself fight the core thread for the GIL on
    every call and overstate the lag, so the check for the end is a 50 ms timer instead.
    ``begin`` (the keystroke) runs 20 ms into the loop, so its own cost is measured too.
    """
    probe = LagProbe()
    started = time.perf_counter()
    probe.start()
    loop = QEventLoop()
    if begin is not None:
        QTimer.singleShot(20, begin)

    def check() -> None:
        if not busy() or time.perf_counter() - started > limit:
            loop.quit()

    watch = QTimer()
    watch.setInterval(50)
    watch.timeout.connect(check)
    watch.start()
    loop.exec()
    watch.stop()
    result = probe.stop()
    result["seconds"] = time.perf_counter() - started
    return result


def show(label: str, lag: dict[str, Any]) -> None:
    print(
        f"lag {label}: p50 {lag['p50']:.2f} ms, p99 {lag['p99']:.2f} ms, "
        f"max {lag['max']:.2f} ms ({lag['seconds']:.1f} s, {lag['ticks']:.0f} ticks)"
    )


class GridWatch:
    """Whether the grid holds, has sorted and has painted every row of a search.

    Counts the model's changes and the viewport's paints in one sequence: the grid has
    shown its rows once a paint came after the last change."""

    def __init__(self, window: Any) -> None:  # Any: the bench reaches into the window
        from PySide6.QtCore import QEvent, QObject

        self.window, self.seq, self.changed, self.painted = window, 0, 0, 0
        model = window.model
        for signal in (model.layoutChanged, model.rowsInserted, model.modelReset):
            signal.connect(self._change)
        watch = self

        class Paints(QObject):
            def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    watch.seq += 1
                    watch.painted = watch.seq
                return False

        self._filter = Paints()
        window.results.viewport().installEventFilter(self._filter)

    def _change(self, *_args: object) -> None:
        self.seq += 1
        self.changed = self.seq

    def done(self, run: int) -> bool:
        window, model = self.window, self.window.model
        controller = window.controller
        paging = controller.paging
        if (
            controller.tasks.running("search")
            or paging is None
            or paging.run != run
            or window.finished_run != run
            or model.version_count() != sum(paging.fetched.values())
            or self.painted <= self.changed
        ):
            return False
        return in_sort_order(model)


def in_sort_order(model: Any) -> bool:  # Any: the bench reaches into the model
    from crateq.ui.columns import sort_rows

    keys = [(model.columns[s], o) for s, o in model.sort_keys]
    heads = list(model.rows)  # no song is unfolded in the bench
    return not keys or sort_rows(heads, keys) == heads


class Scroller:
    """The DJ scrolling the grid while rows arrive: a page down every 50 ms, back to the top
    before the end (the end would ask for the next pages)."""

    def __init__(self, view: Any) -> None:  # Any: a QTableView
        self.bar = view.verticalScrollBar()
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._step)

    def _step(self) -> None:
        bar = self.bar
        nxt = bar.value() + bar.pageStep()
        bar.setValue(nxt if nxt < bar.maximum() - bar.pageStep() else 0)


def stream_lag(app: QApplication, window: Any, watch: GridWatch, scroll: bool) -> dict[str, Any]:
    """Lag of STREAM_RUNS searches, pooled: each from the Enter key in the search field until
    the grid holds, has sorted and has painted every row (``GridWatch``)."""
    from PySide6.QtTest import QTest

    drift: list[float] = []
    seconds = 0.0
    scroller = Scroller(window.results) if scroll else None
    for _ in range(STREAM_RUNS):
        window.results.scrollToTop()
        run = window.controller.current_run + 1
        if scroller is not None:
            scroller.timer.start()
        lag = measure_lag(
            app,
            lambda run=run: not watch.done(run),
            begin=lambda: QTest.keyClick(window.search_bar.field, Qt.Key.Key_Return),
        )
        if scroller is not None:
            scroller.timer.stop()
        drift += lag["drift"]
        seconds += lag["seconds"]
    return summarize(drift) | {"seconds": seconds}


def download_lag(app: QApplication, gui: Any) -> None:  # Any: the GuiApp
    """4 files, fetched again in every run (``force``: the library would skip them)."""
    engine = gui.downloads.engine if gui.downloads is not None else None
    if engine is None:
        print("lag during downloads: skipped (no download engine)")
        return
    rows = [r for r in gui.window.model.all_rows() if r.audio][:4]
    finished: list[int] = []
    slot = lambda done, failed: finished.append(done + failed)  # noqa: E731
    engine.batchFinished.connect(slot)
    before = sum(s.bytes_done for s in engine.snapshots())
    engine.add_rows(rows, force=True)
    lag = measure_lag(app, lambda: not finished, limit=120)
    engine.batchFinished.disconnect(slot)
    total = sum(s.bytes_done for s in engine.snapshots()) - before
    show(f"during {len(rows)} downloads ({total / 1e6:.0f} MB)", lag)


def bench_lag(app: QApplication, rows_wanted: int, download_mb: int, runs: int) -> None:
    from crateq.demo.app import DEMO_API_KEY
    from crateq.services import PoolSeed, Services, SettingsSeed
    from crateq.ui.search.columns import RESULT_COLUMN_INDEX
    from crateq.ui.shell.app import build

    home = tempfile.TemporaryDirectory(prefix="crateq-bench-")
    os.environ["CRATEQ_HOME"] = home.name
    server, urls = serve_demo_pools(rows_wanted // 3 + 200, download_mb * 1_000_000)
    try:
        services = Services(in_process_secrets=True)  # the demo's way: no OS keyring
        pools = [PoolSeed(name, url, DEMO_API_KEY, "demo", "demo") for name, url in urls.items()]
        services.seed(SettingsSeed(pools))
        gui = build(services=services, mode="app")
        controller, window = gui.controller, gui.window
        controller.result_limit = rows_wanted // 3 + 1
        window.show()
        window.build_body()
        window.model.sort(RESULT_COLUMN_INDEX["bpm"], Qt.SortOrder.DescendingOrder)
        watch = GridWatch(window)
        app.processEvents()
        idle_until = time.perf_counter() + 1.0
        show("idle", measure_lag(app, lambda: time.perf_counter() < idle_until))
        for number in range(1, runs + 1):
            print(f"run {number} of {runs}:")
            lag = stream_lag(app, window, watch, scroll=False)
            show(f"  while {window.model.version_count()} rows stream in (x{STREAM_RUNS})", lag)
            lag = stream_lag(app, window, watch, scroll=True)
            show(f"  the same, scrolling a page every 50 ms (x{STREAM_RUNS})", lag)
            download_lag(app, gui)
        gui.shutdown()
        window.close()
    finally:
        server.terminate()
        server.wait(30)
        home.cleanup()


def paint_times(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Seconds from process start to each ``<name>-paint <monotonic>`` line it printed."""
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    times = {
        line.split()[0].removesuffix("-paint"): float(line.split()[1]) - start
        for line in proc.stderr.splitlines()
        if line.split(" ", 1)[0].endswith("-paint")
    }
    if "first" not in times:
        raise RuntimeError(f"no first paint reported: {proc.stderr[-2000:]}")
    return times


def bench_cold_start(repeats: int) -> None:
    """Both sides run with Python's bytecode cache, as an installed app does (pip compiles
    it at install time; any later start reuses it). Without it every start compiles the
    app's modules from source while the bare window has none to compile. The cache goes to
    a temporary folder (``PYTHONPYCACHEPREFIX``), filled by one untimed start of each."""
    pycache = tempfile.TemporaryDirectory(prefix="crateq-pycache-")
    env = dict(os.environ, CRATEQ_GUI_REPORT_PAINT="1", CRATEQ_GUI_QUIT_AFTER_MS="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache.name
    commands = {
        # what the `crateq` console script runs (crateq.launch), in this interpreter
        "crateq gui": [sys.executable, "-c", "from crateq.launch import main; main()", "gui"],
        "crateq.ui.shell.app.run (without the CLI's imports)": [
            sys.executable, "-c", "from crateq.ui.shell.app import run; raise SystemExit(run())"
        ],
    }  # fmt: skip
    bare: list[float] = []
    timings: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="crateq-cold-") as home:  # fill the cache
        env["CRATEQ_HOME"] = home
        paint_times([sys.executable, "-c", BARE_WINDOW], env)
        for cmd in commands.values():
            paint_times([*cmd, "--mode", "app"], env)
    runs: list[str | None] = [None, *commands]  # None: the bare window
    for repeat in range(repeats):
        shift = repeat % len(runs)  # each side takes each place in the order in turn
        for name in runs[shift:] + runs[:shift]:
            with tempfile.TemporaryDirectory(prefix="crateq-cold-") as home:
                env["CRATEQ_HOME"] = home
                if name is None:
                    bare.append(paint_times([sys.executable, "-c", BARE_WINDOW], env)["first"])
                else:
                    timings[name].append(paint_times([*commands[name], "--mode", "app"], env))
    pycache.cleanup()
    b = statistics.median(bare)
    print(f"cold start to first paint: bare PySide6 window {b * 1000:.0f} ms (median of {repeats})")
    for name, runs in timings.items():
        a = statistics.median(t["first"] for t in runs)
        print(f"  {name}: {a * 1000:.0f} ms, ratio {a / b:.2f}x (target <= 1.5x)")
        done = [t["complete"] for t in runs if "complete" in t]
        if done:
            c = statistics.median(done)
            print(f"    grid, filters and style sheet painted: {c * 1000:.0f} ms, {c / b:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="grid rows to load and sort")
    parser.add_argument("--stream", type=int, default=10_000, help="rows streamed for lag")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--download-mb", type=int, default=200, help="size of each download")
    parser.add_argument("--runs", type=int, default=5, help="lag runs, each printed")
    parser.add_argument("--only", choices=["grid", "lag", "cold"], default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if args.only in (None, "grid"):
        bench_grid(app, args.rows, args.repeats)  # type: ignore[arg-type]
    if args.only in (None, "lag"):
        bench_lag(app, args.stream, args.download_mb, args.runs)  # type: ignore[arg-type]
    if args.only in (None, "cold"):
        bench_cold_start(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
