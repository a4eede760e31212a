"""Pydantic models of the record-pool API (see pool-api.md).

Real pools send extra or missing fields, numbers as strings and nulls, so every model is
lenient: unknown fields are ignored, absent or unparsable values fall back to a neutral
default, and a row never fails to parse because one field is odd.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetPydanticSchema,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

from crateq.api.errors import FilterError

_SIZE_UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([KMGT]?B)?\s*$", re.IGNORECASE)


def _to_int(value: object) -> int:
    """Numbers may arrive as ints, floats, strings ("120", "120.0") or null."""
    if value is None or isinstance(value, bool):
        return int(bool(value)) if isinstance(value, bool) else 0
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value).strip()))
    except (ValueError, OverflowError):  # "abc", "nan", "inf"
        return 0


def _to_str(value: object) -> str:
    return "" if value is None else str(value).strip()


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y"}
    return bool(value)


# Each lenient type tries the strict, well-formed value first inside pydantic-core and calls
# its Python fallback only for odd values, so a well-formed page makes no Python call per
# field (docs/PERFORMANCE.md, "Search").
_FIRST_MATCH = Field(union_mode="left_to_right")
LenientInt = Annotated[StrictInt | Annotated[int, BeforeValidator(_to_int)], _FIRST_MATCH]
#: A string that ``str.strip()`` leaves as it is: Python also strips \x1c-\x1f.
_TRIMMED = r"^(?:[^\s\x1c-\x1f](?:[\s\S]*[^\s\x1c-\x1f])?)?$"
LenientStr = Annotated[
    Annotated[str, StringConstraints(strict=True, pattern=_TRIMMED)]
    | Annotated[str, BeforeValidator(_to_str)],
    _FIRST_MATCH,
]
LenientBool = Annotated[StrictBool | Annotated[bool, BeforeValidator(_to_bool)], _FIRST_MATCH]


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


class _Rare(_Lenient):
    """A model most commands never read: its validator is built on first use, not at
    import (a one-file ``crateq download`` reads rows and pages only)."""

    model_config = ConfigDict(defer_build=True)


#: MediaRow fields the app fills in, never sent by a pool nor kept with a track.
LOCAL_FIELDS = frozenset({"pool", "camelot", "measured_bpm", "lufs", "match"})


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
    # Not in pool-api.md: the musical key, for a pool that sends one ("8A", "Am").
    # (not ``key``: the CLI's JSON rows use that name for POOL:ID)
    musical_key: LenientStr = Field("", alias="musicalKey")
    # Not on the wire: which configured pool this row came from (set by the client).
    pool: str = ""
    # Not on the wire: the library's analysis of this version's file (crateq.core.harmonic
    # sets them), and why it mixes with the playing track in a "mixes with" view.
    camelot: str = ""
    measured_bpm: float = 0.0
    lufs: float | None = None
    match: str = ""

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


def _only_rows(value: object) -> list[MediaRow]:
    """Drop what is not a row: ``null``, a non-list ``data``, items that are not objects."""
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, MediaRow)]


#: ``data`` of a listing. No "before" validator: one would make ``model_validate_json`` turn
#: the whole JSON array into Python objects first and validate those (no faster than
#: ``json.loads``); here pydantic-core builds each row straight from the JSON. An item (or a
#: ``data``) of any other shape falls through to ``Any`` and is dropped afterwards.
_ROWS_AS_PARSED = Annotated[
    list[Annotated[MediaRow | Any, _FIRST_MATCH]] | Any,  # Any: pydantic's any-value schema
    _FIRST_MATCH,
    AfterValidator(_only_rows),
]
MediaRows = Annotated[
    list[MediaRow],
    GetPydanticSchema(lambda _source, handler: handler.generate_schema(_ROWS_AS_PARSED)),
]


class MediaPage(_Lenient):
    """One page of a Media or Queue listing; parse a body with ``model_validate_json``."""

    records: LenientInt = 0
    message: LenientStr = ""
    pages: LenientInt = 0
    page: LenientInt = 1
    sort: LenientStr = ""
    dir: LenientStr = ""
    data: MediaRows = Field(default_factory=list)


class LoginResult(_Rare):
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


class Genre(_Rare):
    genre_id: LenientInt = Field(0, alias="genreId")
    title: LenientStr = ""
    category: LenientStr = ""
    category_id: LenientInt = Field(0, alias="categoryId")


class GenreCategory(_Rare):
    category_id: LenientInt = Field(0, alias="categoryId")
    title: LenientStr = ""


class VideoQuality(_Rare):
    quality_id: LenientInt = Field(0, alias="qualityId")
    title: LenientStr = ""
    pixel_width: LenientInt = 0
    pixel_height: LenientInt = 0


class Playlist(_Rare):
    """One of the pool's own playlists (staff picks, themed lists); ``count`` tracks."""

    playlist_id: LenientInt = Field(0, alias="playlistId")
    title: LenientStr = ""
    playlist_date: LenientStr = Field("", alias="playlistDate")
    count: LenientInt = 0
    # Not on the wire: which configured pool this playlist came from (set by the client).
    pool: str = ""


class QueueUpdateResult(_Rare):
    """Answer of UpdateQueue; ``added`` tells which way the toggle went."""

    id: LenientInt = 0
    message: LenientStr = ""

    @property
    def added(self) -> bool:
        return "added" in self.message.lower()


class ApiErrorBody(_Rare):
    """The error body every pool error carries."""

    status: LenientInt = 0
    message: LenientStr = ""


MAX_PAGE_SIZE = 500
_NUMBER_RE = re.compile(r"^[0-9]{1,5}$")


def _number(part: str, what: str, original: str) -> int:
    if not _NUMBER_RE.match(part):
        raise FilterError(
            f"{what} filter {original!r} is not valid: {part!r} is not a whole number.",
            hint="Use one value (120), a list (80,100,120) or a range (80-90).",
        )
    return int(part)


def parse_number_filter(text: str, what: str = "BPM") -> str:
    """Check and normalise a bpm/year filter before any request is made.

    Accepts the three forms the pools understand: ``"120"``, ``"80,100,120"`` and ``"80-90"``
    (spaces allowed); returns the canonical form to send. Raises :class:`FilterError` (also a
    ``ValueError``) with a sentence naming the filter for empty text, non-numbers, open ranges
    (``"80-"``) and reversed ranges (``"90-80"``).
    """
    original = text
    compact = "".join((text or "").split())
    if not compact:
        raise FilterError(
            f"{what} filter is empty.",
            hint="Use one value (120), a list (80,100,120) or a range (80-90).",
        )
    if "-" in compact:
        low_text, _, high_text = compact.partition("-")
        if not low_text or not high_text or "-" in high_text:
            raise FilterError(
                f"{what} range {original!r} is not valid: a range needs two numbers, like 80-90.",
            )
        low = _number(low_text, what, original)
        high = _number(high_text, what, original)
        if low > high:
            raise FilterError(
                f"{what} range {original!r} is reversed: the first number must not exceed "
                f"the second (try {high}-{low}).",
            )
        return f"{low}-{high}"
    parts = compact.split(",")
    return ",".join(str(_number(part, what, original)) for part in parts)


def _join(values: list[int] | list[str]) -> str:
    return ",".join(str(v) for v in values)


class MediaQuery(BaseModel):
    """A catalog search as the user asked for it; ``to_params()`` is the wire form.

    Construction validates every filter, so a malformed bpm/year never reaches a pool
    (``ValidationError`` carries the :func:`parse_number_filter` sentence). ``media`` has no
    wire parameter: the client filters rows on ``audio``/``video`` itself.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: str | None = None
    artist: str | None = None
    title: str | None = None
    editor: str | None = None
    genre_ids: list[int] = Field(default_factory=list)
    category_ids: list[int] = Field(default_factory=list)
    quality_ids: list[int] = Field(default_factory=list)
    bpm: str | None = None
    release_year: str | None = None
    mix: list[str] = Field(default_factory=list)
    advisory: Literal["Clean", "Dirty"] | None = None
    media: Literal["audio", "video"] | None = None
    group_id: int | None = None
    playlist_id: int | None = None
    days: int | None = Field(None, ge=1)
    originator: str | None = None
    search_type: str | None = None
    chart: bool = False
    page: int = Field(1, ge=1)
    size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
    sort: str | None = None
    dir: Literal["asc", "desc"] | None = None

    @field_validator(
        "keywords", "artist", "title", "editor", "originator", "search_type", "sort", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("bpm", mode="before")
    @classmethod
    def _check_bpm(cls, value: object) -> object:
        return None if value is None else parse_number_filter(str(value), "BPM")

    @field_validator("release_year", mode="before")
    @classmethod
    def _check_year(cls, value: object) -> object:
        return None if value is None else parse_number_filter(str(value), "Release year")

    @field_validator("mix", mode="before")
    @classmethod
    def _split_mix(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return [str(v).strip() for v in value if str(v).strip()]
        return value

    @field_validator("advisory", mode="before")
    @classmethod
    def _advisory_case(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().capitalize() or None
        return value

    @field_validator("media", "dir", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    def to_params(self) -> dict[str, str]:
        """The query string of ``GET api/Content/Media`` (without ``key``)."""
        params: dict[str, str] = {}
        texts = {
            "keywords": self.keywords,
            "artist": self.artist,
            "title": self.title,
            "editor": self.editor,
            "bpm": self.bpm,
            "releaseYear": self.release_year,
            "advisory": self.advisory,
            "originator": self.originator,
            "searchType": self.search_type,
            "sort": self.sort,
            "dir": self.dir,
        }
        params.update({k: v for k, v in texts.items() if v})
        lists: dict[str, list[int] | list[str]] = {
            "genreId": self.genre_ids,
            "categoryId": self.category_ids,
            "qualityId": self.quality_ids,
            "mix": self.mix,
        }
        params.update({k: _join(v) for k, v in lists.items() if v})
        numbers = {"groupId": self.group_id, "playlistId": self.playlist_id, "days": self.days}
        params.update({k: str(v) for k, v in numbers.items() if v is not None})
        if self.chart:
            params["chart"] = "top"
        params["page"] = str(self.page)
        params["size"] = str(self.size)
        return params

    def accepts(self, row: MediaRow) -> bool:
        """The client-side part of the filter (audio/video), applied to each row."""
        if self.media == "audio":
            return row.audio
        if self.media == "video":
            return row.video
        return True
