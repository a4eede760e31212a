"""The accounts dialog: record pools (add, edit, remove, sign in, test) and the crate key.

Passwords go straight to the OS keyring through ``Accounts`` and are never written to the
settings file; the password field is cleared once stored. The pool's own answer to a login
(``status`` and ``msg``) is shown as it is, followed by one sentence saying what to do.
Network work runs on the services' core loop, never on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crateq.api.errors import (
    ConfigError,
    CrateQError,
    PoolAuthError,
    PoolKeyError,
    PoolUnavailable,
)
from crateq.api.pool_models import LoginResult
from crateq.core import secrets
from crateq.core.accounts import insecure_url_warning, normalise_url
from crateq.core.errors import user_message
from crateq.core.settings import load_settings, save_settings
from crateq.ui.downloads.engine_bridge import relay
from crateq.ui.downloads.queue_panel import CHECKBOX_QSS

if TYPE_CHECKING:
    from crateq.services import Services

# What the user should do about each account status the pools send.
STATUS_ADVICE = {
    "current": "Signed in. Searching and downloading work.",
    "active": "Signed in. Searching and downloading work.",
    "pending": "Signed in; the pool is still confirming the account. Downloads work meanwhile.",
    "expired": "The subscription has expired: you can search, but downloads are refused. "
    "Renew it on the pool's web site, then sign in again.",
    "suspended": "The account is suspended: downloads are refused. "
    "Contact the pool's support to lift the suspension.",
    "denied": "The pool denies this account access to CrateQ. Contact the pool's support.",
}


def describe_login(result: LoginResult) -> tuple[str, str]:
    """(state, text) for a login answer: state is ok / warn for the colour of the label."""
    status = result.status.lower() or "current"
    advice = STATUS_ADVICE.get(status, f"The pool reports the status {status!r}.")
    if result.crateq and status not in ("current", "active", "pending"):
        advice = "Signed in; the pool lets this account download despite its status."
    lines = [f"Status: {status}."]
    if result.msg:
        lines.append(f"The pool says: “{result.msg}”")
    lines.append(advice)
    return ("ok" if result.can_download else "warn"), "\n".join(lines)


def describe_error(exc: BaseException) -> str:
    """One sentence for a failed sign-in, plus what to do."""
    if isinstance(exc, PoolAuthError):
        return "The pool rejected the username or password. Check both and sign in again."
    if isinstance(exc, PoolKeyError):
        return "The pool rejected the API key. Copy it again from your account page on the pool."
    if isinstance(exc, PoolUnavailable):
        return f"{user_message(exc)} Check the base URL and your connection."
    return user_message(exc)


class AccountsDialog(QDialog):
    """Edits pools through the services' accounts; sign-in and test run on the core loop.

    ``poolsChanged`` fires after any add, edit or removal (the app re-makes its clients);
    ``signedIn(name, LoginResult)`` after a successful sign-in.
    """

    poolsChanged = Signal()
    signedIn = Signal(str, object)

    def __init__(
        self,
        services: Services,
        parent: QWidget | None = None,
        *,
        settings_file: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pools and accounts")
        self.setMinimumSize(860, 660)
        self.setStyleSheet(CHECKBOX_QSS)
        self.services = services
        self.accounts = services.accounts
        self._file = settings_file
        self._busy = False
        self._editing: str | None = None  # the saved pool the form shows, if any
        self._status: dict[str, str] = {}  # pool -> account status of this session's sign-in

        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        outer.addLayout(top, 1)
        left = QVBoxLayout()
        self.pool_list = QListWidget(self)
        self.pool_list.setMinimumWidth(self.fontMetrics().horizontalAdvance("W" * 13) + 30)
        self.pool_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pool_list.setStyleSheet("QListWidget::item { padding: 7px 8px; }")
        self.pool_list.currentItemChanged.connect(self._selected)
        left.addWidget(QLabel("Pools", self))
        left.addWidget(self.pool_list, 1)
        self.new_button = QPushButton("Add a pool", self)
        self.new_button.clicked.connect(self.new_pool)
        left.addWidget(self.new_button)
        top.addLayout(left)
        top.addWidget(self._pool_box(), 1)
        outer.addWidget(self._crate_box())
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        outer.addWidget(close)
        self.refresh()

    # -- layout --------------------------------------------------------------------------
    def _pool_box(self) -> QGroupBox:
        box = QGroupBox("Pool account", self)
        form = QFormLayout(box)
        self.name = QLineEdit(box)
        self.name.setPlaceholderText("e.g. my-pool")
        self.url = QLineEdit(box)
        self.url.setPlaceholderText("https://api.example-pool.com/")
        self.api_key = QLineEdit(box)
        self.username = QLineEdit(box)
        self.password = QLineEdit(box)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.enabled = QCheckBox("Search and download from this pool", box)
        self.enabled.setChecked(True)
        form.addRow("Name", self.name)
        form.addRow("Base URL", self.url)
        self.url_warning = QLabel("", box)  # plain http: shown as long as the URL is one
        self.url_warning.setObjectName("urlWarning")
        self.url_warning.setWordWrap(True)
        self.url_warning.setStyleSheet("color: #ffd977;")
        self.url_warning.setVisible(False)
        self.url.textChanged.connect(self._url_changed)
        form.addRow("", self.url_warning)
        form.addRow("API key", self.api_key)
        form.addRow("Username", self.username)
        form.addRow("Password", self.password)
        form.addRow("", self.enabled)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save", box)
        self.signin_button = QPushButton("Save and sign in", box)
        self.signin_button.setDefault(True)
        self.remove_button = QPushButton("Remove", box)
        self.test_button = QPushButton("Test connection", box)
        self.test_button.setToolTip("Try the values above without saving them")
        self.test_button.clicked.connect(self.test_connection)
        self.save_button.clicked.connect(self.save_pool)
        self.signin_button.clicked.connect(self.sign_in)
        self.remove_button.clicked.connect(self.remove_pool)
        for button in (self.signin_button, self.test_button, self.save_button, self.remove_button):
            buttons.addWidget(button)
        form.addRow(buttons)
        self.status = QLabel("", box)
        self.status.setObjectName("accountStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setMinimumHeight(110)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        form.addRow(self.status)
        return box

    def _crate_box(self) -> QGroupBox:
        box = QGroupBox("crate artist intelligence", self)
        form = QFormLayout(box)
        self.crate_url = QLineEdit(load_settings(self._file).crate.url, box)
        self.crate_key = QLineEdit(box)
        self.crate_key.setEchoMode(QLineEdit.EchoMode.Password)
        stored = self.accounts.secrets.get(secrets.config_secret("crate.api_key"))
        self.crate_key.setPlaceholderText(
            "stored in the system keyring" if stored else "paste your crate API key"
        )
        form.addRow("crate URL", self.crate_url)
        form.addRow("crate API key", self.crate_key)
        self.crate_save = QPushButton("Save crate settings", box)
        self.crate_save.clicked.connect(self.save_crate)
        self.crate_note = QLabel("", box)
        self.crate_note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.crate_save)
        row.addWidget(self.crate_note, 1)
        form.addRow(row)
        return box

    # -- list ----------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Re-read the pools (the CLI may have changed them) and show their state."""
        current = select or (
            self.pool_list.currentItem().data(Qt.ItemDataRole.UserRole)
            if self.pool_list.currentItem()
            else None
        )
        self.pool_list.blockSignals(True)
        self.pool_list.clear()
        for pool in self.accounts.pools():
            if not pool.enabled:
                state = "off"
            elif pool.name in self._status:
                state = f"signed in · {self._status[pool.name]}"
            elif self.accounts.signed_in(pool.name):
                state = "signed in"
            elif self.accounts.has_password(pool.name):
                state = "password stored"
            else:
                state = "no password"
            item = QListWidgetItem(f"{pool.name}\n{state}")
            item.setData(Qt.ItemDataRole.UserRole, pool.name)
            self.pool_list.addItem(item)
            if pool.name == current:
                self.pool_list.setCurrentItem(item)
        self.pool_list.blockSignals(False)
        if self.pool_list.currentItem() is None and self.pool_list.count():
            self.pool_list.setCurrentRow(0)
        self._selected(self.pool_list.currentItem())

    def _selected(self, item: QListWidgetItem | None, _old: QListWidgetItem | None = None) -> None:
        if item is None:
            self.new_pool()
            return
        pool = self.accounts.pool(item.data(Qt.ItemDataRole.UserRole))
        self._editing = pool.name
        self.name.setText(pool.name)
        self.url.setText(pool.url)
        self.api_key.setText(pool.api_key)
        self.username.setText(pool.username)
        self.password.clear()
        has = self.accounts.has_password(pool.name)
        self.password.setPlaceholderText("stored in the system keyring" if has else "")
        self.enabled.setChecked(pool.enabled)
        self.remove_button.setEnabled(True)
        self._show("", "")

    def new_pool(self) -> None:
        self._editing = None
        self.pool_list.clearSelection()
        self.pool_list.setCurrentItem(None)  # type: ignore[call-overload]  # None clears it
        for edit in (self.name, self.url, self.api_key, self.username, self.password):
            edit.clear()
        self.password.setPlaceholderText("")
        self.enabled.setChecked(True)
        self.remove_button.setEnabled(False)
        self._show("", "Fill in the account the pool gave you, then sign in.")
        self.name.setFocus()

    def _url_changed(self, url: str) -> None:
        insecure = insecure_url_warning(url)
        self.url_warning.setText(f"Warning: {insecure}" if insecure else "")
        self.url_warning.setVisible(insecure is not None)

    def _show(self, state: str, text: str) -> None:
        colour = {"ok": "#9ff2bf", "warn": "#ffd977", "error": "#ffb3b3"}.get(state, "#c9ced6")
        self.status.setStyleSheet(
            f"color: {colour}; background: #1b1e24; border-left: 4px solid {colour};"
            " border-radius: 4px; padding: 8px 10px;"
            if text
            else ""
        )
        self.status.setText(text)

    # -- actions -------------------------------------------------------------------------
    def save_pool(self) -> bool:
        """Store the form: settings get the account, the keyring gets the password.

        Changing the name of a selected pool renames it: its stored password moves along.
        """
        name = self.name.text().strip()
        old = self._editing if self._editing and self._editing != name else None
        warning = ""
        try:
            normalise_url(self.url.text())
            self.accounts.add(name, self.url.text(), self.api_key.text(), self.username.text())
            self.accounts.set_enabled(name, self.enabled.isChecked())
            password = self.password.text()
            if not password and old is not None:
                password = self.accounts.secrets.get(secrets.pool_password(old)) or ""
            if password and not self.accounts.remember_password(name, password):
                warning = "No system keyring: the password is kept only until you quit."
            self.password.clear()
            if old is not None:
                self.accounts.remove(old)
                self._status.pop(old, None)
        except CrateQError as exc:
            self._show("error", str(exc))
            return False
        self.refresh(select=name)
        self._show("warn" if warning else "ok", warning or f"Saved {name}.")
        self.poolsChanged.emit()
        return True

    def sign_in(self) -> None:
        """Save, then log in with the stored password and show the pool's answer."""
        password = self.password.text() or None
        if not self.save_pool() or self._busy:
            return
        name = self.name.text().strip()
        self._busy = True
        self.signin_button.setEnabled(False)
        self._show("", f"Signing in to {name}…")
        future = self.services.core.submit(self.accounts.login(name, password))
        relay(future, self, lambda result, error: self._signed_in(name, result, error))

    def _signed_in(
        self, name: str, result: LoginResult | None, error: BaseException | None
    ) -> None:
        self._busy = False
        self.signin_button.setEnabled(True)
        if error is not None or result is None:
            self._show("error", describe_error(error or RuntimeError("no answer")))
            return
        state, text = describe_login(result)
        self._status[name] = result.status.lower() or "current"
        self.refresh(select=name)
        self._show(state, text)
        self.signedIn.emit(name, result)

    def test_connection(self) -> None:
        """Log in with the form's values (nothing is saved) and read one queue page."""
        name = self.name.text().strip() or "test"
        try:
            url = normalise_url(self.url.text())
        except CrateQError as exc:
            self._show("error", str(exc))
            return
        password = self.password.text() or self.accounts.secrets.get(secrets.pool_password(name))
        if not password:
            self._show("error", "Type the password to test the connection.")
            return
        self.test_button.setEnabled(False)
        self._show("", f"Testing {url}…")
        probe = self.services.probe_pool(
            name, url, self.api_key.text().strip(), self.username.text().strip(), password
        )
        relay(self.services.core.submit(probe), self, self._tested)

    def _tested(self, result: LoginResult | None, error: BaseException | None) -> None:
        self.test_button.setEnabled(True)
        if error is not None or result is None:
            self._show("error", describe_error(error or RuntimeError("no answer")))
            return
        state, text = describe_login(result)
        self._show(state, "The connection works.\n" + text)

    def remove_pool(self) -> None:
        name = self.name.text().strip()
        try:
            self.accounts.remove(name)
        except ConfigError as exc:
            self._show("error", str(exc))
            return
        self.refresh()
        self._show("ok", f"Removed {name} and its stored password.")
        self.poolsChanged.emit()

    def save_crate(self) -> None:
        try:
            settings = load_settings(self._file)
            settings.crate.url = normalise_url(self.crate_url.text())
            save_settings(settings, self._file)
            if self.crate_key.text().strip():
                self.accounts.secrets.set(
                    secrets.config_secret("crate.api_key"), self.crate_key.text().strip()
                )
                self.crate_key.clear()
                self.crate_key.setPlaceholderText("stored in the system keyring")
        except CrateQError as exc:
            self.crate_note.setStyleSheet("color: #ffb3b3;")
            self.crate_note.setText(str(exc))
            return
        self.crate_note.setStyleSheet("color: #9ff2bf;")
        self.crate_note.setText("Saved.")
