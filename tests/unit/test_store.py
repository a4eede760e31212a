"""The SQLite store: schema versioning, jobs, library de-duplication, deleted files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crateq.api.errors import ConfigError
from crateq.core.store import SCHEMA_VERSION, Store, default_db_path


def test_database_lives_in_the_data_dir_and_uses_wal(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CRATEQ_HOME", str(tmp_path))
    store = Store()
    assert store.path == default_db_path()
    assert store.path.is_relative_to(tmp_path)
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert store.schema_version == SCHEMA_VERSION


def test_reopening_keeps_data_and_does_not_rerun_migrations(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    job = store.add_job("demo", 7, "{}", str(tmp_path))
    store.close()
    again = Store(tmp_path / "db")
    assert again.job(job)["state"] == "queued"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError):
        Store(tmp_path / "db")


def test_jobs_keep_queue_order_and_unfinished_ones_are_found(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    a = store.add_job("demo", 1, "{}", "d")
    b = store.add_job("demo", 2, "{}", "d")
    c = store.add_job("other", 3, "{}", "d")
    store.update_job(a, state="done")
    store.update_job(c, priority=0.5, state="downloading", bytes_done=10)
    assert [j["id"] for j in store.unfinished_jobs()] == [c, b]
    assert store.active_job_for("demo", 2)["id"] == b
    assert store.active_job_for("demo", 1) is None


def test_library_dedupes_by_media_and_sha_and_notices_deleted_files(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    f = tmp_path / "a.mp3"
    f.write_bytes(b"abc")
    store.add_to_library("demo", 1, f, 3, "ab" * 32, {"title": "A"})
    assert store.have("demo", 1).tags == {"title": "A"}
    assert store.library_by_sha("ab" * 32).path == f
    f.unlink()
    assert store.missing_files()[0].media_id == 1
    assert store.library_by_sha("ab" * 32) is None
    assert store.have("demo", 1) is None  # forgotten, so it downloads again
    assert store.library_entry("demo", 1) is None
    assert store.history()[0]["event"] == "missing"
