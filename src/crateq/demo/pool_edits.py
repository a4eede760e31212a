"""Catalog edits the aggregator pushes with ``POST api/UpdateMediaFunction/{originatorId}``.

An update may send only the fields that changed, so missing fields keep the entry's current
values; a new entry needs at least artist and title.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from crateq.demo.filters import BadRequest

if TYPE_CHECKING:
    from crateq.api.json_types import JSONObject
    from crateq.demo.store import MediaRecord


def _int(body: JSONObject, name: str, default: int) -> int:
    value = body.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, list):
        value = value[0] if value else default
    if isinstance(value, str) and "," in value:
        value = value.split(",")[0]
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise BadRequest(f"Invalid value for {name}: {value!r}.") from exc


def _date(body: JSONObject, default: str) -> str:
    value = str(body.get("playlistDate") or "").strip()
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError as exc:
        raise BadRequest(f"Invalid value for playlistDate: {value!r}.") from exc


def record_from_update(
    originator_id: str, body: JSONObject, existing: MediaRecord | None
) -> MediaRecord:
    """A full media record for the store, merged over ``existing`` when updating."""
    old = existing or {}
    artist = str(body.get("artist") or old.get("artist") or "").strip()
    title = str(body.get("title") or old.get("title") or "").strip()
    if not artist or not title:
        raise BadRequest("artist and title are required.")
    media_type = str(body.get("mediaType") or "").strip().lower()
    video = media_type == "video" if media_type in ("audio", "video") else bool(old.get("video"))
    advisory = str(body.get("advisory") or old.get("advisory") or "Clean").capitalize()
    if advisory not in ("Clean", "Dirty"):
        raise BadRequest(f"Invalid value for advisory: {advisory!r}.")
    today = dt.date.today().isoformat()
    ext = "mp4" if video else "mp3"
    return {
        "originator_id": originator_id,
        "artist": artist,
        "title": title,
        "genre_id": _int(body, "genreIds", int(old.get("genre_id") or 0)),
        "category_id": _int(body, "genreCategoryId", int(old.get("category_id") or 0)),
        "genre": old.get("genre", ""),
        "bpm": _int(body, "bpm", int(old.get("bpm") or 120)),
        "advisory": advisory,
        "editor": str(body.get("editor") if "editor" in body else old.get("editor", "")) or "",
        "tool": str(body.get("mix") or old.get("tool") or "Main"),
        "release_year": _int(
            body, "releaseYear", int(old.get("release_year") or dt.date.today().year)
        ),
        "quality_id": _int(body, "qualityId", int(old.get("quality_id") or (3 if video else 0))),
        "date": _date(body, str(old.get("date") or today)),
        "video": 1 if video else 0,
        "group_id": _int(body, "groupId", int(old.get("group_id") or 0)),
        "playlist_id": int(old.get("playlist_id") or 0),
        "filename": f"{artist} - {title}.{ext}",
    }
