"""The real `crateq gui` process (offscreen) killed with SIGKILL mid-download; the next start
shows the jobs in the queue panel and resumes them to completion.

The first start is a subprocess on a ``$CRATEQ_HOME`` set up for the demo pools with
auto-download on, so the GUI itself reads the server queues and starts the downloads (slowed
down so the kill lands mid-file). Once the store shows a job whose part holds bytes, the
process is killed. The second start is the app's own start-up (``crateq.ui.shell.app.build``)
in this process on the same home: its queue panel must list every job, the partial ones
resumed from their part (never from byte 0), and all of them must end done, with the files
and the database as the CLI crash tests demand (crash_support.check_downloads).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crash_support import USER, Track, check_downloads, database
from pytestqt.qtbot import QtBot

import reliability_log
from cli_harness import CliHarness, using_keyring
from crateq.core.download_jobs import JobSnapshot, JobState
from crateq.core.tag_values import ID3_RESERVE
from crateq.demo.cluster import DemoCluster
from crateq.ui.shell.app import build
from file_keyring import ENV as KEYRING_ENV
from file_keyring import FileKeyring

HERE = Path(__file__).resolve().parent
GUI = [sys.executable, "-c", "from crateq.launch import main; main()", "gui"]
SLOW = 40_000  # bytes per second while the first start downloads: the kill lands mid-file
PARTIAL = ID3_RESERVE + 24_000  # a part this big has body bytes in it, whatever its format


@pytest.fixture
def ring(tmp_path: Path) -> FileKeyring:
    return FileKeyring(tmp_path / "keyring.json")


@pytest.fixture
def home(crateq_home: Path, demo_cluster: DemoCluster, ring: FileKeyring, tmp_path: Path) -> Path:
    """Pools signed in (password in the file keyring), downloads to ``tmp_path/dl``, the
    server queues downloaded automatically."""
    with using_keyring(ring):
        cli = CliHarness(crateq_home)
        for pool in ("urban-beats", "vj-vault"):
            added = cli.add_demo_pool(demo_cluster, pool, username=USER, password=USER)
            assert added.exit_code == 0, added.stderr
        for key, value in (
            ("downloads.folder", str(tmp_path / "dl")),
            ("downloads.auto_download", "true"),
            ("analysis.enabled", "false"),
        ):
            assert cli("config", "set", key, value).exit_code == 0
    return crateq_home


def _gui_env(home: Path, ring: FileKeyring) -> dict[str, str]:
    env = dict(os.environ, CRATEQ_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("CRATEQ_GUI_QUIT_AFTER_MS", None)
    env.pop("CRATEQ_CRASH_AT", None)
    env["PYTHON_KEYRING_BACKEND"] = "file_keyring.FileKeyring"
    env[KEYRING_ENV] = str(ring.path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(HERE.parent)]))
    return env


def _partial_parts(home: Path) -> list[Path]:
    """Parts of the store's jobs that already hold body bytes (none while it is not there)."""
    try:
        db = sqlite3.connect(database(home), timeout=5)
    except ValueError:  # no database file yet
        return []
    try:
        paths = [r[0] for r in db.execute("SELECT path FROM jobs WHERE path != ''")]
    except sqlite3.OperationalError:  # the schema is being created
        return []
    finally:
        db.close()
    parts = [Path(p + ".part") for p in paths]
    return [p for p in parts if p.exists() and p.stat().st_size >= PARTIAL]


def kill_mid_download(home: Path, ring: FileKeyring, log: Path) -> list[Path]:
    """Start the GUI, SIGKILL it once a job's part holds bytes; the parts it left."""
    with log.open("w") as out:
        proc = subprocess.Popen(GUI, env=_gui_env(home, ring), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 90
        while not (parts := _partial_parts(home)):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no download started: " + log.read_text()[-3000:]
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    return parts


def test_a_killed_gui_shows_and_resumes_its_downloads_on_the_next_start(
    qtbot: QtBot,
    home: Path,
    ring: FileKeyring,
    demo_cluster: DemoCluster,
    tracks: list[Track],
    tmp_path: Path,
) -> None:
    for pool in ("urban-beats", "vj-vault"):
        demo_cluster.pools[pool].faults.slow_bytes_per_second = SLOW
    assert kill_mid_download(home, ring, tmp_path / "gui.log")
    demo_cluster.reset_faults()
    dest = tmp_path / "dl"
    left = {p: p.stat().st_size for p in dest.rglob("*.part")}  # every job the kill cut short
    assert not [p for p in dest.rglob("*") if p.suffix in (".mp3", ".mp4")], "a final file early"

    with using_keyring(ring):
        gui = build()  # the app's own start-up on the same home
        qtbot.addWidget(gui.window)
        try:
            seen: list[JobSnapshot] = []
            assert gui.downloads is not None and gui.downloads.engine is not None
            engine = gui.downloads.engine
            engine.jobAdded.connect(seen.append)
            engine.jobChanged.connect(seen.append)
            gui.window.show_current_mode()
            assert gui.downloads.queue is not None
            model = gui.downloads.queue.model

            def finished() -> bool:
                jobs = model.jobs
                return len(jobs) == len(tracks) and all(j.state is JobState.DONE for j in jobs)

            qtbot.waitUntil(finished, timeout=90_000)
            shown = {(j.pool, j.media_id) for j in model.jobs}
        finally:
            gui.shutdown()
            gui.app.removeEventFilter(gui.window)
    assert shown == {t.key for t in tracks}
    resumed = _resumed_from(seen, left)
    assert resumed, "no job that the kill left a part of was seen resuming"
    check_downloads(home, dest, tracks)
    reliability_log.record(
        "crash", "`crateq gui` SIGKILLed mid-download",
        "the next start showed every job and resumed the partial ones from their part; "
        "every file the server's bytes, tagged, once; database consistent",
        tries=len(resumed),
    )  # fmt: skip


def _resumed_from(seen: list[JobSnapshot], left: dict[Path, int]) -> list[str]:
    """Keys of the jobs the kill left a part of that the next start took up from that part:
    listed with its bytes, and never back at byte 0 while downloading."""
    resumed = []
    for part, size in left.items():
        final = str(part.with_name(part.name.removesuffix(".part")))
        mine = [s for s in seen if s.path == final]
        assert mine, f"{final} never shown"
        body = size - (ID3_RESERVE if part.name.endswith(".mp3.part") else 0)
        assert mine[0].bytes_done >= body, (mine[0], body)
        downloading = [s.bytes_done for s in mine if s.state is JobState.DOWNLOADING]
        assert min(downloading, default=body) >= body, "restarted from byte 0"
        resumed.append(mine[0].key)
    return resumed
