"""Saved searches: a name plus the query spec, kept as JSON in the config dir.

The spec is the same plain dict the filter panel produces (MediaQuery field names), so a
saved search survives UI changes and could be replayed by the CLI.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from crateq.core import paths


class SavedSearches:
    """Ordered name -> spec store; writes atomically so a crash never truncates the file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / "saved-searches.json"

    def load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(k): v for k, v in raw.items() if isinstance(v, dict)}

    def names(self) -> list[str]:
        return list(self.load())

    def get(self, name: str) -> dict[str, Any] | None:
        return self.load().get(name)

    def save(self, name: str, spec: dict[str, Any]) -> None:
        data = self.load()
        data[name] = spec
        self._write(data)

    def delete(self, name: str) -> None:
        data = self.load()
        if data.pop(name, None) is not None:
            self._write(data)

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".saved-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, ensure_ascii=False)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
