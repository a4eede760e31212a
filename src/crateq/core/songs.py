"""Songs across pools: rows of every pool merged by identity, the best version by the user's
preferences, and whether the library already has a row ("have it").

:func:`merge_songs` builds on :func:`crateq.core.search.group_versions`: rows that one pool
groups (same ``groupId``) stay together, and rows of any pool with the same identity key
(:func:`crateq.core.identity.identify`) join them. :func:`best_version` is the one place a
version is picked (the CLI's ``find``, the GUI's "grab best"). :class:`LibraryIndex` answers
"version" (this exact file), "song" (another version of it) or None. Qt-free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from crateq.api.pool_models import MediaRow
from crateq.core.identity import SongIdentity, identify
from crateq.core.search import song_key as group_key
from crateq.core.search import version_rank

if TYPE_CHECKING:
    from crateq.core.settings import PreferSettings
    from crateq.core.store import LibraryEntry, Store

Have = Literal["version", "song"]
# Rows repeat across searches (set prep runs hundreds, the GUI re-merges as rows stream in).
_identify = lru_cache(maxsize=65536)(identify)
_ADVISORY_WORDS = frozenset({"clean", "dirty"})


def identity_of(row: MediaRow) -> SongIdentity:
    """The row's identity (cached: the GUI's result stream merges every row it shows)."""
    return _identify(row.artist, row.title)


@dataclass(frozen=True)
class Version:
    """One version of a song in one pool: the pool's row and what its title said."""

    row: MediaRow
    identity: SongIdentity

    @classmethod
    def of(cls, row: MediaRow) -> Version:
        return cls(row, identity_of(row))

    @property
    def pool(self) -> str:
        return self.row.pool

    @property
    def media_id(self) -> int:
        return self.row.media_id

    @property
    def tool(self) -> str:
        """The pool's own tool/mix field, else what the title's tags said."""
        return self.row.tool or self.identity.tool or ""

    @property
    def tool_name(self) -> str:
        """The tool without advisory words, lower-case ("Intro Clean" -> "intro"); "main"
        for a version without one: what ``prefer.tools`` is compared with."""
        words = [w for w in self.tool.lower().split() if w not in _ADVISORY_WORDS]
        return " ".join(words) or "main"

    @property
    def advisory(self) -> str:
        return self.row.advisory or self.identity.advisory or ""

    @property
    def quality(self) -> str:
        return self.row.quality or self.identity.quality or ""

    @property
    def published(self) -> dt.date | None:
        return self.row.published

    def as_json(self) -> dict[str, str | int | bool | None]:
        """The version's ``--json`` form (the ``find`` and ``search --songs`` contract)."""
        row = self.row
        return {
            "pool": row.pool,
            "mediaId": row.media_id,
            "key": row.key,
            "artist": row.artist,
            "title": row.title,
            "tool": self.tool or None,
            "advisory": self.advisory or None,
            "quality": self.quality or None,
            "audio": row.audio,
            "video": row.video,
            "size": row.size or None,
            "date": row.date or None,
        }


@dataclass
class Song:
    """One song however many pools have it; ``versions`` in the order they were merged."""

    key: str
    artist: str
    title: str  # the clean title: the version tags the Mix/Advisory columns show taken out
    versions: list[Version] = field(default_factory=list)

    @property
    def pools(self) -> list[str]:
        return list(dict.fromkeys(v.pool for v in self.versions))

    def as_json(self, have: Callable[[MediaRow], Have | None] | None = None) -> dict[str, object]:
        """The ``search --songs --json`` object; ``have`` (e.g. :meth:`LibraryIndex.status`)
        adds each version's ``library`` field."""
        versions: list[dict[str, object]] = []
        for version in self.versions:
            shown: dict[str, object] = {**version.as_json()}
            if have is not None:
                shown["library"] = have(version.row)
            versions.append(shown)
        return {
            "artist": self.artist,
            "title": self.title,
            "key": self.key,
            "pools": self.pools,
            "versions": versions,
        }


def merge_songs(rows: Iterable[MediaRow]) -> list[Song]:
    """Songs in the order their first version arrived. A row joins the song of its pool's
    group (``groupId``) if that group was seen, else the song of its identity key; versions
    within a song are ordered best first for a DJ (:func:`crateq.core.search.version_rank`)."""
    songs: dict[str, Song] = {}
    by_group: dict[str, Song] = {}
    seen: set[tuple[str, int]] = set()
    for row in rows:
        if (row.pool, row.media_id) in seen:
            continue
        seen.add((row.pool, row.media_id))
        version = Version.of(row)
        group = group_key(row)
        song = by_group.get(group) or songs.get(version.identity.key)
        if song is None:
            ident = version.identity
            song = Song(ident.key, ident.clean_artist, ident.clean_title)
            songs[ident.key] = song
        by_group.setdefault(group, song)
        song.versions.append(version)
    for song in songs.values():
        song.versions.sort(key=lambda v: version_rank(v.row))
    return list(songs.values())


def _rank(value: str, order: Sequence[str]) -> int:
    """Index of ``value`` in ``order`` (case-insensitive); unlisted values rank after all."""
    low = value.lower()
    for index, item in enumerate(order):
        if item.lower() == low:
            return index
    return len(order)


def version_order(version: Version, prefs: PreferSettings) -> tuple[int, int, int, int, int]:
    """The sort key of :func:`best_version`: media, advisory, tool, pool, newest."""
    row = version.row
    media = 0
    if prefs.media != "any":
        media = 0 if (row.audio if prefs.media == "audio" else row.video) else 1
    advisory = 0
    if prefs.advisory != "any":
        said = version.advisory.lower()
        advisory = 0 if said == prefs.advisory else (1 if not said else 2)
    tools = [" ".join(t.lower().split()) for t in prefs.tools]
    published = version.published
    return (
        media,
        advisory,
        _rank(version.tool_name, tools),
        _rank(version.pool, prefs.pools),
        -(published.toordinal() if published else 0),
    )


def best_version(song: Song, prefs: PreferSettings) -> Version:
    """The version to take by ``prefs``, comparing media, advisory, the tool's rank in
    ``prefer.tools``, the pool's rank in ``prefer.pools``, then the newest; ties keep the
    song's order."""
    if not song.versions:
        raise ValueError("a song without versions")
    return min(song.versions, key=lambda v: version_order(v, prefs))


def entry_identity(entry: LibraryEntry) -> SongIdentity | None:
    """Who a library file is: its tags (what the engine wrote from the pool's row), else
    its name when it reads "Artist - Title"."""
    artist = str(entry.tags.get("artist", "") or "")
    title = str(entry.tags.get("title", "") or "")
    if not (artist and title):
        artist, sep, title = Path(entry.path).stem.partition(" - ")
        if not sep:
            return None
    return identify(artist, title)


class LibraryIndex:
    """What the library holds, by (pool, mediaId) and by song key, for "have it".

    Built from the store's library entries whose files are still there; ``refresh()``
    reads them again (after downloads finished). Plain and Qt-free: the GUI and the CLI
    share it.
    """

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self._versions: dict[tuple[str, int], LibraryEntry] = {}
        self._songs: dict[str, LibraryEntry] = {}
        if store is not None:
            self.refresh()

    @classmethod
    def of_entries(cls, entries: Iterable[LibraryEntry]) -> LibraryIndex:
        index = cls()
        index._load(entries)
        return index

    def refresh(self) -> None:
        if self.store is not None:
            self._load(self.store.library())

    def _load(self, entries: Iterable[LibraryEntry]) -> None:
        self._versions.clear()
        self._songs.clear()
        for entry in entries:
            if not entry.present:
                continue
            self._versions[(entry.pool, entry.media_id)] = entry
            ident = entry_identity(entry)
            if ident is not None:
                self._songs.setdefault(ident.key, entry)

    def __len__(self) -> int:
        return len(self._versions)

    def song(self, key: str) -> LibraryEntry | None:
        """A library file of the song with identity ``key``, if any."""
        return self._songs.get(key)

    def version(self, pool: str, media_id: int) -> LibraryEntry | None:
        return self._versions.get((pool, media_id))

    def status(self, row: MediaRow, key: str | None = None) -> Have | None:
        """ "version" when the library holds this very row, "song" when it holds another
        version of the same song (by identity key), else None. ``key``: the row's identity
        key when the caller has it already."""
        if (row.pool, row.media_id) in self._versions:
            return "version"
        if key is None:
            key = identify(row.artist, row.title).key
        return "song" if key in self._songs else None
