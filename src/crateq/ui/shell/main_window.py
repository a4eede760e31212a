"""The main window: search bar, filters, results grid and preview, in three modes.

It owns no async work: it turns widget signals into controller calls and controller signals
into widget updates. Each mode keeps its own geometry and column layout (``UiState``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtCore  # QtCore.Qt, not Qt: see crateq.ui.shell.window_modes
from PySide6.QtCore import QEvent, QObject, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QSizeGrip,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crateq.ui.search.controller import AppController
from crateq.ui.search.search_bar import SearchBar
from crateq.ui.shell.theme import apply_theme
from crateq.ui.shell.ui_state import UiState
from crateq.ui.shell.widget_bar import WidgetBar
from crateq.ui.shell.window_docks import FILTERS, FoldingTabs, GridDocks, scroll_panel
from crateq.ui.shell.window_modes import (
    APP,
    APP_MARGINS,
    FULLSCREEN,
    MODE_SPECS,
    MODES,
    WIDGET,
    DragHandle,
    fit_rows,
    window_flags,
)

if TYPE_CHECKING:
    from crateq.api.pool_models import MediaRow
    from crateq.core.settings import Settings
    from crateq.ui.search.filters_panel import FiltersPanel, QuerySpec
    from crateq.ui.search.preview import PreviewPlayer
    from crateq.ui.search.result_stream import ResultBatch
    from crateq.ui.search.results_model import ResultsModel
    from crateq.ui.search.results_view import ResultsView
    from crateq.ui.shell.window_menus import SavedSearchesUi

BATCH_MS = 50  # the grid takes a batch of rows at most every third frame: each repaints it
NO_POOLS = "No record pool is selected or set up: add one under ☰ → Accounts…"


class MainWindow(QMainWindow):
    """The one window of the app; ``set_mode`` switches between widget, app and fullscreen."""

    model: ResultsModel
    results: ResultsView
    filters: FiltersPanel
    saved_ui: SavedSearchesUi

    def __init__(
        self,
        controller: AppController,
        settings: Settings,
        *,
        save_settings: Callable[[Settings], None],
        state: UiState | None = None,
        defer_preview: bool = False,
        defer_body: bool = False,
    ) -> None:
        """``defer_preview`` leaves the player (QtMultimedia, the audio backend) to
        ``add_preview``: loading it costs more than the rest of the window's first paint.
        ``defer_body`` leaves the grid, filter panel and tabs to ``build_body``, so the first
        frame — toolbar, focused search field, status bar — is painted sooner."""
        super().__init__()
        self.setWindowTitle("CrateQ")
        self.controller = controller
        self.settings = settings
        self._save_settings = save_settings
        self.state = state or UiState()
        self.mode = ""
        self._previous_mode = APP
        self.collapsed = False
        self.body_built = False
        self._flags_set = False  # set_mode changed the window flags (widget mode did)
        self.finished_run = 0  # the last search run whose rows are all in the grid
        self._pending: ResultBatch | None = None  # the newest batch not yet in the grid
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(BATCH_MS)
        self._flush_timer.timeout.connect(self._flush_rows)
        self.preview: PreviewPlayer | None = None
        self.search_bar = SearchBar(self)
        self.search_bar.filters_button.setChecked(True)  # app mode shows every panel
        self._build_frame()
        self._build_toolbar()
        self._build_shortcuts()
        self.statusBar().showMessage("Ready")
        if not defer_body:
            self.build_body(defer_preview=defer_preview)

    # -- construction --------------------------------------------------------------------------
    def _build_frame(self) -> None:
        """The search bar over an (at first empty) body that ``build_body`` fills."""
        self.body = QWidget(self)
        self._body_layout = QVBoxLayout(self.body)
        self._body_layout.setContentsMargins(0, 0, 0, 0)
        central = QWidget(self)
        central.setObjectName("widgetFrame")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(*APP_MARGINS)
        layout.setSpacing(8)
        self._frame_layout = layout
        layout.addWidget(self.search_bar)
        layout.addWidget(self.body, 1)
        self.setCentralWidget(central)
        self.search_bar.field.setFocus()

    def build_body(self, *, defer_preview: bool = False) -> None:
        """Grid, filter panel, tabs and bottom bar (once), wired and set up for the mode."""
        if self.body_built:
            return
        from crateq.ui.search.filters_panel import FiltersPanel
        from crateq.ui.search.results_model import ResultsModel
        from crateq.ui.search.results_view import ResultsView
        from crateq.ui.search.saved_searches import SavedSearches
        from crateq.ui.shell.window_menus import SavedSearchesUi, view_menu

        self.saved_ui = SavedSearchesUi(self, SavedSearches())
        self.view_button.setMenu(view_menu(self))
        # what touches the ``Qt`` namespace waits for the body (crateq.ui.shell.window_modes)
        for mode, action in self.mode_actions.items():
            action.setShortcut(QKeySequence(MODE_SPECS[mode].shortcut))
        self.handle.setCursor(QtCore.Qt.CursorShape.SizeAllCursor)
        self.widget_bar.fold(self.mode == WIDGET)  # its menu entries take the new shortcuts

        self.model = ResultsModel(self)
        self.results = ResultsView(self.model, self)
        self.filters = FiltersPanel(self)
        if not defer_preview:
            self.preview = self._make_preview()
        self.filters_scroll = scroll_panel(self.filters, "filtersScroll", self)
        self.docks = GridDocks(self, self.results, self.state)
        self.add_side_panel(FILTERS, self.filters_scroll)
        self.tabs = FoldingTabs.under(self.docks.host, self)
        self.panels, self.vsplit = self.tabs.tabs, self.tabs.splitter
        self._body_layout.addWidget(self.vsplit, 1)
        bottom = QHBoxLayout()
        if self.preview is not None:
            bottom.addWidget(self.preview, 1)
        self._bottom = bottom
        self.grip = QSizeGrip(self)
        bottom.addWidget(
            self.grip, 0, QtCore.Qt.AlignmentFlag.AlignBottom | QtCore.Qt.AlignmentFlag.AlignRight
        )
        self._body_layout.addLayout(bottom)
        self.body_built = True
        self._wire()
        if self.mode:
            self._apply_mode_to_body(self.mode)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Modes", self)
        bar.setMovable(False)
        bar.setFloatable(False)
        self.toolbar = bar
        self.handle = DragHandle("⠿ CrateQ", self)
        self.handle_action = bar.addWidget(self.handle)
        self.mode_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for mode in MODES:
            spec = MODE_SPECS[mode]
            action = QAction(spec.title, self)
            action.setCheckable(True)  # its shortcut comes with the body (build_body)
            action.setToolTip(f"{spec.title} mode ({spec.shortcut})")
            action.triggered.connect(lambda _on=False, m=mode: self.set_mode(m))
            group.addAction(action)
            bar.addAction(action)
            self.mode_actions[mode] = action
        self.collapse_action = QAction("▴", self)
        self.collapse_action.setToolTip("Collapse to the search bar (widget mode)")
        self.collapse_action.triggered.connect(lambda: self.set_collapsed(not self.collapsed))
        bar.addAction(self.collapse_action)
        view = QToolButton(self)
        view.setText("View")
        view.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.view_button = view  # its menu comes with the body
        bar.addWidget(view)
        self.app_menu = QMenu(self)
        more = QToolButton(self)
        more.setText("☰")
        more.setToolTip("Accounts, settings and more")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more.setMenu(self.app_menu)
        self.app_menu_action = bar.addWidget(more)
        self.app_menu_action.setVisible(False)
        self.addToolBar(bar)  # the top area
        self.widget_bar = WidgetBar(bar, self.mode_actions, self.collapse_action, self.statusBar())

    def _build_shortcuts(self) -> None:
        QShortcut(QKeySequence("F11"), self, self.toggle_fullscreen)
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        QShortcut(QKeySequence("Esc"), self, self.clear_search)  # window-wide, the default

    def _wire(self) -> None:
        c = self.controller
        c.search_started.connect(self._search_started)
        c.results_ready.connect(self._rows_arrived)
        c.pool_state.connect(self._pool_state)
        c.search_finished.connect(self._search_finished)
        c.more_finished.connect(self._search_finished)
        self.model.more_available = c.has_more
        self.model.fetch_more_rows = c.fetch_more
        c.lookups_ready.connect(self.filters.set_lookups)
        c.row_changed.connect(self.model.update_row)
        c.in_library.connect(self.model.mark_in_library)
        c.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.search_bar.text_committed.connect(lambda _t: self.run_search())
        self.search_bar.filters_toggled.connect(lambda on: self.docks.set_open(FILTERS, on))
        toggle = self.docks.docks[FILTERS].toggleViewAction()
        toggle.toggled.connect(self.search_bar.filters_button.setChecked)
        self.search_bar.saved_requested.connect(self.saved_ui.show_menu)
        if self.preview is not None:
            self._wire_preview(self.preview)
        self.filters.changed.connect(self.run_search)
        self.results.download_requested.connect(c.download)
        self.results.grab_best_requested.connect(c.grab_best)  # Shift+Enter on a song row
        self.results.queue_requested.connect(c.toggle_queue)
        self.results.search_artist_requested.connect(self.search_artist)
        self.results.reveal_requested.connect(self._reveal)

    def add_preview(self) -> None:
        """Build the deferred preview player into the bottom bar (once)."""
        if self.preview is None:
            self.preview = self._make_preview()
            self._bottom.insertWidget(0, self.preview, 1)
            self._wire_preview(self.preview)
            fit_rows(self.mode, self.toolbar, self.preview, self._frame_layout)

    def _make_preview(self) -> PreviewPlayer:
        from crateq.ui.search.preview import PreviewPlayer

        ui = self.settings.ui
        return PreviewPlayer(device=ui.preview_device, volume=ui.preview_volume, parent=self)

    def _wire_preview(self, preview: PreviewPlayer) -> None:
        self.results.preview_requested.connect(preview.play)
        preview.device_changed.connect(self._device_changed)
        preview.volume_changed.connect(self._volume_changed)

    # -- extension points (panels and dialogs live in their own modules) ------------------------
    def add_panel(self, title: str, widget: QWidget) -> None:
        """A tab under the grid (app and fullscreen modes): downloads, library, artist…"""
        self.panels.addTab(widget, title)
        self.panels.setVisible(self.mode != WIDGET)
        if self.tabs.folded:
            self.tabs.fold()  # the strip now holds one more tab

    def add_side_panel(self, name: str, widget: QWidget) -> QDockWidget:
        """A dock beside the grid (``FILTERS``, ``ARTIST``), in the View menu with its key."""
        dock = self.docks.add(name, widget)
        menu = self.view_button.menu()
        if menu is not None:
            menu.addAction(dock.toggleViewAction())
        return dock

    def add_menu_action(self, text: str, slot: Callable[[], object], shortcut: str = "") -> QAction:
        action = self.app_menu.addAction(text)
        action.triggered.connect(lambda _on=False: slot())
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            self.addAction(action)
        self.app_menu_action.setVisible(True)
        return action

    # -- search --------------------------------------------------------------------------------
    def query_spec(self) -> QuerySpec:
        spec = self.filters.spec()
        if self.search_bar.text():
            spec["keywords"] = self.search_bar.text()
        return spec

    def run_search(self) -> int:
        self.build_body()  # normally built right after the first paint
        return self.controller.search(self.query_spec(), self.filters.selected_pools())

    def search_artist(self, artist: str) -> None:
        self.search_bar.field.setText(artist)
        self.search_bar.commit()

    def focus_search(self) -> None:
        self._accept_focus()
        self.search_bar.field.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
        self.search_bar.field.selectAll()

    def clear_search(self) -> None:
        if self.search_bar.text():
            self.search_bar.clear()

    def _search_started(self, run: int, pools: list[str]) -> None:
        self._pending = None
        self._flush_timer.stop()
        self.model.clear()
        self.controller.result_order = self.model.sort_columns  # batches come sorted so
        self.search_bar.reset_chips(pools)
        self.statusBar().showMessage("Searching…" if pools else NO_POOLS)

    def _rows_arrived(self, batch: ResultBatch) -> None:
        """The grid takes at most one batch per ``BATCH_MS``: each repaints it. A batch holds
        every song so far (grouped and sorted on the core thread), so the newest replaces
        one still waiting (keeping the songs that one changed)."""
        if batch.run != self.controller.current_run:
            return
        first = self.model.rowCount() == 0 and self._pending is None
        self._pending = batch.replacing(self._pending)
        if first:
            self._flush_rows()  # the first rows show at once
        elif not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush_rows(self) -> None:
        self._flush_timer.stop()
        if self._pending is not None:
            batch, self._pending = self._pending, None
            self.model.apply_batch(batch)

    def _pool_state(self, run: int, pool: str, state: str, message: str) -> None:
        if run == self.controller.current_run:
            self.search_bar.set_chip(pool, state, message)

    def _search_finished(self, run: int) -> None:
        if run == self.controller.current_run:
            self._flush_rows()
            self.finished_run = run
            if not self.search_bar.chips:
                self.statusBar().showMessage(NO_POOLS)
                return
            songs, versions = self.model.song_count(), self.model.version_count()
            more = "; scroll down for more" if self.controller.has_more() else ""
            self.statusBar().showMessage(f"{songs} songs, {versions} versions{more}")
            bar = self.results.verticalScrollBar()
            if more and bar.value() >= bar.maximum():  # already at the end: no scroll will ask
                self.controller.fetch_more()

    def _reveal(self, row: MediaRow) -> None:
        """The version's file when it is in the library, else the downloads folder."""
        from crateq.ui.downloads.library_view import reveal_in_folder

        store = self.controller.library()
        entry = store.have(row.pool, row.media_id) if store is not None else None
        if entry is not None and entry.present:
            reveal_in_folder(entry.path)
            self.statusBar().showMessage(f"{entry.path}", 6000)
            return
        folder = self.settings.downloads.folder_path()
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        self.statusBar().showMessage(f"Not downloaded yet; downloads go to {folder}", 6000)

    # -- settings ------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        apply_theme(QApplication.instance(), name)  # type: ignore[arg-type]
        self.settings.ui.theme = name  # type: ignore[assignment]
        self._save_settings(self.settings)

    def set_widget_opacity(self, value: float) -> None:
        self.settings.ui.widget_opacity = value
        if self.mode == WIDGET:
            self.setWindowOpacity(value)
        self._save_settings(self.settings)

    def _device_changed(self, device: str) -> None:
        self.settings.ui.preview_device = device
        self._save_settings(self.settings)

    def _volume_changed(self, volume: float) -> None:
        self.settings.ui.preview_volume = volume

    # -- modes ---------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """Switch mode, saving the old mode's geometry and columns and restoring the new one's."""
        if mode not in MODE_SPECS or mode == self.mode:
            self.mode_actions.get(self.mode, QAction()).setChecked(True)
            return
        if self.mode:
            self.save_view_state()
            if self.mode != FULLSCREEN:
                self._previous_mode = self.mode
        self.mode = mode
        spec = MODE_SPECS[mode]
        self.mode_actions[mode].setChecked(True)
        visible = self.isVisible()
        if mode == WIDGET or self._flags_set:  # a new top-level window already is a plain one
            self.setWindowFlags(window_flags(mode))
            self.setAttribute(QtCore.Qt.WidgetAttribute.WA_ShowWithoutActivating, mode == WIDGET)
            self._flags_set = True
        self.setWindowOpacity(self.settings.ui.widget_opacity if mode == WIDGET else 1.0)
        self.handle_action.setVisible(mode == WIDGET)
        self.collapse_action.setVisible(mode == WIDGET)
        self.widget_bar.fold(mode == WIDGET)
        self.statusBar().setVisible(mode != WIDGET)  # widget mode: its message is in the bar
        self.search_bar.filters_button.setVisible(spec.show_filters)
        fit_rows(self.mode, self.toolbar, self.preview, self._frame_layout)
        if self.body_built:
            self._apply_mode_to_body(mode)
        self.set_collapsed(False)
        # an explicit minimum per mode: the layout's own would still count the panels the
        # previous mode showed, and widget mode must be able to shrink to a slim bar
        self.setMinimumSize(*spec.min_size)
        geometry = self.state.blob(f"geometry/{mode}")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*spec.default_size)
        if mode == FULLSCREEN:
            self.showFullScreen()
        elif visible or self.isVisible():
            self.showNormal()

    def _apply_mode_to_body(self, mode: str) -> None:
        self.grip.setVisible(mode == WIDGET)
        self.panels.setVisible(mode != WIDGET and self.panels.count() > 0)
        self.docks.apply(mode)
        self.results.restore_layout(self.state, mode)

    def show_current_mode(self) -> None:
        if self.mode == FULLSCREEN:
            self.showFullScreen()
        else:
            self.show()

    def raise_to_front(self) -> None:
        """Another launch asked for us (single instance) or the tray was clicked."""
        self.show_current_mode()
        self.raise_()
        self.activateWindow()

    def toggle_fullscreen(self) -> None:
        self.set_mode(self._previous_mode if self.mode == FULLSCREEN else FULLSCREEN)

    def set_collapsed(self, collapsed: bool) -> None:
        """Widget mode only: fold down to the slim search bar, or unfold again."""
        collapsed = collapsed and self.mode == WIDGET
        if collapsed == self.collapsed:
            return
        self.collapsed = collapsed
        self.body.setVisible(not collapsed)
        self.statusBar().setVisible(not collapsed and self.mode != WIDGET)  # widget: in the bar
        self.collapse_action.setText("▾" if collapsed else "▴")
        if collapsed:
            self._unfolded_height = self.height()
            self.resize(self.width(), self.minimumSizeHint().height())
        else:
            self.resize(self.width(), getattr(self, "_unfolded_height", self.height()))

    def save_view_state(self) -> None:
        if not self.mode:
            return
        if self.mode != FULLSCREEN and not self.collapsed:
            self.state.set_blob(f"geometry/{self.mode}", self.saveGeometry())
        if self.body_built:
            self.results.save_layout(self.state, self.mode)
            self.docks.save(self.mode)
        self.state.set_value("mode", self.mode)
        self.state.sync()

    # -- focus in widget mode ------------------------------------------------------------------
    def _accept_focus(self) -> None:
        """Widget mode appears without taking focus; the first click lets it have focus."""
        if (
            self.mode == WIDGET
            and self.windowFlags() & QtCore.Qt.WindowType.WindowDoesNotAcceptFocus
        ):
            self.setWindowFlag(QtCore.Qt.WindowType.WindowDoesNotAcceptFocus, False)
            self.show()
            self.activateWindow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress and self.mode == WIDGET:
            target = watched if isinstance(watched, QWidget) else None
            if target is not None and target.window() is self:
                self._accept_focus()
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_view_state()
        if self.preview is not None:
            self.preview.stop()
        super().closeEvent(event)
