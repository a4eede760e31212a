"""Download names: templates, untrusted values, and the folder they must never leave."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crateq.api.pool_models import MediaRow
from crateq.core.naming import (
    disposition_filename,
    extension_for,
    render,
    sanitize_component,
    target_path,
)

RESERVED = ["CON", "PRN", "AUX", "NUL", "COM1", "LPT9", "con.txt", "Nul  .mp3"]


def row(**kw: object) -> MediaRow:
    base = {"mediaId": 42, "artist": "Daft Punk", "title": "One More Time", "pool": "demo"}
    return MediaRow.model_validate({**base, **kw})


def test_default_templates_give_pool_folder_and_artist_title(tmp_path: Path) -> None:
    path = target_path(tmp_path, row(), ".mp3")
    assert path == tmp_path / "demo" / "Daft Punk - One More Time.mp3"


def test_all_fields_render(tmp_path: Path) -> None:
    r = row(
        tool="Extended",
        bpm="124",
        genre="House",
        releaseYear=2001,
        editor="X-Mix",
        advisory="Clean",
    )
    parts = render(
        "{genre}/{artist} - {title} ({tool}) {bpm} {year} {editor} {advisory} {mediaId} {pool}",
        {
            "artist": r.artist,
            "title": r.title,
            "tool": r.tool,
            "bpm": "124",
            "genre": r.genre,
            "year": "2001",
            "editor": r.editor,
            "pool": r.pool,
            "advisory": r.advisory,
            "mediaId": "42",
        },
    )
    assert parts == ["House", "Daft Punk - One More Time (Extended) 124 2001 X-Mix Clean 42 demo"]


def test_values_cannot_add_folder_levels(tmp_path: Path) -> None:
    path = target_path(tmp_path, row(artist="../../etc", title="passwd/x"), ".mp3")
    assert path.parent == tmp_path / "demo"
    assert "/" not in path.name and "\\" not in path.name


def test_missing_artist_does_not_leave_a_dangling_dash(tmp_path: Path) -> None:
    assert target_path(tmp_path, row(artist=""), ".mp3").name == "One More Time.mp3"


def test_reserved_device_names_are_escaped() -> None:
    for name in RESERVED:
        out = sanitize_component(name)
        assert out.split(".")[0].strip().upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}


def test_trailing_dots_spaces_and_controls_removed() -> None:
    assert sanitize_component("  hello.\x00\x1f world .. ") == "hello.__ world"
    assert sanitize_component("..") == "untitled"
    assert sanitize_component("") == "untitled"


def test_long_names_cut_to_200_utf8_bytes_without_breaking_characters(tmp_path: Path) -> None:
    path = target_path(tmp_path, row(artist="ü" * 300, title="日本" * 100), ".flac")
    assert len(path.name.encode("utf-8")) <= 200
    assert path.name.endswith(".flac")
    path.name.encode("utf-8").decode("utf-8")


def test_collisions_get_a_number(tmp_path: Path) -> None:
    first = target_path(tmp_path, row(), ".mp3")
    first.parent.mkdir(parents=True)
    first.write_bytes(b"x")
    second = target_path(tmp_path, row(), ".mp3")
    assert second.name == "Daft Punk - One More Time (2).mp3"
    third = target_path(tmp_path, row(), ".mp3", taken={str(second)})
    assert third.name == "Daft Punk - One More Time (3).mp3"


def test_extension_from_disposition_then_type() -> None:
    cd = 'attachment; filename="../../x.FLAC"'
    assert extension_for("audio/mpeg", cd, video=False) == ".flac"
    assert extension_for("audio/mpeg", 'attachment; filename="evil.exe"', video=False) == ".mp3"
    assert extension_for("video/mp4", None, video=True) == ".mp4"
    assert extension_for("application/octet-stream", None, video=True) == ".mp4"
    assert extension_for("audio/x-m4a", None, video=False) == ".m4a"


def test_disposition_forms() -> None:
    assert disposition_filename('attachment; filename="a \\"b\\".mp3"') == 'a \\"b\\".mp3'
    assert disposition_filename("attachment; filename*=UTF-8''%C3%BC%20x.mp3") == "ü x.mp3"
    assert disposition_filename("attachment; filename=plain.mp3; size=3") == "plain.mp3"
    assert disposition_filename(None) is None


hostile = st.lists(
    st.sampled_from([*'./\\:*?"<>| \x00\x01\x7f.aéCONUL1日', "..", "../", "CON", "\u2028"]),
    max_size=120,
).map("".join) | st.text(max_size=80)


@settings(
    max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(name=hostile, artist=hostile, title=hostile)
def test_hostile_names_stay_inside_the_download_folder(
    tmp_path: Path, name: str, artist: str, title: str
) -> None:
    cd = f'attachment; filename="{name}"'
    ext = extension_for("audio/mpeg", cd, video=False)
    path = target_path(tmp_path, row(artist=artist, title=title, pool=name), ext)
    real = os.path.realpath(path)
    assert os.path.commonpath([os.path.realpath(tmp_path), real]) == os.path.realpath(tmp_path)
    assert real != os.path.realpath(tmp_path)
    for part in path.relative_to(tmp_path).parts:
        assert part not in (".", "..")
        assert len(part.encode("utf-8")) <= 200
        assert not part.endswith((" ", "."))
        assert not any(c in part for c in '<>:"/\\|?*\x00')
