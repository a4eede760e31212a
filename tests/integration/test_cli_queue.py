"""`crateq queue …` against the real demo pools, whose UpdateQueue toggles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        for pool in ("urban-beats", "club-edits"):
            added = harness.add_demo_pool(demo_cluster, pool, username="dj2", password="dj2")
            assert added.exit_code == 0, added.stderr
        _empty_queues(harness)  # the demo servers live for the session: start from nothing
        yield harness
        _empty_queues(harness)


def _empty_queues(cli: CliHarness) -> None:
    keys = [r["key"] for r in cli.json("queue", "list")["results"]]
    if keys:
        assert cli("queue", "remove", *keys).exit_code == 0
    assert cli.json("queue", "list")["results"] == []


def _queued(cli: CliHarness) -> set[str]:
    body = cli.json("queue", "list")
    assert body["errors"] == []
    return {row["key"] for row in body["results"]}


def _keys(cli: CliHarness, pool: str, count: int) -> list[str]:
    rows: list[dict[str, Any]] = cli.search_json("--pool", pool, "--limit", str(count))["results"]
    return [row["key"] for row in rows]


def test_add_twice_leaves_the_track_queued(cli: CliHarness) -> None:
    key = _keys(cli, "urban-beats", 1)[0]
    first = cli("queue", "add", key)
    assert first.exit_code == 0, first.stderr
    assert f"{key}: queued." in first.stdout
    second = cli("queue", "add", key)
    assert second.exit_code == 0, second.stderr
    assert f"{key}: already queued." in second.stdout
    assert key in _queued(cli)


def test_remove_twice_leaves_the_track_removed(cli: CliHarness) -> None:
    key = _keys(cli, "club-edits", 1)[0]
    assert cli("queue", "add", key).exit_code == 0
    first = cli.json("queue", "remove", key)
    assert first == {"results": [{"key": key, "changed": True, "state": "removed"}], "errors": []}
    second = cli.json("queue", "remove", key)
    assert second["results"] == [{"key": key, "changed": False, "state": "not queued"}]
    assert key not in _queued(cli)


def test_list_covers_every_pool_and_mixed_adds_keep_what_was_there(cli: CliHarness) -> None:
    urban = _keys(cli, "urban-beats", 2)
    club = _keys(cli, "club-edits", 1)
    assert cli("queue", "add", urban[0]).exit_code == 0
    body = cli.json("queue", "add", *urban, *club)
    states = {item["key"]: item["state"] for item in body["results"]}
    assert states == {urban[0]: "already queued", urban[1]: "queued", club[0]: "queued"}
    assert _queued(cli) == {*urban, *club}
    table = cli("queue", "list")
    assert table.exit_code == 0
    assert all(key in table.stdout for key in (*urban, *club))


def test_an_unknown_media_id_is_reported_for_that_key_only(cli: CliHarness) -> None:
    good = _keys(cli, "urban-beats", 1)[0]
    result = cli("queue", "add", "urban-beats:1", good)
    assert result.exit_code == 1
    assert "urban-beats:1:" in result.stderr
    assert f"{good}: queued." in result.stdout
    assert _queued(cli) == {good}


@pytest.mark.parametrize("key", ["urban-beats", "urban-beats:abc", ":12"])
def test_malformed_keys_exit_2(cli: CliHarness, key: str) -> None:
    result = cli("queue", "add", key)
    assert result.exit_code == 2
    assert "POOL:ID" in result.stderr


def test_a_key_naming_an_unconfigured_pool_fails_clearly(cli: CliHarness) -> None:
    result = cli("queue", "remove", "nowhere:12")
    assert result.exit_code == 1
    assert "No pool named 'nowhere'" in result.stderr
