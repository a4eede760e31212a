# Quick file checks in async tests are fine here: nothing else runs on the test loop.
# ruff: noqa: ASYNC240
"""A locked or damaged download database: a plain error or a way back, never a crash loop.

Real SQLite files under a real ``$CRATEQ_HOME``, real `crateq` processes, a real second
process holding the lock, and files downloaded from the demo pool by the real engine. A
damaged file (garbage over its pages, cut short, not SQLite, another program's database)
must be renamed aside byte for byte, replaced by a fresh schema with whatever rows were
still readable, the library re-derived from the files on disk, the user told so, and the
next start must be a normal one. A lock must end in a plain sentence after the busy
timeout, with the file left alone.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import reliability_log
from crateq.api.pool_models import MediaRow
from crateq.core.downloads import JobState
from crateq.core.errors import StoreError
from crateq.core.store import Store, default_db_path
from crateq.services import Services

DemoLogin = Callable[..., httpx.Client]
LOCK_TIMEOUT = "0.5"  # CRATEQ_DB_TIMEOUT for the processes under test: the bound waited


class DemoSource:
    """Download URL and Bearer of one signed-in demo pool (what the engine asks a client)."""

    def __init__(self, client: httpx.Client, pool: str) -> None:
        self.client, self.pool = client, pool

    def download_url(self, media_id: int, token: str) -> str:
        url = self.client.base_url.join(f"api/Content/Download/{media_id}")
        return str(url.copy_merge_params({"key": self.client.params["key"], "token": token}))

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self.client.headers["Authorization"]}

    async def login(self) -> None:
        raise AssertionError("not expected")

    async def fresh_row(self, row: MediaRow) -> MediaRow:
        raise AssertionError("not expected")

    def rows(self, count: int) -> list[MediaRow]:
        params = {"size": count, "audio": "true", "sort": "mediaId", "dir": "asc"}
        page = self.client.get("api/Content/Media", params=params).json()
        rows = [MediaRow.model_validate(r) for r in page["data"]]
        for row in rows:
            row.pool = self.pool
        return rows


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CRATEQ_HOME": str(home),
        "CRATEQ_DB_TIMEOUT": LOCK_TIMEOUT,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def _crateq(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from crateq.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, env=_env(home), timeout=120, check=False,
    )  # fmt: skip


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _downloaded_library(home: Path, source: DemoSource, count: int) -> dict[str, str]:
    """Download ``count`` tracks into ``home``'s download folder with the services' engine;
    returns {path: sha256} of the files, and leaves a populated database behind."""
    services = Services()
    engine = services.download_engine({source.pool: source}, services.settings().downloads)
    for row in source.rows(count):
        await engine.add(row)
    jobs = await engine.wait()
    await engine.shutdown()
    assert [j.state for j in jobs] == [JobState.DONE] * count, [j.reason for j in jobs]
    services.store.add_history("urban-beats", 1, "note", "a row of history")
    services.shutdown()
    return {j.path: _sha(Path(j.path)) for j in jobs}


def _damage(path: Path, how: str) -> None:
    """Damage the (checkpointed) database file the way a crash, a bad disk or a user might."""
    data = path.read_bytes()
    if how == "garbage":  # pages past the schema overwritten with seeded noise
        noise = bytes((n * 131 + 7) % 256 for n in range(8192))
        path.write_bytes(data[:4096] + noise + data[4096 + 8192 :])
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "not-sqlite":
        path.write_text('{"this": "is a settings file, not a database"}\n')
    elif how == "foreign-sqlite":  # another program's SQLite file under our name
        path.unlink()
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE jobs (what TEXT)")
            other.execute("INSERT INTO jobs VALUES ('not ours')")
        other.close()


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, as a clean shutdown leaves it."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


@pytest.fixture
def urban(demo_login: DemoLogin) -> DemoSource:
    return DemoSource(demo_login("urban-beats"), "urban-beats")


DAMAGES = ["garbage", "truncated", "not-sqlite", "foreign-sqlite"]


@pytest.mark.parametrize("how", DAMAGES)
async def test_damaged_database_is_set_aside_and_rebuilt_through_the_cli(
    how: str, crateq_home: Path, urban: DemoSource
) -> None:
    files = await _downloaded_library(crateq_home, urban, 2)
    db_path = default_db_path()
    _checkpoint(db_path)
    _damage(db_path, how)
    damaged = db_path.read_bytes()

    first = _crateq(crateq_home, "history", "--json")
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert "The download database was damaged" in first.stderr
    asides = sorted(db_path.parent.glob("crateq.sqlite3.damaged-*[0-9]Z"))
    assert len(asides) == 1 and asides[0].name in first.stderr
    assert asides[0].read_bytes() == damaged  # renamed aside, byte for byte
    assert "Your music files were not touched" in first.stderr
    # every downloaded file is still there, unchanged, and the library knows it again
    assert {p: _sha(Path(p)) for p in files} == files
    store = Store()
    assert store.recovery is None and store.schema_version >= 4
    assert {str(e.path) for e in store.library()} == set(files)
    store.close()
    # the next start is a normal one: no warning, nothing set aside again
    second = _crateq(crateq_home, "history", "--json")
    assert second.returncode == 0, second.stderr
    assert "damaged" not in second.stderr
    assert len(list(db_path.parent.glob("crateq.sqlite3.damaged-*[0-9]Z"))) == 1
    reliability_log.record(
        "resources", f"damaged database ({how})",
        "renamed aside byte for byte, fresh schema, library re-derived from the files, "
        "user warned; next start normal", tries=2,
    )  # fmt: skip


async def test_services_recover_in_process_and_keep_readable_rows(
    crateq_home: Path, urban: DemoSource
) -> None:
    files = await _downloaded_library(crateq_home, urban, 2)
    db_path = default_db_path()
    _checkpoint(db_path)
    _damage(db_path, "garbage")
    services = Services()
    store = services.store
    assert store.recovery is not None
    assert store.recovery.aside.exists() and not store.recovery.aside.name.endswith("-wal")
    assert store.recovery.found_files + store.recovery.rows.get("library", 0) == len(files)
    assert "damaged" in store.recovery.message and store.recovery.aside.name in (
        store.recovery.message
    )
    assert {str(e.path) for e in store.library()} == set(files)
    assert all(entry.present for entry in services.store.library())
    services.shutdown()
    again = Services()
    assert again.store.recovery is None
    again.shutdown()
    reliability_log.record(
        "resources", "damaged database (Services in-process)",
        "store.recovery names the aside file; library intact after the rebuild", tries=1,
    )  # fmt: skip


@contextmanager
def _locked(path: Path, *, exclusive_mode: bool) -> Iterator[subprocess.Popen[str]]:
    """Another process holding an exclusive write lock on ``path`` until the block ends.

    ``exclusive_mode``: ``PRAGMA locking_mode=EXCLUSIVE`` too, so nobody may even read."""
    pragma = "db.execute('PRAGMA locking_mode=EXCLUSIVE');" if exclusive_mode else ""
    code = (
        "import sqlite3, sys;"
        f"db = sqlite3.connect(sys.argv[1], isolation_level=None);{pragma}"
        "db.execute('BEGIN EXCLUSIVE');"
        "db.execute(\"INSERT INTO history (at, pool, media_id, event) VALUES (0, 'x', 0, 'x')\");"
        "print('locked', flush=True); sys.stdin.readline(); db.execute('ROLLBACK')"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(30)


def _seeded_store(home: Path) -> str:
    store = Store()
    store.add_job("urban-beats", 7, "{}", str(home / "downloads"))
    store.close()
    return _sha(default_db_path())


def test_a_locked_database_gives_a_plain_error_and_is_left_alone(crateq_home: Path) -> None:
    _seeded_store(crateq_home)
    db_path = default_db_path()
    with _locked(db_path, exclusive_mode=True):
        result = _crateq(crateq_home, "history", "--json")  # subprocess timeout: the bound
        assert result.returncode == 1
        assert "locked by another program" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        again = _crateq(crateq_home, "crates", "list")  # the next start: the same sentence
        assert again.returncode == 1 and "locked by another program" in again.stderr
    assert not list(db_path.parent.glob("*damaged*"))  # a lock is not damage
    store = Store()
    assert [j["media_id"] for j in store.jobs()] == [7]  # nothing lost, nothing half-written
    assert store.history() == []
    store.close()
    reliability_log.record(
        "resources", "database locked by another process (exclusive)",
        "CLI exits 1 with a plain sentence after the busy timeout; file untouched", tries=2,
    )  # fmt: skip


async def test_a_lock_taken_mid_session_is_a_store_error_not_a_crash(
    crateq_home: Path, urban: DemoSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRATEQ_DB_TIMEOUT", LOCK_TIMEOUT)
    _seeded_store(crateq_home)
    services = Services()
    engine = services.download_engine({urban.pool: urban}, services.settings().downloads)
    row = urban.rows(1)[0]
    with _locked(default_db_path(), exclusive_mode=False):  # readers may, writers wait
        assert len(services.store.jobs()) == 1
        with pytest.raises(StoreError, match="locked by another program"):
            await engine.add(row)
    job = await engine.add(row)  # lock gone: the same call works
    done = await engine.wait()
    assert [j.state for j in done] == [JobState.DONE], [j.reason for j in done]
    assert Path(job.path or done[0].path).is_file()
    await engine.shutdown()
    services.shutdown()
    reliability_log.record(
        "resources", "database locked mid-session (writers blocked)",
        "engine.add raises StoreError after the busy timeout; works once released", tries=1,
    )  # fmt: skip


def test_services_remember_a_locked_store_instead_of_waiting_again(
    crateq_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRATEQ_DB_TIMEOUT", LOCK_TIMEOUT)
    _seeded_store(crateq_home)
    services = Services()
    with _locked(default_db_path(), exclusive_mode=True):
        with pytest.raises(StoreError, match="locked") as first:
            _ = services.store
        with pytest.raises(StoreError) as second:
            _ = services.store
    assert second.value is first.value  # the GUI's panels do not each wait the timeout
    services.shutdown()
    reliability_log.record(
        "resources", "database locked at GUI start (Services)",
        "one busy wait per process, the same plain StoreError to every panel", tries=2,
    )  # fmt: skip
