"""The core's one door to the exception tree: the wire's errors, the core's own, and how the
faces (GUI, CLI) show any of them.

Everything the core raises on purpose is a :class:`CrateQError`, whose ``str()`` is one
plain sentence for the user. The wire's part of the tree (pools, crate, filters, local
configuration) is defined in :mod:`crateq.api.errors` and re-exported here; the core adds
what only it can know:

    CrateQError
    ├── ApiError, FilterError, ...   the wire's errors (see crateq.api.errors)
    ├── ConfigError                  missing/invalid local configuration
    │   ├── CrateKeyMissing, KeyringUnavailable   (crateq.api.errors)
    │   ├── SettingsInvalid          the settings file cannot be read, or is from a newer CrateQ
    │   └── StoreError               the download database cannot be opened, or is newer
    ├── CollectionError              a crate or wish the DJ named is not there, or a name is taken
    ├── TracklistError               a tracklist that cannot be read at all (binary, hostile XML)
    ├── DownloadError                the local side of a download job
    │   ├── VerificationFailed       the bytes are not the promised file: discarded, retried
    │   ├── RestartTransfer          the .part no longer matches the server's file: restarted
    │   ├── TransferInterrupted      the engine stopped the transfer (pause, cancel, shutdown)
    │   ├── AlreadyHave              the server's ETag is the SHA-256 of a file in the library
    │   └── DiskFull                 writing failed for lack of space (also an OSError): paused
    └── ExportError                  a playlist/crate export was refused; nothing was written

:func:`user_message` and :func:`exit_code` are the two mappings the faces use.
"""

from __future__ import annotations

import errno as _errno

from crateq.api.errors import (
    ApiError,
    ConfigError,
    CrateError,
    CrateInputError,
    CrateKeyMissing,
    CrateQError,
    FilterError,
    KeyringUnavailable,
    PoolError,
)

__all__ = ["AlreadyHave", "ApiError", "ConfigError", "CrateError", "CrateInputError"]
__all__ += ["CollectionError", "CrateKeyMissing", "CrateQError", "DiskFull", "DownloadError"]
__all__ += ["FilterError"]
__all__ += ["KeyringUnavailable", "PoolError", "RestartTransfer", "SettingsInvalid"]
__all__ += ["ExportError", "StoreError", "TransferInterrupted", "VerificationFailed"]
__all__ += ["exit_code", "user_message"]
__all__ += ["TracklistError"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class SettingsInvalid(ConfigError):
    """The settings file cannot be read or is from a newer CrateQ; nothing was changed."""


class StoreError(ConfigError):
    """The download database cannot be used (from a newer CrateQ, or it cannot be opened)."""


class CollectionError(CrateQError):
    """A crate or wish the DJ named does not exist, or a crate name is taken or unusable."""


class TracklistError(CrateQError):
    """A tracklist that cannot be read at all: binary data, a damaged Serato crate, XML with
    a DTD or entities (refused: they are how XML bombs work) or no artist/title columns."""


class DownloadError(CrateQError):
    """Something on the local side of a download; the engine decides what the job does."""


class VerificationFailed(DownloadError):
    """The downloaded bytes are not the promised file; the part is discarded and retried."""


class RestartTransfer(DownloadError):
    """The ``.part`` must be discarded (changed ETag or length, bad Content-Range, 416)."""


class TransferInterrupted(DownloadError):
    """The engine asked the transfer to stop (pause, cancel, shutdown)."""

    def __init__(self, message: str = "The download was stopped.") -> None:
        super().__init__(message)


class AlreadyHave(DownloadError):
    """The server's ETag is the SHA-256 of a file already in the library."""

    def __init__(self, sha256: str) -> None:
        super().__init__("The same file is already in the library.")
        self.sha256 = sha256


class DiskFull(DownloadError, OSError):
    """Writing failed for lack of space; the job pauses instead of failing.

    Also an ``OSError`` (with the ``errno`` of the failed write), so code that handles
    file-system errors as such still sees it.
    """

    def __init__(self, errno: int | None, message: str = "The disk is full.") -> None:
        super().__init__(message)
        self.errno = errno


def is_disk_full(exc: BaseException) -> bool:
    """True for an ``OSError`` that says the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in (_errno.ENOSPC, _errno.EDQUOT)


class ExportError(CrateQError):
    """An export cannot be written as asked (nothing matches, the target folder is not
    writable, a file there was not written by CrateQ); nothing was written."""


def user_message(exc: BaseException) -> str:
    """One plain sentence: our errors already are; a file-system error says what the system
    said (a full disk, a missing folder); anything else gets a generic one naming the class."""
    if isinstance(exc, CrateQError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}."
    return f"Something went wrong ({exc.__class__.__name__})."


def exit_code(exc: BaseException | None) -> int:
    """The CLI's exit code for ``exc``: 0 for none, 2 for input rejected before any request
    (a malformed filter, an unusable crate input, an export refused as asked), 1 for every
    other failure (a ``ConfigError`` too: the command was well-formed, the local setup is
    not)."""
    if exc is None:
        return EXIT_OK
    if isinstance(exc, FilterError | CrateInputError | ExportError):
        return EXIT_USAGE
    return EXIT_FAILURE
