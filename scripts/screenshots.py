"""Regenerate docs/widget.png, docs/app.png and docs/fullscreen.png from the real app.

Runs `crateq gui --demo`'s own start-up (demo pools, demo sign-in) on a real X display,
searches, then captures each mode. Needs a display: with $DISPLAY unset it starts Xvfb on
:99 (Debian: xvfb libxcb-icccm4 libxcb-keysyms1). Images are downscaled and palette-reduced
so each stays well under 200 KB.

    .venv/bin/python scripts/screenshots.py [--out docs] [--query love]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_BYTES = 200_000


def ensure_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        sys.exit("No $DISPLAY and no Xvfb: apt-get install xvfb libxcb-icccm4 libxcb-keysyms1")
    proc = subprocess.Popen(["Xvfb", ":99", "-screen", "0", "1600x900x24", "-nolisten", "tcp"])
    os.environ["DISPLAY"] = ":99"
    for _ in range(100):
        if Path("/tmp/.X11-unix/X99").exists():
            break
        time.sleep(0.05)  # waiting for an external server's socket to appear
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs"))
    parser.add_argument("--query", default="love")
    args = parser.parse_args()
    xvfb = ensure_display()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    home = tempfile.TemporaryDirectory(prefix="crateq-shots-")
    os.environ["CRATEQ_HOME"] = home.name
    try:
        return capture(Path(args.out), args.query)
    finally:
        home.cleanup()
        if xvfb is not None:
            xvfb.terminate()


def wait(app: object, condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def settle(app: object, seconds: float = 0.6) -> None:
    wait(app, lambda: False, seconds)


def save_small(image: object, path: Path, width: int) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    img: QImage = image  # type: ignore[assignment]
    if img.width() > width:
        img = img.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    img.save(str(path), "PNG", 0)  # quality 0: the strongest zlib compression, lossless
    if path.stat().st_size > MAX_BYTES:  # busy content: 256 colours, still readable
        small = img.convertToFormat(
            QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.DiffuseDither
        )
        small.save(str(path), "PNG", 0)
    return path.stat().st_size


def capture(out: Path, query: str) -> int:
    from PySide6.QtWidgets import QApplication

    from crateq.cli.demo_seed import start_gui_demo
    from crateq.ui.shell.app import build

    app = QApplication.instance() or QApplication(sys.argv[:1])
    gui = build(demo=start_gui_demo, mode="app")
    window = gui.window
    out.mkdir(parents=True, exist_ok=True)
    try:
        window.show()
        gui.controller.load_lookups()
        wait(app, lambda: window.filters.genres.count() > 0, 15)
        window.search_bar.field.setText(query)
        run = window.run_search()
        wait(
            app,
            lambda: (
                not gui.controller.tasks.running("search") and run == gui.controller.current_run
            ),
        )
        first = window.model.index(0, 0)
        window.results.setCurrentIndex(first)
        window.results.setFocus()
        window.model.toggle_expanded(first, expand=True)
        model = window.model
        rows = [model.row_at(model.index(r, 0)) for r in (5, 7)]
        gui.controller.download([r for r in rows if r is not None])  # real demo downloads
        queued = model.row_at(model.index(6, 0))
        if queued is not None:
            gui.controller.toggle_queue(queued)
        window.preview.play(model.row_at(first))
        wait(app, lambda: window.preview.player.position() > 1500, 20)
        settle(app, 1.5)
        sizes = {}
        for mode, width in (("app", 1400), ("fullscreen", 1400), ("widget", 760)):
            window.set_mode(mode)
            window.show_current_mode()
            if mode == "widget":
                window.move(40, 40)
            elif mode == "app":
                window.resize(1360, 800)
            settle(app)
            path = out / f"{mode}.png"
            sizes[mode] = save_small(window.grab().toImage(), path, width)
            print(f"{path}: {sizes[mode] // 1024} KB")
        too_big = [m for m, s in sizes.items() if s > MAX_BYTES]
        if too_big:
            print(f"too big: {too_big}", file=sys.stderr)
            return 1
        return 0
    finally:
        gui.shutdown()
        window.close()
        window.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    sys.exit(main())
