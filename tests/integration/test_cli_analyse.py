"""`crateq analyse`, `crateq search --key` and the analysis figures in `download --json`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3

from cli_harness import CliHarness, using_keyring
from crateq.demo.cluster import DemoCluster
from memory_keyring import MemoryKeyring

np = pytest.importorskip("numpy")


@pytest.fixture
def cli(crateq_home: Path) -> Iterator[CliHarness]:
    with using_keyring(MemoryKeyring()):
        yield CliHarness(crateq_home)


@pytest.fixture
def pooled(cli: CliHarness, demo_cluster: DemoCluster) -> CliHarness:
    assert cli.add_demo_pool(demo_cluster, "urban-beats").exit_code == 0
    return cli


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.analysis
def test_analyse_files_and_folders_as_json(cli: CliHarness, tmp_path: Path) -> None:
    from audio_synth import track, write_mp3, write_wav

    folder = tmp_path / "crate"
    folder.mkdir()
    write_wav(folder / "a.wav", track(10, 124.0, "C", "major"))
    (folder / "notes.txt").write_text("not audio")
    mp3 = write_mp3(tmp_path / "b.mp3", track(10, 120.0))
    body = cli.json("analyse", str(folder), str(mp3), "--tags")
    assert body["failed"] == 0 and body["analysed"] == 2
    by_name = {Path(r["path"]).name: r["analysis"] for r in body["results"]}
    assert by_name["a.wav"]["camelot"] == "8B" and abs(by_name["a.wav"]["bpm"] - 124) <= 0.5
    assert by_name["b.mp3"]["key"] == "A minor" and abs(by_name["b.mp3"]["bpm"] - 120) <= 0.5
    assert str(ID3(mp3)["TKEY"]) == "Am" and str(ID3(mp3)["TBPM"]) == "120"


@pytest.mark.analysis
def test_a_corrupt_file_is_reported_and_the_others_still_analysed(
    cli: CliHarness, tmp_path: Path
) -> None:
    from audio_synth import track, write_wav

    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"definitely not audio" * 50)
    good = write_wav(tmp_path / "good.wav", track(8, 128.0))
    result = cli("analyse", str(bad), str(good))
    assert result.exit_code == 1
    assert "bad.mp3: cannot decode" in result.stderr
    assert "good.wav" in result.stdout and "8A" in result.stdout


def test_without_the_extra_analyse_says_how_to_install_it(cli: CliHarness, tmp_path: Path):
    result = cli("analyse", str(tmp_path))
    assert result.exit_code == 1
    assert "analysis unavailable: pip install 'crateq[analysis]'" in result.stderr


@pytest.mark.analysis
def test_downloads_carry_their_analysis_and_search_filters_by_key(
    pooled: CliHarness, tmp_path: Path
) -> None:
    search = ("--pool", "urban-beats", "--audio", "--limit", "3")
    keys = [r["key"] for r in pooled.search_json(*search)["results"]]
    result = pooled("download", keys[0], "--dest", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    events = _lines(result.stdout)
    states = [e["state"] for e in events if e["event"] == "state"]
    assert states[-3:] == ["tagging", "analysing", "done"]
    analysis = events[-2]["analysis"]
    assert analysis["camelot"] and analysis["lufs"] < 0 and analysis["bpm"] > 0, events[-2]
    found = pooled.search_json(*search, "--key", analysis["camelot"])["results"]
    assert [r["key"] for r in found] == [keys[0]]  # the others were never analysed
    other = next(c for c in ("1A", "5B") if c != analysis["camelot"])
    assert pooled.search_json(*search, "--key", other)["results"] == []
    again = pooled.json("analyse", "--library")
    assert [r["analysis"]["camelot"] for r in again["results"]] == [analysis["camelot"]]


def test_search_rejects_a_key_that_is_no_key_before_any_request(pooled: CliHarness) -> None:
    result = pooled("search", "--key", "8A,X9")
    assert result.exit_code == 2 and "X9" in result.stderr
    assert "--key" in pooled("search", "--help").stdout
