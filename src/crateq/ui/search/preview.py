"""The preview player: one preview at a time, on the output the DJ chooses.

QtMultimedia streams the row's preview URL (no Bearer needed; the URL carries its token).
DJs send previews to the headphone/cue output, so the output device is a choice of
``QMediaDevices.audioOutputs()`` and is remembered in settings. When QtMultimedia cannot load
(e.g. the system lacks libpulse0) the panel shows why and stays disabled instead of crashing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QWidget,
)

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow


log = logging.getLogger(__name__)

try:  # QtMultimedia needs PySide6-Addons and the system's libpulse0
    from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer

    MULTIMEDIA_ERROR = ""
except ImportError as exc:  # pragma: no cover - depends on the machine
    QAudioOutput = QMediaDevices = QMediaPlayer = None  # type: ignore[assignment,misc]
    MULTIMEDIA_ERROR = str(exc)


def _mmss(ms: int) -> str:
    seconds = max(0, ms) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


class PreviewPlayer(QWidget):
    """Play/pause, seek, volume and output device for the current preview."""

    device_changed = Signal(str)  # device description ("" = system default)
    volume_changed = Signal(float)

    def __init__(
        self, *, device: str = "", volume: float = 0.8, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.row: MediaRow | None = None
        self.play_button = QPushButton(self)
        self._icons = {
            True: self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause),
            False: self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
        }
        self.play_button.setIcon(self._icons[False])
        self.play_button.setFixedWidth(44)
        self.play_button.setToolTip("Play / pause the preview (Space in the grid)")
        self.title = QLabel("No preview", self)
        self.title.setMinimumWidth(80)
        self.seek = QSlider(Qt.Orientation.Horizontal, self)
        self.seek.setToolTip("Seek")
        self.seek.setObjectName("previewSlider")
        self.time = QLabel("0:00", self)
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setValue(round(volume * 100))
        self.volume.setFixedWidth(90)
        self.volume.setToolTip("Preview volume")
        self.volume.setObjectName("previewSlider")
        self.devices = QComboBox(self)
        self.devices.setToolTip("Preview output: pick your headphone / cue output")
        self.devices.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.devices.setMinimumContentsLength(10)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        widget: QWidget
        for widget in (self.play_button, self.title):
            layout.addWidget(widget)
        layout.addWidget(self.seek, 1)
        for widget in (self.time, self.volume, self.devices):
            layout.addWidget(widget)

        self.player: QMediaPlayer | None = None  # both None when QtMultimedia cannot load
        self.audio: QAudioOutput | None = None
        if QMediaPlayer is None:
            self._disable(f"Previews are unavailable: {MULTIMEDIA_ERROR}")
            return
        self.player = player = QMediaPlayer(self)
        self.audio = audio = QAudioOutput(self)
        audio.setVolume(volume)
        player.setAudioOutput(audio)
        self._fill_devices(device)
        self.play_button.clicked.connect(self.toggle)
        self.seek.sliderMoved.connect(player.setPosition)
        self.volume.valueChanged.connect(self._set_volume)
        self.devices.currentIndexChanged.connect(self._pick_device)
        player.durationChanged.connect(lambda ms: self.seek.setRange(0, ms))
        player.positionChanged.connect(self._position)
        player.playbackStateChanged.connect(self._state)
        player.errorOccurred.connect(self._error)

    @property
    def available(self) -> bool:
        return self.player is not None

    def _disable(self, why: str) -> None:
        self.title.setText("Preview unavailable")
        self.setToolTip(why)
        for widget in (self.play_button, self.seek, self.volume, self.devices):
            widget.setEnabled(False)

    def _fill_devices(self, wanted: str) -> None:
        self.devices.addItem("System default", "")
        for dev in QMediaDevices.audioOutputs():
            self.devices.addItem(dev.description(), dev.description())
        found = self.devices.findData(wanted)
        self.devices.setCurrentIndex(max(0, found))
        self._pick_device(self.devices.currentIndex(), announce=False)

    def _pick_device(self, _index: int, announce: bool = True) -> None:
        if self.audio is None:  # connected only when it exists
            return
        wanted = self.devices.currentData() or ""
        for dev in QMediaDevices.audioOutputs():
            if dev.description() == wanted:
                self.audio.setDevice(dev)
                break
        else:
            self.audio.setDevice(QMediaDevices.defaultAudioOutput())
        if announce:
            self.device_changed.emit(wanted)

    def _set_volume(self, value: int) -> None:
        if self.audio is None:  # connected only when it exists
            return
        self.audio.setVolume(value / 100)
        self.volume_changed.emit(value / 100)

    # -- playback ------------------------------------------------------------------------------
    def play(self, row: MediaRow) -> None:
        """Preview a row; the same row again pauses/resumes (one preview at a time)."""
        player = self.player
        if player is None:
            return
        if self.row is not None and self.row.key == row.key:
            self.toggle()
            return
        self.row = row
        self.title.setText(f"{row.artist} - {row.title}")
        self.title.setToolTip(f"{row.artist} - {row.title} ({row.tool or 'original'})")
        player.stop()
        player.setSource(QUrl(row.preview))
        player.play()

    def toggle(self) -> None:
        player = self.player
        if player is None or self.row is None:
            return
        if player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            player.pause()
        else:
            player.play()

    def stop(self) -> None:
        """Stop and unload; a player that never loaded anything is not called at all (each
        call crosses into the media backend's threads, which is where shutdown can stall)."""
        player = self.player
        if player is None:
            return
        if player.playbackState() != QMediaPlayer.PlaybackState.StoppedState:
            player.stop()
        if not player.source().isEmpty():
            player.setSource(QUrl())

    def is_playing(self) -> bool:
        return (
            self.player is not None
            and self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        )

    def _position(self, ms: int) -> None:
        if not self.seek.isSliderDown():
            self.seek.setValue(ms)
        self.time.setText(_mmss(ms))

    def _state(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setIcon(self._icons[playing])

    def _error(self, _error: QMediaPlayer.Error, message: str) -> None:
        log.info("preview failed: %s", message)
        self.title.setText("Preview failed")
        self.title.setToolTip(message or "The preview could not be played.")
