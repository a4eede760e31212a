"""Window geometry, column layouts and other view state, kept apart from the settings.

Stored with ``QSettings`` in an INI file in the config dir (``ui-state.ini``), so a broken or
deleted file only costs the layout, never the user's settings. Every key is per mode where
the view differs by mode (widget / app / fullscreen).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from crateq.core import paths


class UiState:
    """Small typed facade over QSettings; one instance per window."""

    def __init__(self) -> None:
        path = paths.config_dir() / "ui-state.ini"
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    def blob(self, key: str) -> QByteArray | None:
        value = self._qs.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_blob(self, key: str, value: QByteArray) -> None:
        self._qs.setValue(key, value)

    # Any: QSettings.value's QVariant (str, int, list… as the INI holds them)
    def value(self, key: str, default: object = None) -> Any:
        return self._qs.value(key, default)

    def set_value(self, key: str, value: object) -> None:
        self._qs.setValue(key, value)

    def sync(self) -> None:
        self._qs.sync()
