"""`crateq search` beyond one page: --limit above the pool's page size, --all, and JSON
lines that stream (the first rows are out while the pool still holds a later page)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        for pool in ("urban-beats", "club-edits"):
            assert harness.add_demo_pool(demo_cluster, pool).exit_code == 0
        yield harness


def test_a_limit_above_the_page_size_returns_that_many_rows(cli: CliHarness) -> None:
    body = cli.search_json("--pool", "urban-beats", "--pool", "club-edits", "--limit", "550")
    for pool in ("urban-beats", "club-edits"):
        keys = [r["key"] for r in body["results"] if r["pool"] == pool]
        assert len(keys) == len(set(keys)) == 550


def test_all_returns_every_row_of_the_pool(cli: CliHarness, demo_cluster: DemoCluster) -> None:
    total = demo_cluster.catalog_size
    body = cli.search_json("--pool", "urban-beats", "--all")
    keys = {r["key"] for r in body["results"]}
    assert len(body["results"]) == len(keys) == total > 500
    table = cli("search", "--pool", "urban-beats", "--all")
    assert table.exit_code == 0 and table.stdout.count("urban-beats:") == total


def test_pages_after_a_limit_block_do_not_overlap(cli: CliHarness) -> None:
    first = cli.search_json("--pool", "club-edits", "--limit", "520")["results"]
    second = cli.search_json("--pool", "club-edits", "--limit", "520", "--page", "2")["results"]
    assert len(first) == 520 and len(second) == 80  # 600 rows in the pool
    assert not {r["key"] for r in first} & {r["key"] for r in second}


def test_limits_beyond_the_bound_and_all_with_page_are_usage_errors(cli: CliHarness) -> None:
    assert cli("search", "--limit", "100001").exit_code == 2
    assert cli("search", "--all", "--page", "2").exit_code == 2


def test_json_lines_stream_while_the_pool_still_holds_the_next_page(
    crateq_home: Path, demo_cluster: DemoCluster
) -> None:
    pool = demo_cluster.pools["vj-vault"]
    env = {**os.environ, "CRATEQ_HOME": str(crateq_home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # fmt: skip
    crateq = [sys.executable, "-c", "from crateq.cli import main; main()"]
    added = subprocess.run(
        [*crateq, "pool", "add", "vj", "--url", pool.url, "--api-key", pool.api_key,
         "--username", "demo", "--password-stdin"],
        input="demo\n", capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    gate = threading.Event()
    pool.faults.page_gate = gate  # page 2 (rows 501-600) waits until the first rows are out
    search = subprocess.Popen(
        [*crateq, "search", "--pool", "vj", "--all", "--json", "--password-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    try:
        assert search.stdin is not None and search.stdout is not None
        search.stdin.write("demo\n")
        search.stdin.close()
        with ThreadPoolExecutor(1) as reader:
            first = reader.submit(search.stdout.readline).result(timeout=30)  # pool holds 60 s
        assert not gate.is_set()  # printed while page 2 was still held back
        assert json.loads(first)["pool"] == "vj"
        gate.set()
        rest = search.stdout.read()
        assert search.wait(timeout=60) == 0, search.stderr.read() if search.stderr else ""
        assert 1 + len(rest.splitlines()) == demo_cluster.catalog_size
    finally:
        gate.set()
        if search.poll() is None:
            search.kill()
            search.wait()
