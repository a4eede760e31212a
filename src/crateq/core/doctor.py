"""`crateq doctor`: what stands between this machine and a working CrateQ, one check a line.

Each :class:`Check` has a status (ok, warn, fail), one sentence saying what was found and,
unless it is ok, one saying how to fix it. :func:`run_checks` runs them all: the keyring,
the settings file, the Qt platform plugin and its libraries (``crateq.core.doctor_qt``),
the app's folders, the free space where downloads go, how certificates are checked and
which URLs are plain http, then over the network each pool's
sign-in, the crate key and the clock (``crateq.core.doctor_net``). No check raises: a
problem, however it shows, is a failing line. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from crateq.core import paths
from crateq.core.doctor_check import STATUSES, Check, Status, any_failed
from crateq.core.errors import CrateQError
from crateq.core.secrets import NO_KEYRING_HINT, SecretStore
from crateq.core.settings import Settings, load_settings

__all__ = ["STATUSES", "Check", "Status", "any_failed", "run_checks"]

#: Free space below which the download folder warns, and below which it fails.
LOW_SPACE, NO_SPACE = 5 * 1024**3, 500 * 1024**2


def check_keyring(store: SecretStore) -> Check:
    """Which keyring backend the secrets go to, and whether it answers a read."""
    if not store.available:
        return Check(
            "keyring",
            "warn",
            "No usable system keyring: passwords and the crate key cannot be stored.",
            f"{NO_KEYRING_HINT} Meanwhile pass passwords with --password-stdin.",
        )
    backend = store.backend
    name = _backend_name(backend)
    try:
        backend.get_password("crateq", "doctor/probe")  # a read: stores nothing
    except Exception as exc:  # any backend failure is the answer here, not a crash
        return Check(
            "keyring",
            "fail",
            f"The keyring backend {name} failed a read ({type(exc).__name__}: {exc}).",
            "Unlock the keyring (log in to the desktop session) or install a working one.",
        )
    return Check("keyring", "ok", f"Secrets go to the system keyring ({name}).")


def _backend_name(backend: object) -> str:
    """The backend's name; for keyring's chainer, the names of the backends it chains."""
    chained = getattr(backend, "backends", None)
    if isinstance(chained, list | tuple) and chained:
        return " + ".join(_backend_name(b) for b in chained)
    name = getattr(backend, "name", "")
    return name if isinstance(name, str) and name else type(backend).__name__


def check_settings(settings_file: Path | None = None) -> tuple[Check, Settings | None]:
    """The settings file reads and validates; its settings for the checks after it."""
    try:
        settings = load_settings(settings_file)
    except CrateQError as exc:
        fix = exc.hint or "Fix or move the settings file; CrateQ then starts from defaults."
        return Check("settings", "fail", exc.message, fix), None
    except OSError as exc:
        message = f"Cannot read the settings file: {exc.strerror or exc}."
        return Check("settings", "fail", message, "Give your user access to it."), None
    where = settings_file or paths.config_dir() / "settings.json"
    return Check("settings", "ok", f"{where} reads ({len(settings.pools)} pools)."), settings


def check_folder(label: str, locate: Callable[[], Path]) -> Check:
    """A folder of the app exists (it is created if not) and a file can be written in it."""
    name = f"folder {label}"
    try:
        folder = locate()
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".crateq-doctor-"):
            pass
    except OSError as exc:
        where = exc.filename or label
        return Check(
            name,
            "fail",
            f"Cannot write in {where}: {exc.strerror or exc}.",
            "Give your user write access to it, or set CRATEQ_HOME to a folder you own.",
        )
    return Check(name, "ok", f"{folder} is writable.")


def check_folders() -> list[Check]:
    folders = {
        "config": paths.config_dir,
        "data": paths.data_dir,
        "cache": paths.cache_dir,
        "logs": paths.log_dir,
    }
    return [check_folder(label, locate) for label, locate in folders.items()]


def _existing(path: Path) -> Path:
    """The folder itself or its nearest existing parent (a new folder is created on use)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def check_download_space(settings: Settings) -> Check:
    """Free space (and write access) where downloads land."""
    folder = settings.downloads.folder_path()
    target = _existing(folder)
    fix_folder = (
        "Free some space there, or choose another folder: crateq config set downloads.folder PATH"
    )
    try:
        free = shutil.disk_usage(target).free
    except OSError as exc:
        return Check(
            "downloads", "fail", f"Cannot read {folder}: {exc.strerror or exc}.", fix_folder
        )
    gb = f"{free / 1024**3:.1f} GB free"
    if not target.is_dir() or not _writable(target):
        return Check(
            "downloads",
            "fail",
            f"{target} is not a writable folder ({gb}).",
            "Choose a folder you can write in: crateq config set downloads.folder PATH",
        )
    if free < NO_SPACE:
        return Check(
            "downloads", "fail", f"Only {gb} in {folder}: downloads will stop.", fix_folder
        )
    if free < LOW_SPACE:
        return Check(
            "downloads", "warn", f"Only {gb} in {folder}: a few videos fill it.", fix_folder
        )
    return Check("downloads", "ok", f"{gb} in {folder}.")


def _writable(folder: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".crateq-doctor-"):
            return True
    except OSError:
        return False


def check_transport_security(settings: Settings) -> list[Check]:
    """How certificates are checked (the system store, and any extra CA named in the
    environment), then one warning per plain-http pool or crate URL."""
    from crateq.api.netpolicy import CA_FILE_ENV, OPENSSL_ENV, extra_ca_file
    from crateq.core.accounts import insecure_url_warning

    named = [f"{CA_FILE_ENV}={extra_ca_file()}"] if extra_ca_file() else []
    named += [f"{name}={os.environ[name]}" for name in OPENSSL_ENV if os.environ.get(name)]
    trust = "Certificates are verified against the system trust store"
    checks = [
        Check("tls", "ok", f"{trust}, also trusting {', '.join(named)}.")
        if named
        else Check("tls", "ok", f"{trust}.")
    ]
    urls = [(f"pool {p.name}", p.url) for p in settings.pools] + [("crate", settings.crate.url)]
    for label, url in urls:
        insecure = insecure_url_warning(url)
        if insecure:
            checks.append(
                Check(f"{label} url", "warn", insecure, "Ask the server for its https:// URL.")
            )
    return checks


def run_checks(store: SecretStore | None = None, *, timeout: float = 10.0) -> list[Check]:
    """Every check, in the report's order; network checks wait at most ``timeout`` each."""
    from crateq.core.doctor_net import network_checks
    from crateq.core.doctor_qt import check_qt

    store = store or SecretStore()
    checks = [check_keyring(store)]
    settings_check, settings = check_settings()
    checks.append(settings_check)
    checks += check_qt()
    checks += check_folders()
    if settings is not None:
        checks.append(check_download_space(settings))
        checks += check_transport_security(settings)
        checks += asyncio.run(network_checks(settings, store, limit=timeout))
    return checks
