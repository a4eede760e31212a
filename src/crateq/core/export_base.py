# mutagen ships partial annotations (untyped constructors):
# mypy: disable-error-code="no-untyped-call"
"""What every export format shares: tracks and nestable playlists, the library as tracks,
and writing files safely (atomic, and never over a file CrateQ did not write unless forced).

What CrateQ wrote is remembered by content hash in ``exports.json`` in the data folder, so a
file the DJ's software changed since is not silently replaced either.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mutagen

from crateq.core import paths
from crateq.core.errors import ExportError
from crateq.core.naming import MAX_COMPONENT_BYTES, sanitize_component, truncate_utf8
from crateq.core.store import LibraryEntry, Store
from crateq.core.tagging import read_tags

DEFAULT_PLAYLIST = "CrateQ"
NOT_OURS = "not_ours"  # ExportError.code: a file CrateQ did not write is in the way
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # os.fsdecode's stand-ins for non-UTF-8 bytes


@dataclass(frozen=True)
class ExportTrack:
    """One file as DJ software lists it; empty strings and zeros are unknown."""

    path: Path
    artist: str = ""
    title: str = ""
    genre: str = ""
    bpm: int = 0
    year: int = 0
    grouping: str = ""  # the mix/tool
    comment: str = ""
    key: str = ""
    duration: int = 0  # whole seconds
    size: int = 0
    added: float = 0.0

    @property
    def display(self) -> str:
        """``Artist - Title`` (or what there is of it, else the file name)."""
        parts = [p for p in (clean_text(self.artist), clean_text(self.title)) if p]
        return " - ".join(parts) or clean_text(self.path.stem)


@dataclass(frozen=True)
class Playlist:
    """A named list of tracks with nested playlists (a crate folder in DJ software)."""

    name: str
    tracks: tuple[ExportTrack, ...] = ()
    children: tuple[Playlist, ...] = field(default_factory=tuple)

    def walk(self, parents: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Playlist]]:
        """Every playlist with its path of names, parents before children."""
        names = (*parents, self.name)
        yield names, self
        for child in self.children:
            yield from child.walk(names)

    def all_tracks(self) -> list[ExportTrack]:
        """The tracks of this playlist and its children, each file once (however its path
        is spelled), in order."""
        seen: dict[Path, ExportTrack] = {}
        for _, playlist in self.walk():
            for track in playlist.tracks:
                seen.setdefault(export_path(track.path), track)  # one file, one entry
        return list(seen.values())


def clean_text(text: str) -> str:
    """Untrusted text for one line of a playlist: control characters become a space, and
    the undecodable bytes of a non-UTF-8 file name (lone surrogates) become U+FFFD, which
    UTF-8 and UTF-16 can hold."""
    text = _SURROGATE.sub("\ufffd", str(text))
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", text)).strip()


def export_path(path: Path) -> Path:
    """The absolute path an export names for ``path``; ``..`` parts are resolved the way
    the OS opens the file (symlinks followed), since DJ software may not resolve them."""
    absolute = path.absolute()
    return absolute.resolve() if ".." in absolute.parts else absolute


def unicode_name(path: Path) -> bool:
    """False for a file name whose bytes are no UTF-8 (Linux allows any bytes): M3U8 and
    Serato's UTF-16 crates cannot name such a file; rekordbox's percent-encoded URL can."""
    return _SURROGATE.search(str(path)) is None


def playlist_file_name(
    names: Sequence[str], suffix: str, *, separator: str, escape: bool = True
) -> str:
    """A safe file name for a nested playlist: each name sanitised (and, with ``escape``,
    the separator inside a name replaced), joined by ``separator``, then ``suffix``."""
    parts = [
        sanitize_component(n.replace(separator, "_") if escape else n, fallback="Playlist")
        for n in names
    ]
    stem = truncate_utf8(separator.join(parts), MAX_COMPONENT_BYTES - len(suffix.encode()))
    return sanitize_component(stem, fallback="Playlist") + suffix


# -- what to export -------------------------------------------------------------------------
def parse_since(text: str) -> float:
    """A POSIX time from ``YYYY-MM-DD`` (local midnight) or an ISO date-time; ExportError."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(f"{text!r} is not a date (use YYYY-MM-DD).") from None
    return moment.timestamp()


def library_tracks(
    store: Store,
    *,
    since: float | None = None,
    pool: str | None = None,
    keys: Collection[str] = (),
) -> list[ExportTrack]:
    """The library's files still on disk, oldest first, filtered by date added, pool and
    ``POOL:ID`` keys (all filters at once)."""
    chosen = []
    for entry in store.library():
        if since is not None and entry.added < since:
            continue
        if pool is not None and entry.pool != pool:
            continue
        if keys and f"{entry.pool}:{entry.media_id}" not in keys:
            continue
        if entry.present:
            chosen.append(track_from_entry(entry))
    return chosen


def _int(text: object) -> int:
    try:
        return int(float(str(text).strip()[:10] or 0))
    except ValueError:
        return 0


def track_from_entry(entry: LibraryEntry) -> ExportTrack:
    """The file's own tags first (what DJ software will read), the store's as a fallback;
    the duration from the file, which the store does not record."""
    tags = {k: str(v) for k, v in entry.tags.items()}
    with contextlib.suppress(Exception):  # mutagen raises many types on an odd file
        tags.update({k: v for k, v in read_tags(entry.path).items() if v.strip()})
    return ExportTrack(
        path=entry.path,
        artist=tags.get("artist", ""),
        title=tags.get("title", ""),
        genre=tags.get("genre", ""),
        bpm=_int(tags.get("bpm", "")),
        year=_int(tags.get("year", "")[:4]),
        grouping=tags.get("grouping", ""),
        comment=tags.get("comment", ""),
        key=tags.get("key", ""),
        duration=file_duration(entry.path),
        size=entry.size,
        added=entry.added,
    )


def file_duration(path: Path) -> int:
    """Whole seconds of audio, or 0 when the file cannot be read."""
    try:
        audio = mutagen.File(path)
    except Exception:  # mutagen raises many types on an odd file
        return 0
    info = getattr(audio, "info", None)
    return round(float(getattr(info, "length", 0) or 0))


# -- writing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Output:
    path: Path
    data: bytes


def manifest_path() -> Path:
    return paths.data_dir() / "exports.json"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_manifest() -> dict[str, str]:
    try:
        raw = json.loads(manifest_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _ours(path: Path, manifest: dict[str, str]) -> bool:
    """True if ``path`` holds exactly the bytes CrateQ last wrote there."""
    expected = manifest.get(str(path))
    if expected is None:
        return False
    try:
        return _digest(path.read_bytes()) == expected
    except OSError:
        return False


def is_ours(path: Path) -> bool:
    """True if ``path`` holds exactly the bytes CrateQ last wrote there."""
    return _ours(path, _load_manifest())


def write_outputs(outputs: Sequence[Output], *, force: bool = False) -> list[Path]:
    """Write every output atomically, or nothing at all if one would replace a file CrateQ
    did not write (without ``force``) or a folder is not writable."""
    manifest = _load_manifest()
    for out in outputs:
        if out.path.is_dir():
            raise ExportError(f"{out.path} is a folder, not a file CrateQ can write.")
        if out.path.exists() and not force and not _ours(out.path, manifest):
            raise ExportError(
                f"{out.path} exists and was not written by CrateQ (or was changed since).",
                code=NOT_OURS,
                hint="Pass --force to replace it.",
            )
    for folder in {out.path.parent for out in outputs}:
        _check_writable(folder)
    for out in outputs:
        atomic_write(out.path, out.data)
        manifest[str(out.path)] = _digest(out.data)
    atomic_write(manifest_path(), json.dumps(manifest, indent=1, sort_keys=True).encode())
    return [out.path for out in outputs]


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"The folder {folder} cannot be created ({exc.strerror}).") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"The folder {folder} is not writable.")


def atomic_write(path: Path, data: bytes) -> None:
    """``path`` holds either its old bytes or all of ``data``, even after a crash."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    try:
        with contextlib.suppress(AttributeError, OSError):  # mkstemp makes it private
            os.fchmod(handle, 0o644)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # not every platform can open a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


# -- one door for the faces -------------------------------------------------------------------
