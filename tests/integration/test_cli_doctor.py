"""`crateq doctor` against the demo pools and the crate stand-in: one line a check, exit 1
only when a check fails, and a pool's trouble is its own failing line, never a traceback."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.demo.cluster import DemoCluster
from crateq.demo.crate_server import CrateStandIn
from memory_keyring import MemoryKeyring

# where the machine decides (libpulse for previews): a warning at worst, never a failure
MACHINE_DEPENDENT = {"qt multimedia"}


@pytest.fixture(scope="module")
def crate() -> Iterator[CrateStandIn]:
    with CrateStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    with using_keyring(MemoryKeyring()) as backend:
        yield backend  # type: ignore[misc]


@pytest.fixture
def cli(crateq_home: Path, ring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> CliHarness:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # the plugin a headless run uses
    for name in ("CRATEQ_CRATE_URL", "CRATEQ_CRATE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return CliHarness(crateq_home)


def _with_crate(cli: CliHarness, crate: CrateStandIn, key: str | None = None) -> None:
    assert cli("config", "set", "crate.url", crate.url).exit_code == 0
    stored = cli("config", "set-secret", "crate.api_key", input=(key or crate.api_key) + "\n")
    assert stored.exit_code == 0, stored.stderr


def _doctor(cli: CliHarness) -> tuple[int, dict[str, dict[str, Any]]]:
    result = cli("doctor", "--json")
    document = json.loads(result.stdout)
    assert document["ok"] is (result.exit_code == 0)
    return result.exit_code, {check["name"]: check for check in document["checks"]}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


def test_a_working_setup_is_all_ok(
    cli: CliHarness, demo_cluster: DemoCluster, crate: CrateStandIn
) -> None:
    for pool in ("urban-beats", "club-edits"):
        assert cli.add_demo_pool(demo_cluster, pool).exit_code == 0
    _with_crate(cli, crate)
    code, checks = _doctor(cli)
    assert code == 0
    names = {"keyring", "settings", "qt platform", "qt offscreen", "qt multimedia", "downloads",
             "folder config", "folder data", "folder cache", "folder logs", "tls",
             "pool urban-beats", "pool club-edits", "crate key", "clock"}  # fmt: skip
    assert set(checks) == names
    for name, check in checks.items():
        wanted = {"ok", "warn"} if name in MACHINE_DEPENDENT else {"ok"}
        assert check["status"] in wanted, check
    assert "account status: active" in checks["pool urban-beats"]["message"]
    assert "MemoryKeyring" in checks["keyring"]["message"]
    text = cli("doctor")
    assert text.exit_code == 0
    assert len(text.stdout.splitlines()) == len(names)


def test_a_wrong_password_fails_that_pool_with_the_pools_message(
    cli: CliHarness, ring: MemoryKeyring, demo_cluster: DemoCluster, crate: CrateStandIn
) -> None:
    for pool in ("urban-beats", "club-edits"):
        assert cli.add_demo_pool(demo_cluster, pool).exit_code == 0
    _with_crate(cli, crate)
    ring.entries[("crateq", "pool/urban-beats/password")] = "not-the-password"
    code, checks = _doctor(cli)
    assert code == 1
    failed = checks["pool urban-beats"]
    assert failed["status"] == "fail"
    assert "rejected the username or password" in failed["message"]
    assert "crateq pool login urban-beats" in failed["fix"]
    assert checks["pool club-edits"]["status"] == "ok"
    text = cli("doctor")
    assert text.exit_code == 1
    [line] = [line for line in text.stdout.splitlines() if "pool urban-beats" in line]
    assert line.startswith("FAIL  pool urban-beats: ") and "Fix: " in line
    assert "Traceback" not in text.stdout + text.stderr
    assert "not-the-password" not in text.stdout + text.stderr


def test_an_unreachable_pool_fails_fast_with_a_clear_line(
    cli: CliHarness, ring: MemoryKeyring, crate: CrateStandIn
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/"
    added = cli("pool", "add", "gone", "--url", url, "--api-key", "k", "--username", "dj")
    assert added.exit_code == 0, added.stderr
    ring.entries[("crateq", "pool/gone/password")] = "secret"
    _with_crate(cli, crate)
    started = time.monotonic()
    code, checks = _doctor(cli)
    assert time.monotonic() - started < 8
    assert code == 1
    gone = checks["pool gone"]
    assert gone["status"] == "fail"
    assert "could not be reached" in gone["message"]
    assert url in gone["fix"]


def test_a_missing_crate_key_warns_with_the_fix(cli: CliHarness, demo_cluster: DemoCluster) -> None:
    assert cli.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
    code, checks = _doctor(cli)
    assert code == 0
    assert checks["crate key"]["status"] == "warn"
    assert "crateq config set-secret crate.api_key" in checks["crate key"]["fix"]


def test_a_key_crate_refuses_fails(
    cli: CliHarness, demo_cluster: DemoCluster, crate: CrateStandIn
) -> None:
    assert cli.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
    _with_crate(cli, crate, key="not-a-crate-key")
    code, checks = _doctor(cli)
    assert code == 1
    assert checks["crate key"]["status"] == "fail"
    assert "refused the key" in checks["crate key"]["message"]
