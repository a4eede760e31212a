"""Running hostile-input examples: hypothesis settings (60 derandomized examples in CI, 1000
in the long run), a counter of outcomes for the reliability table, and what a clear message
must not contain."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

AREA = "hostile input"
MARKUP = re.compile(r"<\s*(html|!doctype|body|head|pre)\b", re.IGNORECASE)
_COMMON: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,  # the same examples every run: a failure in CI fails again locally
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
FAST = settings(max_examples=60, **_COMMON)
LONG = settings(max_examples=1000, **_COMMON)


def run_examples(
    strategy: st.SearchStrategy[Any], check: Callable[[Any], str], *, long: bool
) -> Counter[str]:
    """Run ``check`` on hypothesis examples; counts the outcomes it names."""
    outcomes: Counter[str] = Counter()

    @(LONG if long else FAST)
    @given(strategy)
    def each(example: Any) -> None:
        outcomes[check(example)] += 1

    each()
    return outcomes


def summary(outcomes: Counter[str]) -> str:
    parts = ", ".join(f"{what}: {n}" for what, n in sorted(outcomes.items()))
    return f"no crash; {parts}"
