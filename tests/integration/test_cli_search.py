"""`crateq search` against the real demo pools: filters, paging, order, errors, --json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring

Row = dict[str, Any]


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        for pool in ("urban-beats", "club-edits", "vj-vault"):
            assert harness.add_demo_pool(demo_cluster, pool).exit_code == 0
        yield harness


def _search(cli: CliHarness, *args: str) -> list[Row]:
    body = cli.search_json(*args)
    assert body["errors"] == []
    rows: list[Row] = body["results"]
    return rows


@pytest.fixture
def sample(cli: CliHarness) -> list[Row]:
    rows = _search(cli, "--pool", "urban-beats", "--pool", "club-edits", "--limit", "300")
    assert len(rows) == 600
    return rows


def test_json_prints_one_line_per_row(cli: CliHarness) -> None:
    result = cli("search", "--limit", "4", "--json")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(isinstance(line, dict) and "key" in line for line in lines)
    body = cli.search_json("--limit", "4")
    assert body["errors"] == []
    assert len(body["results"]) == 12  # 4 per pool, three pools
    pools = {row["pool"] for row in body["results"]}
    assert pools == {"urban-beats", "club-edits", "vj-vault"}
    for row in body["results"]:
        assert row["key"] == f"{row['pool']}:{row['mediaId']}"
        assert "auth" not in row
        assert row["song"].startswith(f"{row['pool']}:")


def test_versions_of_one_song_come_together(cli: CliHarness) -> None:
    rows = _search(cli, "--pool", "urban-beats", "--limit", "100")
    songs = [row["song"] for row in rows]
    groups = [song for i, song in enumerate(songs) if i == 0 or songs[i - 1] != song]
    assert len(groups) == len(set(songs)) < len(rows)  # contiguous, and some have versions
    for row in rows:
        if row["groupId"]:
            assert row["song"] == f"urban-beats:g{row['groupId']}"


def test_the_table_shows_every_version_with_its_pool_key(cli: CliHarness) -> None:
    result = cli("search", "--pool", "club-edits", "--limit", "5")
    assert result.exit_code == 0, result.stderr
    for header in ("Artist", "Title", "Mix", "BPM", "Genre", "Year", "Pool", "POOL:ID"):
        assert header in result.stdout
    assert result.stdout.count("club-edits:") == 5


def _word(text: str) -> str:
    return max(text.split(), key=len)


def _contains(field: str, probe: Row) -> Callable[[Row], bool]:
    return lambda row: probe[field].lower() in row[field].lower()


def _equals(field: str, probe: Row) -> Callable[[Row], bool]:
    return lambda row: row[field] == probe[field]


def _filter(name: str, r: Row) -> tuple[list[str], Callable[[Row], bool]]:
    """The CLI arguments of one filter built from a probe row, and what every hit must satisfy."""
    bpm, year, word = r["bpm"], r["releaseYear"], _word(r["title"]).lower()
    cases: dict[str, tuple[list[str], Callable[[Row], bool]]] = {
        "keywords": (
            [word],
            lambda x: any(word in x[f].lower() for f in ("artist", "title", "editor")),
        ),
        "artist": (["--artist", r["artist"]], _contains("artist", r)),
        "title": (["--title", r["title"]], _contains("title", r)),
        "editor": (["--editor", r["editor"]], _contains("editor", r)),
        "genre": (["--genre", r["genre"]], _equals("genre", r)),
        "bpm exact": (["--bpm", str(bpm)], _equals("bpm", r)),
        "bpm range": (["--bpm", f"{bpm - 2}-{bpm + 2}"], lambda x: abs(x["bpm"] - bpm) <= 2),
        "bpm list": (["--bpm", f"{bpm},{bpm + 1}"], lambda x: x["bpm"] in (bpm, bpm + 1)),
        "year": (["--year", str(year)], _equals("releaseYear", r)),
        "year range": (
            ["--year", f"{year - 1}-{year}"],
            lambda x: year - 1 <= x["releaseYear"] <= year,
        ),
        "mix": (["--mix", f"{r['tool']},Acapella"], lambda x: x["tool"] in (r["tool"], "Acapella")),
        "advisory": (["--advisory", r["advisory"]], _equals("advisory", r)),
    }
    return cases[name]


FILTERS = (
    "keywords", "artist", "title", "editor", "genre", "bpm exact", "bpm range", "bpm list",
    "year", "year range", "mix", "advisory",
)  # fmt: skip


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_narrows_the_results_to_matching_rows(
    cli: CliHarness, sample: list[Row], name: str
) -> None:
    probe = next(r for r in sample if r["advisory"] and r["editor"] and r["tool"])
    args, matches = _filter(name, probe)
    rows = _search(cli, "--pool", probe["pool"], "--limit", "500", *args)
    assert probe["key"] in {r["key"] for r in rows}
    assert rows and all(matches(r) for r in rows), [r for r in rows if not matches(r)][:3]
    everything = _search(cli, "--pool", probe["pool"], "--limit", "500")
    assert len(rows) < len(everything)


def test_audio_and_video_switches_pick_the_media_kind(cli: CliHarness) -> None:
    videos = _search(cli, "--video", "--limit", "50")
    assert videos and all(r["video"] for r in videos)
    assert {r["pool"] for r in videos} == {"vj-vault"}
    audio = _search(cli, "--audio", "--limit", "50")
    assert audio and all(r["audio"] for r in audio)
    assert "urban-beats" in {r["pool"] for r in audio}


def test_sort_and_direction_reach_the_pool(cli: CliHarness) -> None:
    low = _search(cli, "--pool", "club-edits", "--sort", "bpm", "--asc", "--limit", "10")
    high = _search(cli, "--pool", "club-edits", "--sort", "bpm", "--limit", "10")
    assert max(r["bpm"] for r in low) < min(r["bpm"] for r in high)


def test_pages_do_not_overlap(cli: CliHarness) -> None:
    first = _search(cli, "--pool", "urban-beats", "--limit", "20", "--page", "1")
    second = _search(cli, "--pool", "urban-beats", "--limit", "20", "--page", "2")
    assert len(first) == len(second) == 20
    assert not {r["key"] for r in first} & {r["key"] for r in second}


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--bpm", "abc"], "--bpm"),
        (["--bpm", "90-80"], "--bpm"),
        (["--year", "20x9"], "--year"),
        (["--advisory", "Spicy"], "--advisory"),
        (["--sort", "nonsense"], "--sort"),
        (["--limit", "0"], "--limit"),
    ],
)
def test_malformed_filters_exit_2_before_any_request(
    crateq_home: Path, args: list[str], option: str
) -> None:
    with using_keyring(MemoryKeyring()):
        cli = CliHarness(crateq_home)
        # Nothing listens on this pool: a request would end in exit 1, not 2.
        added = cli("pool", "add", "dead", "--url", "http://127.0.0.1:9/", "--api-key", "k",
                    "--username", "u")  # fmt: skip
        assert added.exit_code == 0
        result = cli("search", *args)
    assert result.exit_code == 2, result.stderr
    assert option in result.stderr


def test_a_failing_pool_is_reported_next_to_the_others_results(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    demo_cluster.pools["club-edits"].faults.fail_with_status = 500
    result = cli("search", "--limit", "3")
    assert result.exit_code == 0
    assert "club-edits:" in result.stderr
    assert "urban-beats:" in result.stdout and "club-edits:" not in result.stdout
    body = cli.search_json("--limit", "3")
    assert [e["pool"] for e in body["errors"]] == ["club-edits"]
    assert {r["pool"] for r in body["results"]} == {"urban-beats", "vj-vault"}


def test_when_every_pool_fails_the_exit_code_is_1(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    for handle in demo_cluster.pools.values():
        handle.faults.fail_with_status = 500
    result = cli("search", "--limit", "3")
    assert result.exit_code == 1
    assert {line.split(":")[0] for line in result.stderr.splitlines()} >= {"Error"}
    assert all(p in result.stderr for p in ("urban-beats", "club-edits", "vj-vault"))


def test_an_unknown_genre_is_that_pools_error(cli: CliHarness) -> None:
    result = cli("search", "--genre", "Polka", "--json")
    assert result.exit_code == 1
    assert "no genre matching 'Polka'" in result.stdout
