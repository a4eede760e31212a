"""The download history: every finished download, when, where to and from which pool.

The download engine already records each finished download in the store's ``history``
table (event ``downloaded``, detail = the file's path); this module reads it, joined with the
library (the file now, its tags) and the job's row (display fields), rather than keeping a
second record. "Downloaded before" is the pool's own ``downloaded`` flag on a row, or this
history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crateq.api.pool_models import MediaRow
from crateq.core.collections import fields_from_tags
from crateq.core.store import Store
from crateq.core.tracks import Track

_NOT_KEPT = frozenset({"auth", "queueId", "queueDate", "pool"})


@dataclass(frozen=True)
class HistoryEntry:
    """One finished download: ``at`` (epoch seconds), the file it wrote, the track."""

    at: float
    track: Track
    path: str

    @property
    def present(self) -> bool:
        return bool(self.path) and Path(self.path).is_file()

    def as_json(self) -> dict[str, object]:
        return {**self.track.as_json(), "at": self.at, "path": self.path, "present": self.present}


class History:
    """Reads what the download engine recorded; nothing here writes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def downloads(self, since: float | None = None, limit: int = 10_000) -> list[HistoryEntry]:
        """Finished downloads, newest first; only those at or after ``since`` when given."""
        with self.store.connection() as db:
            rows = db.execute(
                "SELECT h.at, h.pool, h.media_id, h.detail, l.tags_json,"
                " (SELECT j.row_json FROM jobs j WHERE j.pool = h.pool"
                "  AND j.media_id = h.media_id ORDER BY j.id DESC LIMIT 1) AS row_json"
                " FROM history h LEFT JOIN library l"
                "  ON l.pool = h.pool AND l.media_id = h.media_id"
                " WHERE h.event = 'downloaded' AND h.at >= ? ORDER BY h.at DESC, h.id DESC"
                " LIMIT ?",
                (since if since is not None else 0.0, limit),
            ).fetchall()
        entries = []
        for row in rows:
            fields: dict[str, object] = {}
            if row["row_json"]:
                wire = json.loads(row["row_json"])
                fields = {k: v for k, v in wire.items() if k not in _NOT_KEPT}
            if row["tags_json"]:
                fields = {**fields_from_tags(json.loads(row["tags_json"])), **fields}
            pool, media_id = str(row["pool"]), int(row["media_id"])
            track = Track(f"{pool}:{media_id}", pool, media_id, str(row["detail"]), fields)
            entries.append(HistoryEntry(float(row["at"]), track, str(row["detail"])))
        return entries

    def downloaded_keys(self) -> frozenset[str]:
        """``POOL:ID`` of every track this app ever finished downloading."""
        with self.store.connection() as db:
            rows = db.execute(
                "SELECT DISTINCT pool || ':' || media_id FROM history WHERE event = 'downloaded'"
            )
            return frozenset(str(r[0]) for r in rows)

    def downloaded_before(self, rows: Iterable[MediaRow]) -> set[str]:
        """Keys of the rows the DJ downloaded before: the pool says so, or this history."""
        known = self.downloaded_keys()
        return {row.key for row in rows if row.downloaded or row.key in known}
