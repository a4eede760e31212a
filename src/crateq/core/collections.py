"""The DJ's marks on tracks: favorites and the bin, in the app's store (survive restarts).

The bin holds tracks the DJ never wants to see again: :meth:`Collections.visible` (or the
predicate from :meth:`Collections.bin_filter`) drops them from any result list — the CLI's
search, charts and playlists call it, and the GUI's sources do the same — until they are
restored. Favorites feed "new from artists I favorited". Entries are :class:`Track` objects
(a pool version or a local file; the same track either way, see :mod:`crateq.core.tracks`).
Crates are in :mod:`crateq.core.crates`, the download history in :mod:`crateq.core.history`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from crateq.api.pool_models import MediaRow
from crateq.core.errors import CollectionError
from crateq.core.store import Store
from crateq.core.tracks import Track, library_path_sql, track_from_db

Kind = Literal["favorite", "bin"]

#: Library tag names (crateq.core.tagging) → the wire fields a row shows them in.
_TAG_FIELDS = {
    "artist": "artist", "title": "title", "genre": "genre", "bpm": "bpm",
    "year": "releaseYear", "grouping": "tool", "editor": "editor",
}  # fmt: skip


def fields_from_tags(tags: Mapping[str, object]) -> dict[str, str | int]:
    """A library entry's tags as row display fields."""
    out: dict[str, str | int] = {}
    for tag, name in _TAG_FIELDS.items():
        value = str(tags.get(tag) or "")
        if value:
            out[name] = int(value) if name in ("bpm", "releaseYear") and value.isdigit() else value
    return out


class Collections:
    """Favorites and the bin over the store's connection (tables of schema 2)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._binned: frozenset[str] | None = None  # the bin's keys, read on first use

    # -- what a key or a file is -----------------------------------------------------------

    def track_for_key(self, pool: str, media_id: int) -> Track:
        """The track ``POOL:ID`` with the display fields the app already knows (library tags,
        the download job's row, an earlier entry); empty fields when it knows none."""
        key = f"{pool}:{media_id}"
        entry = self.store.library_entry(pool, media_id)
        if entry is not None:
            return Track(key, pool, media_id, str(entry.path), fields_from_tags(entry.tags))
        with self.store.connection() as db:
            job = db.execute(
                "SELECT row_json FROM jobs WHERE pool = ? AND media_id = ? ORDER BY id DESC",
                (pool, media_id),
            ).fetchone()
            if job is not None:
                return Track.of_row(MediaRow.model_validate_json(job[0]).model_copy(
                    update={"pool": pool}))  # fmt: skip
            for table in ("marked", "crate_tracks", "wish_matches"):
                found = db.execute(
                    f"SELECT fields_json FROM {table}"
                    " WHERE track_key = ? AND fields_json != '{}'",
                    (key,),
                ).fetchone()
                if found is not None:
                    return Track(key, pool, media_id, fields=json.loads(found[0]))
        return Track(key, pool, media_id)

    def track_for_file(self, path: Path) -> Track:
        """A local file: the pool track it came from when the library knows it. A file
        name that is no UTF-8 (Linux allows any bytes) cannot be kept in the store's text:
        CollectionError says so and names the file."""
        resolved = path.expanduser().resolve()
        try:
            str(resolved).encode("utf-8")
        except UnicodeEncodeError:
            shown = str(resolved).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise CollectionError(
                f"The name of {shown} is not UTF-8 text, so CrateQ cannot list it.",
                hint="Rename the file (any name your system shows correctly works).",
            ) from None
        with self.store.connection() as db:
            found = db.execute(
                "SELECT pool, media_id FROM library WHERE path = ?", (str(resolved),)
            ).fetchone()
        if found is not None:
            return self.track_for_key(found[0], int(found[1]))
        return Track.of_file(resolved)

    # -- marks -----------------------------------------------------------------------------

    def mark(self, kind: Kind, tracks: Iterable[Track]) -> list[Track]:
        """Add tracks to the favorites or the bin; returns those that were not there yet."""
        added: list[Track] = []
        now = time.time()
        with self.store.connection() as db:
            for track in tracks:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO marked (kind, track_key, pool, media_id, path,"
                    " fields_json, added) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (kind, track.key, track.pool, track.media_id, track.path,
                     json.dumps(track.fields), now),
                )  # fmt: skip
                if cursor.rowcount:
                    added.append(track)
        if kind == "bin":
            self._binned = None
        return added

    def unmark(self, kind: Kind, keys: Iterable[str]) -> list[str]:
        """Take keys off the favorites or out of the bin; returns those that were there."""
        removed: list[str] = []
        with self.store.connection() as db:
            for key in keys:
                cursor = db.execute(
                    "DELETE FROM marked WHERE kind = ? AND track_key = ?", (kind, key)
                )
                if cursor.rowcount:
                    removed.append(key)
        if kind == "bin":
            self._binned = None
        return removed

    def marked(self, kind: Kind) -> list[Track]:
        """The favorites or the bin, oldest first, with the library path joined in."""
        with self.store.connection() as db:
            rows = db.execute(
                f"SELECT m.track_key, m.pool, m.media_id, m.fields_json, m.added,"
                f" {library_path_sql('m')} FROM marked m WHERE m.kind = ?"
                " ORDER BY m.added, m.rowid",
                (kind,),
            ).fetchall()
        return [track_from_db(r) for r in rows]

    def marked_keys(self, kind: Kind) -> frozenset[str]:
        with self.store.connection() as db:
            rows = db.execute("SELECT track_key FROM marked WHERE kind = ?", (kind,))
            return frozenset(str(r[0]) for r in rows)

    # -- favorites -------------------------------------------------------------------------

    def favorite(self, tracks: Iterable[Track]) -> list[Track]:
        return self.mark("favorite", tracks)

    def unfavorite(self, keys: Iterable[str]) -> list[str]:
        return self.unmark("favorite", keys)

    def favorites(self) -> list[Track]:
        return self.marked("favorite")

    def favorite_artists(self) -> list[str]:
        """The artists of the favorites, first-favorited first, without repeats."""
        seen: dict[str, str] = {}
        for track in self.favorites():
            if track.artist:
                seen.setdefault(track.artist.casefold(), track.artist)
        return list(seen.values())

    # -- the bin ---------------------------------------------------------------------------

    def bin(self, tracks: Iterable[Track]) -> list[Track]:
        return self.mark("bin", tracks)

    def restore(self, keys: Iterable[str]) -> list[str]:
        return self.unmark("bin", keys)

    def binned(self) -> list[Track]:
        return self.marked("bin")

    def is_visible(self, row: MediaRow) -> bool:
        """False for a binned row; the bin's keys are cached and re-read after this service
        changes the bin (another process's change is seen by a new ``Collections``)."""
        hidden = self._binned
        if hidden is None:
            hidden = self._binned = self.marked_keys("bin")
        return row.key not in hidden

    def bin_filter(self) -> Callable[[MediaRow], bool]:
        """The predicate result lists filter with (follows this service's bin changes)."""
        return self.is_visible

    def visible(self, rows: Iterable[MediaRow]) -> list[MediaRow]:
        """``rows`` without the binned ones, order kept: every result list goes through it."""
        return [row for row in rows if self.is_visible(row)]
