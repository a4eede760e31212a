"""One track as the DJ's collections hold it: a pool version or a local file, same key.

A pool row and the file it became are one track: its key is ``POOL:mediaId`` (how the CLI
and the store name it), and the library's path is joined in when the track is listed. A
local file the library does not know is keyed ``file:<absolute path>``. Each entry keeps the
row's display fields (wire spelling, never the per-user ``auth`` token), so a crate, the
favorites or the bin list without a network call.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crateq.api.pool_models import LOCAL_FIELDS, MediaRow

FILE_PREFIX = "file:"
#: Row fields never kept: the download token is per user and lives 15 minutes; the queue
#: fields describe the server queue at the time, not the track.
_NOT_KEPT = frozenset({"auth", "queueId", "queueDate"})


@dataclass(frozen=True)
class Track:
    """A pool version (``pool`` + ``media_id``) or a local file (``path`` only)."""

    key: str
    pool: str = ""
    media_id: int = 0
    path: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # Any: JSON values of the wire row
    added: float = 0.0

    @classmethod
    def of_row(cls, row: MediaRow, path: str = "") -> Track:
        data = row.model_dump(mode="json", by_alias=True, exclude=set(LOCAL_FIELDS))
        kept = {k: v for k, v in data.items() if k not in _NOT_KEPT}
        return cls(key=row.key, pool=row.pool, media_id=row.media_id, path=path, fields=kept)

    @classmethod
    def of_file(cls, path: Path) -> Track:
        """A local file (not from the library: see ``Collections.track_for_file``)."""
        resolved = path.expanduser().resolve()
        stem = resolved.stem
        artist, sep, title = stem.partition(" - ")
        fields = {"artist": artist, "title": title} if sep else {"title": stem}
        return cls(key=f"{FILE_PREFIX}{resolved}", path=str(resolved), fields=fields)

    @property
    def is_file(self) -> bool:
        return not self.pool

    @property
    def artist(self) -> str:
        return str(self.fields.get("artist") or "")

    @property
    def title(self) -> str:
        return str(self.fields.get("title") or "")

    @property
    def mix(self) -> str:
        return str(self.fields.get("tool") or "")

    def row(self) -> MediaRow:
        """The entry as a grid row (no ``auth``: a download fetches a fresh one)."""
        row = MediaRow.model_validate({**self.fields, "mediaId": self.media_id})
        row.pool = self.pool
        return row

    def as_json(self) -> dict[str, Any]:  # Any: JSON values of the wire row
        """``--json`` form: the display fields plus ``key``, ``pool``, ``mediaId``, ``path``."""
        return {
            **self.fields,
            "key": self.key,
            "pool": self.pool,
            "mediaId": self.media_id,
            "path": self.path,
        }


def track_from_db(row: sqlite3.Row) -> Track:
    """A track from a collection table's row (columns track_key, pool, media_id, path,
    fields_json, added; ``path`` already joined with the library)."""
    return Track(
        key=row["track_key"],
        pool=row["pool"],
        media_id=int(row["media_id"]),
        path=row["path"] or "",
        fields=json.loads(row["fields_json"] or "{}"),
        added=float(row["added"]),
    )


def library_path_sql(alias: str) -> str:
    """The SQL of an entry's path: the library's file for a pool track, else its own."""
    return (
        f"COALESCE((SELECT l.path FROM library l WHERE l.pool = {alias}.pool"
        f" AND l.media_id = {alias}.media_id AND {alias}.pool != ''), {alias}.path) AS path"
    )
