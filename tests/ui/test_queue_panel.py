"""The queue panel drives the real download engine against the demo pools.

The engine runs on its own thread (as in the app); the panel sees it only through the
bridge's queued signals. Waiting is on those signals or on job states, never on the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cli_harness import using_keyring
from crateq.api.pool_models import MediaRow
from crateq.core.accounts import Accounts
from crateq.core.download_jobs import JobState
from crateq.core.settings import Settings
from crateq.core.store import Store
from crateq.demo.cluster import DemoCluster
from crateq.services import Services
from crateq.ui.downloads.engine_bridge import EngineBridge, start_engine
from crateq.ui.downloads.notifications import DownloadNotifier
from crateq.ui.downloads.queue_panel import (
    COLUMN,
    STATUS_ROLE,
    QueuePanel,
    action_for,
    human_bytes,
    human_eta,
)
from memory_keyring import MemoryKeyring

POOL = "urban-beats"


@pytest.fixture
def bridge(crateq_home: Path, demo_cluster: DemoCluster, qtbot: QtBot) -> Iterator[EngineBridge]:
    with using_keyring(MemoryKeyring()):
        accounts = Accounts()
        handle = demo_cluster.pools[POOL]
        accounts.add(POOL, handle.url, handle.api_key, "demo")
        accounts.remember_password(POOL, "demo")
        settings = Settings()
        settings.downloads.folder = str(crateq_home / "downloads")
        store = Store()
        engine = start_engine(Services(accounts=accounts, store=store), settings)
        yield engine
        engine.stop()
        store.close()


def demo_rows(demo_login, count: int, offset: int = 0) -> list[MediaRow]:
    client: httpx.Client = demo_login(POOL)
    page = client.get("api/Content/Media", params={"size": count + offset, "audio": 1}).json()
    rows = [MediaRow.model_validate(r) for r in page["data"] if r.get("audio")][offset:]
    for row in rows:
        row.pool = POOL
    return rows[:count]


def state_of(panel: QueuePanel, job_id: int) -> JobState:
    row = panel.model.row_of(job_id)
    assert row is not None
    return panel.model.jobs[row].state


def test_jobs_download_and_show_progress_and_done(
    qtbot: QtBot, bridge: EngineBridge, demo_login
) -> None:
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    rows = demo_rows(demo_login, 2)
    with qtbot.waitSignal(bridge.batchFinished, timeout=60_000) as batch:
        bridge.add_rows(rows)
    assert batch.args == [2, 0]
    assert [j.state for j in panel.model.jobs] == [JobState.DONE, JobState.DONE]
    for job in panel.model.jobs:
        assert Path(job.path).is_file()
        assert panel.model.index(panel.model.row_of(job.id), 0).data(STATUS_ROLE) == "Done"
    assert "0 downloading" in panel.summary.text()


def test_pause_resume_and_cancel_change_the_engines_job(
    qtbot: QtBot, bridge: EngineBridge, demo_login, demo_cluster: DemoCluster
) -> None:
    demo_cluster.pools[POOL].faults.slow_bytes_per_second = 40_000
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    first, second = demo_rows(demo_login, 2, offset=2)
    bridge.add_rows([first, second])
    qtbot.waitUntil(lambda: len(panel.model.jobs) == 2, timeout=10_000)
    a, b = (j.id for j in panel.model.jobs)
    qtbot.waitUntil(
        lambda: (
            state_of(panel, a) is JobState.DOWNLOADING
            and panel.model.jobs[panel.model.row_of(a)].bytes_done > 0
        ),
        timeout=20_000,
    )

    panel.table.selectRow(panel.model.row_of(a))
    panel.pause_selected()
    qtbot.waitUntil(lambda: state_of(panel, a) is JobState.PAUSED, timeout=10_000)
    assert bridge.thread.call(lambda: bridge.engine.job(a)).state is JobState.PAUSED
    index = panel.model.index(panel.model.row_of(a), COLUMN["action"])
    assert index.data() == "Resume"

    panel.table.selectRow(panel.model.row_of(b))
    panel.cancel_selected()
    qtbot.waitUntil(lambda: state_of(panel, b) is JobState.CANCELLED, timeout=10_000)
    assert bridge.thread.call(lambda: bridge.engine.job(b)).state is JobState.CANCELLED

    demo_cluster.pools[POOL].faults.slow_bytes_per_second = None
    with qtbot.waitSignal(bridge.batchFinished, timeout=60_000):
        panel._clicked(index)  # the row's own Resume button
    assert state_of(panel, a) is JobState.DONE
    assert bridge.thread.call(lambda: bridge.engine.job(a)).state is JobState.DONE


def test_a_failure_is_shown_in_words_and_retry_recovers(
    qtbot: QtBot, bridge: EngineBridge, demo_login, demo_cluster: DemoCluster
) -> None:
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    (row,) = demo_rows(demo_login, 1, offset=5)
    demo_cluster.pools[POOL].faults.fail_with_status = 404
    with qtbot.waitSignal(bridge.jobFailed, timeout=30_000) as failed:
        bridge.add_rows([row])
    job = failed.args[0]
    shown = panel.model.index(panel.model.row_of(job.id), 0).data(STATUS_ROLE)
    assert shown.startswith("Failed: ") and len(shown) > len("Failed: ") + 5
    assert action_for(job) == "Retry"

    demo_cluster.pools[POOL].faults.fail_with_status = None
    panel.table.selectRow(panel.model.row_of(job.id))
    with qtbot.waitSignal(bridge.batchFinished, timeout=60_000):
        panel.retry_selected()
    assert state_of(panel, job.id) is JobState.DONE


def test_reorder_moves_the_job_in_the_engine(
    qtbot: QtBot, bridge: EngineBridge, demo_login, demo_cluster: DemoCluster
) -> None:
    demo_cluster.pools[POOL].faults.slow_bytes_per_second = 20_000
    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    rows = demo_rows(demo_login, 3, offset=7)
    bridge.add_rows(rows)
    qtbot.waitUntil(lambda: len(panel.model.jobs) == 3, timeout=10_000)
    last = panel.model.jobs[2].id
    panel.table.selectRow(2)
    with qtbot.waitSignal(bridge.orderChanged, timeout=10_000):
        panel.move_selected(to_top=True)
    assert panel.model.jobs[0].id == last
    engine_order = [j.id for j in bridge.thread.call(bridge.engine.jobs)]
    assert engine_order[0] == last

    # dropping a dragged row below the last one puts it at the end
    with qtbot.waitSignal(bridge.orderChanged, timeout=10_000):
        panel.drop_jobs([last], row=3)
    assert panel.model.jobs[-1].id == last
    assert [j.id for j in bridge.thread.call(bridge.engine.jobs)][-1] == last
    mime = panel.model.mimeData([panel.model.index(2, 0)])
    assert bytes(mime.data("application/x-crateq-jobs").data()) == str(last).encode()
    for job in list(panel.model.jobs):
        bridge.cancel(job.id).result(10)


def test_a_finished_batch_and_a_failure_raise_notices_without_a_window(
    qtbot: QtBot, bridge: EngineBridge, demo_login, demo_cluster: DemoCluster
) -> None:
    notifier = DownloadNotifier(bridge, tray=None)
    rows = demo_rows(demo_login, 2, offset=12)
    with qtbot.waitSignal(notifier.notified, timeout=60_000) as shown:
        bridge.add_rows(rows[:1])
    assert shown.args == ["Downloads finished", "1 track(s) downloaded."]

    demo_cluster.pools[POOL].faults.fail_with_status = 404
    titles: list[str] = []
    notifier.notified.connect(lambda title, _text: titles.append(title))
    with qtbot.waitSignal(notifier.notice, timeout=60_000) as told:
        bridge.add_rows(rows[1:])
    qtbot.waitUntil(lambda: "Downloads finished with errors" in titles, timeout=10_000)
    assert "Download failed" in titles
    assert rows[1].title in told.args[0]
    assert QApplication.activeModalWidget() is None


def test_new_settings_reach_the_engine(bridge: EngineBridge, crateq_home: Path) -> None:
    settings = Settings()
    settings.downloads.per_pool_jobs = 1
    settings.downloads.file_template = "{title} - {artist}"
    bridge.apply_settings(settings).result(10)
    engine_settings = bridge.thread.call(lambda: bridge.engine.settings)
    assert engine_settings.per_pool_jobs == 1
    assert engine_settings.file_template == "{title} - {artist}"


def test_eta_and_sizes_read_plainly() -> None:
    assert human_eta(None) == ""
    assert human_eta(75.4) == "1:15"
    assert human_eta(3725) == "1:02:05"
    assert human_bytes(999) == "999 B"
    assert human_bytes(12_300_000) == "12.3 MB"


def _queue_on_site(site: httpx.Client, row: MediaRow) -> None:
    body = {"queueId": 0, "mediaId": row.media_id, "source": row.source}
    assert "added" in site.post("api/Content/UpdateQueue", json=body).json()[0]["message"]


def _unqueue_on_site(site: httpx.Client, row: MediaRow) -> None:
    queued = site.get("api/Content/Queue", params={"size": 500}).json()["data"]
    if any(q["mediaId"] == row.media_id for q in queued):
        body = {"queueId": 0, "mediaId": row.media_id, "source": row.source}
        site.post("api/Content/UpdateQueue", json=body)


def _job_for(panel: QueuePanel, key: str):
    return next((j for j in panel.model.jobs if j.key == key), None)


def test_download_all_queued_fetches_the_pools_queue(
    qtbot: QtBot, bridge: EngineBridge, demo_login
) -> None:
    site = demo_login(POOL)
    (row,) = demo_rows(demo_login, 1, offset=20)
    _queue_on_site(site, row)
    try:
        panel = QueuePanel(bridge)
        qtbot.addWidget(panel)
        panel.download_all.click()
        qtbot.waitUntil(
            lambda: (job := _job_for(panel, row.key)) is not None and job.state is JobState.DONE,
            timeout=60_000,
        )
    finally:
        _unqueue_on_site(site, row)


def test_auto_download_switch_polls_the_queue(
    qtbot: QtBot, bridge: EngineBridge, demo_login
) -> None:
    site = demo_login(POOL)
    (row,) = demo_rows(demo_login, 1, offset=22)
    _queue_on_site(site, row)
    try:
        panel = QueuePanel(bridge)
        qtbot.addWidget(panel)
        with qtbot.waitSignal(panel.autoDownloadToggled) as toggled:
            panel.auto.setChecked(True)
        assert toggled.args == [True]
        qtbot.waitUntil(lambda: _job_for(panel, row.key) is not None, timeout=30_000)
        qtbot.waitUntil(lambda: bridge.auto_running, timeout=10_000)
        panel.auto.setChecked(False)
        qtbot.waitUntil(lambda: not bridge.auto_running, timeout=10_000)
    finally:
        _unqueue_on_site(site, row)


def test_tray_menu_mirrors_the_auto_download_switch(qtbot: QtBot, bridge: EngineBridge) -> None:
    from PySide6.QtWidgets import QMenu

    from crateq.ui.shell.tray import add_download_actions

    panel = QueuePanel(bridge)
    qtbot.addWidget(panel)
    menu = QMenu()
    menu.addAction("Quit")
    auto = add_download_actions(menu, panel)
    texts = [a.text() for a in menu.actions()]
    assert texts[:2] == ["Download all queued", "Auto-download the pools' queues"]
    assert texts[-1] == "Quit"
    with qtbot.waitSignal(panel.autoDownloadToggled) as toggled:
        auto.trigger()  # from the tray: the panel's switch, and so the engine, follow
    assert toggled.args == [True] and panel.auto.isChecked()
    qtbot.waitUntil(lambda: bridge.auto_running, timeout=10_000)
    panel.auto.setChecked(False)  # from the panel: the tray's check mark follows
    assert not auto.isChecked()
    qtbot.waitUntil(lambda: not bridge.auto_running, timeout=10_000)


def test_the_panels_keys_work_only_while_the_focus_is_in_it(
    qtbot: QtBot, bridge: EngineBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Del cancels the selected downloads when the panel has the focus; Del in another
    part of the window (the grid bins, the tree deletes) never reaches the downloads."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTreeWidget, QVBoxLayout, QWidget

    cancelled: list[int] = []
    monkeypatch.setattr(QueuePanel, "cancel_selected", lambda self: cancelled.append(1))
    window = QWidget()
    qtbot.addWidget(window)
    other = QTreeWidget(window)  # a view that leaves Del to the window, as the crate tree
    panel = QueuePanel(bridge, window)
    layout = QVBoxLayout(window)
    layout.addWidget(other)
    layout.addWidget(panel)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    qtbot.keyClick(other, Qt.Key.Key_Delete)
    assert cancelled == []
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert cancelled == [1]
