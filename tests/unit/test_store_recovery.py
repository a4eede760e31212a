"""The small parts of the store's recovery: the busy timeout, the sentences, the set-aside."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crateq.core.download_runner import space_message
from crateq.core.store_recovery import DEFAULT_TIMEOUT, busy_timeout, set_aside, store_error


def test_the_busy_timeout_comes_from_the_environment_or_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CRATEQ_DB_TIMEOUT", raising=False)
    assert busy_timeout() == DEFAULT_TIMEOUT == 10.0
    monkeypatch.setenv("CRATEQ_DB_TIMEOUT", "2.5")
    assert busy_timeout() == 2.5
    monkeypatch.setenv("CRATEQ_DB_TIMEOUT", "soon")
    assert busy_timeout() == DEFAULT_TIMEOUT


def test_sqlite_failures_become_plain_sentences_and_others_pass(tmp_path: Path) -> None:
    path = tmp_path / "crateq.sqlite3"
    not_a_db = tmp_path / "text.sqlite3"
    not_a_db.write_text("hello, not a database\n" * 50)
    with pytest.raises(sqlite3.DatabaseError) as caught:
        sqlite3.connect(not_a_db).execute("SELECT * FROM sqlite_master").fetchall()
    damaged = store_error(caught.value, path)
    assert damaged is not None and "is damaged" in str(damaged)
    with pytest.raises(sqlite3.OperationalError) as syntax:
        sqlite3.connect(":memory:").execute("SELEC 1")
    assert store_error(syntax.value, path) is None  # a bug stays a bug


def test_set_aside_moves_the_file_and_its_wal_together(tmp_path: Path) -> None:
    path = tmp_path / "crateq.sqlite3"
    for suffix, text in (("", "main"), ("-wal", "wal"), ("-shm", "shm")):
        path.with_name(path.name + suffix).write_text(text)
    first = set_aside(path)
    path.write_text("again")
    second = set_aside(path)
    assert first != second and not path.exists()
    assert first.read_text() == "main"
    assert first.with_name(first.name + "-wal").read_text() == "wal"
    assert first.with_name(first.name + "-shm").read_text() == "shm"
    assert second.read_text() == "again"


def test_the_space_message_names_the_folder_and_the_megabytes(tmp_path: Path) -> None:
    folder = tmp_path / "not-made-yet" / "pool"
    unknown = space_message(folder, None, 0)
    assert unknown == f"The disk is full: free some space on {folder}, then resume the download."
    huge = space_message(folder, 10**15, 0)  # more than any test disk has free
    assert huge.startswith("The disk is full: free at least ") and f"MB on {folder}," in huge
    assert int(huge.split("at least ")[1].split(" MB")[0]) > 0
