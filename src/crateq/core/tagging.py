# mutagen ships partial annotations (untyped constructors, FLAC tag unions):
# mypy: disable-error-code="no-untyped-call, union-attr, index"
"""Fill the tags a downloaded file lacks from the pool's row (mutagen).

What to write (``TagValues``) and how it went (``TagResult``) live in
:mod:`crateq.core.tag_values`, which needs no mutagen: the engine imports this module only
when a file is finished (it warms it while the transfer runs).

Pools ship files with missing or odd tags; DJ software sorts and searches by them. Only
empty tags are filled unless ``overwrite`` is set. Tagging never corrupts a file: a copy is
tagged, parsed again, and only then moved over the original; on any failure the original
stays untagged and :class:`TagResult` says why. Blocking: call it via ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import mutagen
from mutagen.id3 import (
    COMM,
    ID3,
    TBPM,
    TCON,
    TDRC,
    TIT1,
    TIT2,
    TKEY,
    TPE1,
    TPE4,
    TXXX,
    Frame,
    ID3NoHeaderError,
)

from crateq.core.crashpoints import reach
from crateq.core.download_io import empty_id3
from crateq.core.errors import is_disk_full
from crateq.core.media_formats import media_class
from crateq.core.tag_profiles import id3_frames, prepare_id3, with_profile
from crateq.core.tag_values import TAG_FIELDS, TagResult, TagValues

if TYPE_CHECKING:
    from mutagen import FileType

# -- ID3 (MP3, AIFF, WAV) ----------------------------------------------------------------
_ID3_FRAMES: dict[str, Callable[[str], Frame]] = {
    "title": lambda v: TIT2(encoding=3, text=v),
    "artist": lambda v: TPE1(encoding=3, text=v),
    "genre": lambda v: TCON(encoding=3, text=v),
    "bpm": lambda v: TBPM(encoding=3, text=v),
    "year": lambda v: TDRC(encoding=3, text=v),
    "grouping": lambda v: TIT1(encoding=3, text=v),
    "editor": lambda v: TPE4(encoding=3, text=v),
    "comment": lambda v: COMM(encoding=3, lang="eng", desc="", text=v),
    "key": lambda v: TKEY(encoding=3, text=v),
    "replaygain_gain": lambda v: TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text=v),
    "replaygain_peak": lambda v: TXXX(encoding=3, desc="REPLAYGAIN_TRACK_PEAK", text=v),
}
_ID3_KEYS = {
    "title": "TIT2",
    "artist": "TPE1",
    "genre": "TCON",
    "bpm": "TBPM",
    "year": "TDRC",
    "grouping": "TIT1",
    "editor": "TPE4",
    "comment": "COMM::eng",
    "key": "TKEY",
    "replaygain_gain": "TXXX:REPLAYGAIN_TRACK_GAIN",
    "replaygain_peak": "TXXX:REPLAYGAIN_TRACK_PEAK",
}


def _tag_id3(
    tags: ID3, values: dict[str, str], overwrite: bool, profile: str = "generic"
) -> list[str]:
    written = []
    for name, value in with_profile(values, profile).items():
        default = [(_ID3_KEYS[name], _ID3_FRAMES[name](value))]
        for key, frame in id3_frames(profile, name, value) or default:  # core.tag_profiles
            present = tags.getall(key)
            if present and any(str(f).strip() for f in present) and not overwrite:
                continue
            tags.setall(key, [frame])
            written.extend([name] if name not in written else [])
    return written


def _tag_mp3_into(
    src: Path, dst: Path, values: dict[str, str], overwrite: bool, profile: str = "generic"
) -> list[str]:
    """Write ``dst`` as a new ID3v2 tag followed by ``src``'s audio: one pass, no shifting.

    mutagen would otherwise rewrite a whole (possibly huge) file to grow its tag in place.
    """
    try:
        tags = ID3(src)
        old_size = int(tags.size)
    except ID3NoHeaderError:
        tags, old_size = ID3(), 0
    written = _tag_id3(tags, values, overwrite, profile)
    if not written:
        return []
    head = io.BytesIO()
    tags.save(head, v2_version=prepare_id3(tags, profile), padding=lambda info: 1024)
    with open(src, "rb") as inp, open(dst, "wb") as out:
        out.write(head.getvalue())
        out.flush()
        _copy_rest(inp, out, old_size)
    return written


def _own_tag_size(head: bytes) -> int:
    """Size of the ID3v2 tag at the start of ``head`` (header and footer included), or 0."""
    if len(head) < 10 or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


def tag_reserved_mp3(
    path: Path,
    reserve: int,
    values: TagValues,
    *,
    overwrite: bool = False,
    profile: str = "generic",
) -> TagResult:
    """Write the tag into the ``reserve`` bytes kept in front of the server's MP3 bytes.

    The region is the reserve plus the file's own ID3v2 tag (merged with ours), rewritten in
    place to exactly its size: no byte of audio moves, so a 1 GiB file costs a few KiB of
    writes. If the merged tag would not fit, the region becomes one empty tag and the result
    says why (the file's own tag is then hidden, the audio untouched). Call this only on a
    ``.part``: the engine checks the whole file parses before it is renamed.
    """
    try:
        with open(path, "r+b") as handle:
            handle.seek(reserve)
            head = handle.read(10)
            own = _own_tag_size(head)
            region = reserve + own
            tags = ID3()
            if own:
                handle.seek(reserve)
                tags = ID3(io.BytesIO(handle.read(own)))
            written = _tag_id3(tags, values.items(), overwrite, profile)
            version = prepare_id3(tags, profile)
            block = _render_exact(tags, region, version) if (written or own) else None
            handle.seek(0)
            handle.write(block if block is not None else empty_id3(region))
        if block is None and (written or own):
            return TagResult(ok=False, reason="Tags were not written (no room in place).")
        return TagResult(ok=True, written=written)
    except Exception as exc:  # mutagen raises many types; the audio bytes are never moved
        if is_disk_full(exc):
            raise  # a full disk pauses the job (its part is kept), never a tagless file
        why = f"{exc.__class__.__name__}: {exc}"
        with contextlib.suppress(OSError), open(path, "r+b") as handle:
            handle.write(empty_id3(reserve))
        return TagResult(ok=False, reason=f"Tags were not written ({why}).")


def _render_exact(tags: ID3, size: int, version: int = 4) -> bytes | None:
    """``tags`` as ID3v2.``version`` bytes padded to exactly ``size``, or None if they do not fit.

    Rendered once: saved into an empty buffer, mutagen's padding info is minus the size the
    tag needs, so ``size + info.padding`` pads it to ``size`` exactly.
    """
    out = io.BytesIO()
    try:
        tags.save(out, v2_version=version, padding=lambda info: size + info.padding)
    except mutagen.MutagenError:  # a negative padding: the tag does not fit
        return None
    data = out.getvalue()
    return data if len(data) == size else None


def _copy_rest(inp: BinaryIO, out: BinaryIO, offset: int) -> None:
    """Copy ``inp`` from ``offset`` to the end of ``out``, in the kernel when it can."""
    size = os.fstat(inp.fileno()).st_size
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is not None:
        try:
            while offset < size:
                sent = copy_range(inp.fileno(), out.fileno(), size - offset, offset)
                if sent <= 0:
                    break
                offset += sent
            if offset >= size:
                return
        except OSError:
            pass  # e.g. across file systems: fall back to a plain copy
    inp.seek(offset)
    out.seek(0, os.SEEK_END)
    shutil.copyfileobj(inp, out, 1 << 20)


def _parsed(path: Path, ext: str) -> FileType:
    """``path`` opened by mutagen's class for ``ext`` (one of the types tagged here)."""
    cls = media_class(ext)
    assert cls is not None, ext
    return cls(path)


def _tag_with_id3(ext: str, path: Path, v: dict[str, str], ow: bool, pr: str) -> list[str]:
    """MP3, AIFF and WAV all carry an ID3v2 tag (AIFF/WAV inside a chunk): one writer."""
    audio = _parsed(path, ext)
    if audio.tags is None:
        audio.add_tags()
    assert isinstance(audio.tags, ID3)
    written = _tag_id3(audio.tags, v, ow, pr)
    if written:
        audio.save(v2_version=prepare_id3(audio.tags, pr))
    return written


_MP4_KEYS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "genre": "\xa9gen",
    "bpm": "tmpo",
    "year": "\xa9day",
    "grouping": "\xa9grp",
    "editor": "----:com.apple.iTunes:EDITOR",
    "comment": "\xa9cmt",
    "key": "----:com.apple.iTunes:initialkey",
    "replaygain_gain": "----:com.apple.iTunes:replaygain_track_gain",
    "replaygain_peak": "----:com.apple.iTunes:replaygain_track_peak",
}


def _tag_mp4(path: Path, values: dict[str, str], overwrite: bool) -> list[str]:
    from mutagen.mp4 import MP4, MP4FreeForm

    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    assert tags is not None
    written = []
    for name, value in values.items():
        key = _MP4_KEYS[name]
        if key in tags and not overwrite:
            continue
        stored: list[object]  # mutagen's MP4 values: ints, MP4FreeForm or str
        if name == "bpm":
            stored = [int(value)]
        elif key.startswith("----"):
            stored = [MP4FreeForm(value.encode("utf-8"))]
        else:
            stored = [value]
        tags[key] = stored
        written.append(name)
    if written:
        audio.save()
    return written


_VORBIS_KEYS = {"year": "date", "editor": "editor", "key": "initialkey"}
_VORBIS_KEYS |= {"replaygain_gain": "replaygain_track_gain"}
_VORBIS_KEYS |= {"replaygain_peak": "replaygain_track_peak"}


def _tag_flac(path: Path, values: dict[str, str], overwrite: bool) -> list[str]:
    from mutagen.flac import FLAC

    audio = FLAC(path)
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    assert tags is not None
    written = []
    for name, value in values.items():
        key = _VORBIS_KEYS.get(name, name)
        if tags.get(key) and not overwrite:
            continue
        tags[key] = [value]
        written.append(name)
    if written:
        audio.save()
    return written


# (path, values, overwrite, tag profile) -> the fields written; the profile is ID3's only
_TAGGERS: dict[str, Callable[[Path, dict[str, str], bool, str], list[str]]] = {
    ".mp3": lambda p, v, o, t: _tag_with_id3(".mp3", p, v, o, t),
    ".m4a": lambda p, v, o, _t: _tag_mp4(p, v, o),
    ".mp4": lambda p, v, o, _t: _tag_mp4(p, v, o),
    ".m4v": lambda p, v, o, _t: _tag_mp4(p, v, o),
    ".mov": lambda p, v, o, _t: _tag_mp4(p, v, o),
    ".flac": lambda p, v, o, _t: _tag_flac(p, v, o),
    ".aiff": lambda p, v, o, t: _tag_with_id3(".aiff", p, v, o, t),
    ".aif": lambda p, v, o, t: _tag_with_id3(".aif", p, v, o, t),
    ".wav": lambda p, v, o, t: _tag_with_id3(".wav", p, v, o, t),
}


def tag_file(
    path: Path,
    values: TagValues,
    *,
    overwrite: bool = False,
    ext: str = "",
    profile: str = "generic",
) -> TagResult:
    """Tag ``path`` (its type from ``ext`` or its suffix) for the DJ software ``profile``
    (see core.tag_profiles); never leaves it half-written."""
    outcome, copy = tag_copy(path, values, overwrite=overwrite, ext=ext, profile=profile)
    if copy is None:
        return outcome
    try:
        os.replace(copy, path)
    except OSError as exc:
        copy.unlink(missing_ok=True)
        return TagResult(
            ok=False, reason=f"Tags were not written ({exc.__class__.__name__}: {exc})."
        )
    return outcome


def tag_copy(
    path: Path,
    values: TagValues,
    *,
    overwrite: bool = False,
    ext: str = "",
    profile: str = "generic",
) -> tuple[TagResult, Path | None]:
    """Write a tagged copy of ``path`` beside it, parsed and fsynced, leaving ``path``
    untouched; the caller renames the copy into place. The copy is None when nothing had to
    be written or tagging failed (the result says why).

    The download engine renames the copy of a verified part straight to the final name, so
    until then the part keeps the server's bytes and a restart can trust it."""
    ext = (ext or path.suffix).lower()
    tagger = _TAGGERS.get(ext)
    if tagger is None:
        reason = f"Tagging {ext or 'this file type'} is not supported."
        return TagResult(ok=False, reason=reason), None
    items = values.items()
    copy = path.with_name(f".{path.name}.tagging")
    try:
        if ext == ".mp3":
            written = _tag_mp3_into(path, copy, items, overwrite, profile)
        else:
            shutil.copyfile(path, copy)
            written = tagger(copy, items, overwrite, profile)
        if not written:
            copy.unlink(missing_ok=True)
            return TagResult(ok=True), None
        parsed = _parsed(copy, ext)
        if getattr(parsed, "info", None) is None:
            raise ValueError("the tagged copy does not parse")
        with open(copy, "rb+") as handle:
            os.fsync(handle.fileno())
        reach("tag.copy")  # a test hook (core.crashpoints): no-op unless armed
        return TagResult(ok=True, written=written), copy
    except Exception as exc:  # mutagen raises many types; the original stays untouched
        copy.unlink(missing_ok=True)
        reason = f"Tags were not written ({exc.__class__.__name__}: {exc})."
        return TagResult(ok=False, reason=reason), None


def read_tags(path: Path) -> dict[str, str]:
    """The tags :func:`tag_file` manages, as text (for tests and the library)."""
    ext = path.suffix.lower()
    out: dict[str, str] = {}
    if ext in (".mp3", ".aiff", ".aif", ".wav"):
        tags = _parsed(path, ext).tags
        if isinstance(tags, ID3):
            for name, key in _ID3_KEYS.items():
                frames = tags.getall(key)
                if frames:
                    out[name] = str(frames[0])
    elif ext == ".flac":
        ftags = _parsed(path, ext).tags
        for name in TAG_FIELDS:
            key = _VORBIS_KEYS.get(name, name)
            if ftags is not None and ftags.get(key):
                out[name] = str(ftags[key][0])
    else:
        mtags = _parsed(path, ".mp4").tags
        for name, key in _MP4_KEYS.items():
            if mtags is not None and key in mtags:
                value = mtags[key][0]
                out[name] = value.decode() if isinstance(value, bytes) else str(value)
    return out
