"""Upgrades (issue 25, item 7): a $CRATEQ_HOME written by the first release — its settings
file and a database built from its schema (tests/first_release.py), with jobs in
every state it knew, library entries and history rows — opens in this release with every row
intact, and the CLI lists, exports and finishes them: the unfinished jobs complete against the
demo pools (one from its half-written .part, one from a complete .part with no request), the
user-paused one stays paused, the done ones stay done.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3

import reliability_log
from cli_harness import CliHarness, using_keyring
from crateq.core.store import SCHEMA_VERSION, Store
from crateq.demo.cluster import DemoCluster
from first_release import (
    HISTORY_COLUMNS,
    JOB_COLUMNS,
    LIBRARY_COLUMNS,
    STALE_TOKEN,
    FirstReleaseDb,
    row_v1,
    settings_v1,
    tags_v1,
)
from memory_keyring import MemoryKeyring

POOLS = ("urban-beats", "club-edits")
DemoLogin = Callable[..., Any]  # the demo_login fixture (tests/conftest.py)


def _wire_rows(login: DemoLogin, pool: str, count: int) -> list[dict[str, Any]]:
    page = login(pool).get("api/Content/Media", params={"size": 40, "audio": "true"}).json()
    rows = [r for r in page["data"] if r["audio"] and not r["video"]]
    assert len(rows) >= count
    return rows[:count]


def _name(row: dict[str, Any]) -> str:
    return f"{row['artist']} - {row['title']} ({row['tool']}).mp3"


def _server_bytes(cluster: DemoCluster, pool: str, row: dict[str, Any]) -> bytes:
    return cluster.media_file(pool, int(row["mediaId"])).path.read_bytes()


def _audio_sha(path: Path) -> str:
    """SHA-256 of the file minus the ID3v2 tag the engine wrote (the server's bytes)."""
    data = path.read_bytes()
    return hashlib.sha256(data[ID3(path).size :]).hexdigest()


def _transfer(data: bytes) -> dict[str, object]:
    sha = hashlib.sha256(data).hexdigest()
    return {"etag": f'"{sha}"', "total": len(data), "content_type": "audio/mpeg",
            "disposition": "", "reserve": 0}  # fmt: skip


class OldHome:
    """The first release's home: settings, database and files, and what was written."""

    def __init__(self, home: Path, cluster: DemoCluster, login: DemoLogin) -> None:
        self.folder = home / "Music"
        self.urban = _wire_rows(login, "urban-beats", 7)
        self.club = _wire_rows(login, "club-edits", 2)
        urls = {name: cluster.pools[name].url for name in POOLS}
        settings = settings_v1(urls, cluster.pools["urban-beats"].api_key, self.folder,
                               "http://127.0.0.1:9/")  # fmt: skip
        (home / "config").mkdir(parents=True)
        (home / "config" / "settings.json").write_text(json.dumps(settings, indent=2))
        (home / "data").mkdir()
        self.db = FirstReleaseDb(home / "data" / "crateq.sqlite3")
        self.db.create()
        self._jobs(cluster)
        self._library_and_history(cluster)
        self.db.write()

    def final(self, pool: str, row: dict[str, Any]) -> Path:
        return self.folder / pool / _name(row)

    def _part(self, pool: str, row: dict[str, Any], data: bytes) -> Path:
        part = self.final(pool, row).with_name(_name(row) + ".part")
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(data)
        return self.final(pool, row)

    def _jobs(self, cluster: DemoCluster) -> None:
        db, u, pool = self.db, self.urban, "urban-beats"
        ids = [int(r["mediaId"]) for r in u]
        db.add_job(pool, ids[0], row_v1(u[0], pool), self.folder, "queued")
        half = _server_bytes(cluster, pool, u[1])
        db.add_job(pool, ids[1], row_v1(u[1], pool), self.folder, "downloading",
                   path=self._part(pool, u[1], half[: len(half) // 3]), done=len(half) // 3,
                   total=len(half), transfer=_transfer(half))  # fmt: skip
        whole = _server_bytes(cluster, pool, u[2])  # crashed while tagging: every byte there
        db.add_job(pool, ids[2], row_v1(u[2], pool), self.folder, "tagging",
                   path=self._part(pool, u[2], whole), done=len(whole), total=len(whole),
                   transfer=_transfer(whole))  # fmt: skip
        db.add_job(pool, ids[3], row_v1(u[3], pool), self.folder, "paused",
                   reason="Paused.", auto_resume=False)  # fmt: skip
        db.add_job(
            pool,
            ids[4],
            row_v1(u[4], pool),
            self.folder,
            "failed",
            reason="Pool urban-beats refused the download: Your account cannot download.",
        )
        db.add_job(pool, ids[5], row_v1(u[5], pool), self.folder, "cancelled")

    def _library_and_history(self, cluster: DemoCluster) -> None:
        done = [("urban-beats", self.urban[6]), ("club-edits", self.club[0])]
        for pool, row in done:
            path = self.final(pool, row)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_server_bytes(cluster, pool, row))
            self.db.add_job(pool, int(row["mediaId"]), row_v1(row, pool), self.folder, "done",
                            path=path, done=path.stat().st_size,
                            total=path.stat().st_size)  # fmt: skip
            self.db.add_library(pool, int(row["mediaId"]), path, tags_v1(row))
            self.db.add_history(pool, int(row["mediaId"]), "downloaded", str(path))
        failed = self.urban[4]
        self.db.add_history("urban-beats", int(failed["mediaId"]), "failed", "refused")
        gone = self.club[1]  # a file the DJ deleted: the first release forgot it, noted this
        self.db.add_history("club-edits", int(gone["mediaId"]), "missing",
                            str(self.final("club-edits", gone)))  # fmt: skip


def _rows(db: Path, table: str, columns: tuple[str, ...]) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"))


@pytest.fixture
def old_home(crateq_home: Path, demo_cluster: DemoCluster, demo_login: DemoLogin) -> OldHome:
    return OldHome(crateq_home, demo_cluster, demo_login)


@pytest.fixture
def cli(crateq_home: Path) -> Iterator[CliHarness]:
    ring = MemoryKeyring()  # the entries the first release stored, by its names
    for pool in POOLS:
        ring.entries[("crateq", f"pool/{pool}/password")] = "demo"
    with using_keyring(ring):
        yield CliHarness(crateq_home)


def test_the_first_releases_database_opens_with_every_row_intact(old_home: OldHome) -> None:
    store = Store()
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    db = old_home.db
    assert _rows(db.path, "jobs", JOB_COLUMNS) == db.jobs
    assert _rows(db.path, "library", LIBRARY_COLUMNS) == db.library
    assert _rows(db.path, "history", HISTORY_COLUMNS) == db.history
    reliability_log.record(
        "upgrade",
        f"first release's database (schema 1 -> {SCHEMA_VERSION}): {len(db.jobs)} jobs in 6 "
        f"states, {len(db.library)} library entries, {len(db.history)} history rows",
        "every row of jobs, library and history reads back unchanged after the migrations",
    )


def test_the_first_releases_home_is_listed_and_its_jobs_finish(
    old_home: OldHome, cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    pools = cli.json("pool", "list")
    assert [(p["name"], p["password_stored"]) for p in pools["pools"]] == [
        (name, True) for name in POOLS
    ]
    shown = cli.json("config", "show")["settings"]
    assert shown["downloads.file_template"] == "{artist} - {title} ({tool})"
    assert (shown["downloads.per_pool_jobs"], shown["ui.theme"]) == (2, "high-contrast")
    history = cli.json("history")["results"]
    assert [(h["key"], h["path"], h["present"]) for h in history] == [
        (f"{pool}:{media_id}", detail, True)
        for _, _, pool, media_id, event, detail in reversed(old_home.db.history)
        if event == "downloaded"
    ]
    assert {h["artist"] for h in history} == {
        old_home.urban[6]["artist"],
        old_home.club[0]["artist"],
    }
    playlist = tmp_path / "old.m3u8"
    exported = cli("export", "m3u", "--out", str(playlist))
    assert exported.exit_code == 0, exported.stderr
    assert all(str(entry[3]) in playlist.read_text() for entry in old_home.db.library)

    urban = old_home.urban
    keys = [f"urban-beats:{urban[0]['mediaId']}", f"urban-beats:{urban[6]['mediaId']}"]
    result = cli("download", *keys, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert (summary["done"], summary["skipped"], summary["failed"]) == (3, 1, 0), summary
    assert summary["paused"] == 1
    jobs = {r[2]: r for r in _rows(old_home.db.path, "jobs", JOB_COLUMNS)}
    assert [Path(str(jobs[int(r["mediaId"])][5])) for r in urban[1:3]] == [
        old_home.final("urban-beats", r) for r in urban[1:3]
    ]  # the two with a .part finished where the first release had put them
    for row in urban[:3]:
        final = Path(str(jobs[int(row["mediaId"])][5]))
        assert final.is_file() and final.is_relative_to(old_home.folder), final
        assert not final.with_name(final.name + ".part").exists()
        assert _audio_sha(final) == demo_cluster.media_file("urban-beats", row["mediaId"]).sha256
    assert [jobs[int(r["mediaId"])][6] for r in urban] == [
        "done",
        "done",
        "done",
        "paused",
        "failed",
        "cancelled",
        "done",
    ]
    # the stale download tokens the first release stored are gone from the rows it resumed
    assert [STALE_TOKEN in str(jobs[int(r["mediaId"])][3]) for r in urban[:3]] == [False] * 3
    after = _rows(old_home.db.path, "history", HISTORY_COLUMNS)
    assert after[: len(old_home.db.history)] == old_home.db.history
    assert _rows(old_home.db.path, "library", LIBRARY_COLUMNS)[:2] == old_home.db.library
    reliability_log.record(
        "upgrade",
        "first release's settings.json, keyring entries and database opened by this CLI "
        "(pool list, config show, history, export m3u, download)",
        "settings kept; history and library listed and exported; queued, half-downloaded and "
        "crashed-while-tagging jobs finish (server sha256), the paused one stays paused",
        tries=6,
    )
