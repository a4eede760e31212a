"""Pydantic models of the record-pool API (see pool-api.md).

Real pools send extra or missing fields, numbers as strings and nulls, so every model is
lenient: unknown fields are ignored, absent or unparsable values fall back to a neutral
default, and a row never fails to parse because one field is odd.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

_SIZE_UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([KMGT]?B)?\s*$", re.IGNORECASE)


def _to_int(value: Any) -> int:
    """Numbers may arrive as ints, floats, strings ("120", "120.0") or null."""
    if value is None or isinstance(value, bool):
        return int(bool(value)) if isinstance(value, bool) else 0
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value).strip()))
    except (ValueError, OverflowError):  # "abc", "nan", "inf"
        return 0


def _to_str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y"}
    return bool(value)


LenientInt = Annotated[int, BeforeValidator(_to_int)]
LenientStr = Annotated[str, BeforeValidator(_to_str)]
LenientBool = Annotated[bool, BeforeValidator(_to_bool)]


def parse_length(text: str) -> int | None:
    """Seconds from "MM:SS", "M:SS" or "H:MM:SS"; None when it cannot be read."""
    parts = text.strip().split(":") if text else []
    if not parts or not all(p.strip().isdigit() for p in parts) or len(parts) > 3:
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def parse_size(text: str) -> int | None:
    """Bytes from a display size like "75.26 MB" (decimal units); None when unreadable."""
    match = _SIZE_RE.match(text or "")
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "B").upper()
    return int(number * _SIZE_UNITS[unit])


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=False)


class MediaRow(_Lenient):
    """One catalog row: a single version (mix/tool) of a song in one pool."""

    media_id: LenientInt = Field(0, alias="mediaId")
    artist: LenientStr = ""
    title: LenientStr = ""
    genre: LenientStr = ""
    bpm: LenientInt = 0
    advisory: LenientStr = ""
    editor: LenientStr = ""
    length: LenientStr = ""
    size: LenientStr = ""
    tool: LenientStr = ""
    release_year: LenientInt = Field(0, alias="releaseYear")
    quality: LenientStr = ""
    date: LenientStr = ""
    preview: LenientStr = ""
    downloaded: LenientBool = False
    video: LenientBool = False
    audio: LenientBool = False
    source: LenientStr = ""
    auth: LenientStr = ""
    img: LenientStr = ""
    queue_id: LenientInt = Field(0, alias="queueId")
    group_id: LenientInt = Field(0, alias="groupId")
    queue_date: LenientStr = Field("", alias="queueDate")
    # Not on the wire: which configured pool this row came from (set by the client).
    pool: str = ""

    @property
    def length_seconds(self) -> int | None:
        return parse_length(self.length)

    @property
    def size_bytes(self) -> int | None:
        return parse_size(self.size)

    @property
    def published(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.date[:10])
        except ValueError:
            return None

    @property
    def key(self) -> str:
        """``POOL:ID``: how the CLI and the store name a track."""
        return f"{self.pool}:{self.media_id}"


class MediaPage(_Lenient):
    """One page of a Media or Queue listing."""

    records: LenientInt = 0
    message: LenientStr = ""
    pages: LenientInt = 0
    page: LenientInt = 1
    sort: LenientStr = ""
    dir: LenientStr = ""
    data: list[MediaRow] = Field(default_factory=list)

    @field_validator("data", mode="before")
    @classmethod
    def _rows_or_empty(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            # a row that is not an object is dropped rather than failing the page
            return [row for row in value if isinstance(row, dict)]
        return []


class LoginResult(_Lenient):
    """The pool's answer to a login: status and the message the user must see."""

    user_id: LenientStr = Field("", alias="userId")
    msg: LenientStr = ""
    status: LenientStr = ""
    country: LenientStr = ""
    crateq: LenientBool = False
    originator: LenientStr = ""
    token: LenientStr = ""

    @property
    def can_download(self) -> bool:
        """Expired, suspended or denied accounts may search but not download."""
        return self.crateq or self.status.lower() in {"current", "active", "pending", ""}


class Genre(_Lenient):
    genre_id: LenientInt = Field(0, alias="genreId")
    title: LenientStr = ""
    category: LenientStr = ""
    category_id: LenientInt = Field(0, alias="categoryId")


class GenreCategory(_Lenient):
    category_id: LenientInt = Field(0, alias="categoryId")
    title: LenientStr = ""


class VideoQuality(_Lenient):
    quality_id: LenientInt = Field(0, alias="qualityId")
    title: LenientStr = ""
    pixel_width: LenientInt = 0
    pixel_height: LenientInt = 0


class QueueUpdateResult(_Lenient):
    """Answer of UpdateQueue; ``added`` tells which way the toggle went."""

    id: LenientInt = 0
    message: LenientStr = ""

    @property
    def added(self) -> bool:
        return "added" in self.message.lower()


class ApiErrorBody(_Lenient):
    """The error body every pool error carries."""

    status: LenientInt = 0
    message: LenientStr = ""
