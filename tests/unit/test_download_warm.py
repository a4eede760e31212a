"""The finishing step's imports: left out of the engine's own, warmed once per file type."""

from __future__ import annotations

import subprocess
import sys


def test_the_engine_imports_no_tagging_until_a_type_is_warmed() -> None:
    code = (
        "import sys\n"
        "import crateq.core.autodownload\n"
        "from crateq.core.download_warm import warm_needed, warm_tagging\n"
        "assert 'crateq.core.tagging' not in sys.modules and 'mutagen.id3' not in sys.modules\n"
        "assert warm_needed('.mp3') and not warm_needed('.mp3') and warm_needed('.m4a')\n"
        "warm_tagging('.mp3')\n"
        "assert {'crateq.core.tagging', 'mutagen.mp3'} <= set(sys.modules)\n"
        "assert 'mutagen.mp4' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
