"""The window's "Accounts…" and "Settings…" menu entries and the dialogs they open.

Both dialogs live in their own feature folders; this module opens them over the services
and says what changed through signals (``poolsChanged``, ``settingsSaved``), which the app
connects to the features that care.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from crateq.ui.shell.theme import apply_theme

if TYPE_CHECKING:
    from crateq.core.settings import Settings
    from crateq.services import Services
    from crateq.ui.shell.main_window import MainWindow


class AppDialogs(QObject):
    """Adds the two menu entries to ``window``; ``settingsSaved`` carries the new settings."""

    poolsChanged = Signal()
    settingsSaved = Signal(object)  # Settings

    def __init__(self, services: Services, window: MainWindow) -> None:
        super().__init__(window)
        self.services = services
        self.window = window
        window.add_menu_action("Accounts…", self.open_accounts)
        window.add_menu_action("Settings…", self.open_settings, "Ctrl+,")

    def open_accounts(self) -> None:
        from crateq.ui.accounts.accounts_dialog import AccountsDialog

        dialog = AccountsDialog(self.services, self.window)
        dialog.poolsChanged.connect(self.poolsChanged)
        dialog.open()

    def open_settings(self) -> None:
        from crateq.ui.settings.settings_dialog import SettingsDialog

        window = self.window
        dialog = SettingsDialog(window.settings, window)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        dialog.themePreview.connect(lambda name: apply_theme(app, name))
        dialog.opacityPreview.connect(window.set_widget_opacity)

        def saved(settings: Settings) -> None:
            window.settings = settings
            apply_theme(app, settings.ui.theme)
            self.settingsSaved.emit(settings)

        def closed(_result: int) -> None:
            apply_theme(app, window.settings.ui.theme)

        dialog.saved.connect(saved)
        dialog.finished.connect(closed)
        dialog.open()
