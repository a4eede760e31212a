"""The DJ's crates: named, nestable, ordered lists of tracks (not the crate artist API).

A crate is named by its path from the top, ``Weddings/First dance`` (a name holds no ``/``;
names are unique among siblings, case-insensitively). Entries are :class:`Track` objects —
pool versions or local files — in the order the DJ set; a track is in a crate at most once.
An export (M3U and the other library exporters) reads :meth:`Crates.tree` and
:meth:`Crates.tracks`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from crateq.core.errors import CollectionError
from crateq.core.store import Store
from crateq.core.tracks import Track, library_path_sql, track_from_db

SEPARATOR = "/"


@dataclass
class Crate:
    """One crate: ``path`` names it from the top; ``count`` tracks; sub-crates in order."""

    id: int
    name: str
    path: str
    count: int = 0
    children: list[Crate] = field(default_factory=list)


def split_path(path: str) -> list[str]:
    """``"A / B"`` → ``["A", "B"]``; a CollectionError for an empty path or part."""
    parts = [part.strip() for part in path.split(SEPARATOR)]
    if not parts or any(not part for part in parts):
        raise CollectionError(f"{path!r} is not a crate name (use Parent/Child to nest).")
    return parts


class Crates:
    """Crates and their entries over the store's connection (tables of schema 2)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- the tree --------------------------------------------------------------------------

    def _child(self, db: sqlite3.Connection, parent: int | None, name: str) -> int | None:
        row = db.execute(
            "SELECT id FROM crates WHERE COALESCE(parent_id, 0) = ? AND name = ? COLLATE NOCASE",
            (parent or 0, name),
        ).fetchone()
        return int(row[0]) if row else None

    def _id(self, db: sqlite3.Connection, path: str) -> int | None:
        crate: int | None = None
        for name in split_path(path):
            crate = self._child(db, crate, name)
            if crate is None:
                return None
        return crate

    def _require(self, db: sqlite3.Connection, path: str) -> int:
        crate = self._id(db, path)
        if crate is None:
            raise CollectionError(f"There is no crate {path!r}.", hint="`crateq crates list`")
        return crate

    def new(self, path: str) -> Crate:
        """Create the crate at ``path`` (its missing parents too); a CollectionError if it
        exists already."""
        parts = split_path(path)
        with self.store.connection() as db:
            parent: int | None = None
            created = False
            for name in parts:
                found = self._child(db, parent, name)
                if found is None:
                    top = db.execute(
                        "SELECT COALESCE(MAX(position), 0) + 1 FROM crates"
                        " WHERE COALESCE(parent_id, 0) = ?",
                        (parent or 0,),
                    ).fetchone()[0]
                    cursor = db.execute(
                        "INSERT INTO crates (name, parent_id, position, created)"
                        " VALUES (?, ?, ?, ?)",
                        (name, parent, top, time.time()),
                    )
                    found, created = int(cursor.lastrowid or 0), True
                parent = found
            if not created:
                raise CollectionError(f"The crate {path!r} exists already.")
        return Crate(id=parent or 0, name=parts[-1], path=SEPARATOR.join(parts))

    def delete(self, path: str) -> None:
        """Delete a crate with its sub-crates and entries (the files stay)."""
        with self.store.connection() as db:
            db.execute("DELETE FROM crates WHERE id = ?", (self._require(db, path),))

    def rename(self, path: str, new_name: str) -> None:
        name = new_name.strip()
        if not name or SEPARATOR in name:
            raise CollectionError(f"{new_name!r} is not a crate name (no '/' in a name).")
        with self.store.connection() as db:
            crate = self._require(db, path)
            try:
                db.execute("UPDATE crates SET name = ? WHERE id = ?", (name, crate))
            except sqlite3.IntegrityError as exc:
                raise CollectionError(f"A crate named {name!r} is there already.") from exc

    def tree(self) -> list[Crate]:
        """Every crate, top-level first in the DJ's order, sub-crates nested."""
        with self.store.connection() as db:
            rows = db.execute(
                "SELECT c.id, c.name, c.parent_id,"
                " (SELECT COUNT(*) FROM crate_tracks t WHERE t.crate_id = c.id) AS count"
                " FROM crates c ORDER BY c.position, c.id"
            ).fetchall()
        children: dict[int, list[sqlite3.Row]] = {}
        for row in rows:
            children.setdefault(int(row["parent_id"] or 0), []).append(row)

        def build(parent: int, prefix: str) -> list[Crate]:
            out = []
            for row in children.get(parent, []):
                path = f"{prefix}{row['name']}"
                out.append(
                    Crate(int(row["id"]), row["name"], path, int(row["count"]),
                          build(int(row["id"]), path + SEPARATOR))
                )  # fmt: skip
            return out

        return build(0, "")

    # -- entries ---------------------------------------------------------------------------

    def tracks(self, path: str) -> list[Track]:
        """The crate's tracks in order, with the library path joined in."""
        with self.store.connection() as db:
            crate = self._require(db, path)
            rows = db.execute(
                f"SELECT t.track_key, t.pool, t.media_id, t.fields_json, t.added,"
                f" {library_path_sql('t')} FROM crate_tracks t WHERE t.crate_id = ?"
                " ORDER BY t.position, t.rowid",
                (crate,),
            ).fetchall()
        return [track_from_db(r) for r in rows]

    def add(self, path: str, tracks: Iterable[Track], index: int | None = None) -> list[Track]:
        """Append tracks (or insert them at ``index``); a track already in the crate stays
        where it is. Returns the tracks that were added."""
        added: list[Track] = []
        now = time.time()
        with self.store.connection() as db:
            crate = self._require(db, path)
            top = db.execute(
                "SELECT COALESCE(MAX(position), 0) FROM crate_tracks WHERE crate_id = ?",
                (crate,),
            ).fetchone()[0]
            for track in tracks:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO crate_tracks (crate_id, position, track_key, pool,"
                    " media_id, path, fields_json, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (crate, top + len(added) + 1, track.key, track.pool, track.media_id,
                     track.path, json.dumps(track.fields), now),
                )  # fmt: skip
                if cursor.rowcount:
                    added.append(track)
        if index is not None and added:
            self._reorder(path, [t.key for t in added], index)
        return added

    def remove(self, path: str, keys: Iterable[str]) -> list[str]:
        """Take tracks out of the crate; returns the keys that were in it."""
        removed: list[str] = []
        with self.store.connection() as db:
            crate = self._require(db, path)
            for key in keys:
                cursor = db.execute(
                    "DELETE FROM crate_tracks WHERE crate_id = ? AND track_key = ?", (crate, key)
                )
                if cursor.rowcount:
                    removed.append(key)
        return removed

    def move(self, path: str, keys: Iterable[str], index: int) -> None:
        """Move tracks of the crate to ``index`` (0 is the top), in the order given."""
        self._reorder(path, list(keys), index)

    def _reorder(self, path: str, keys: list[str], index: int) -> None:
        with self.store.connection() as db:
            crate = self._require(db, path)
            order = [
                str(r[0])
                for r in db.execute(
                    "SELECT track_key FROM crate_tracks WHERE crate_id = ?"
                    " ORDER BY position, rowid",
                    (crate,),
                )
            ]
            moving = [k for k in keys if k in order]
            rest = [k for k in order if k not in moving]
            at = max(0, min(index, len(rest)))
            new_order = rest[:at] + moving + rest[at:]
            db.execute("BEGIN")
            try:
                db.executemany(
                    "UPDATE crate_tracks SET position = ? WHERE crate_id = ? AND track_key = ?",
                    [(number + 1, crate, key) for number, key in enumerate(new_order)],
                )
                db.execute("COMMIT")
            except sqlite3.Error:
                db.execute("ROLLBACK")
                raise
