"""Query-string filters of ``api/Content/Media`` turned into SQL, with 400s for bad values.

Every parser raises :class:`BadRequest` with the sentence the pool answers, so the app maps
one exception to one ``{"status": 400, "message": ...}`` body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crateq.demo.catalog import VIDEO_MIXES

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

# row field (as on the wire, lower-cased) -> SQL expression used to order by it
SORT_COLUMNS: dict[str, str] = {
    "mediaid": "m.media_id", "artist": "m.artist COLLATE NOCASE",
    "title": "m.title COLLATE NOCASE", "genre": "m.genre", "bpm": "m.bpm",
    "advisory": "m.advisory", "editor": "m.editor COLLATE NOCASE", "length": "m.seconds",
    "size": "m.size_bytes", "tool": "m.tool", "releaseyear": "m.release_year",
    "quality": "m.quality_id", "date": "m.date", "preview": "m.media_id",
    "downloaded": "downloaded", "video": "m.video", "audio": "m.audio", "source": "m.source",
    "auth": "m.media_id", "img": "m.media_id", "queueid": "queue_id", "groupid": "m.group_id",
    "queuedate": "queue_date", "downloads": "m.downloads",
}  # fmt: skip

_MIXES = {mix.lower(): mix for mix in VIDEO_MIXES}
_INT_RE = re.compile(r"^\s*-?\d+\s*$")


class BadRequest(ValueError):
    """A malformed request value; the message is what the client is told."""


@dataclass
class SearchQuery:
    """A parsed search: WHERE clause with its parameters, order and page."""

    where: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)
    fts: list[str] = field(default_factory=list)
    order_sql: str = "m.date DESC"
    sort: str = "date"
    dir: str = "desc"
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def add(self, clause: str, *params: object) -> None:
        self.where.append(clause)
        self.params.extend(params)


def _int(name: str, text: str) -> int:
    if not _INT_RE.match(text):
        raise BadRequest(f"Invalid value for {name}: {text!r}.")
    return int(text)


def int_list(name: str, text: str) -> list[int]:
    """``7,3,4`` (or ``7``) as ints; BadRequest naming ``name`` otherwise."""
    items = [part for part in text.split(",") if part.strip()]
    if not items:
        raise BadRequest(f"Invalid value for {name}: {text!r}.")
    return [_int(name, part) for part in items]


def _number_spec(query: SearchQuery, name: str, column: str, text: str) -> None:
    """``120`` exact, ``80,100,120`` list, ``80-90`` range (low <= high)."""
    text = text.strip()
    match = re.fullmatch(r"(\d+)\s*-\s*(\d+)", text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if low > high:
            raise BadRequest(f"Invalid range for {name}: {text!r}.")
        query.add(f"{column} BETWEEN ? AND ?", low, high)
        return
    values = int_list(name, text)
    _in(query, column, values)


def _in(query: SearchQuery, column: str, values: Sequence[object]) -> None:
    marks = ",".join("?" * len(values))
    query.add(f"{column} IN ({marks})", *values)


#: Two-letter words ("dj", "mc") have no trigram: the rows holding them are looked up among
#: each row's letter pairs of artist, title and editor (``media_grams``, see the store)
#: instead of scanning every row. A word asked in one field is then checked in that field
#: as before, on those rows only.
GRAMS_MATCH = "m.media_id IN (SELECT rowid FROM media_grams WHERE media_grams MATCH ?)"


def letter_pair(word: str) -> str | None:
    """``word`` lower-cased when it is two characters the pair index holds, else None.

    The index's ``ascii`` tokenizer keeps ASCII letters and digits and every non-ASCII
    character; a pair with ASCII punctuation in it is not indexed (a plain scan finds it).
    """
    lowered = word.lower()
    if len(lowered) != 2 or not all(c.isalnum() or not c.isascii() for c in lowered):
        return None
    return lowered


def _substring(query: SearchQuery, columns: tuple[str, ...], text: str) -> None:
    """Substring match: FTS5 trigram for 3+ characters, the letter-pair index for two,
    ``instr`` for one character (or a pair with punctuation)."""
    for word in text.replace("\x00", " ").split():  # SQLite ends an FTS string at NUL
        if len(word) >= 3:
            phrase = '"' + word.replace('"', '""') + '"'
            scope = "{" + " ".join(columns) + "}" if len(columns) > 1 else columns[0]
            query.fts.append(f"{scope} : {phrase}")
        elif (pair := letter_pair(word)) is not None:
            query.add(GRAMS_MATCH, f'"{pair}"')  # rows holding it in any of the three fields
            if len(columns) == 1:  # then the field asked, checked on those rows only
                query.add(f"instr(lower(m.{columns[0]}), ?) > 0", word.lower())
        elif len(columns) > 1:  # one pre-lowered column holds artist, title and editor
            query.add("instr(m.haystack, ?) > 0", word.lower())
        else:
            query.add(f"instr(lower(m.{columns[0]}), ?) > 0", word.lower())


def parse_paging(query: SearchQuery, args: Mapping[str, str], default_sort: str) -> None:
    page = args.get("page", "").strip()
    query.page = _int("page", page) if page else 1
    if query.page < 1:
        raise BadRequest("Invalid value for page: must be 1 or more.")
    size = args.get("size", "").strip()
    query.size = _int("size", size) if size else DEFAULT_PAGE_SIZE
    if query.size < 1:
        raise BadRequest("Invalid value for size: must be 1 or more.")
    query.size = min(query.size, MAX_PAGE_SIZE)
    sort = args.get("sort", "").strip() or default_sort
    column = SORT_COLUMNS.get(sort.lower())
    if column is None:
        raise BadRequest(f"Invalid sort field: {sort!r}.")
    direction = (args.get("dir", "").strip() or "desc").lower()
    if direction not in ("asc", "desc"):
        raise BadRequest(f"Invalid value for dir: {direction!r}.")
    query.sort, query.dir = sort, direction
    query.order_sql = f"{column} {direction.upper()}, m.media_id {direction.upper()}"


def parse_search(args: Mapping[str, str]) -> SearchQuery:
    """All filters of pool-api.md combined with AND; raises BadRequest on malformed values."""
    query = SearchQuery()
    parse_paging(query, args, "date")

    def arg(name: str) -> str:
        return str(args.get(name, "")).strip()

    if arg("keywords"):
        _substring(query, ("artist", "title", "editor"), arg("keywords"))
    for name in ("artist", "title", "editor"):
        if arg(name):
            _substring(query, (name,), arg(name))
    for name, column in (("genreId", "m.genre_id"), ("categoryId", "m.category_id"),
                         ("qualityId", "m.quality_id"), ("groupId", "m.group_id"),
                         ("playlistId", "m.playlist_id")):  # fmt: skip
        if arg(name):
            _in(query, column, list(int_list(name, arg(name))))
    if arg("bpm"):
        _number_spec(query, "bpm", "m.bpm", arg("bpm"))
    if arg("releaseYear"):
        _number_spec(query, "releaseYear", "m.release_year", arg("releaseYear"))
    if arg("mix"):
        # canonical spelling keeps the tool index usable (mix names are case-insensitive)
        mixes = [_MIXES.get(p.strip().lower(), p.strip()) for p in arg("mix").split(",")]
        _in(query, "m.tool", [mix for mix in mixes if mix])
    if arg("advisory"):
        advisory = arg("advisory").capitalize()
        if advisory not in ("Clean", "Dirty"):
            raise BadRequest(f"Invalid value for advisory: {arg('advisory')!r}.")
        query.add("m.advisory = ?", advisory)
    if arg("days"):
        days = _int("days", arg("days"))
        if days < 0:
            raise BadRequest("Invalid value for days: must be 0 or more.")
        query.add("m.date >= date('now', ?)", f"-{days} days")
    if arg("originator"):  # the source name ("Urban Beats") or its slug ("urban-beats")
        query.add(
            "(lower(m.source) = lower(?) OR replace(lower(m.source), ' ', '-') = lower(?))",
            arg("originator"), arg("originator"),
        )  # fmt: skip
    search_type = arg("searchType").lower()
    if search_type in ("audio", "video"):
        query.add(f"m.{search_type} = 1")
    if arg("chart").lower() == "top":
        query.order_sql = "m.downloads DESC, m.media_id DESC"
    _prefer_lists(query)
    return query


def _prefer_lists(query: SearchQuery) -> None:
    """Keep the index for a value list when a bpm/year range is given too.

    Without range statistics SQLite takes a range for narrow and walks e.g. half the
    catalog's years row by row; a list (genres, mixes, ids) is nearly always the narrower.
    The unary ``+`` only stops the range's index from being chosen.
    """
    if any(c.startswith("m.") and " IN (" in c for c in query.where):
        query.where = [
            f"+{c}" if c.startswith("m.") and c.endswith(" BETWEEN ? AND ?") else c
            for c in query.where
        ]
