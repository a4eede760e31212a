"""Generated demo media really decodes: Qt's FFmpeg backend plays the MP3 and the MP4 through.

mutagen only reads headers; this decodes every frame, in a subprocess so the test session's
own QApplication (pytest-qt) is not disturbed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crateq.demo import audio
from crateq.demo.mediafiles import MediaCache

_DECODE = r"""
import array, json, sys
from PySide6.QtCore import QCoreApplication, QTimer, QUrl
from PySide6.QtMultimedia import QAudioDecoder
app = QCoreApplication(sys.argv[:1])
decoder = QAudioDecoder()
decoder.setSource(QUrl.fromLocalFile(sys.argv[1]))
result = {"frames": 0, "rate": 0, "peak": 0.0, "error": ""}
def take():
    while decoder.bufferAvailable():
        buffer = decoder.read()
        result["frames"] += buffer.frameCount()
        result["rate"] = buffer.format().sampleRate()
        raw = bytes(buffer.constData())
        floats = "Float" in str(buffer.format().sampleFormat())
        values = array.array("f" if floats else "h", raw[: len(raw) // 4 * 4])
        scale = 1.0 if floats else 32768.0
        result["peak"] = max(result["peak"], max((abs(v) / scale for v in values), default=0))
def fail(_):
    result["error"] = decoder.errorString()
    app.quit()
decoder.bufferReady.connect(take)
decoder.finished.connect(app.quit)
decoder.error.connect(fail)
decoder.start()
QTimer.singleShot(60000, app.quit)
app.exec()
print(json.dumps(result))
"""


def _qt_can_decode() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import PySide6.QtMultimedia"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.parametrize("kind", ["mp3", "mp4"])
def test_generated_media_decodes_to_its_full_length(tmp_path: Path, kind: str) -> None:
    if not _qt_can_decode():
        pytest.skip("QtMultimedia is not available (needs PySide6-Addons and libpulse0)")
    layout = audio.layout_for(120, kind, 10.0)
    media = MediaCache(tmp_path).get("pool", 77, 1, layout)
    done = subprocess.run(
        [sys.executable, "-c", _DECODE, str(media.path)],
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] == ""
    assert result["rate"] == audio.SAMPLE_RATE
    assert abs(result["frames"] / result["rate"] - layout.seconds) < 0.1
    assert result["peak"] > 0.3  # the kick is there, not silence


_PLAY_VIDEO = r"""
import json, sys
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtMultimedia import QMediaPlayer, QVideoSink
app = QGuiApplication(sys.argv[:1])
player, sink = QMediaPlayer(), QVideoSink()
player.setVideoSink(sink)
result = {"frames": 0, "colours": [], "size": [0, 0], "error": ""}
def frame(video_frame):
    image = video_frame.toImage()
    if image.isNull():
        return
    result["frames"] += 1
    result["size"] = [image.width(), image.height()]
    result["colours"].append(image.pixel(image.width() // 2, image.height() // 2))
    if result["frames"] >= 8:
        app.quit()
def failed(_error, text):
    result["error"] = text
    app.quit()
sink.videoFrameChanged.connect(frame)
player.errorOccurred.connect(failed)
player.setSource(QUrl.fromLocalFile(sys.argv[1]))
player.setPlaybackRate(4.0)
player.play()
QTimer.singleShot(60000, app.quit)
app.exec()
print(json.dumps(result))
"""


def test_video_frames_play_and_flash_between_two_colours(tmp_path: Path) -> None:
    if not _qt_can_decode():
        pytest.skip("QtMultimedia is not available (needs PySide6-Addons and libpulse0)")
    layout = audio.layout_for(120, "mp4", 8.0, None, (1280, 720), 5)
    media = MediaCache(tmp_path).get("pool", 78, 1, layout)
    done = subprocess.run(
        [sys.executable, "-c", _PLAY_VIDEO, str(media.path)],
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] == ""
    assert result["frames"] >= 8 and result["size"] == [1280, 720]
    assert len(set(result["colours"])) == 2  # bright on the beat, dark between
