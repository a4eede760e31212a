"""Checks a finished ``.part`` must pass before the engine calls a download done.

Length against Content-Length, SHA-256 against an ETag that is a SHA-256, and the bytes
parsed as the media type they claim (mutagen), so an HTML error page saved as ``.mp3`` or a
truncated body is rejected and downloaded again instead of landing in the DJ's library.
"""

from __future__ import annotations

from pathlib import Path

import mutagen
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.mp3 import MP3, MPEGInfo
from mutagen.mp4 import MP4
from mutagen.wave import WAVE

from crateq.core.download_transfer import TransferResult, sha256_etag
from crateq.core.errors import VerificationFailed

_PARSERS: dict[str, type[mutagen.FileType]] = {
    ".mp3": MP3,
    ".m4a": MP4,
    ".mp4": MP4,
    ".m4v": MP4,
    ".mov": MP4,
    ".flac": FLAC,
    ".aiff": AIFF,
    ".aif": AIFF,
    ".wav": WAVE,
}


def media_class(ext: str) -> type[mutagen.FileType] | None:
    return _PARSERS.get(ext.lower())


def verify(part: Path, result: TransferResult, ext: str, *, parse: bool = True) -> None:
    """Raise VerificationFailed unless ``part`` is complete, intact and of type ``ext``.

    With ``parse=False`` the media check is left for :func:`verify_media` (the engine runs
    it after writing an MP3's tag into the part's reserved head).
    """
    size = part.stat().st_size - result.state.reserve
    total = result.state.total
    if total is not None and size != total:
        raise VerificationFailed(f"The file has {size} bytes but the server announced {total}.")
    if size != result.size:
        raise VerificationFailed("The file on disk is not what was received.")
    expected = sha256_etag(result.state.etag)
    if expected and expected != result.sha256:
        raise VerificationFailed("The file's SHA-256 does not match the server's ETag.")
    if parse:
        verify_media(part, ext)


def verify_media(part: Path, ext: str) -> None:
    """Raise VerificationFailed unless ``part`` parses as the media type ``ext`` claims."""
    parser = media_class(ext)
    if parser is None:
        return
    try:
        if parser is MP3:  # the audio frames: the ID3 tag in front is skipped by its header
            with open(part, "rb") as handle:  # (the engine rendered it with mutagen itself),
                MPEGInfo(handle)  # which is much cheaper than parsing the whole file
            return
        parsed = parser(part)
    except Exception as exc:  # mutagen raises many types for garbage
        raise VerificationFailed(
            f"The file is not a valid {ext.lstrip('.').upper()} ({exc.__class__.__name__})."
        ) from exc
    if parsed is None or getattr(parsed, "info", None) is None:
        raise VerificationFailed(f"The file is not a valid {ext.lstrip('.').upper()}.")
