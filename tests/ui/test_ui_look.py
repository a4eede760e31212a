"""Themes readable at arm's length, and previews that degrade instead of crashing."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtWidgets import QApplication

from crateq.ui.search.results_view import ROW_HEIGHT
from crateq.ui.shell.theme import apply_theme, resources_dir, theme_names


def test_every_theme_has_its_stylesheet_and_a_large_enough_font(qapp: QApplication) -> None:
    for name in theme_names():
        apply_theme(qapp, name)
        assert qapp.styleSheet(), name
        assert qapp.font().pointSize() >= 11, name
    apply_theme(qapp, "large-text")
    assert qapp.font().pointSize() >= 14
    apply_theme(qapp, "dark")
    assert ROW_HEIGHT >= 30
    assert (resources_dir() / "themes" / "dark.qss").is_file()


PROBE = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6.QtMultimedia":
            raise ImportError("libpulse.so.0: cannot open shared object file")
sys.meta_path.insert(0, Block())
from PySide6.QtWidgets import QApplication
app = QApplication([])
from crateq.ui.search.preview import PreviewPlayer
player = PreviewPlayer()
print(player.available, player.play_button.isEnabled(), player.title.text())
print(player.toolTip())
"""


def test_without_qtmultimedia_the_preview_is_disabled_and_says_why() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    first, reason = result.stdout.splitlines()[:2]
    assert first == "False False Preview unavailable"
    assert "libpulse" in reason
