"""Musical keys for DJs: Camelot and Open Key codes, harmonic compatibility, "mixes with".

A key is a tonic and a scale ("A minor"). DJ software shows it as a Camelot code ("8A": the
number is the position on the circle of fifths, A minor and B major) or an Open Key code
("1m"/"1d", the same wheel turned so C major is 1d). Two tracks mix without a clash when
their codes are the same, one step apart on the wheel with the same letter, or relative
major/minor (same number, other letter). Qt-free, so the grid, the CLI and tests share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Pitch classes in the spelling the app shows (sharps for F#/C#, flats for Eb/Ab/Bb).
PITCHES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_ALIASES = {"Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10, "Cb": 11, "B#": 0, "E#": 5, "Fb": 4}
_CAMELOT = re.compile(r"^\s*(1[0-2]|[1-9])\s*([ABab])\s*$")
_OPEN_KEY = re.compile(r"^\s*(1[0-2]|[1-9])\s*([dmDM])\s*$")
BPM_WINDOW = 0.06  # "mixes with": within ±6 % of the playing track's tempo


@dataclass(frozen=True, order=True)
class Key:
    """A musical key: ``pitch`` 0-11 (C = 0) and ``minor``."""

    pitch: int
    minor: bool

    @property
    def name(self) -> str:
        """The name the app shows: "A minor", "F# major"."""
        return f"{PITCHES[self.pitch]} {'minor' if self.minor else 'major'}"

    @property
    def number(self) -> int:
        """The wheel position 1-12 shared by Camelot and (shifted) Open Key."""
        major = (self.pitch + 3) % 12 if self.minor else self.pitch  # the relative major
        return (7 + major * 7) % 12 + 1

    @property
    def camelot(self) -> str:
        return f"{self.number}{'A' if self.minor else 'B'}"

    @property
    def open_key(self) -> str:
        return f"{(self.number - 8) % 12 + 1}{'m' if self.minor else 'd'}"

    @property
    def id3(self) -> str:
        """The ID3v2 TKEY spelling: "Am", "F#m", "Bb"."""
        return PITCHES[self.pitch] + ("m" if self.minor else "")


def parse_key(text: str) -> Key | None:
    """A key from "A minor", "Am", "F#m", "Bb major", "8A" or "1m"; None if not a key."""
    text = text.strip()
    if not text:
        return None
    if match := _CAMELOT.match(text):
        return _from_number(int(match[1]), match[2].upper() == "A")
    if match := _OPEN_KEY.match(text):
        return _from_number((int(match[1]) + 6) % 12 + 1, match[2].lower() == "m")
    match = re.match(r"^([A-Ga-g])([#b♯♭]?)\s*(major|minor|maj|min|m)?$", text, re.IGNORECASE)
    if match is None:
        return None
    spelled = match[1].upper() + match[2].replace("♯", "#").replace("♭", "b")
    pitch = PITCHES.index(spelled) if spelled in PITCHES else _ALIASES.get(spelled)
    if pitch is None:
        return None
    mode = (match[3] or "").lower()
    return Key(pitch, mode in ("minor", "min") or match[3] == "m")


def _from_number(number: int, minor: bool) -> Key:
    major = next(p for p in range(12) if (7 + p * 7) % 12 + 1 == number)
    return Key((major - 3) % 12 if minor else major, minor)


def all_keys() -> list[Key]:
    """The 24 keys in Camelot order (1A, 1B, 2A, …)."""
    return sorted((Key(p, m) for p in range(12) for m in (True, False)), key=camelot_order)


def camelot_order(key: Key | str | None) -> tuple[int, int]:
    """A sort key in Camelot order; an unknown key sorts last."""
    parsed = parse_key(key) if isinstance(key, str) else key
    if parsed is None:
        return (99, 9)
    return (parsed.number, 0 if parsed.minor else 1)


def key_distance(a: Key, b: Key) -> int | None:
    """0 for the same key, 1 for ±1 on the wheel or relative major/minor, else None."""
    if a == b:
        return 0
    step = (a.number - b.number) % 12
    if a.minor == b.minor and step in (1, 11):
        return 1
    if a.minor != b.minor and step == 0:
        return 1
    return None


def compatible(a: Key | str, b: Key | str) -> bool:
    ka = parse_key(a) if isinstance(a, str) else a
    kb = parse_key(b) if isinstance(b, str) else b
    return ka is not None and kb is not None and key_distance(ka, kb) is not None


def compatible_codes(key: Key | str) -> list[str]:
    """Camelot codes that mix with ``key``: itself, ±1, and its relative."""
    parsed = parse_key(key) if isinstance(key, str) else key
    if parsed is None:
        return []
    return [k.camelot for k in all_keys() if key_distance(parsed, k) is not None]


def mixes_with(
    key: Key | str,
    bpm: float,
    candidates: Iterable[T],
    *,
    key_of: Callable[[T], str | None],
    bpm_of: Callable[[T], float | None],
    window: float = BPM_WINDOW,
) -> list[T]:
    """The candidates in a compatible key and within ±``window`` of ``bpm``, best first:
    the same key before a neighbour, then the closest tempo."""
    playing = parse_key(key) if isinstance(key, str) else key
    if playing is None or bpm <= 0:
        return []
    ranked: list[tuple[int, float, int, T]] = []
    for index, item in enumerate(candidates):
        code, tempo = key_of(item), bpm_of(item)
        other = parse_key(code) if code else None
        if other is None or not tempo:
            continue
        distance = key_distance(playing, other)
        off = abs(tempo - bpm) / bpm
        if distance is not None and off <= window + 1e-9:
            ranked.append((distance, off, index, item))
    ranked.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in ranked]


def parse_key_filter(text: str) -> set[str]:
    """Camelot codes from "8A,9A" or "Am, 1m"; ValueError names a part that is no key."""
    codes: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        parsed = parse_key(part)
        if parsed is None:
            raise ValueError(f"{part!r} is not a key (try 8A, Am or 1m)")
        codes.add(parsed.camelot)
    return codes
