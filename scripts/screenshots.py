"""Regenerate docs/widget.png, docs/app-WxH.png, docs/fullscreen-WxH.png and docs/setprep.png
from the real app.

Runs `crateq gui --demo`'s own start-up (demo pools, demo sign-in) on a real X display,
searches, then captures app and fullscreen mode at 1280x720 (downloads still empty) and
1920x1080 (downloads running), and widget mode at its default size. Needs a display big
enough for 1920x1080: with $DISPLAY unset it starts Xvfb on :99 (Debian: xvfb
libxcb-icccm4 libxcb-keysyms1). Images are palette-reduced when needed to stay under 300 KB.

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

MAX_BYTES = 300_000
SIZES = ((1280, 720), (1920, 1080))  # the screens a DJ laptop and a booth monitor have


def ensure_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        sys.exit("No $DISPLAY and no Xvfb: apt-get install xvfb libxcb-icccm4 libxcb-keysyms1")
    proc = subprocess.Popen(["Xvfb", ":99", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
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
    # quality 0: the strongest zlib compression, lossless
    img.save(str(path), "PNG", 0)  # type: ignore[call-overload]  # the stub wants bytes; Qt takes str
    full = img
    for scale in (0.75, 0.66):  # busy content: a smaller copy, true colours
        if path.stat().st_size <= MAX_BYTES:
            break
        img = full.scaledToWidth(
            int(full.width() * scale), Qt.TransformationMode.SmoothTransformation
        )
        img.save(str(path), "PNG", 0)  # type: ignore[call-overload]  # the stub wants bytes; Qt takes str
    if path.stat().st_size > MAX_BYTES:  # still: 256 colours, still readable
        small = img.convertToFormat(
            QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.DiffuseDither
        )
        small.save(str(path), "PNG", 0)  # type: ignore[call-overload]  # the stub wants bytes; Qt takes str
    return path.stat().st_size


def start_downloads(gui: object) -> None:
    """Two real demo downloads and one row put on its pool's queue."""
    model = gui.window.model  # type: ignore[attr-defined]
    rows = [model.row_at(model.index(r, 0)) for r in (5, 7)]
    gui.controller.download([r for r in rows if r is not None])  # type: ignore[attr-defined]
    queued = model.row_at(model.index(6, 0))
    if queued is not None:
        gui.controller.toggle_queue(queued)  # type: ignore[attr-defined]


def shoot(
    app: object, window: object, out: Path, size: tuple[int, int], sizes: dict[str, int]
) -> None:
    """App and fullscreen mode at ``size`` (fullscreen: a frameless window of that size)."""
    w, h = size
    for mode in ("app", "fullscreen"):
        window.set_mode(mode)  # type: ignore[attr-defined]
        window.show_current_mode()  # type: ignore[attr-defined]
        settle(app, 0.3)
        window.setGeometry(0, 0, w, h)  # type: ignore[attr-defined]
        settle(app)
        path = out / f"{mode}-{w}x{h}.png"
        image = window.grab().toImage()  # type: ignore[attr-defined]
        sizes[path.stem] = save_small(image, path, w)
        print(f"{path}: {sizes[path.stem] // 1024} KB ({image.width()}x{image.height()})")


def shoot_setprep(app: object, gui: object, out: Path, sizes: dict[str, int]) -> None:
    """The Set prep tab at 1280x720 over a list made from the grid's songs: a have (the
    first download), founds, an ambiguous title, a missing and an unreadable line."""
    from crateq.core.identity import identify

    window = gui.window  # type: ignore[attr-defined]
    window.set_mode("app")
    window.show_current_mode()
    window.setGeometry(0, 0, 1280, 720)
    rows = window.model.rows[4:14]  # around the two downloads (start_downloads)
    songs = list({identify(r.artist, r.title).key: r for r in reversed(rows)}.values())[::-1][:5]
    lines = [f"{r.artist} - {identify(r.artist, r.title).clean_title}" for r in songs]
    lines.insert(2, f"Nobody Anyone - {identify(songs[0].artist, songs[0].title).clean_title}")
    lines += ["Zyxwvu Qponm - Utterly Unknown Melody", "just some words"]
    prep = gui.setprep  # type: ignore[attr-defined]
    prep.load_text("\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1)))
    wait(app, lambda: bool(prep.model.rows) and not prep.controller.matching(), 60)
    window.results.setFocus()
    settle(app)
    path = out / "setprep.png"
    sizes["setprep"] = save_small(window.grab().toImage(), path, 1280)
    print(f"{path}: {sizes['setprep'] // 1024} KB")


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
        window.preview.play(window.model.row_at(first))
        wait(app, lambda: window.preview.player.position() > 1500, 20)
        sizes: dict[str, int] = {}
        small, large = SIZES
        shoot(app, window, out, small, sizes)  # downloads still empty: their tabs are a strip
        start_downloads(gui)
        settle(app, 1.5)
        shoot(app, window, out, large, sizes)  # jobs arrived: the downloads tab is open
        window.set_mode("widget")
        window.show_current_mode()
        window.move(40, 40)
        settle(app)
        path = out / "widget.png"  # at its default size, the same on any screen
        sizes["widget"] = save_small(window.grab().toImage(), path, 760)
        print(f"{path}: {sizes['widget'] // 1024} KB")
        shoot_setprep(app, gui, out, sizes)  # last: its status line stays out of the others
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
