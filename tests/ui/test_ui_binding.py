"""The Qt binding must not drop references to None/True on every call.

PySide6 6.12.0 on Python 3.11 decrements None's refcount on every call of a method returning
void and True's on every ``Signal.emit``; after a few thousand calls the interpreter aborts
with "Fatal Python error: none_dealloc". pyproject excludes that release; this test keeps it
excluded (it runs in a subprocess because the failure is an abort, not an exception).
"""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
widget = QWidget()
class Source(QObject):
    fired = Signal(int)
source = Source()
for i in range(50_000):
    widget.resize(10 + i % 7, 10)
    source.fired.emit(i)
print("alive")
"""


def test_many_void_calls_and_emits_do_not_abort_the_interpreter() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert "Fatal Python error" not in result.stderr
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "alive"
