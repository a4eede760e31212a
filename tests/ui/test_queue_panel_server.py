"""The server-queue panel and a pool's own queue stay in step, both ways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

from cli_harness import using_keyring
from crateq.api.pool_models import MediaRow
from crateq.core.accounts import Accounts
from crateq.core_loop import CoreLoop
from crateq.demo.cluster import DemoCluster
from crateq.services import Services
from crateq.ui.downloads.server_queue_panel import ServerQueuePanel
from memory_keyring import MemoryKeyring

POOL = "club-edits"
USER = "vip"  # a demo account no other test queues with


@pytest.fixture
def site(demo_login) -> httpx.Client:
    """The pool's web site, as the same user: a plain HTTP client of its own."""
    return demo_login(POOL, USER, USER)


@pytest.fixture
def panel(
    qtbot: QtBot, crateq_home: Path, demo_cluster: DemoCluster, site: httpx.Client
) -> Iterator[ServerQueuePanel]:
    core = CoreLoop("test-core")
    with using_keyring(MemoryKeyring()):
        accounts = Accounts()
        handle = demo_cluster.pools[POOL]
        accounts.add(POOL, handle.url, handle.api_key, USER)
        accounts.remember_password(POOL, USER)
        services = Services(accounts=accounts, core=core)
        widget = ServerQueuePanel(services.queues)
        qtbot.addWidget(widget)
        yield widget
        widget.shutdown()
    services.shutdown()  # closes the pool clients and stops the core loop
    demo_cluster.reset_faults()
    for row in site.get("api/Content/Queue", params={"size": 500}).json()["data"]:
        body = {"queueId": row["queueId"], "mediaId": row["mediaId"], "source": row["source"]}
        site.post("api/Content/UpdateQueue", json=body)


def server_queue(site: httpx.Client) -> set[int]:
    return {
        r["mediaId"] for r in site.get("api/Content/Queue", params={"size": 500}).json()["data"]
    }


def rows(site: httpx.Client, count: int) -> list[MediaRow]:
    page = site.get("api/Content/Media", params={"size": count, "sort": "mediaId"}).json()
    found = [MediaRow.model_validate(r) for r in page["data"]]
    for row in found:
        row.pool = POOL
    return found


def test_queueing_and_removing_in_the_app_reach_the_server(
    qtbot: QtBot, panel: ServerQueuePanel, site: httpx.Client
) -> None:
    first, second = rows(site, 2)
    with qtbot.waitSignal(panel.refreshed, timeout=20_000):
        panel.add([first, second])
    assert {first.media_id, second.media_id} <= server_queue(site)
    assert {first.key, second.key} <= panel.queued_keys()

    # adding again never toggles it off
    with qtbot.waitSignal(panel.refreshed, timeout=20_000):
        panel.add([first])
    assert first.media_id in server_queue(site)

    with qtbot.waitSignal(panel.refreshed, timeout=20_000):
        panel.remove([first])
    assert first.media_id not in server_queue(site)
    assert second.media_id in server_queue(site)
    assert first.key not in panel.queued_keys()


def test_changes_on_the_web_site_appear_after_a_refresh(
    qtbot: QtBot, panel: ServerQueuePanel, site: httpx.Client
) -> None:
    with qtbot.waitSignal(panel.refreshed, timeout=20_000):
        panel.refresh()
    (row,) = rows(site, 1)
    assert row.key not in panel.queued_keys()
    body = {"queueId": 0, "mediaId": row.media_id, "source": row.source}
    assert "added" in site.post("api/Content/UpdateQueue", json=body).json()[0]["message"]
    with qtbot.waitSignal(panel.refreshed, timeout=20_000):
        panel.refresh()
    assert row.key in panel.queued_keys()
    shown = [panel.model.index(r, 2).data() for r in range(panel.model.rowCount())]
    assert row.title in shown

    panel.table.selectRow(shown.index(row.title))
    with qtbot.waitSignal(panel.downloadRequested) as asked:
        panel.download_selected()
    assert [r.key for r in asked.args[0]] == [row.key]


def test_a_failing_pool_is_named_with_its_error(
    qtbot: QtBot, panel: ServerQueuePanel, demo_cluster: DemoCluster
) -> None:
    demo_cluster.pools[POOL].faults.fail_with_status = 403
    with qtbot.waitSignal(panel.refreshed, timeout=30_000) as got:
        panel.refresh()
    assert POOL in got.args[0].errors
    assert f"{POOL}: " in panel.status.text()
