"""`crateq download` against the demo pools: by key, by queue, and killed mid-file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        added = harness.add_demo_pool(demo_cluster, "urban-beats")
        assert added.exit_code == 0, added.stderr
        yield harness


def _rows(cluster: DemoCluster, pool: str, count: int, user: str = "demo") -> list[MediaRow]:
    handle = cluster.pools[pool]

    async def password() -> str:
        return user

    async def fetch() -> list[MediaRow]:
        async with PoolClient(
            pool, handle.url, handle.api_key, username=user, password_provider=password
        ) as client:
            await client.login()
            page = await client.search(MediaQuery(media="audio", size=count, sort="mediaId"))
            return page.data[:count]

    return asyncio.run(fetch())


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_download_by_key_prints_events_and_a_summary(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    row = _rows(demo_cluster, "urban-beats", 1)[0]
    result = cli("download", f"urban-beats:{row.media_id}", "--dest", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    events = _lines(result.stdout)
    assert events[-1]["event"] == "summary" and events[-1]["done"] == 1
    states = [e["state"] for e in events if e["event"] == "state"]
    assert states[-1] == "done"
    files = list((tmp_path / "urban-beats").iterdir())
    assert [f.suffix for f in files] == [".mp3"]
    again = cli("download", f"urban-beats:{row.media_id}", "--dest", str(tmp_path), "--json")
    assert again.exit_code == 0
    assert _lines(again.stdout)[-1]["skipped"] == 1
    assert len(list((tmp_path / "urban-beats").iterdir())) == 1


def test_plain_output_lists_each_track_and_a_summary(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    rows = _rows(demo_cluster, "urban-beats", 2)
    keys = [f"urban-beats:{r.media_id}" for r in rows]
    result = cli("download", *keys, "--dest", str(tmp_path), "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    for key in keys:
        assert f"{key}: done" in result.stdout
    assert "2 downloaded, 0 already there, 0 failed, 0 paused." in result.stdout


def test_unknown_tracks_fail_with_exit_1_and_a_reason(cli: CliHarness, tmp_path: Path) -> None:
    result = cli("download", "urban-beats:1", "--dest", str(tmp_path))
    assert result.exit_code == 1
    assert "urban-beats:1: No such track in this pool." in result.stderr


def test_found_and_unknown_keys_of_one_pool_in_one_command(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    """The pool's rows are looked up once for all its keys: the found ones download, the
    unknown one gets its reason, and the command fails (exit 1) for it alone."""
    rows = _rows(demo_cluster, "urban-beats", 2)
    keys = [f"urban-beats:{rows[0].media_id}", "urban-beats:1", f"urban-beats:{rows[1].media_id}"]
    result = cli("download", *keys, "--dest", str(tmp_path), "--json")
    assert result.exit_code == 1
    summary = _lines(result.stdout)[-1]
    assert (summary["done"], summary["failed"]) == (2, 1)
    assert summary["errors"] == [{"key": "urban-beats:1", "reason": "No such track in this pool."}]
    assert len(list((tmp_path / "urban-beats").iterdir())) == 2


def test_bad_usage_exits_2(cli: CliHarness) -> None:
    assert cli("download").exit_code == 2
    assert cli("download", "not-a-key").exit_code == 2
    assert cli("download", "--watch", "urban-beats:5").exit_code == 2
    assert cli("download", "nowhere:5").exit_code == 2


def _crateq(home: Path, *args: str) -> list[str]:
    script = Path(sys.executable).with_name("crateq")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "crateq.cli"]
    return [*base, *args]


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CRATEQ_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def _set_queue(cluster: DemoCluster, pool: str, rows: list[MediaRow], user: str) -> None:
    handle = cluster.pools[pool]

    async def password() -> str:
        return user

    async def apply() -> None:
        async with PoolClient(
            pool, handle.url, handle.api_key, username=user, password_provider=password
        ) as client:
            await client.login()
            for queued in await client.queue_all():
                await client.queue_remove(queued.media_id)
            for row in rows:
                await client.queue_add(row)

    asyncio.run(apply())


def test_queue_download_killed_mid_file_resumes_without_duplicates(
    crateq_home: Path, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    handle = demo_cluster.pools["urban-beats"]
    env = _env(crateq_home)
    added = subprocess.run(
        _crateq(crateq_home, "pool", "add", "urban-beats", "--url", handle.url,
                "--api-key", handle.api_key, "--username", "vip", "--password-stdin"),
        input="vip\n", capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    rows = _rows(demo_cluster, "urban-beats", 2, user="vip")
    _set_queue(demo_cluster, "urban-beats", rows, "vip")
    dest = tmp_path / "dl"
    args = ["download", "--queue", "--json", "--password-stdin", "--dest", str(dest)]
    try:
        handle.faults.slow_bytes_per_second = 20_000
        proc = subprocess.Popen(
            _crateq(crateq_home, *args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("vip\n")
        proc.stdin.close()
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "progress" and event["bytes"] > 0:
                break
        else:
            pytest.fail(f"no progress event; stderr: {proc.stderr.read() if proc.stderr else ''}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert list(dest.rglob("*.part")), "killed mid-file: a partial file remains"
        assert not list(dest.rglob("*.mp3")), "no final file exists with partial content"
        handle.faults.slow_bytes_per_second = None
        second = subprocess.run(
            _crateq(crateq_home, *args), input="vip\n", capture_output=True, text=True,
            env=env, timeout=120, check=False,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr
        summary = _lines(second.stdout)[-1]
        assert summary["event"] == "summary" and summary["done"] == 2 and summary["failed"] == 0
        files = sorted(p.name for p in dest.rglob("*") if p.is_file())
        assert len(files) == 2 and all(f.endswith(".mp3") for f in files), files
        resumed = [e for e in _lines(second.stdout) if e["event"] == "added"]
        assert len(resumed) == 2
    finally:
        handle.faults.slow_bytes_per_second = None
        _set_queue(demo_cluster, "urban-beats", [], "vip")


def test_ctrl_c_pauses_cleanly_and_the_next_run_resumes(
    crateq_home: Path, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    handle = demo_cluster.pools["club-edits"]
    env = _env(crateq_home)
    added = subprocess.run(
        _crateq(crateq_home, "pool", "add", "club-edits", "--url", handle.url,
                "--api-key", handle.api_key, "--username", "demo", "--password-stdin"),
        input="demo\n", capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    row = _rows(demo_cluster, "club-edits", 1)[0]
    dest = tmp_path / "dl"
    args = ["download", f"club-edits:{row.media_id}", "--json", "--password-stdin",
            "--dest", str(dest)]  # fmt: skip
    try:
        handle.faults.slow_bytes_per_second = 20_000
        proc = subprocess.Popen(
            _crateq(crateq_home, *args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write("demo\n")
        proc.stdin.close()
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "progress" and event["bytes"] > 0:
                break
        proc.send_signal(signal.SIGINT)
        rest = _lines(proc.stdout.read())
        assert proc.wait(30) == 1
        assert "Interrupted" in proc.stderr.read()
        assert rest[-1]["event"] == "summary" and rest[-1]["paused"] == 1
        assert list(dest.rglob("*.part")) and not list(dest.rglob("*.mp3"))
        handle.faults.slow_bytes_per_second = None
        again = subprocess.run(
            _crateq(crateq_home, *args), input="demo\n", capture_output=True, text=True,
            env=env, timeout=120, check=False,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert _lines(again.stdout)[-1]["done"] == 1
        assert [p.suffix for p in dest.rglob("*") if p.is_file()] == [".mp3"]
    finally:
        handle.faults.slow_bytes_per_second = None


def test_watch_downloads_new_queue_entries_until_ctrl_c(
    crateq_home: Path, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    handle = demo_cluster.pools["vj-vault"]
    env = _env(crateq_home)
    added = subprocess.run(
        _crateq(crateq_home, "pool", "add", "vj-vault", "--url", handle.url,
                "--api-key", handle.api_key, "--username", "vip", "--password-stdin"),
        input="vip\n", capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    handle_rows = _video_rows(demo_cluster, 2)
    _set_queue(demo_cluster, "vj-vault", handle_rows[:1], "vip")
    dest = tmp_path / "dl"
    args = ["download", "--queue", "--watch", "--json", "--password-stdin",
            "--remove-from-queue", "--dest", str(dest)]  # fmt: skip
    try:
        proc = subprocess.Popen(
            _crateq(crateq_home, *args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write("vip\n")
        proc.stdin.close()
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "state" and event["state"] == "done":
                break
        proc.send_signal(signal.SIGINT)
        rest = _lines(proc.stdout.read())
        assert proc.wait(30) == 0, proc.stderr.read()
        assert rest[-1]["event"] == "summary" and rest[-1]["done"] == 1
        files = [p for p in dest.rglob("*") if p.is_file()]
        assert [f.suffix for f in files] == [".mp4"]
        from mutagen.mp4 import MP4

        assert MP4(files[0]).tags["\xa9nam"] == [handle_rows[0].title]
        assert _queued(demo_cluster, "vj-vault", "vip") == []  # removed after success
    finally:
        _set_queue(demo_cluster, "vj-vault", [], "vip")


def _queued(cluster: DemoCluster, pool: str, user: str) -> list[int]:
    handle = cluster.pools[pool]

    async def password() -> str:
        return user

    async def fetch() -> list[int]:
        async with PoolClient(
            pool, handle.url, handle.api_key, username=user, password_provider=password
        ) as client:
            return [row.media_id for row in await client.queue_all()]

    return asyncio.run(fetch())


def _video_rows(cluster: DemoCluster, count: int) -> list[MediaRow]:
    handle = cluster.pools["vj-vault"]

    async def password() -> str:
        return "vip"

    async def fetch() -> list[MediaRow]:
        async with PoolClient(
            "vj-vault", handle.url, handle.api_key, username="vip", password_provider=password
        ) as client:
            await client.login()
            page = await client.search(MediaQuery(media="video", size=count, sort="mediaId"))
            return page.data[:count]

    return asyncio.run(fetch())
