"""`crateq find` and `search --songs` against two demo pools that publish some of the same
songs under their own spellings and ids (crateq.demo.catalog.shared_songs)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest

from cli_harness import CliHarness, using_keyring
from crateq.core.identity import identify
from crateq.core.tracklist_files import serato_crate
from crateq.demo.catalog import DEMO_POOLS, CatalogRow, generate_catalog, shared_song_for
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring

POOLS = ("urban-beats", "club-edits")


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        for pool in POOLS:
            added = harness.add_demo_pool(demo_cluster, pool, username="dj2", password="dj2")
            assert added.exit_code == 0, added.stderr
        _empty_queues(harness)  # the demo servers live for the session: start from nothing
        yield harness
        _empty_queues(harness)


def _empty_queues(cli: CliHarness) -> None:
    keys = [r["key"] for r in cli.json("queue", "list")["results"]]
    if keys:
        assert cli("queue", "remove", *keys).exit_code == 0


def _catalog(cluster: DemoCluster, pool: str) -> list[CatalogRow]:
    spec = next(s for s in DEMO_POOLS if s.name == pool)
    return generate_catalog(spec, cluster.catalog_size, cluster.seed)


def _shared(cluster: DemoCluster) -> list[tuple[list[CatalogRow], list[CatalogRow]]]:
    """Shared songs in both pools: (urban-beats rows, club-edits rows) per song, by key."""
    by_key: dict[str, dict[str, list[CatalogRow]]] = {}
    for pool in POOLS:
        for row in _catalog(cluster, pool):
            if shared_song_for(row.group_id) is not None:
                key = identify(row.artist, row.title).key
                by_key.setdefault(key, {}).setdefault(pool, []).append(row)
    both = [v for v in by_key.values() if len(v) == 2]
    assert len(both) >= 3
    return [(v["urban-beats"], v["club-edits"]) for v in both]


def _only_urban(cluster: DemoCluster) -> CatalogRow:
    """A song of urban-beats alone, whose title no other song of either pool has."""
    titles: dict[str, set[str]] = {}
    rows = {pool: _catalog(cluster, pool) for pool in POOLS}
    for pool_rows in rows.values():
        for row in pool_rows:
            ident = identify(row.artist, row.title)
            titles.setdefault(ident.title, set()).add(ident.key)
    for row in rows["urban-beats"]:
        ident = identify(row.artist, row.title)
        if len(titles[ident.title]) == 1 and shared_song_for(row.group_id) is None:
            return row
    raise AssertionError("no song of its own in urban-beats")


def _tracklist(cluster: DemoCluster) -> tuple[list[tuple[str, str]], list[str]]:
    """(artist, title) lines and the status each must get."""
    (_, club), *_ = _shared(cluster)
    mine = _only_urban(cluster)
    known_title = identify(club[0].artist, club[0].title).clean_title
    lines = [
        (club[0].artist, club[0].title),  # a club-edits spelling of a song both pools have
        (mine.artist, identify(mine.artist, mine.title).clean_title),
        ("Nobody Anyone", known_title),  # the title is known, the artist is not
        ("Zyxwvu Qponm", "Utterly Unknown Melody"),
    ]
    return lines, ["found", "found", "ambiguous", "missing"]


def _write(form: str, lines: list[tuple[str, str]], folder: Path) -> Path:
    if form == "text":
        body = "\n".join(f"{n}. {a} - {t}" for n, (a, t) in enumerate(lines, 1))
        body += "\njust some words\n"
        path = folder / "set.txt"
    elif form == "m3u":
        body = "#EXTM3U\n" + "".join(f"#EXTINF:200,{a} - {t}\n/m/{n}.mp3\n"
                                     for n, (a, t) in enumerate(lines))  # fmt: skip
        body += "/m/just some words.mp3\n"
        path = folder / "set.m3u8"
    elif form == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Artist", "Title"])
        writer.writerows([*lines, ("", "just some words")])
        body, path = out.getvalue(), folder / "set.csv"
    elif form == "rekordbox":
        tracks = (
            "".join(
                f"<TRACK TrackID='{n}' Artist={quoteattr(a)} Name={quoteattr(t)}/>"
                for n, (a, t) in enumerate(lines, 1)
            )
            + "<TRACK TrackID='99' Location='file://localhost/m/justsomewords.mp3'/>"
        )
        body = (
            f"<?xml version='1.0'?><DJ_PLAYLISTS><COLLECTION>{tracks}</COLLECTION></DJ_PLAYLISTS>"
        )
        path = folder / "rekordbox.xml"
    else:
        names = [f"Music/{a} - {t}.mp3" for a, t in lines]
        path = folder / "set.crate"
        path.write_bytes(serato_crate([*names, "Music/justsomewords.mp3"]))
        return path
    path.write_text(body, encoding="utf-8")
    return path


def _longest_word(text: str) -> str:
    """A word of ``text`` that the pools' substring search matches as written."""
    return max(re.findall(r"[A-Za-z0-9]+", text), key=len)


def _find(cli: CliHarness, *args: str) -> list[dict[str, Any]]:
    result = cli("find", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("form", ["text", "m3u", "csv", "rekordbox", "serato"])
def test_every_form_gives_every_line_its_status(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path, form: str
) -> None:
    lines, statuses = _tracklist(demo_cluster)
    results = _find(cli, str(_write(form, lines, tmp_path)))
    assert [r["status"] for r in results] == [*statuses, "unparsed"]
    assert [r["input"] for r in results[:4]] == [{"artist": a, "title": t} for a, t in lines]
    found = results[0]
    assert found["chosen"]["pool"] in POOLS and found["chosen"]["score"] == 100
    assert {c["pool"] for c in found["candidates"]} | {found["chosen"]["pool"]} == set(POOLS)
    assert results[1]["chosen"]["pool"] == "urban-beats"
    assert 1 <= len(results[2]["candidates"]) <= 3 and results[2]["chosen"] is None
    assert results[3]["chosen"] is None and results[3]["candidates"] == []
    assert "error" in results[4]
    assert all(
        set(r) >= {"line", "input", "status", "chosen", "candidates", "path"} for r in results
    )


def test_preferences_decide_the_chosen_version(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    (urban, club), *_ = _shared(demo_cluster)
    path = tmp_path / "one.txt"
    path.write_text(f"{urban[0].artist} - {urban[0].title}\n")
    for first in POOLS:
        assert cli("config", "set", "prefer.pools", f"{first},other").exit_code == 0
        (result,) = _find(cli, str(path))
        assert result["chosen"]["pool"] == first
    tool = club[-1].tool
    assert cli("config", "set", "prefer.tools", f"{tool},Main").exit_code == 0
    assert cli("config", "set", "prefer.pools", "urban-beats").exit_code == 0
    (result,) = _find(cli, "--pool", "club-edits", str(path))
    assert result["chosen"]["mediaId"] == club[-1].media_id


def test_queue_adds_exactly_the_chosen_versions(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    lines, _ = _tracklist(demo_cluster)
    path = _write("text", lines, tmp_path)
    results = _find(cli, "--queue", str(path))
    chosen = {f"{r['chosen']['pool']}:{r['chosen']['mediaId']}" for r in results
              if r["status"] == "found"}  # fmt: skip
    assert len(chosen) == 2
    assert all(r["queue"] == "queued" for r in results if r["status"] == "found")
    queued = {row["key"] for row in cli.json("queue", "list")["results"]}
    assert queued == chosen
    again = _find(cli, "--queue", str(path))  # toggle-safe: still queued, not removed
    assert all(r["queue"] == "already queued" for r in again if r["status"] == "found")
    assert {row["key"] for row in cli.json("queue", "list")["results"]} == chosen


def test_a_song_downloaded_from_one_pool_is_had_in_the_other(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    (urban, club), *_ = _shared(demo_cluster)
    got = cli("download", f"urban-beats:{urban[0].media_id}", "--dest", str(tmp_path / "dl"))
    assert got.exit_code == 0, got.stderr
    path = tmp_path / "club.m3u"
    path.write_text(f"#EXTINF:1,{club[0].artist} - {club[0].title}\nx.mp3\n")
    (result,) = _find(cli, "--pool", "club-edits", str(path))
    assert result["status"] == "have"
    assert Path(result["path"]).is_file() and str(tmp_path / "dl") in result["path"]
    words = _longest_word(identify(club[0].artist, club[0].title).clean_title)
    rows = cli.search_json(words, "--limit", "500")["results"]
    library = {row["key"]: row["library"] for row in rows}
    assert library[f"urban-beats:{urban[0].media_id}"] == "version"
    assert library[f"club-edits:{club[0].media_id}"] == "song"
    assert {"version", "song", None} >= set(library.values())


def test_search_songs_merges_the_pools_spellings(
    cli: CliHarness, demo_cluster: DemoCluster
) -> None:
    (urban, club), *_ = _shared(demo_cluster)
    key = identify(urban[0].artist, urban[0].title).key
    words = _longest_word(identify(urban[0].artist, urban[0].title).clean_title)
    result = cli("search", words, "--limit", "500", "--songs", "--json")
    assert result.exit_code == 0, result.stderr
    songs = [json.loads(line) for line in result.stdout.splitlines()]
    (song,) = [s for s in songs if s["key"] == key]
    assert {v["pool"] for v in song["versions"]} == set(POOLS)
    ids = {(v["pool"], v["mediaId"]) for v in song["versions"]}
    assert ids == {("urban-beats", r.media_id) for r in urban} | {
        ("club-edits", r.media_id) for r in club
    }
    assert "[" not in song["title"] and "(" not in song["title"]
    assert all(set(v) >= {"pool", "mediaId", "artist", "title", "tool", "advisory", "library"}
               for v in song["versions"])  # fmt: skip


def test_hostile_tracklists_fail_with_one_message(cli: CliHarness, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><DJ_PLAYLISTS/>')
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 100)
    for path in (bomb, junk):
        result = cli("find", str(path))
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    long_line = tmp_path / "long.txt"
    long_line.write_text("x - " * 2_600_000 + "\n")
    (line,) = _find(cli, str(long_line))
    assert line["status"] == "unparsed" and "too long" in line["error"]


def test_a_rate_limited_pool_is_waited_for_not_hammered(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    lines, statuses = _tracklist(demo_cluster)
    faults = demo_cluster.pools["club-edits"].faults
    faults.rate_limit, faults.retry_after_seconds = 5, 1
    path = tmp_path / "long.txt"
    path.write_text("".join(f"{a} - {t}\n" for a, t in lines * 3))
    results = _find(cli, str(path))
    assert [r["status"] for r in results] == statuses * 3
    assert not any("errors" in r for r in results)


def test_download_fetches_the_chosen_versions(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    (urban, _), *_ = _shared(demo_cluster)
    path = tmp_path / "one.txt"
    path.write_text(f"{urban[0].artist} - {urban[0].title}\nZyxwvu Qponm - Utterly Unknown\n")
    dest = tmp_path / "gig"
    found, missing = _find(
        cli, "--pool", "urban-beats", "--download", "--dest", str(dest), str(path)
    )
    assert found["status"] == "found" and missing["status"] == "missing"
    got = Path(found["download"])
    assert got.is_file() and got.is_relative_to(dest)
    assert [p for p in dest.rglob("*") if p.is_file()] == [got]  # only the chosen version
    (again,) = _find(cli, "--pool", "club-edits", str(path))[:1]
    assert again["status"] == "have" and again["path"] == found["download"]


def test_search_rows_say_library_null_before_any_download(cli: CliHarness) -> None:
    rows = cli.search_json("love", "--limit", "5")["results"]
    assert rows and all(row["library"] is None for row in rows)
    assert not any(cli.home.rglob("*.sqlite3"))  # a search creates no download database
    assert cli("search", "love", "--songs").exit_code == 2  # --songs is a --json form
