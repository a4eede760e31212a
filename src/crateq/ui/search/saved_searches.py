"""Saved searches: a name plus the query spec, kept as JSON in the config dir.

The spec is the same plain dict the filter panel produces (MediaQuery field names), so a
saved search survives UI changes and could be replayed by the CLI.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from crateq.core.saved_search import saved_searches_path

if TYPE_CHECKING:
    from crateq.ui.search.filters_panel import QuerySpec


class SavedSearch(TypedDict, total=False):
    """One entry of the file; read leniently, so either key may be missing."""

    spec: QuerySpec  # the filters plus ``keywords``
    pools: list[str]  # the pools checked when it was saved


class SavedSearches:
    """Ordered name -> spec store; writes atomically so a crash never truncates the file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or saved_searches_path()

    def load(self) -> dict[str, SavedSearch]:
        """The entries in the file's order; one that is not a JSON object is skipped."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        # trusted to hold what ``save`` wrote; only the shape of each entry is checked
        return {str(k): cast("SavedSearch", v) for k, v in raw.items() if isinstance(v, dict)}

    def names(self) -> list[str]:
        return list(self.load())

    def get(self, name: str) -> SavedSearch | None:
        return self.load().get(name)

    def save(self, name: str, spec: SavedSearch) -> None:
        data = self.load()
        data[name] = spec
        self._write(data)

    def delete(self, name: str) -> None:
        data = self.load()
        if data.pop(name, None) is not None:
            self._write(data)

    def _write(self, data: dict[str, SavedSearch]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".saved-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, ensure_ascii=False)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
