"""mutagen's class per media type, imported when first asked for."""

from __future__ import annotations

import pytest

from crateq.core.media_formats import EXTENSIONS, media_class


@pytest.mark.parametrize(
    ("ext", "name"),
    [(".mp3", "MP3"), (".M4A", "MP4"), (".mov", "MP4"), (".flac", "FLAC"), (".aif", "AIFF"),
     (".wav", "WAVE")],
)  # fmt: skip
def test_each_type_gets_mutagens_class(ext: str, name: str) -> None:
    import mutagen

    cls = media_class(ext)
    assert cls is not None and cls.__name__ == name and issubclass(cls, mutagen.FileType)


def test_a_type_without_a_parser_gets_none() -> None:
    assert media_class(".txt") is None and media_class("") is None
    assert all(media_class(ext) is not None for ext in EXTENSIONS)
