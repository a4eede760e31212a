"""The settings dialog: downloads, naming, tagging, concurrency, look and preview output.

It edits only the ``downloads`` and ``ui`` sections. On save it re-reads the settings file
and replaces just those two, so pools added meanwhile (accounts dialog, a CLI command running
beside the GUI) are never overwritten. The CLI reads the same file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crateq.api.errors import ConfigError
from crateq.api.pool_models import MediaRow
from crateq.core.naming import target_path
from crateq.core.settings import (
    DownloadSettings,
    Settings,
    UiSettings,
    load_settings,
    save_settings,
)
from crateq.ui.downloads.queue_panel import CHECKBOX_QSS

THEMES = (("dark", "Dark"), ("high-contrast", "High contrast"), ("large-text", "Large text"))
TEMPLATE_HELP = "Fields: {artist} {title} {tool} {bpm} {genre} {year} {editor} {pool} {advisory}"

# The row the live example is rendered from: a typical club edit.
EXAMPLE_ROW = MediaRow.model_validate(
    {
        "mediaId": 48213,
        "artist": "Daft Punk",
        "title": "One More Time",
        "tool": "Extended",
        "bpm": 123,
        "genre": "House",
        "releaseYear": 2000,
        "editor": "Club Killers",
        "advisory": "Clean",
        "pool": "DemoPool",
    }
)


def audio_output_names() -> list[str]:
    """Descriptions of the audio outputs (the preview player keys its choice by them);
    empty when QtMultimedia cannot load."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:
        return []
    return [dev.description() for dev in QMediaDevices.audioOutputs()]


def example_path(folder: Path, folder_template: str, file_template: str) -> str:
    """Where the example track would land with these templates (nothing is created)."""
    try:
        path = target_path(
            folder,
            EXAMPLE_ROW,
            ".mp3",
            folder_template=folder_template,
            file_template=file_template,
        )
    except ValueError as exc:
        return f"Not usable: {exc}"
    return str(path)


class SettingsDialog(QDialog):
    """Edits ``Settings.downloads`` and ``Settings.ui``; ``saved`` carries the new Settings."""

    saved = Signal(object)  # Settings, after it was written
    themePreview = Signal(str)  # theme name, whenever the choice changes (apply live)
    opacityPreview = Signal(float)

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        settings_file: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("CrateQ settings")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(TEMPLATE_HELP) + 260)
        self.setStyleSheet(CHECKBOX_QSS)
        self._settings = settings
        self._file = settings_file
        self.result_settings: Settings | None = None
        d, ui = settings.downloads, settings.ui

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self._downloads_box(d))
        layout.addWidget(self._jobs_box(d))
        layout.addWidget(self._look_box(ui))
        self.error = QLabel("", self)
        self.error.setObjectName("settingsError")
        self.error.setStyleSheet("color: #ffb3b3;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update_example()

    # -- sections ------------------------------------------------------------------------
    def _downloads_box(self, d: DownloadSettings) -> QGroupBox:
        box = QGroupBox("Downloads", self)
        form = QFormLayout(box)
        self.folder = QLineEdit(d.folder, box)
        self.folder.setPlaceholderText(str(d.folder_path()))
        browse = QPushButton("Browse…", box)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Download folder", row)
        self.folder_template = QLineEdit(d.folder_template, box)
        self.file_template = QLineEdit(d.file_template, box)
        self.folder_template.setToolTip(TEMPLATE_HELP + "; '/' makes sub-folders.")
        self.file_template.setToolTip(TEMPLATE_HELP)
        form.addRow("Folder name", self.folder_template)
        form.addRow("File name", self.file_template)
        self.example = QLabel(box)
        self.example.setObjectName("templateExample")
        self.example.setStyleSheet("color: #9ff2bf;")
        self.example.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Example", self.example)
        hint = QLabel(TEMPLATE_HELP, box)
        hint.setStyleSheet("color: #aab2bf;")
        form.addRow("", hint)
        self.overwrite_tags = QCheckBox("Overwrite tags already in the file", box)
        self.overwrite_tags.setChecked(d.overwrite_tags)
        form.addRow("Tagging", self.overwrite_tags)
        for edit in (self.folder, self.folder_template, self.file_template):
            edit.textChanged.connect(self._update_example)
        return box

    def _jobs_box(self, d: DownloadSettings) -> QGroupBox:
        box = QGroupBox("Queue and concurrency", self)
        form = QFormLayout(box)
        self.per_pool_jobs = _spin(box, 1, 16, d.per_pool_jobs)
        self.total_jobs = _spin(box, 1, 32, d.total_jobs)
        form.addRow("Downloads at once per pool", self.per_pool_jobs)
        form.addRow("Downloads at once in total", self.total_jobs)
        self.auto_download = QCheckBox("Download the pools' queues automatically", box)
        self.auto_download.setChecked(d.auto_download)
        self.auto_interval = _spin(box, 10, 86400, d.auto_interval_seconds)
        self.auto_interval.setSuffix(" s")
        form.addRow("Auto-download", self.auto_download)
        form.addRow("Check the queues every", self.auto_interval)
        self.remove_from_server_queue = QCheckBox("Remove from the pool's queue once downloaded")
        self.remove_from_server_queue.setChecked(d.remove_from_server_queue)
        form.addRow("", self.remove_from_server_queue)
        return box

    def _look_box(self, ui: UiSettings) -> QGroupBox:
        box = QGroupBox("Look and sound", self)
        form = QFormLayout(box)
        self.theme = QComboBox(box)
        for key, title in THEMES:
            self.theme.addItem(title, key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(ui.theme)))
        self.theme.currentIndexChanged.connect(
            lambda _i: self.themePreview.emit(str(self.theme.currentData()))
        )
        form.addRow("Theme", self.theme)
        self.opacity = QSlider(Qt.Orientation.Horizontal, box)
        self.opacity.setRange(30, 100)
        self.opacity.setValue(round(ui.widget_opacity * 100))
        self.opacity_label = QLabel(f"{self.opacity.value()} %", box)
        self.opacity.valueChanged.connect(self._opacity_changed)
        row = QHBoxLayout()
        row.addWidget(self.opacity, 1)
        row.addWidget(self.opacity_label)
        form.addRow("Widget opacity", row)
        self.device = QComboBox(box)
        self.device.addItem("System default", "")
        for name in audio_output_names():
            self.device.addItem(name, name)
        if ui.preview_device and self.device.findData(ui.preview_device) < 0:
            self.device.addItem(f"{ui.preview_device} (not connected)", ui.preview_device)
        self.device.setCurrentIndex(max(0, self.device.findData(ui.preview_device)))
        form.addRow("Preview output", self.device)
        return box

    # -- behaviour -----------------------------------------------------------------------
    def _browse(self) -> None:
        start = self.folder.text() or self.folder.placeholderText()
        chosen = QFileDialog.getExistingDirectory(self, "Download folder", start)
        if chosen:
            self.folder.setText(chosen)

    def _opacity_changed(self, value: int) -> None:
        self.opacity_label.setText(f"{value} %")
        self.opacityPreview.emit(value / 100)

    def _update_example(self) -> None:
        folder = self.folder.text().strip()
        root = Path(folder).expanduser() if folder else Path(self.folder.placeholderText())
        shown = example_path(root, self.folder_template.text(), self.file_template.text())
        # relative to the download folder (shown just above): short enough for one line
        self.example.setText(
            shown[len(str(root)) :].lstrip("/\\") if shown.startswith(str(root)) else shown
        )
        self.example.setToolTip(shown)

    def values(self) -> tuple[DownloadSettings, UiSettings]:
        """The dialog's current choices as validated settings sections."""
        downloads = self._settings.downloads.model_copy(
            update={
                "folder": self.folder.text().strip(),
                "folder_template": self.folder_template.text().strip() or "{pool}",
                "file_template": self.file_template.text().strip() or "{artist} - {title}",
                "overwrite_tags": self.overwrite_tags.isChecked(),
                "per_pool_jobs": self.per_pool_jobs.value(),
                "total_jobs": max(self.total_jobs.value(), 1),
                "auto_download": self.auto_download.isChecked(),
                "auto_interval_seconds": self.auto_interval.value(),
                "remove_from_server_queue": self.remove_from_server_queue.isChecked(),
            }
        )
        ui = self._settings.ui.model_copy(
            update={
                "theme": str(self.theme.currentData()),
                "widget_opacity": self.opacity.value() / 100,
                "preview_device": str(self.device.currentData() or ""),
            }
        )
        return (
            DownloadSettings.model_validate(downloads.model_dump()),
            UiSettings.model_validate(ui.model_dump()),
        )

    def save(self) -> bool:
        """Write the two sections into the current file; on error say why and stay open."""
        try:
            downloads, ui = self.values()
            current = load_settings(self._file)
            current.downloads, current.ui = downloads, ui
            save_settings(current, self._file)
        except (ConfigError, ValueError, OSError) as exc:
            self.error.setText(f"Settings not saved: {exc}")
            return False
        self.result_settings = current
        self._settings = current
        self.saved.emit(current)
        self.accept()
        return True


def _spin(parent: QWidget, low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setMaximumWidth(spin.fontMetrics().horizontalAdvance("88888 s") + 40)
    return spin
