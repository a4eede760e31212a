"""The auto playlist: each finished download joins CrateQ.m3u8, once, off the engine's loop."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from test_export import make_mp3

from crateq.core.download_jobs import JobEvent, JobSnapshot, JobState
from crateq.core.export_auto import AutoPlaylist, auto_playlist
from crateq.core.settings import Settings
from crateq.core.store import Store
from crateq.core.tagging import TagValues

SNAPSHOT = JobSnapshot(
    id=1, key="a:1", pool="a", media_id=1, artist="A", title="T", state=JobState.DONE,
    reason="", bytes_done=0, total_bytes=None, speed=0.0, eta=None, path="x", tag_note="",
    skipped=False,
)  # fmt: skip


@pytest.fixture
def library(crateq_home: Path, tmp_path: Path) -> Store:
    store = Store()
    for number in (1, 2):
        path = make_mp3(
            tmp_path / "dl" / "a" / f"{number}.mp3", TagValues(artist="A", title=f"T{number}")
        )
        store.add_to_library("a", number, path, path.stat().st_size, "0" * 64, {})
    return store


def _done(media_id: int, **changes: object) -> JobEvent:
    return JobEvent("state", dataclasses.replace(SNAPSHOT, media_id=media_id, **changes))


def test_done_jobs_are_appended_once_with_relative_paths(library: Store, tmp_path: Path) -> None:
    playlist = AutoPlaylist(library, tmp_path / "dl")
    for event in (_done(1), _done(1), _done(2), _done(2, state=JobState.FAILED)):
        playlist(event)
    playlist(JobEvent("progress", dataclasses.replace(SNAPSHOT, media_id=2)))
    playlist.close()
    assert (tmp_path / "dl" / "CrateQ.m3u8").read_text().splitlines() == [
        "#EXTM3U", "#PLAYLIST:CrateQ", "#EXTINF:2,A - T1", "a/1.mp3", "#EXTINF:2,A - T2", "a/2.mp3",
    ]  # fmt: skip


def test_a_playlist_the_dj_edited_is_left_alone(library: Store, tmp_path: Path) -> None:
    playlist = AutoPlaylist(library, tmp_path / "dl")
    assert playlist.add("a", 1)
    path = tmp_path / "dl" / "CrateQ.m3u8"
    path.write_text("#EXTM3U\nmine.mp3\n")
    playlist(_done(2))
    playlist.close()
    assert path.read_text() == "#EXTM3U\nmine.mp3\n"


def test_only_when_the_setting_is_on(library: Store, tmp_path: Path) -> None:
    assert auto_playlist(library, Settings()) is None
    on = Settings.model_validate({"export": {"auto_playlist": True}})
    listener = auto_playlist(library, on, tmp_path)
    assert listener is not None and listener.path == tmp_path / "CrateQ.m3u8"
    listener.close()


def test_importing_it_loads_no_exporter() -> None:
    """`crateq download` imports it on every run: the exporters load only when it is on."""
    import subprocess
    import sys

    code = (
        "import sys, crateq.core.export_auto\n"
        "assert 'crateq.core.export_base' not in sys.modules, 'exporters imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
