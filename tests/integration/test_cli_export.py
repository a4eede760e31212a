"""`crateq export` over files really downloaded from a demo pool, read back by DJ tools."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from pyrekordbox.rbxml import RekordboxXml
from serato_tools.crate import Crate

from cli_harness import CliHarness, using_keyring
from crateq.api.pool import PoolClient
from crateq.api.pool_models import MediaQuery, MediaRow
from crateq.core.export_serato import track_name
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring

POOL = "urban-beats"


def _rows(cluster: DemoCluster, count: int) -> list[MediaRow]:
    handle = cluster.pools[POOL]

    async def password() -> str:
        return "demo"

    async def fetch() -> list[MediaRow]:
        async with PoolClient(
            POOL, handle.url, handle.api_key, username="demo", password_provider=password
        ) as client:
            await client.login()
            page = await client.search(MediaQuery(media="audio", size=count, sort="mediaId"))
            return page.data[:count]

    return asyncio.run(fetch())


@pytest.fixture
def cli(crateq_home: Path, demo_cluster: DemoCluster, tmp_path: Path) -> Iterator[CliHarness]:
    """Two tracks downloaded (and tagged) into ``tmp_path/music`` by `crateq download`."""
    with using_keyring(MemoryKeyring()):
        harness = CliHarness(crateq_home)
        assert harness.add_demo_pool(demo_cluster, POOL).exit_code == 0
        keys = [f"{POOL}:{row.media_id}" for row in _rows(demo_cluster, 2)]
        done = harness("download", *keys, "--dest", str(tmp_path / "music"), "--json")
        assert done.exit_code == 0, done.stderr
        yield harness


def _files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "music" / POOL).glob("*.mp3"))


def test_m3u_of_the_downloads(cli: CliHarness, tmp_path: Path) -> None:
    out = tmp_path / "lists" / "crateq.m3u8"
    summary = cli.json("export", "m3u", "--out", str(out))
    assert summary == {"format": "m3u", "tracks": 2, "written": [str(out)], "skipped": []}
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    paths = [Path(line) for line in lines if not line.startswith("#")]
    assert sorted(paths) == _files(tmp_path)
    infos = [line for line in lines if line.startswith("#EXTINF:")]
    for info, path in zip(infos, paths, strict=True):
        seconds, _, display = info.removeprefix("#EXTINF:").partition(",")
        tags = ID3(path)
        assert int(seconds) > 0 and display == f"{tags['TPE1']} - {tags['TIT2']}"


def test_rekordbox_xml_of_the_downloads_carries_the_dj_tags(
    cli: CliHarness, tmp_path: Path
) -> None:
    result = cli("export", "rekordbox", "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    xml = RekordboxXml(tmp_path / "crateq-rekordbox.xml")
    assert xml.num_tracks == 2
    for track in xml.get_tracks():
        path = Path("/" + track["Location"])
        tags = ID3(path)
        assert path in _files(tmp_path)
        assert track["AverageBpm"] == float(str(tags["TBPM"])) > 0
        assert track["Grouping"] == str(tags["TIT1"]) and track["Genre"] == str(tags["TCON"])
        assert track["Year"] == int(str(tags["TDRC"])[:4]) and track["TotalTime"] > 0
        assert track["Comments"].startswith(f"CrateQ: pool {POOL}, mediaId ")
    assert xml.root_playlist_folder.get_playlist("CrateQ").get_tracks() == [1, 2]


def test_serato_crate_of_the_downloads(cli: CliHarness, tmp_path: Path) -> None:
    result = cli("export", "serato", "--out", str(tmp_path / "music"), "--name", "Fresh")
    assert result.exit_code == 0, result.stderr
    crate = tmp_path / "music" / "_Serato_" / "Subcrates" / "Fresh.crate"
    assert f"Wrote {crate}" in result.stdout
    assert sorted(Crate(str(crate)).tracks()) == [track_name(p) for p in _files(tmp_path)]


def test_since_pool_and_track_select_what_is_exported(
    cli: CliHarness, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    out = tmp_path / "x.m3u8"
    today = time.strftime("%Y-%m-%d")
    assert cli.json("export", "m3u", "--since", today, "--out", str(out))["tracks"] == 2
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    empty = cli("export", "m3u", "--since", tomorrow, "--out", str(out))
    assert empty.exit_code == 2 and "Nothing to export" in empty.stderr
    assert cli("export", "m3u", "--pool", "elsewhere", "--out", str(out)).exit_code == 2
    assert cli.json("export", "m3u", "--pool", POOL, "--out", str(out))["tracks"] == 2
    key = f"{POOL}:{_rows(demo_cluster, 1)[0].media_id}"
    assert cli.json("export", "m3u", "--track", key, "--out", str(out))["tracks"] == 1
    assert cli("export", "m3u", "--track", "no-key", "--out", str(out)).exit_code == 2


def test_bad_input_exits_2_with_one_line(cli: CliHarness, tmp_path: Path) -> None:
    bad = cli("export", "m3u", "--since", "last tuesday", "--out", str(tmp_path / "x.m3u8"))
    assert bad.exit_code == 2 and "is not a date" in bad.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    nowhere = cli("export", "rekordbox", "--out", str(blocker / "sub" / "r.xml"))
    assert nowhere.exit_code == 2 and "cannot be created" in nowhere.stderr
    foreign = tmp_path / "mine.m3u8"
    foreign.write_text("#EXTM3U\n")
    refused = cli("export", "m3u", "--out", str(foreign))
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert foreign.read_text() == "#EXTM3U\n"
    assert cli("export", "traktor", "--out", str(tmp_path)).exit_code == 2
    assert cli("export", "m3u").exit_code == 2


def test_auto_playlist_collects_every_finished_download(
    crateq_home: Path, demo_cluster: DemoCluster, tmp_path: Path
) -> None:
    with using_keyring(MemoryKeyring()):
        cli = CliHarness(crateq_home)
        assert cli.add_demo_pool(demo_cluster, POOL).exit_code == 0
        assert cli("config", "set", "export.auto_playlist", "true").exit_code == 0
        rows = _rows(demo_cluster, 2)
        dest = tmp_path / "music"
        for row in rows:  # two runs: the second appends to the first's playlist
            done = cli("download", f"{POOL}:{row.media_id}", "--dest", str(dest), "--json")
            assert done.exit_code == 0, done.stderr
        again = cli("download", f"{POOL}:{rows[0].media_id}", "--dest", str(dest), "--json")
        assert again.exit_code == 0
    lines = (dest / "CrateQ.m3u8").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["#EXTM3U", "#PLAYLIST:CrateQ"]
    paths = [line for line in lines if not line.startswith("#")]
    assert sorted(dest / p for p in paths) == _files(tmp_path)  # relative, each once
    assert all(p.startswith(f"{POOL}/") for p in paths)


def test_no_auto_playlist_by_default(cli: CliHarness, tmp_path: Path) -> None:
    assert not (tmp_path / "music" / "CrateQ.m3u8").exists()


def test_a_crate_exports_nested_as_serato_crates_and_rekordbox_playlists(
    cli: CliHarness, tmp_path: Path, demo_cluster: DemoCluster
) -> None:
    first, second, not_downloaded = (f"{POOL}:{row.media_id}" for row in _rows(demo_cluster, 3))
    assert cli("crates", "new", "Sets/Friday").exit_code == 0
    assert cli("crates", "add", "Sets", first).exit_code == 0
    assert cli("crates", "add", "Sets/Friday", second, not_downloaded).exit_code == 0
    music = tmp_path / "music"
    done = cli.json("crates", "export", "Sets", "serato", "--out", str(music))
    assert (done["tracks"], done["withoutFile"]) == (2, 1)
    subcrates = music / "_Serato_" / "Subcrates"
    assert sorted(p.name for p in subcrates.iterdir()) == ["Sets%%Friday.crate", "Sets.crate"]
    parent = Crate(str(subcrates / "Sets.crate")).tracks()
    child = Crate(str(subcrates / "Sets%%Friday.crate")).tracks()
    assert len(parent) == len(child) == 1
    assert sorted([*parent, *child]) == sorted(track_name(p) for p in _files(tmp_path))
    xml = tmp_path / "sets.xml"
    assert cli("crates", "export", "Sets", "rekordbox", "--out", str(xml)).exit_code == 0
    assert RekordboxXml(str(xml)).num_tracks == 2
    same = tmp_path / "same.xml"  # `crateq export --crate` is the same export
    assert cli("export", "rekordbox", "--crate", "Sets", "--out", str(same)).exit_code == 0
    assert RekordboxXml(str(same)).num_tracks == 2
    both = cli("export", "m3u", "--crate", "Sets", "--pool", POOL, "--out", str(tmp_path / "b"))
    assert both.exit_code == 2
    missing = cli("crates", "export", "Nope", "m3u", "--out", str(tmp_path / "x.m3u8"))
    assert missing.exit_code == 1 and "no crate named 'Nope'" in missing.stderr


def test_a_saved_search_exports_the_downloads_it_would_find(
    cli: CliHarness, tmp_path: Path, crateq_home: Path
) -> None:
    first, second = _files(tmp_path)
    artist = first.stem.split(" - ")[0]
    assert artist.casefold() not in second.stem.casefold()  # the two files tell apart
    saved = {"By artist": {"spec": {"keywords": artist, "genre_ids": [3]}, "pools": []}}
    config = crateq_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "saved-searches.json").write_text(json.dumps(saved), encoding="utf-8")
    out = tmp_path / "by-artist.m3u8"
    done = cli("export", "m3u", "--saved", "by artist", "--out", str(out))
    assert done.exit_code == 0, done.stderr
    assert "genre_ids" in done.stderr  # a filter the library cannot judge is named
    lines = out.read_text(encoding="utf-8").splitlines()
    assert str(first) in lines and str(second) not in lines
    assert "#PLAYLIST:By artist" in lines  # named after the saved search
    missing = cli("export", "m3u", "--saved", "Nope", "--out", str(out))
    assert missing.exit_code == 2 and "no saved search named 'Nope'" in missing.stderr
