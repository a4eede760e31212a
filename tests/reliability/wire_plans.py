"""Seeded fault plans for the wire tests, and the checks of what the proxy served.

A plan lists the faults of one download's successive answers (tests/fault_proxy.py applies
them); the answers after the list are clean. Most plans hold one to three faults, the first
of a kind chosen by the seed so every kind comes up evenly; every tenth plan is hopeless (a
broken answer every time, none of which moves the download on), so the job must give up.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from fault_proxy import CLEAN, KINDS, Fault, Served

HOPELESS_KINDS = ("html500", "flip")
"""Faults after which a download is no further on: a hopeless plan uses only these."""
COMPLETE_KINDS = ("none", "trickle")
"""Answers that deliver the whole, correct file: the job ends with them."""
TRICKLE_PAUSE = (0.3, 0.9)
"""Seconds between trickled pieces: each shorter than the engine's read timeout in these
tests (3 s), several of them together longer."""


@dataclass
class Plan:
    faults: list[Fault]
    hopeless: bool = False

    def fault(self, attempt: int) -> Fault:
        return self.faults[attempt] if attempt < len(self.faults) else CLEAN


def make_fault(kind: str, rng: random.Random) -> Fault:
    if kind == "flip":
        return Fault(kind, at=rng.random(), mask=rng.randint(1, 255))
    if kind == "trickle":
        pauses = tuple(rng.uniform(*TRICKLE_PAUSE) for _ in range(rng.randint(3, 5)))
        return Fault(kind, at=rng.random() * 0.9, piece=rng.randint(1, 2048), pauses=pauses)
    if kind in ("drop", "stall"):
        return Fault(kind, at=rng.random(), before_head=rng.random() < 0.2)
    return Fault(kind, at=rng.random())


def plan_for(seed: int, *, attempts_to_fail: int) -> Plan:
    """The seed's plan; a hopeless one breaks more answers than the engine will try."""
    rng = random.Random(seed)
    if seed % 10 == 9:
        faults = [make_fault(rng.choice(HOPELESS_KINDS), rng) for _ in range(attempts_to_fail)]
        return Plan(faults, hopeless=True)
    kinds = [KINDS[seed % len(KINDS)]]
    kinds += [rng.choice(KINDS) for _ in range(rng.randint(0, 2))]
    return Plan([make_fault(kind, rng) for kind in kinds])


def expected_attempts(plan: Plan) -> int:
    """Answers until the first one that delivers the whole file (clean or trickled)."""
    for index, fault in enumerate(plan.faults):
        if fault.kind == "trickle":
            return index + 1
    return len(plan.faults) + 1


def check_resumes(served: list[Served]) -> None:
    """Each retry asked for the right place: a clean close or a stall resumes exactly after
    the bytes sent, a reset at most there (bytes in flight may be lost with it), an HTML
    page from where it was, a flipped file from byte 0; only the last answer is complete."""
    for before, after in itertools.pairwise(served):
        start = before.range_start or 0
        now = after.range_start or 0
        where = f"media {before.media_id}, answer {before.attempt} ({before.fault})"
        if before.fault == "stall":
            assert before.client_gave_up, f"{where}: the client waited out the stall"
        if before.fault in ("truncate", "stall"):
            assert now == start + before.sent, f"{where}: resumed at {now}"
        elif before.fault == "drop":
            assert start <= now <= start + before.sent, f"{where}: resumed at {now}"
        elif before.fault == "html500":
            assert now == start, f"{where}: resumed at {now}"
        elif before.fault == "flip":
            assert after.range_start is None, f"{where}: a corrupt part was resumed"
        else:
            raise AssertionError(f"{where}: a complete answer was asked for again")
    last = served[-1]
    assert last.fault in COMPLETE_KINDS and last.status in (200, 206), last
    assert last.sent == last.length, last
