"""BPM verification: does the pool's BPM agree with the measured one, and what to write.

Pools often publish double or half time, and a beat tracker can lock onto either, so the
rule (tested in tests/unit/test_analysis_bpm.py):

1. no pool BPM: the measured one, folded into the genre's range;
2. ``|pool - measured| <= 2``: they **agree**; the measured (finer) value is kept;
3. a ratio within 3 % of 2:1 or 1:2: **half/double time**; the value is whichever of
   measured, measured × 2 and measured / 2 lies in the genre's range (a hip-hop 70 on a
   140 measurement keeps 70), else the one nearest the pool's;
4. otherwise they **differ**: the row says "BPM differs (pool 128, measured 96.0)" and
   the measured value, folded into the genre's range, is the verified one.

Genre ranges (BPM): hip-hop/R&B 60–115, house 115–130, techno 125–150, DnB 160–180, any
other genre 70–140. ``analysis.bpm`` picks what goes into TBPM: pool, measured or verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["agree", "half/double time", "differs", "measured"]
BpmSource = Literal["pool", "measured", "verified"]
AGREE_WITHIN = 2.0
RATIO_TOLERANCE = 0.03
DEFAULT_RANGE = (70.0, 140.0)
# Checked in order: the first whose word is in the genre (lower-cased) wins.
GENRE_RANGES: tuple[tuple[tuple[str, ...], tuple[float, float]], ...] = (
    (("drum & bass", "drum and bass", "drum n bass", "dnb", "d&b", "jungle"), (160.0, 180.0)),
    (("hip-hop", "hip hop", "hiphop", "rap", "r&b", "rnb", "r & b"), (60.0, 115.0)),
    (("techno",), (125.0, 150.0)),
    (("house",), (115.0, 130.0)),
)


@dataclass(frozen=True)
class BpmCheck:
    verdict: Verdict
    value: float  # the verified BPM
    note: str  # what the row says ("" when they agree)


def genre_range(genre: str) -> tuple[float, float]:
    text = genre.lower()
    for words, span in GENRE_RANGES:
        if any(word in text for word in words):
            return span
    return DEFAULT_RANGE


def fold(measured: float, genre: str, near: float | None = None) -> float:
    """``measured``, doubled or halved into the genre's range (nearest ``near`` if none fits)."""
    low, high = genre_range(genre)
    options = [measured, measured * 2, measured / 2]
    inside = [o for o in options if low <= o <= high]
    if inside:  # the measured one first, or the one nearest the pool's
        pool = near or 0.0
        best = min(inside, key=lambda o: abs(o - pool)) if pool else inside[0]
        return round(best, 1)
    target = near if near else (low + high) / 2
    nearest: float = min(options, key=lambda o: abs(o - target))
    return round(nearest, 1)


def check_bpm(pool: float, measured: float, genre: str = "") -> BpmCheck:
    """Apply the rule above to a pool's BPM and a measured one."""
    if pool <= 0:
        return BpmCheck("measured", fold(measured, genre), "")
    if measured <= 0:
        return BpmCheck("differs", pool, f"BPM not measured (pool {pool:g}).")
    if abs(pool - measured) <= AGREE_WITHIN:
        return BpmCheck("agree", round(measured, 1), "")
    ratio = measured / pool
    if abs(ratio - 2) <= 2 * RATIO_TOLERANCE or abs(ratio - 0.5) <= 0.5 * RATIO_TOLERANCE:
        value = fold(measured, genre, near=pool)
        note = f"Half/double time (pool {pool:g}, measured {measured:.1f}); kept {value:g}."
        return BpmCheck("half/double time", value, note)
    note = f"BPM differs (pool {pool:g}, measured {measured:.1f})"
    return BpmCheck("differs", fold(measured, genre, near=pool), note)


def bpm_to_write(source: BpmSource, pool: float, measured: float, check: BpmCheck) -> int:
    """The whole-number TBPM ``analysis.bpm`` asks for (0: write none)."""
    if source == "pool":
        return round(pool) if pool > 0 else 0
    if source == "measured":
        return round(measured) if measured > 0 else 0
    return round(check.value) if check.value > 0 else 0
