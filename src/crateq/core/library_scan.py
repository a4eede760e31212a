"""Re-derive library entries from the files in the download folders.

Used after a damaged database was replaced (``crateq.core.store_recovery``): every file the
engine tagged carries "CrateQ: pool P, mediaId N" in a tag, so the library learns again
which track each file is and the next search shows it as downloaded instead of fetching
it twice. Files are only read (tags and size), never changed. The SHA-256 of the server's
bytes cannot be re-derived from a tagged file, so a found entry has none.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

import mutagen

from crateq.core.errors import CrateQError
from crateq.core.tagging import read_tags

log = logging.getLogger(__name__)
MEDIA_SUFFIXES = frozenset({".mp3", ".m4a", ".mp4", ".m4v", ".mov", ".flac", ".aiff", ".aif"})
MEDIA_SUFFIXES |= {".wav"}


class Library(Protocol):
    """What a re-scan needs of ``crateq.core.store.Store`` (not imported: the store calls
    this module)."""

    def jobs(self) -> list[dict[str, object]]: ...
    def library_entry(self, pool: str, media_id: int) -> object | None: ...
    def add_history(self, pool: str, media_id: int, event: str, detail: str = "") -> None: ...
    def add_to_library(
        self,
        pool: str,
        media_id: int,
        path: Path,
        size: int,
        sha256: str,
        tags: Mapping[str, str] | None = None,
    ) -> None: ...


_MARK = re.compile(r"CrateQ: pool (?P<pool>.+?), mediaId (?P<id>\d+)")


def media_files(folders: Iterable[Path]) -> Iterator[Path]:
    """Media files under ``folders`` (each once; ``.part`` files and hidden copies skipped)."""
    seen: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for root, _dirs, names in os.walk(folder):
            for name in sorted(names):
                path = Path(root) / name
                if name.startswith(".") or path.suffix.lower() not in MEDIA_SUFFIXES:
                    continue
                if str(path) not in seen:
                    seen.add(str(path))
                    yield path


def track_of(path: Path) -> tuple[str, int] | None:
    """(pool, mediaId) from the CrateQ mark in the file's tags, or None."""
    try:
        tagged = mutagen.File(path)
    except Exception:  # mutagen raises many types for a file it cannot read
        return None
    tags = getattr(tagged, "tags", None)
    if not tags:
        return None
    try:
        values = list(tags.values())
    except Exception:
        return None
    for value in values:
        found = _MARK.search(" ".join(map(str, value)) if isinstance(value, list) else str(value))
        if found:
            return found.group("pool"), int(found.group("id"))
    return None


def rescan(store: Library, folders: Iterable[Path]) -> int:
    """Add every marked file under ``folders`` that the library does not know; returns how
    many were added."""
    added = 0
    for path in media_files(folders):
        track = track_of(path)
        if track is None or store.library_entry(*track) is not None:
            continue
        try:
            tags: dict[str, str] = read_tags(path)
        except Exception:  # the tags that matter were read above
            tags = {}
        store.add_to_library(track[0], track[1], path, path.stat().st_size, "", dict(tags))
        store.add_history(track[0], track[1], "found", str(path))
        added += 1
    log.info("library re-derived from %d files", added)
    return added


def rederive(store: Library) -> int:
    """After a recovery: re-scan the settings' download folder and every job's folder;
    never raises (finding files again is a bonus, it must not stop the app starting)."""
    from crateq.core.settings import load_settings

    folders = {Path(str(job["dest"])) for job in store.jobs()}
    with contextlib.suppress(CrateQError):  # a broken settings file: the jobs' folders count
        folders.add(load_settings().downloads.folder_path())
    try:
        return rescan(store, sorted(folders))
    except Exception:
        log.exception("re-deriving the library from the download folders failed")
        return 0
