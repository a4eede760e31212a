"""Harmonic mixing: how well a track mixes with the one playing, and the library's figures
(key, measured BPM, loudness) on grid rows.

A candidate mixes when its key is the same, one step round the Camelot wheel (same letter)
or the relative major/minor (same number), and its tempo is within ±6 % of the playing
track's, at its own tempo or at double/half time (pools often list a track at half time).
Its score (0-1, best first) is the key's weight times a tempo factor that falls from 1 to
0.5 at the window's edge, times 0.9 for a half/double-time match. The weights: same key
1.0, relative 0.9, ±1 0.85 — a perfect tempo one step away outranks the same key pitched
5 % (pitching that far without key lock moves the key itself by almost a semitone).
Qt-free; tested in tests/unit/test_harmonic.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from crateq.core.keys import BPM_WINDOW, Key, parse_key

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.store import LibraryEntry, Store

T = TypeVar("T")
KEY_WEIGHTS = {"same key": 1.0, "relative": 0.9, "+1": 0.85, "-1": 0.85}
FOLDED_WEIGHT = 0.9  # matched at double or half time
EDGE_FACTOR = 0.5  # the tempo factor at the window's edge


class Tune(NamedTuple):
    """What mixing needs of a track: its Camelot code and BPM."""

    camelot: str
    bpm: float


class Figures(NamedTuple):
    """The library's analysis of one file."""

    camelot: str
    bpm: float  # measured
    lufs: float | None


@dataclass(frozen=True)
class MixMatch:
    """How a candidate mixes with the playing track."""

    relation: str  # "same key", "relative", "+1" or "-1" (round the wheel)
    camelot: str  # the candidate's code
    tempo: float  # signed fraction from the playing tempo (+0.012: 1.2 % faster)
    folded: bool  # compared at double or half time
    score: float  # 0-1, higher mixes better

    @property
    def text(self) -> str:
        """What the grid says: "same key, +1.2 % BPM" or "+1 (9A), -0.8 % BPM, half time"."""
        key = self.relation if self.relation == "same key" else f"{self.relation} ({self.camelot})"
        folded = ", half/double time" if self.folded else ""
        return f"{key}, {self.tempo * 100:+.1f} % BPM{folded}"


def relation(playing: Key, other: Key) -> str | None:
    """The Camelot relation of ``other`` to ``playing``, or None when they clash."""
    step = (other.number - playing.number) % 12
    if playing.minor == other.minor:
        return {0: "same key", 1: "+1", 11: "-1"}.get(step)
    return "relative" if step == 0 else None


def tempo_offset(playing_bpm: float, bpm: float) -> tuple[float, bool]:
    """The signed fraction ``bpm`` is off ``playing_bpm`` at the nearest of its own,
    double and half tempo, and whether that was double or half."""
    options = ((bpm, False), (bpm * 2, True), (bpm / 2, True))
    best, folded = min(options, key=lambda o: abs(o[0] / playing_bpm - 1))
    return best / playing_bpm - 1, folded


def mix_match(playing: Tune, other: Tune, window: float = BPM_WINDOW) -> MixMatch | None:
    """How ``other`` mixes with ``playing``; None when the key clashes, the tempo is more
    than ``window`` off, or either is unknown."""
    mine, theirs = parse_key(playing.camelot), parse_key(other.camelot)
    if mine is None or theirs is None or playing.bpm <= 0 or other.bpm <= 0:
        return None
    found = relation(mine, theirs)
    if found is None:
        return None
    off, folded = tempo_offset(playing.bpm, other.bpm)
    if abs(off) > window + 1e-9:
        return None
    factor = 1 - (1 - EDGE_FACTOR) * abs(off) / window
    score = KEY_WEIGHTS[found] * factor * (FOLDED_WEIGHT if folded else 1.0)
    return MixMatch(found, theirs.camelot, round(off, 4), folded, round(score, 4))


def rank(
    playing: Tune,
    candidates: Iterable[T],
    tune_of: Callable[[T], Tune | None],
    window: float = BPM_WINDOW,
) -> list[tuple[T, MixMatch]]:
    """The candidates that mix with ``playing``, best score first (then the nearer tempo,
    then the order given)."""
    found: list[tuple[float, float, int, T, MixMatch]] = []
    for index, item in enumerate(candidates):
        tune = tune_of(item)
        matched = mix_match(playing, tune, window) if tune is not None else None
        if matched is not None:
            found.append((-matched.score, abs(matched.tempo), index, item, matched))
    found.sort(key=lambda entry: entry[:3])
    return [(entry[3], entry[4]) for entry in found]


# -- grid rows ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def camelot_of(text: str) -> str:
    """The Camelot code of a key as a pool or a tag spells it ("Am", "8A", "1m"), or ""."""
    key = parse_key(text) if text else None
    return key.camelot if key is not None else ""


def row_camelot(row: MediaRow) -> str:
    """The row's key: the library's analysis of its file, else the pool's key, else ""."""
    return row.camelot or camelot_of(row.musical_key)


def row_tune(row: MediaRow) -> Tune | None:
    """Key and tempo of a row (the measured BPM where the library analysed the file)."""
    camelot = row_camelot(row)
    bpm = row.measured_bpm or float(row.bpm)
    return Tune(camelot, bpm) if camelot and bpm > 0 else None


def entry_figures(entry: LibraryEntry) -> Figures | None:
    """The analysis a library entry's tags hold (``Store.record_analysis`` puts it there)."""
    tags = entry.tags
    camelot = str(tags.get("camelot") or "")
    if not camelot:
        return None
    lufs = tags.get("lufs")
    measured = tags.get("measured_bpm")
    return Figures(
        camelot,
        float(measured) if isinstance(measured, int | float) else 0.0,
        float(lufs) if isinstance(lufs, int | float) else None,
    )


def library_figures(entries: Iterable[LibraryEntry]) -> dict[tuple[str, int], Figures]:
    """(pool, media id) -> the analysis of every analysed library entry."""
    found: dict[tuple[str, int], Figures] = {}
    for entry in entries:
        figures = entry_figures(entry)
        if figures is not None:
            found[(entry.pool, entry.media_id)] = figures
    return found


def annotate(rows: Sequence[MediaRow], figures: Mapping[tuple[str, int], Figures]) -> None:
    """Put the library's figures on the rows whose version it analysed (core thread, before
    the rows reach the grid; straight into ``__dict__``: pydantic's setattr is slow)."""
    if not figures:
        return
    for row in rows:
        fields = row.__dict__
        found = figures.get((fields["pool"], fields["media_id"]))
        if found is not None:
            fields["camelot"], fields["measured_bpm"], fields["lufs"] = found


def entry_row(entry: LibraryEntry) -> MediaRow:
    """A library entry as a grid row, with its analysis."""
    from crateq.core.collections import fields_from_tags
    from crateq.core.tracks import Track

    key, fields = f"{entry.pool}:{entry.media_id}", fields_from_tags(entry.tags)
    row = Track(key, entry.pool, entry.media_id, str(entry.path), fields).row()
    figures = entry_figures(entry)
    if figures is not None:
        row.__dict__.update(zip(("camelot", "measured_bpm", "lufs"), figures, strict=True))
    return row


def library_rows(store: Store) -> list[MediaRow]:
    """Grid rows for every analysed track on this machine: the library's downloads, then
    files analysed outside it (``crateq analyse``; negative ids keep them apart)."""
    from crateq.core.tracks import Track

    rows: list[MediaRow] = []
    paths: set[str] = set()
    for entry in store.library():
        paths.add(str(entry.path))
        if entry_figures(entry) is not None and entry.present:
            rows.append(entry_row(entry))
    number = 0
    for found in store.analysed_files():
        path = str(found["path"])
        if found["pool"] or path in paths or not found["camelot"] or not Path(path).is_file():
            continue
        number += 1
        row = Track.of_file(Path(path)).row()
        lufs = found["lufs"]
        row.__dict__.update(media_id=-number, camelot=found["camelot"],
                            measured_bpm=float(found["bpm"]),
                            lufs=float(lufs) if lufs is not None else None)  # fmt: skip
        rows.append(row)
    return rows
