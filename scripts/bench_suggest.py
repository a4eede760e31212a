"""`scripts/bench suggest`: auto-complete per keystroke at 100k index entries.

Builds a throw-away index of ``--entries`` artists and titles (made-up words), then types
``--queries`` names one character at a time and times each ``suggest()``; prints p50, p95
and p99 in ms, and one ``did_you_mean`` (the zero-result path) for scale.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from crateq.core.suggest import Suggestions

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "zu",
    "be",
    "ta",
    "no",
    "shi",
    "ve",
    "do",
    "ri",
    "an",
    "el",
    "om",
    "ur",
    "ya",
    "qu",
    "fe",
    "gi",
]


@dataclass(frozen=True)
class Row:
    artist: str
    title: str


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def _name(rng: random.Random, words: int) -> str:
    return " ".join(_word(rng) for _ in range(words))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        index = Suggestions(Path(tmp) / "suggest.sqlite")
        rows: list[Row] = []
        batches: list[float] = []
        written: list[float] = []
        while len(index) < args.entries:
            batch = [Row(_name(rng, 2), _name(rng, rng.randint(1, 4))) for _ in range(500)]
            rows.extend(batch)
            t0 = time.perf_counter()
            index.remember(batch, now=time.time() - rng.random() * 9e6)
            batches.append((time.perf_counter() - t0) * 1000)
            index.flush()
            written.append((time.perf_counter() - t0) * 1000)
        print(
            f"index: {len(index)} entries; remember() of a 500-row page: the caller "
            f"{statistics.median(batches):.2f} ms, written by the index's thread in "
            f"{statistics.median(written):.0f} ms (medians)"
        )
        times: list[float] = []
        by_length: dict[int, list[float]] = {}
        for _ in range(args.queries):
            target = rng.choice(rows)
            typed = rng.choice((target.artist, target.title))
            for end in range(1, min(len(typed), 12) + 1):
                t0 = time.perf_counter()
                index.suggest(typed[:end])
                times.append((time.perf_counter() - t0) * 1000)
                by_length.setdefault(min(end, 5), []).append(times[-1])
        times.sort()
        q = statistics.quantiles(times, n=100)
        print(
            f"suggest(): {len(times)} keystrokes, p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms, "
            f"p99 {q[98]:.2f} ms, max {times[-1]:.2f} ms (target p95 < 10 ms)"
        )
        for length, spent in sorted(by_length.items()):
            spent.sort()
            label = f"{length}+" if length == 5 else str(length)
            print(f"  {label} chars: p95 {spent[int(len(spent) * 0.95)]:.2f} ms")
        t0 = time.perf_counter()
        index.did_you_mean("kalomi rabe")
        first = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        index.did_you_mean("zubeta noshi")
        again = (time.perf_counter() - t0) * 1000
        print(f"did_you_mean(): first {first:.0f} ms (loads the texts), then {again:.0f} ms")
        index.close()


if __name__ == "__main__":
    main()
