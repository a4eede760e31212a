"""Songs across pools, version preferences and "have it" (crateq.core.songs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crateq.api.errors import ConfigError
from crateq.api.pool_models import MediaRow
from crateq.core.settings import PreferSettings, Settings, get_value, set_value
from crateq.core.songs import LibraryIndex, Song, Version, best_version, merge_songs
from crateq.core.store import LibraryEntry


def row(pool: str, media_id: int, artist: str, title: str, **fields: object) -> MediaRow:
    data = {"mediaId": media_id, "artist": artist, "title": title, "audio": True, **fields}
    made = MediaRow.model_validate(data)
    made.pool = pool
    return made


def test_rows_of_several_pools_merge_into_one_song_by_identity() -> None:
    rows = [
        row("a", 1, "Crown feat. Vee", "Let It Go (Intro - Clean)", tool="Intro", groupId=7),
        row("b", 9, "Crown ft. Vee", "Let It Go [Intro] - Clean", tool="Intro"),
        row("a", 2, "Crown", "Let It Go (feat. Vee) [Dirty]", groupId=7),
        row("b", 10, "Crown", "Let It Go (Crown Remix)"),
        row("a", 1, "Crown feat. Vee", "Let It Go (Intro - Clean)", groupId=7),  # a repeat
    ]
    songs = merge_songs(rows)
    assert [len(s.versions) for s in songs] == [3, 1]
    song = songs[0]
    assert song.title == "Let It Go"
    assert song.pools == ["a", "b"]
    assert {(v.pool, v.media_id) for v in song.versions} == {("a", 1), ("b", 9), ("a", 2)}
    shown = song.as_json()
    assert set(shown) == {"artist", "title", "key", "pools", "versions"}
    first = shown["versions"][0]  # type: ignore[index]  # a list of dicts
    assert {"pool", "mediaId", "artist", "title", "tool", "advisory"} <= set(first)


def test_a_pool_group_keeps_rows_whose_spelling_differs() -> None:
    rows = [row("a", 1, "X", "Song", groupId=3), row("a", 2, "X", "Song Typo", groupId=3)]
    assert len(merge_songs(rows)) == 1


def _song(*versions: MediaRow) -> Song:
    (song,) = merge_songs(versions)
    return song


V = {
    "intro-clean-a": row("a", 1, "S", "T (Intro - Clean)", tool="Intro", advisory="Clean",
                         date="2026-01-01"),
    "intro-dirty-b": row("b", 2, "S", "T [Intro] - Dirty", tool="Intro", advisory="Dirty",
                         date="2026-03-01"),
    "ext-dirty-a": row("a", 3, "S", "T (Extended) [Dirty]", tool="Extended", advisory="Dirty",
                       date="2026-02-01"),
    "main-clean-c": row("c", 4, "S", "T [Clean]", tool="Main", advisory="Clean",
                        date="2026-04-01"),
    "video-dirty-c": row("c", 5, "S", "T (Intro) [Dirty]", tool="Intro", advisory="Dirty",
                         audio=False, video=True, date="2026-05-01"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("prefs", "expected"),
    [
        ({}, "video-dirty-c"),  # nothing preferred: the newest
        ({"media": "audio"}, "main-clean-c"),  # then the newest audio
        ({"media": "audio", "advisory": "dirty"}, "intro-dirty-b"),
        ({"media": "audio", "advisory": "dirty", "tools": ["Extended"]}, "ext-dirty-a"),
        ({"media": "audio", "tools": ["Intro", "Extended"]}, "intro-dirty-b"),
        ({"media": "audio", "tools": ["Intro"], "pools": ["a"]}, "intro-clean-a"),
        ({"advisory": "clean", "tools": ["Intro"]}, "intro-clean-a"),  # advisory before tool
        ({"media": "video", "advisory": "clean"}, "video-dirty-c"),  # media before advisory
        ({"tools": ["main"], "pools": ["c"]}, "main-clean-c"),  # case-insensitive
        ({"tools": ["Club"], "pools": ["b"]}, "intro-dirty-b"),  # unlisted tools tie
        ({"media": "audio", "pools": ["zzz"]}, "main-clean-c"),  # unlisted pools tie
    ],
)
def test_best_version_compares_media_advisory_tool_pool_then_date(
    prefs: dict[str, object], expected: str
) -> None:
    song = _song(*V.values())
    best = best_version(song, PreferSettings.model_validate(prefs))
    assert best.row is V[expected]


def test_tool_names_drop_the_advisory_words() -> None:
    assert Version.of(row("a", 1, "S", "T (Intro Clean)", tool="Intro Clean")).tool_name == "intro"
    assert Version.of(row("a", 1, "S", "T [Clean]", tool="")).tool_name == "main"


def test_prefer_settings_are_set_from_text() -> None:
    settings = set_value(Settings(), "prefer.tools", "Intro, Extended,Club,Intro")
    assert settings.prefer.tools == ["Intro", "Extended", "Club"]
    settings = set_value(settings, "prefer.pools", "club-edits,urban-beats")
    assert get_value(settings, "prefer.pools") == ["club-edits", "urban-beats"]
    assert set_value(settings, "prefer.advisory", "Dirty").prefer.advisory == "dirty"
    assert set_value(settings, "prefer.media", "video").prefer.media == "video"
    with pytest.raises(ConfigError, match=r"prefer\.advisory"):
        set_value(settings, "prefer.advisory", "loud")
    assert Settings.model_validate({"version": 1}).prefer == PreferSettings()  # old files


def _entry(
    tmp_path: Path, pool: str, media_id: int, tags: dict[str, str], name: str
) -> LibraryEntry:
    path = tmp_path / name
    path.write_bytes(b"x")
    return LibraryEntry(pool, media_id, path, 1, "0" * 64, tags, 0.0)


def test_library_index_tells_version_song_or_nothing(tmp_path: Path) -> None:
    entries = [
        _entry(tmp_path, "a", 1, {"artist": "Crown feat. Vee", "title": "Let It Go [Dirty]"}, "1"),
        _entry(tmp_path, "a", 2, {}, "Mona - Blue Hour (Extended).mp3"),
    ]
    gone = LibraryEntry(
        "a", 3, tmp_path / "gone.mp3", 1, "0" * 64, {"artist": "Z", "title": "Q"}, 0
    )
    index = LibraryIndex.of_entries([*entries, gone])
    assert len(index) == 2
    assert index.status(row("a", 1, "Crown feat. Vee", "Let It Go [Dirty]")) == "version"
    assert index.status(row("b", 7, "Crown ft. Vee", "Let It Go [Intro] - Clean")) == "song"
    assert index.status(row("b", 8, "Mona", "Blue Hour [Intro]")) == "song"
    assert index.status(row("b", 9, "Mona", "Red Hour")) is None
    assert index.status(row("a", 3, "Z", "Q")) is None  # its file is gone
