"""`crateq fav|bin|crates|wish|history|charts|playlists` and `search --playlist` against
the real demo pools on 127.0.0.1 (the store is a real SQLite file under $CRATEQ_HOME, opened
anew by every command)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli_harness import CliHarness, using_keyring
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring

Row = dict[str, Any]
DemoLogin = Callable[..., httpx.Client]


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        for pool in ("urban-beats", "club-edits"):
            assert harness.add_demo_pool(demo_cluster, pool).exit_code == 0
        yield harness


def _keys(cli: CliHarness, *args: str) -> list[str]:
    body = cli.search_json(*args)
    assert body["errors"] == []
    return [row["key"] for row in body["results"]]


def test_a_binned_track_is_in_no_search_result_until_restored(cli: CliHarness) -> None:
    everything = _keys(cli, "--pool", "urban-beats", "--limit", "500")
    binned = everything[3]
    media_id = int(binned.split(":")[1])
    assert cli.json("bin", "add", binned)["results"] == [
        {"key": binned, "mediaId": media_id, "changed": True, "state": "binned"}
    ]
    assert binned not in _keys(cli, "--pool", "urban-beats", "--limit", "500")
    assert binned not in _keys(cli, "--limit", "500")
    artist = cli.json("bin", "list")["results"][0]["artist"]
    assert artist  # the row's display fields were found on the pool
    assert binned not in _keys(cli, "--artist", artist, "--limit", "500")
    assert binned not in cli("search", "--pool", "urban-beats", "--limit", "500").stdout
    assert binned not in {r["key"] for r in cli.json("charts", "--limit", "500")["results"]}
    assert cli.json("bin", "remove", binned)["results"][0]["state"] == "restored"
    assert binned in _keys(cli, "--pool", "urban-beats", "--limit", "500")
    assert cli.json("bin", "list")["results"] == []


def test_favorites_and_crates_list_without_the_network(cli: CliHarness) -> None:
    first, second, third = _keys(cli, "--pool", "club-edits", "--limit", "3")
    assert cli("fav", "add", first).exit_code == 0
    assert cli.json("fav", "add", first)["results"][0]["state"] == "already a favorite"
    (favorite,) = cli.json("fav", "list")["results"]
    assert (favorite["key"], favorite["pool"]) == (first, "club-edits")
    assert favorite["mediaId"] == int(first.split(":")[1]) and favorite["title"]

    assert cli("crates", "new", "Gigs/Friday").exit_code == 0
    assert cli("crates", "add", "Gigs/Friday", first, second).exit_code == 0
    assert cli("crates", "add", "Gigs/Friday", third, "--at", "1").exit_code == 0
    tracks = cli.json("crates", "list", "Gigs/Friday")["results"]
    assert [t["key"] for t in tracks] == [third, first, second]
    assert all(t["mediaId"] and t["artist"] for t in tracks)
    tree = cli.json("crates", "list")["results"]
    assert [(c["path"], c["count"]) for c in tree] == [("Gigs", 0)]
    assert [(c["path"], c["count"]) for c in tree[0]["children"]] == [("Gigs/Friday", 3)]
    assert cli.json("crates", "remove", "Gigs/Friday", first)["results"][0]["changed"] is True
    assert [t["key"] for t in cli.json("crates", "list", "Gigs/Friday")["results"]] == [
        third, second,
    ]  # fmt: skip
    missing = cli("crates", "list", "Nope")
    assert missing.exit_code == 1 and "no crate 'Nope'" in missing.stderr
    assert cli("crates", "remove", "Gigs", "--crate").exit_code == 0
    assert cli.json("crates", "list")["results"] == []


def _publish(pool: httpx.Client, originator: str, **fields: Any) -> httpx.Response:
    """The pool integration endpoint: add (or delete) a catalog entry, as the aggregator."""
    return pool.post(
        f"api/UpdateMediaFunction/{originator}",
        json={"originatorId": originator, "mediaType": "audio", **fields},
    )


def _queued(cli: CliHarness) -> list[str]:
    body = cli.json("queue", "list", "--pool", "club-edits")
    return [row["key"] for row in body["results"]]


def test_a_wish_is_matched_when_the_pool_publishes_it_queued_once_and_not_again(
    cli: CliHarness, demo_login: DemoLogin
) -> None:
    wish = cli.json("wish", "add", "Quetzal Marmoset - Wished Tonight", "--action", "queue")
    assert (wish["artist"], wish["title"], wish["action"]) == (
        "Quetzal Marmoset", "Wished Tonight", "queue",
    )  # fmt: skip
    before = cli.json("wish", "check")
    assert before["matches"] == [] and before["errors"] == []
    listed = cli.json("wish", "list")["results"][0]
    assert listed["lastChecked"] is not None and listed["matches"] == []

    pool = demo_login("club-edits")
    answer = _publish(pool, "wish-test-1", artist="Quetzal Marmoset", title="Wished Tonight",
                      mix="Extended", genreIds=[6], bpm=124)  # fmt: skip
    assert answer.status_code == 200, answer.text
    key = f"club-edits:{answer.json()['mediaId']}"
    try:
        found = cli.json("wish", "check")
        assert [(m["key"], m["mediaId"], m["outcome"]) for m in found["matches"]] == [
            (key, answer.json()["mediaId"], "queued")
        ]
        assert _queued(cli).count(key) == 1
        again = cli.json("wish", "check")
        assert again["matches"] == []
        assert _queued(cli).count(key) == 1  # not toggled off by a second UpdateQueue
        (listed,) = cli.json("wish", "list")["results"]
        assert [(m["key"], m["outcome"]) for m in listed["matches"]] == [(key, "queued")]
        assert listed["lastChecked"] >= listed["matches"][0]["matched"]
    finally:
        cli("queue", "remove", key)
        _publish(pool, "wish-test-1", mediaType="deleted")
    assert cli.json("wish", "remove", str(wish["id"]))["results"] == [
        {"id": wish["id"], "removed": True}
    ]


def test_charts_come_back_in_the_pools_rank_order(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    body = cli.json("charts", "--pool", "urban-beats", "--limit", "40")
    assert body["errors"] == []
    rows = body["results"]
    assert [r["rank"] for r in rows] == list(range(1, 41))
    store = demo_cluster.pools["urban-beats"].state.store
    counts = [store.get(r["mediaId"])["downloads"] for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    recent = cli.json("charts", "--pool", "urban-beats", "--days", "30")["results"]
    cutoff = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    assert recent and all(r["date"] >= cutoff for r in recent)
    both = cli.json("charts", "--limit", "5")["results"]
    assert [(r["pool"], r["rank"]) for r in both] == [
        (pool, rank) for pool in ("urban-beats", "club-edits") for rank in range(1, 6)
    ]
    table = cli("charts", "--pool", "club-edits", "--limit", "3")
    assert table.exit_code == 0 and "Rank" in table.stdout


def test_playlists_list_and_search_playlist_returns_the_playlists_tracks(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    body = cli.json("playlists", "--pool", "urban-beats")
    assert body["errors"] == []
    playlists = body["results"]
    assert playlists and all(p["pool"] == "urban-beats" and p["count"] > 0 for p in playlists)
    dates = [p["playlistDate"] for p in playlists]
    assert dates == sorted(dates, reverse=True)  # newest first
    chosen = playlists[0]
    store = demo_cluster.pools["urban-beats"].state.store
    for spec in (chosen["title"], str(chosen["playlistId"]), chosen["title"].upper()):
        rows = cli.search_json("--pool", "urban-beats", "--playlist", spec, "--limit", "500")
        assert rows["errors"] == []
        assert len(rows["results"]) == chosen["count"]
        assert {store.get(r["mediaId"])["playlist_id"] for r in rows["results"]} == {
            chosen["playlistId"]
        }
    unknown = cli("search", "--pool", "urban-beats", "--playlist", "No Such List", "--json")
    assert unknown.exit_code == 1 and "no playlist matching" in unknown.stdout


def test_history_shows_a_finished_download(cli: CliHarness, tmp_path: Path) -> None:
    assert cli.json("history")["results"] == []
    (key,) = _keys(cli, "--pool", "urban-beats", "--limit", "1", "--audio")
    done = cli("download", key, "--dest", str(tmp_path / "music"))
    assert done.exit_code == 0, done.stderr
    (entry,) = cli.json("history")["results"]
    assert (entry["key"], entry["pool"], entry["present"]) == (key, "urban-beats", True)
    assert entry["mediaId"] == int(key.split(":")[1]) and entry["artist"]
    assert Path(entry["path"]).is_file() and Path(entry["path"]).is_relative_to(tmp_path)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert cli.json("history", "--since", tomorrow)["results"] == []
    assert len(cli.json("history", "--since", dt.date.today().isoformat())["results"]) == 1
    assert cli("history", "--since", "soon").exit_code == 2


def test_a_download_wish_fetches_the_best_version_of_what_it_matches(cli: CliHarness) -> None:
    rows = cli.search_json("--pool", "urban-beats", "--limit", "1", "--audio")["results"]
    artist, title = rows[0]["artist"], rows[0]["title"]
    cli.json("wish", "add", "--artist", artist, "--title", title, "--action", "download")
    found = cli.json("wish", "check", "--pool", "urban-beats")
    assert found["errors"] == [] and found["matches"]
    downloading = [m["key"] for m in found["matches"] if m["outcome"] == "downloading"]
    songs = {m["groupId"] for m in found["matches"]}
    assert len(downloading) == len(songs)  # each song matched: its best version
    assert all(m["outcome"] == "notified" for m in found["matches"] if m["key"] not in downloading)
    history = cli.json("history")["results"]
    assert sorted(e["key"] for e in history) == sorted(downloading)
    assert all(e["present"] for e in history)
    again = cli.search_json("--pool", "urban-beats", "--artist", artist, "--title", title)
    marks = {r["key"]: r["downloadedBefore"] for r in again["results"]}
    assert all(marks[key] for key in downloading)
    assert cli.json("wish", "check", "--pool", "urban-beats")["matches"] == []
