"""Checks a finished ``.part`` must pass before the engine calls a download done.

Length against Content-Length (or the Content-Range total), a resumed body's Content-Range
against where the part ended, the bytes parsed as the media type they claim (mutagen), and
SHA-256 against an ETag that is a SHA-256 (real pools do not promise one), so an HTML error
page saved as ``.mp3`` or a truncated body is rejected and downloaded again instead of
landing in the DJ's library. Each check that ran is named (:data:`CHECKS`), so a job can say
how its file was verified.
"""

from __future__ import annotations

from pathlib import Path

from crateq.core.download_transfer import TransferResult, sha256_etag
from crateq.core.errors import VerificationFailed
from crateq.core.media_formats import media_class

#: The checks by name, in the order they are reported.
CHECKS = ("length", "content-range", "media", "sha256")


def in_order(checks: list[str]) -> list[str]:
    """``checks`` in :data:`CHECKS` order, each once."""
    return [name for name in CHECKS if name in checks]


def verify(part: Path, result: TransferResult, ext: str, *, parse: bool = True) -> list[str]:
    """Raise VerificationFailed unless ``part`` is complete, intact and of type ``ext``;
    returns the checks that ran (a length the server never announced, a body that did not
    resume, a type mutagen cannot parse or an ETag that is no SHA-256 leave theirs out).

    With ``parse=False`` the media check is left for :func:`verify_media` (the engine runs
    it after writing an MP3's tag into the part's reserved head).
    """
    checks: list[str] = []
    size = part.stat().st_size - result.state.reserve
    total = result.state.total
    if total is not None and size != total:
        raise VerificationFailed(f"The file has {size} bytes but the server announced {total}.")
    if size != result.size:
        raise VerificationFailed("The file on disk is not what was received.")
    if total is not None:
        checks.append("length")
    if result.ranged:
        checks.append("content-range")
    expected = sha256_etag(result.state.etag)
    if expected and expected != result.sha256:
        raise VerificationFailed("The file's SHA-256 does not match the server's ETag.")
    if expected:
        checks.append("sha256")
    if parse and verify_media(part, ext):
        checks.append("media")
    return in_order(checks)


def verify_media(part: Path, ext: str) -> bool:
    """Raise VerificationFailed unless ``part`` parses as the media type ``ext`` claims;
    False when there is no parser for ``ext`` (nothing was checked)."""
    parser = media_class(ext)
    if parser is None:
        return False
    try:
        if ext.lower() == ".mp3":
            # The audio frames only: the ID3 tag in front (which the engine rendered with
            # mutagen itself) is skipped by its header; much cheaper than a whole parse.
            from mutagen.mp3 import MPEGInfo

            with open(part, "rb") as handle:
                MPEGInfo(handle)
            return True
        parsed = parser(part)
    except Exception as exc:  # mutagen raises many types for garbage
        raise VerificationFailed(
            f"The file is not a valid {ext.lstrip('.').upper()} ({exc.__class__.__name__})."
        ) from exc
    if parsed is None or getattr(parsed, "info", None) is None:
        raise VerificationFailed(f"The file is not a valid {ext.lstrip('.').upper()}.")
    return True
