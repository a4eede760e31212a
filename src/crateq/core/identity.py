"""Song identity: one key for a song however a record pool writes its artist and title.

Pools write the same song many ways ("Crown Let It Go [Outro] - Clean", "crown let it go
(Outro Clean)"), so search merges versions across pools, "have it" checks the library and
tracklists match by :func:`identify`. What the title carried (mix/tool, advisory, video
quality) is kept in fields of the version rather than thrown away. The rules:

- Version tags are left out of the key: a bracket group, ``()`` or ``[]``, or a spaced-dash
  suffix (" - Clean") made only of version words (Intro, Outro, Extended, Short Edit, Quick
  Hit, Acapella, Instrumental, Transition, Main, Radio Edit, Clean, Dirty, HD, qHD…, numbers
  with them, or a BPM transition such as "124-101").
- A remix is its own track: "(X Remix)", "(X Edit)", bootleg, flip, rework, VIP… stay in the
  key (version words inside them are still peeled: "(X Extended Remix)" == "(X Remix)"). Any
  other bracket text ("(Part 2)", "(From 8 Mile)") stays part of the title.
- Featured artists (feat., ft., featuring; "(with B)" only lower-case, as streaming services
  write it) move from the title into the artists. Co-artists are split on &, and, +, vs,
  ";" and "," (not before "The": "Tyler, The Creator"). A lone "x" separates only between
  two words and not when another lone "x" follows it ("Lil Nas X x B"), so "Malcolm X",
  "Lil Nas X" and "XXXTentacion" stay whole. Bare "ft" counts only in the artist field.
- The key keeps the lead artist first and sorts the others; "The" is dropped only as an
  artist's first word ("The Weeknd" == "Weeknd").
- Case, NFKC forms, accents (transliterated by anyascii), apostrophes and dots are ignored,
  other punctuation counts as a space, "&" and "+" read as "and"; numbers are kept.
- Only the first 500 characters of each field count: no real title is longer, and it keeps
  hostile input cheap.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from anyascii import anyascii

Advisory = Literal["Clean", "Dirty"]

MAX_INPUT = 500


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOOL_WORDS = _words(
    "intro outro extended ext short edit radio quick hit transition acapella acappella "
    "accapella acapela instrumental inst main original mix version club dub redrum snippet "
    "hype dj in out cold drop break loop tool bpm bar bars remaster remastered album single "
    "vocal super slam"
)
# Words that make a tag only beside a stronger one: "(In)" or "(Mix)" alone is title text.
_WEAK = _words("in out mix version bar bars bpm super")
_ADVISORY: dict[str, Advisory] = {
    "clean": "Clean",
    "censored": "Clean",
    "dirty": "Dirty",
    "explicit": "Dirty",
    "uncensored": "Dirty",
}
_QUALITY = {"hd": "HD", "qhd": "qHD", "uhd": "UHD", "sd": "SD", "4k": "4K"}
_QUALITY |= {f"{n}p": f"{n}p" for n in (480, 540, 720, 1080, 2160)}
_FILLER = frozenset({"mix", "version"})
# Version words peeled out of a remix group; "dj", "club", "dub" may be a remixer's name.
_PEEL_FROM_REMIX = _words(
    "intro outro extended short radio quick hit transition acapella instrumental inst bpm"
)
_REMIX_WORDS = _words("remix rmx bootleg flip rework refix mashup vip edit rub remake")
_CANON = {"dj": "DJ", "bpm": "BPM", "vip": "VIP", "rmx": "RMX"}

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_BLANK = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_SPACES = re.compile(r"\s+")
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
_DROP = re.compile(r"[.'`´]")
_AND = re.compile(r"[&+]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ACAPPELLA = re.compile(r"\ba\s+cap+el+a\b", re.I)
_TOKEN = re.compile(r"\d{2,3}\s*-\s*\d{2,3}|[^\W_]+")
_TRANSITION = re.compile(r"(\d{2,3})\s*-\s*(\d{2,3})")
_NUMBER = re.compile(r"\d+")
_GROUP = re.compile(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]|[(\[]([^()\[\]]*)$")
_DASH = re.compile(r"\s+-+\s+")
_FEAT_GROUP = re.compile(r"(?:(?i:feat\.?|ft\.?|featuring)|with)\s+(\S.*)", re.S)
_TITLE_FEAT = re.compile(r"\s(?:feat\.?|ft\.|featuring)\s+(\S.*)$", re.I | re.S)
_ARTIST_FEAT = re.compile(r"\s(?:feat\.?|ft\.?|featuring)\s+(\S.*)$", re.I | re.S)
_SPLIT = re.compile(r"\s*(?:&|;|,(?!\s*the\b))\s*|\s+(?:and|\+|vs\.?|x(?!\s+x(?:\s|$)))\s+", re.I)
_EDGES = " -"


@dataclass(frozen=True, slots=True)
class SongIdentity:
    """Who and what a row is, apart from which version of the song it is.

    ``key`` is equal for two rows exactly when they are the same song (see the module's
    rules); compare it, do not parse it. ``artists`` (lead first, the others sorted) and
    ``title`` (a named remix included) are its normalised parts, for fuzzy matching.
    ``clean_artist`` and ``clean_title`` are for display: the original text without version
    tags. ``tool``, ``advisory`` and ``quality`` are what those tags said.
    """

    key: str
    artists: tuple[str, ...]
    title: str
    clean_artist: str
    clean_title: str
    tool: str | None = None
    advisory: Advisory | None = None
    quality: str | None = None
    remix: str | None = None


@dataclass(frozen=True, slots=True)
class _Tag:
    """What one bracket group or dash suffix said, when it was a tag and not title text."""

    tool: str | None = None
    advisory: Advisory | None = None
    quality: str | None = None
    remix: str | None = None
    featured: tuple[str, ...] = ()


def normalize(text: str) -> str:
    """Lower-case ASCII words of ``text`` separated by single spaces: the key's alphabet.

    Accents and other scripts are transliterated, apostrophes and dots vanish ("Don't" ==
    "Dont"), "&" and "+" read as "and", and every other non-alphanumeric run is one space.
    """
    text = text[:MAX_INPUT]
    if not text.isascii():
        text = anyascii(unicodedata.normalize("NFKC", text))
    text = _DROP.sub("", text.lower())
    if "&" in text or "+" in text:
        text = _AND.sub(" and ", text)
    return _NON_WORD.sub(" ", text).strip()


def display(text: str) -> str:
    """``text`` fit to show: NFKC forms, no control or invisible characters, single spaces."""
    text = text[:MAX_INPUT]
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_DASHES)
        text = _INVISIBLE.sub("", text)
    return _BLANK.sub(" ", text).strip()


def _word(token: str) -> str:
    low = token.lower()
    if low in _QUALITY:
        return _QUALITY[low]
    if _TRANSITION.fullmatch(token):
        return _TRANSITION.sub(r"\1-\2", token)
    return _CANON.get(low) or token[:1].upper() + token[1:].lower()


def _is_version_word(low: str) -> bool:
    return low in _TOOL_WORDS or low in _ADVISORY or low in _QUALITY


def _version(tokens: list[str], remix: str | None = None) -> _Tag:
    """The tag that version words ``tokens`` (and maybe a remix name) make."""
    tool: list[str] = []
    advisory: Advisory | None = None
    quality = None
    for token in tokens:
        low = token.lower()
        if low in _ADVISORY:
            advisory = advisory or _ADVISORY[low]
        elif low in _QUALITY:
            quality = quality or _QUALITY[low]
        elif low not in _FILLER:
            tool.append(_word(token))
    return _Tag(" ".join(tool) or None, advisory, quality, remix)


def _version_tag(content: str) -> _Tag | None:
    """``content`` as a version tag: only version words (one strong), numbers, transitions."""
    tokens = _TOKEN.findall(_ACAPPELLA.sub("Acapella", content))
    strong = False
    for token in tokens:
        low = token.lower()
        if _TRANSITION.fullmatch(token) or (_is_version_word(low) and low not in _WEAK):
            strong = True
        elif low not in _WEAK and not _NUMBER.fullmatch(low):
            return None
    return _version(tokens) if strong else None


def _peelable(token: str) -> bool:
    low = token.lower()
    if low in _ADVISORY or low in _QUALITY or _TRANSITION.fullmatch(token):
        return True
    return low in _PEEL_FROM_REMIX


def _remix_tag(content: str) -> _Tag | None:
    """``content`` as a named remix: its last word, version words aside, says remix."""
    tokens = _TOKEN.findall(content)
    kept = [t for t in tokens if not _peelable(t)]
    while len(kept) > 1 and kept[-1].lower() == "edit" and kept[-2].lower() in _REMIX_WORDS:
        kept.pop()  # "X Remix Radio Edit": the edit is the version, the remix the song
    if not kept or kept[-1].lower() not in _REMIX_WORDS:
        return None
    if len(kept) == len(tokens):
        return _Tag(remix=content.strip())
    return _version([t for t in tokens if t not in kept], " ".join(kept))


def _featured_tag(content: str) -> _Tag | None:
    match = _FEAT_GROUP.fullmatch(content.strip())
    if match is None:
        return None
    return _Tag(featured=tuple(_SPLIT.split(match.group(1))))


@lru_cache(maxsize=4096)
def _tag(content: str) -> _Tag | None:
    """What a bracket group or dash suffix says, or None if it is title text; cached, as
    pools repeat the same few tags on every row."""
    return _featured_tag(content) or _version_tag(content) or _remix_tag(content)


def _strip_groups(title: str, tags: list[_Tag], artist: bool = False) -> str:
    """``title`` without its tag groups (only featured-artist groups for an artist)."""
    if "(" not in title and "[" not in title:
        return title

    def keep_or_drop(match: re.Match[str]) -> str:
        tag = _tag(match.group(1) or match.group(2) or match.group(3) or "")
        if tag is None or (artist and not tag.featured):
            return match.group(0)
        tags.append(tag)
        return " "

    return _SPACES.sub(" ", _GROUP.sub(keep_or_drop, title)).strip(_EDGES)


def _strip_suffixes(title: str, tags: list[_Tag]) -> str:
    """Peel tags after a spaced dash from the right ("Song - Dirty - HD")."""
    if " -" not in title:
        return title
    parts = _DASH.split(title)
    suffixes: list[_Tag] = []
    while len(parts) > 1 and (tag := _tag(parts[-1])) is not None:
        suffixes.append(tag)
        parts.pop()
    tags.extend(reversed(suffixes))
    return " - ".join(parts).strip(_EDGES)


def _strip_featured(title: str, tags: list[_Tag], pattern: re.Pattern[str]) -> str:
    match = pattern.search(title)
    if match is None:
        return title
    tags.append(_Tag(featured=tuple(_SPLIT.split(match.group(1)))))
    return title[: match.start()].strip(_EDGES)


def _parse_title(title: str) -> tuple[str, str, list[_Tag]]:
    """The display title without tags, its normalised words, and the tags."""
    tags: list[_Tag] = []
    base = _strip_groups(title, tags)
    base = _strip_featured(_strip_suffixes(base, tags), tags, _TITLE_FEAT)
    words = normalize(base)
    if not words:  # nothing but tags: then the tags are the title ("[Clean]")
        return title, normalize(title), []
    return base, words, tags


def _artist_name(name: str) -> str:
    words = normalize(name)
    if words.startswith("the ") and len(words) > 4:
        return words[4:]
    return words


def _artist_names(names: Iterable[str]) -> list[str]:
    return [n for n in map(_artist_name, names) if n]


@lru_cache(maxsize=16384)
def _parse_artist(artist: str) -> tuple[str, tuple[str, ...]]:
    """The display artist and its normalised names (lead first), cached: artists repeat."""
    shown = display(artist)
    tags: list[_Tag] = []
    lead = _strip_featured(_strip_groups(shown, tags, artist=True), tags, _ARTIST_FEAT)
    featured = [name for tag in tags for name in tag.featured]
    return shown, _ordered(_artist_names(_SPLIT.split(lead)), _artist_names(featured))


def _ordered(names: Iterable[str], more: Iterable[str]) -> tuple[str, ...]:
    """Lead first, then everyone else once, sorted: the order of the others says nothing."""
    everyone = [*names, *more]
    if not everyone:
        return ()
    lead = everyone[0]
    return (lead, *sorted(set(everyone[1:]) - {lead}))


def _clean_artist(shown: str, names: tuple[str, ...], featured: list[str]) -> str:
    extra = [f for f in (display(f) for f in featured) if f and _artist_name(f) not in names]
    if not extra:
        return shown
    joined = " & ".join(extra)
    if not shown:
        return joined
    return f"{shown} & {joined}" if _ARTIST_FEAT.search(shown) else f"{shown} feat. {joined}"


def _version_fields(tags: list[_Tag]) -> tuple[str | None, Advisory | None, str | None]:
    """Tool (every tag's, in order), advisory and quality (the first given) of a title."""
    tools: list[str] = []
    advisory: Advisory | None = None
    quality = None
    for tag in tags:
        if tag.tool:
            tools.append(tag.tool)
        advisory = advisory or tag.advisory
        quality = quality or tag.quality
    return " ".join(tools) or None, advisory, quality


def identify(artist: str, title: str) -> SongIdentity:
    """The identity of the song ``artist`` - ``title`` and the version tags its title had."""
    shown_artist, artists = _parse_artist(artist[:MAX_INPUT])
    base, words, tags = _parse_title(display(title))
    clean_artist, remix = shown_artist, None
    if tags:
        featured = [name for tag in tags for name in tag.featured]
        if featured:
            clean_artist = _clean_artist(shown_artist, artists, featured)
            artists = _ordered(artists, _artist_names(featured))
        remix = " ".join(t.remix for t in tags if t.remix) or None
        if remix:
            words = f"{words} {normalize(remix)}"
            base = f"{base} ({remix})"
    tool, advisory, quality = _version_fields(tags)
    return SongIdentity(
        f"{','.join(artists)}|{words}",
        artists,
        words,
        clean_artist,
        base,
        tool,
        advisory,
        quality,
        remix,
    )


def song_key(artist: str, title: str) -> str:
    """Equal for two rows exactly when they are the same song (see the module's rules)."""
    return identify(artist, title).key
