"""Start, run and stop the desktop app (``crateq gui``).

Threads and loops. The GUI thread runs Qt's event loop as the asyncio loop (qasync), so the
app has one main loop and Qt-side code may schedule coroutines on it. The core — searches,
queue calls, look-up lists — runs on a second asyncio loop in a worker thread, owned by the
composition root (``crateq.services.Services``, built once here and handed to every
feature); results come back as Qt signals, which Qt queues into the GUI thread. Two reasons:
httpx on the Qt loop freezes the window for long stretches (DESIGN.md), and tests stay
simple and robust: pytest-qt's ``qtbot.waitUntil`` / ``waitSignal`` spin the Qt loop, the
core loop runs by itself, so a test drives the real widgets against the real demo pools
without installing qasync or faking time.

Start-up paints first, in Qt's own event loop. The first frame is the window with its
toolbar, the focused search field and the status bar, in the theme's colours and font (a
palette); the grid, the filter panel and the theme's style sheet follow at once
(``complete_window``) and are painted in the next pass — typing already works. Both appear
before asyncio and qasync are imported (the main loop above starts right after the paint;
the core loop's thread on first use), and before the pool accounts (httpx, keyring), the
range sliders (superqt), the preview player (QtMultimedia), the tray, the download engine
and the library are loaded (``finish_startup``). Until then the window runs on the ``ui``
section of the settings file read with the stdlib (``peek_ui_settings``: theme, widget
opacity); the full, validated settings (pydantic) replace it right after the first paint.

Shutdown runs in a fixed order — stop timers and the preview, stop the download engine,
cancel core tasks, close pool clients, stop the core loop, stop the demo servers (a shutdown
callback of the services), remove the tray and the single-instance server, quit and close
the qasync loop, delete the window.

``crateq gui --demo`` starts the demo servers on the entry side (``crateq.cli.demo_seed``)
and hands their URLs and keys in as a ``SettingsSeed``: the GUI never imports the demo.
PySide6 6.12.0 is excluded (a binding bug: tests/ui/test_ui_binding.py).
``CRATEQ_GUI_QUIT_AFTER_MS`` (or ``--quit-after``) quits that long after the first paint,
which lets a test run this real exit path in a subprocess.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
import zlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from crateq.core import paths
from crateq.core_loop import GUI_SWITCH_INTERVAL
from crateq.services import Services, SettingsSeed
from crateq.ui.search.controller import AppController
from crateq.ui.shell.main_window import MainWindow
from crateq.ui.shell.theme import apply_palette, apply_theme, resources_dir
from crateq.ui.shell.window_modes import APP, MODES, WIDGET

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer
    from PySide6.QtWidgets import QSystemTrayIcon

    from crateq.core.accounts import Accounts
    from crateq.core.settings import Settings
    from crateq.ui.collections.collections_feature import CollectionsFeature
    from crateq.ui.crate.crate_feature import CrateFeature
    from crateq.ui.downloads.downloads_feature import DownloadsFeature
    from crateq.ui.search.suggest_feature import SuggestFeature
    from crateq.ui.setprep.setprep_feature import SetPrepFeature
    from crateq.ui.shell.dialogs import AppDialogs

log = logging.getLogger(__name__)
DemoStarter = Callable[[], SettingsSeed]  # starts the demo servers, says how to reach them


def instance_key(demo: bool = False) -> str:
    """Single-instance socket name: one app per user and per ``$CRATEQ_HOME`` (a demo
    without a home of its own counts as one more home)."""
    home = os.environ.get("CRATEQ_HOME") or ("demo" if demo else str(paths.config_dir()))
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    data = f"{user}:{home}".encode()
    return f"crateq-{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def raise_running_instance(key: str, timeout_ms: int = 500) -> bool:
    """True when another instance listens on ``key``; it is asked to show its window.

    On Unix ``QLocalServer`` listens on a socket file in Qt's temporary folder; asking it
    with Python's socket keeps QtNetwork out of the first frame. Elsewhere (named pipes)
    QtNetwork does the asking."""
    if sys.platform != "win32":
        path = os.path.join((os.environ.get("TMPDIR") or "/tmp").rstrip("/") or "/", key)
        if not os.path.exists(path):
            return False  # the usual case: nothing to ask (and the socket module not loaded)
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_ms / 1000)
            try:
                sock.connect(path)
                sock.sendall(b"raise\n")
            except OSError:
                return False  # a stale socket file left by a crash
            return True
    from PySide6.QtNetwork import QLocalSocket

    local = QLocalSocket()
    local.connectToServer(key)
    if not local.waitForConnected(timeout_ms):
        return False
    local.write(b"raise\n")
    local.waitForBytesWritten(timeout_ms)
    local.disconnectFromServer()
    return True


def app_icon() -> QIcon:
    path = resources_dir() / "icons" / "crateq.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


class GuiApp:
    """Everything one run of the app owns, so shutdown can release it in order (a plain class,
    as in the first frame's other modules: ``dataclasses`` costs the cold start milliseconds)."""

    def __init__(
        self,
        app: QApplication,
        services: Services,
        controller: AppController,
        window: MainWindow,
        settings: Settings,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.services = services
        self.controller = controller
        self.window = window
        self.settings = settings  # only its ``ui`` section until finish_startup (peeked)
        self.cleanup = cleanup  # once the window is gone (a demo's temporary home)
        self.server: QLocalServer | None = None
        self.tray: QSystemTrayIcon | None = None
        self.downloads: DownloadsFeature | None = None
        self.crate: CrateFeature | None = None
        self.collections: CollectionsFeature | None = None
        self.suggest: SuggestFeature | None = None  # auto-complete and "did you mean"
        self.setprep: SetPrepFeature | None = None  # the Set prep tab
        self.dialogs: AppDialogs | None = None
        self.startup_error: Exception | None = None  # a settings file that fails validation
        self.filtering = False  # the window filters the app's events (complete_window)
        self.timers: list[QTimer] = []

    def shutdown(self) -> None:
        for timer in self.timers:
            timer.stop()
        self.window.search_bar.debounce.stop()
        self.window.save_view_state()
        if self.window.preview is not None:
            self.window.preview.stop()
        if self.downloads is not None:
            self.downloads.stop()  # the download engine pauses its jobs; they resume next start
        # the crate client, the wish list's schedule, set prep's tasks: before the loop stops
        for feature in (self.crate, self.collections, self.suggest, self.setprep):
            if feature is not None:
                feature.shutdown()
        self.controller.shutdown()
        self.services.shutdown()  # core tasks, pool clients, core loop, store, demo servers
        if self.tray is not None:
            self.tray.hide()
        if self.server is not None:
            self.server.close()


def build(
    *,
    demo: DemoStarter | None = None,
    mode: str | None = None,
    services: Services | None = None,
    accounts: Accounts | None = None,
    defer_extras: bool = False,
) -> GuiApp:
    """Create the app objects (no event loop yet). Tests call this too.

    ``services`` (or their ``accounts``) may be given, else they are built here once, from the
    settings file and, with ``demo``, its seed (pools and crate reached as real ones are,
    passwords held in-process).
    ``defer_extras`` leaves out what the first paint does not need (the style sheet, grid and
    filter panel — ``complete_window`` — then range sliders, downloads, library —
    ``finish_startup``). ``run`` defers them to show the window sooner.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("CrateQ")
    app.setQuitOnLastWindowClosed(True)
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)  # the GUI thread gets the GIL sooner: see there
    cleanup = None
    if services is None:
        services = Services(accounts=accounts, in_process_secrets=demo is not None)
    if demo is not None:
        seed = demo()
        services.seed(seed)  # the demo servers stop with the services
        cleanup = seed.cleanup
    settings: Settings
    if defer_extras:
        # only ``ui`` is read until finish_startup swaps in the validated settings
        settings = cast("Settings", peek_ui_settings())
        apply_palette(app, settings.ui.theme)  # the style sheet follows with the grid
    else:
        from crateq.core.settings import load_settings

        settings = load_settings()
        apply_theme(app, settings.ui.theme)
    controller = AppController(services)
    window = MainWindow(
        controller,
        settings,
        save_settings=save_ui_section,
        defer_preview=defer_extras,
        defer_body=defer_extras,
    )
    window.set_mode(mode or _saved_mode(window) or APP)
    gui = GuiApp(app, services, controller, window, settings, cleanup)
    if not defer_extras:
        finish_startup(gui)
    return gui


def complete_window(gui: GuiApp) -> None:
    """The grid, filter panel and tabs, and the theme's style sheet: what follows the first
    frame at once (the DJ may already be typing into the search field)."""
    gui.window.build_body(defer_preview=True)  # once
    if gui.app.windowIcon().isNull():
        gui.app.setWindowIcon(app_icon())
    if not gui.app.styleSheet():
        apply_theme(gui.app, gui.settings.ui.theme)
    # Widget mode takes focus on the first click anywhere in it (MainWindow.eventFilter).
    # Installed only now: an app-wide filter hands every event to Python, and the first
    # event of each kind makes PySide build that class's enum types, in the first frame.
    if not gui.filtering:
        gui.app.installEventFilter(gui.window)
        gui.filtering = True


def finish_startup(gui: GuiApp) -> None:
    """The parts the first paint does not need: validated settings, preview player, range
    sliders, accounts and pools (httpx, keyring), downloads, library, crate."""
    from crateq.ui.collections.collections_feature import CollectionsFeature
    from crateq.ui.downloads.downloads_feature import DownloadsFeature
    from crateq.ui.harmonic.harmonic_feature import HarmonicFeature
    from crateq.ui.search.suggest_feature import SuggestFeature
    from crateq.ui.setprep.setprep_feature import SetPrepFeature
    from crateq.ui.shell.dialogs import AppDialogs

    complete_window(gui)
    if isinstance(gui.settings, SimpleNamespace):
        _load_full_settings(gui)
    gui.window.add_preview()
    gui.window.filters.add_sliders()
    gui.window.filters.set_pools(gui.controller.pool_names())  # reads accounts: after paint
    gui.controller.warm_up()
    if gui.downloads is None:
        gui.downloads = DownloadsFeature(gui.services, gui.window, gui.controller)
    if gui.dialogs is None:
        gui.dialogs = AppDialogs(gui.services, gui.window)
        gui.dialogs.poolsChanged.connect(lambda: _pools_changed(gui))
        gui.dialogs.settingsSaved.connect(gui.downloads.apply_settings)
    if gui.suggest is None:
        gui.suggest = SuggestFeature(gui.services, gui.window.search_bar, gui.controller)
    if gui.crate is None:  # the artist card beside the grid and the Discover tab
        try:
            from crateq.ui.crate.crate_feature import CrateFeature

            gui.crate = CrateFeature(gui.services, gui.window, gui.controller)
        except Exception as exc:  # crate is an extra: the grid works without it
            log.warning("artist card unavailable: %s", exc, exc_info=True)
    if gui.collections is None:  # the source tree beside the grid
        gui.collections = CollectionsFeature(gui.services, gui.window, gui.controller)
        gui.dialogs.poolsChanged.connect(gui.collections.pools_changed)
        if gui.crate is not None:  # the card's "Add to the wish list"
            gui.crate.card.wish_requested.connect(gui.collections.controller.wish_artist)
        HarmonicFeature.attach(gui.services, gui.window, gui.controller, gui.downloads)  # P, M
    if gui.setprep is None:  # the Set prep tab: tracklists dropped or pasted on the window
        gui.setprep = SetPrepFeature(gui.services, gui.window, gui.controller)
    # What is built so far lives as long as the app: out of the cyclic GC's sight, so a full
    # collection mid-stream does not scan it holding the GIL (docs/PERFORMANCE.md).
    gc.freeze()


def _pools_changed(gui: GuiApp) -> None:
    """After the accounts dialog changed the pools: one reset of the clients, then every
    feature catches up and the grid searches again."""
    gui.services.reset_pools()
    gui.window.filters.set_pools(gui.controller.pool_names())
    if gui.downloads is not None:
        gui.downloads.pools_changed()
    gui.window.run_search()


UI_DEFAULTS = {"theme": "dark", "widget_opacity": 0.95, "preview_device": "", "preview_volume": 0.8}
UI_THEMES = ("dark", "high-contrast", "large-text")  # crateq.core.settings.UiSettings.theme


def peek_ui_settings() -> SimpleNamespace:
    """The ``ui`` section for the first paint, read without pydantic (which costs more than
    the window itself to import). Values the full model would reject fall back to defaults;
    ``finish_startup`` validates the whole file and puts any difference right."""
    ui = dict(UI_DEFAULTS)
    try:
        path = paths.config_dir() / "settings.json"  # crateq.core.settings.settings_path()
        raw = json.loads(path.read_text(encoding="utf-8")).get("ui", {})
    except (OSError, ValueError, AttributeError):
        raw = {}
    if isinstance(raw, dict):
        if raw.get("theme") in UI_THEMES:
            ui["theme"] = raw["theme"]
        for key, low in (("widget_opacity", 0.3), ("preview_volume", 0.0)):
            value = raw.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ui[key] = float(value) if low <= value <= 1.0 else ui[key]
        if isinstance(raw.get("preview_device"), str):
            ui["preview_device"] = raw["preview_device"]
    return SimpleNamespace(ui=SimpleNamespace(**ui))


def _load_full_settings(gui: GuiApp) -> None:
    """Swap the peeked ``ui`` section for the validated settings; re-apply what differs."""
    from crateq.core.settings import load_settings

    peeked = gui.settings.ui
    settings = load_settings()
    gui.settings = gui.window.settings = settings
    if settings.ui.theme != peeked.theme:
        apply_theme(gui.app, settings.ui.theme)
    if gui.window.mode == WIDGET and settings.ui.widget_opacity != peeked.widget_opacity:
        gui.window.setWindowOpacity(settings.ui.widget_opacity)


def save_ui_section(settings: Settings) -> None:
    """The window changes only ``ui``: re-read the file so pools added meanwhile (accounts
    dialog, a CLI in another terminal) are kept."""
    from crateq.core.settings import load_settings, save_settings

    fresh = load_settings()
    fresh.ui = settings.ui.model_copy()
    save_settings(fresh)


def _saved_mode(window: MainWindow) -> str | None:
    saved = str(window.state.value("mode", "") or "")
    return saved if saved in MODES else None


class _FirstPaint(QObject):
    """Notes when the window's first frame is painted and ends ``loop`` (Qt's own event
    loop, which paints the window before asyncio and qasync are even imported).

    The time is taken once the paint pass that began with the window's paint event is over
    (a zero timer), i.e. with every child — search field, grid, toolbar — drawn."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.painted_at: float | None = None
        self._seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._seen:
            self._seen = True
            QTimer.singleShot(0, self._painted)
        return False

    def _painted(self) -> None:
        self.painted_at = time.monotonic()
        self.loop.quit()


def run(
    *, demo: DemoStarter | None = None, mode: str | None = None, quit_after_ms: int | None = None
) -> int:
    """The whole life of ``crateq gui``; returns the process exit code. ``demo`` starts
    the demo servers (after the single-instance check) and returns how to reach them."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    key = instance_key(demo is not None)
    if raise_running_instance(key):
        print("CrateQ is already running; its window was raised.", file=sys.stderr)
        return 0
    gui = build(demo=demo, mode=mode, defer_extras=True)  # the rest after the first paint
    if quit_after_ms is None and os.environ.get("CRATEQ_GUI_QUIT_AFTER_MS"):
        quit_after_ms = int(os.environ["CRATEQ_GUI_QUIT_AFTER_MS"])
    painting = QEventLoop()
    first_paint = _FirstPaint(painting)
    gui.window.installEventFilter(first_paint)
    no_paint = QTimer()  # no paint (e.g. a hidden start): go on anyway
    no_paint.setSingleShot(True)
    no_paint.timeout.connect(painting.quit)
    no_paint.start(3000)
    gui.window.show_current_mode()
    painting.exec()
    gui.window.removeEventFilter(first_paint)
    gui.server = _listen(key, gui.window)  # a second launch from now on raises this one
    complete_window(gui)  # grid and filters: painted in the next pass, before anything else
    complete = _FirstPaint(painting)
    gui.window.results.viewport().installEventFilter(complete)
    no_paint.start(3000)
    painting.exec()
    no_paint.stop()
    gui.window.results.viewport().removeEventFilter(complete)

    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    painted = (first_paint.painted_at, complete.painted_at)
    QTimer.singleShot(0, lambda: _after_first_paint(gui, quit_after_ms, *painted))
    try:
        loop.run_until_complete(closing.wait())
    finally:
        gui.shutdown()
        app.removeEventFilter(gui.window)
        loop.close()
        asyncio.set_event_loop(None)
        gui.window.deleteLater()
        app.processEvents()
        del gui.window
        if gui.cleanup is not None:
            gui.cleanup()
    if gui.startup_error is not None:
        raise gui.startup_error
    return 0


def _after_first_paint(
    gui: GuiApp, quit_after_ms: int | None, painted_at: float | None, complete_at: float | None
) -> None:
    if os.environ.get("CRATEQ_GUI_REPORT_PAINT"):  # scripts/bench_ui.py: cold-start figures
        now = time.monotonic()
        print(f"first-paint {painted_at or now:.6f}", file=sys.stderr, flush=True)
        print(f"complete-paint {complete_at or now:.6f}", file=sys.stderr, flush=True)
    if quit_after_ms is not None:
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(QApplication.quit)
        timer.start(max(0, quit_after_ms))
        gui.timers.append(timer)
    if isinstance(gui.settings, SimpleNamespace):
        try:
            _load_full_settings(gui)
        except Exception as exc:  # a broken settings file stops the start, as it always did
            gui.startup_error = exc
            QApplication.quit()
            return
    try:
        finish_startup(gui)  # the DJ can already type while these come up
    except Exception as exc:  # a broken extra must not take search and preview with it
        log.exception("start-up of downloads/library failed")
        gui.window.statusBar().showMessage(f"Some panels failed to start: {exc}", 15000)
    from crateq.ui.shell.tray import add_download_actions, make_tray

    gui.tray = make_tray(gui.window, app_icon())
    downloads = gui.downloads
    if downloads is not None:
        downloads.use_tray(gui.tray)  # finished batches and failures as tray notices
        if gui.tray is not None and downloads.queue is not None:
            add_download_actions(gui.tray.contextMenu(), downloads.queue)
    gui.controller.load_lookups()
    gui.window.run_search()  # the newest releases, before the DJ types anything


def _listen(key: str, window: MainWindow) -> QLocalServer | None:
    from PySide6.QtNetwork import QLocalServer

    server = QLocalServer(window)
    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    if not server.listen(key):
        QLocalServer.removeServer(key)  # a stale socket left by a crash
        if not server.listen(key):
            log.warning("single-instance server unavailable: %s", server.errorString())
            return None

    def on_connection() -> None:
        conn = server.nextPendingConnection()
        if conn is None:
            return

        def raise_window() -> None:
            conn.readAll()
            window.raise_to_front()

        conn.readyRead.connect(raise_window)
        conn.disconnected.connect(conn.deleteLater)

    server.newConnection.connect(on_connection)
    return server
