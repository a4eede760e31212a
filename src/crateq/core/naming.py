"""File and folder names for downloads, built from templates and untrusted pool data.

Artist, title and Content-Disposition names come from the network, so every value is
sanitised for Windows, macOS and Linux at once: no separators, no ``..``, no control or
reserved characters, no reserved device names (CON, NUL, COM1…), no trailing dots or spaces,
at most 200 UTF-8 bytes per component. :func:`target_path` then checks that the result stays
inside the download folder, whatever the input; a name that is taken gets `` (2)``, `` (3)``….
"""

from __future__ import annotations

import os
import re
import string
import unicodedata
import urllib.parse
from collections.abc import Container, Mapping
from pathlib import Path

from crateq.api.pool_models import MediaRow

FIELDS = (
    "artist",
    "title",
    "tool",
    "bpm",
    "genre",
    "year",
    "editor",
    "pool",
    "advisory",
    "mediaId",
)
MAX_COMPONENT_BYTES = 200
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]')
_SPACES = re.compile(r"\s+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
_RESERVED |= {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}

# Only extensions of media we know; anything else (".exe", ".html") falls back to the type.
_TYPE_EXT = {
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/m4a": ".m4a",
    "audio/aac": ".m4a",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "audio/aiff": ".aiff",
    "audio/x-aiff": ".aiff",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-m4v": ".m4v",
}
MEDIA_EXTENSIONS = frozenset({*_TYPE_EXT.values(), ".aif", ".m4v"})


def sanitize_component(text: str, *, fallback: str = "untitled") -> str:
    """One safe path component (file or folder name) from untrusted text."""
    text = unicodedata.normalize("NFC", str(text))
    text = _FORBIDDEN.sub("_", text)
    text = _SPACES.sub(" ", text).strip(" .")
    stem = text.split(".", 1)[0].rstrip(" ").upper()
    if stem in _RESERVED:
        text = f"_{text}"
    text = truncate_utf8(text, MAX_COMPONENT_BYTES).rstrip(" .")
    return text or fallback


def truncate_utf8(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of UTF-8, never cutting a character in half."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode("utf-8", errors="ignore")


def fields_for(row: MediaRow) -> dict[str, str]:
    """Template values of a row; numbers that are 0 (unknown) become empty."""
    return {
        "artist": row.artist,
        "title": row.title,
        "tool": row.tool,
        "bpm": str(row.bpm) if row.bpm else "",
        "genre": row.genre,
        "year": str(row.release_year) if row.release_year else "",
        "editor": row.editor,
        "pool": row.pool,
        "advisory": row.advisory,
        "mediaId": str(row.media_id),
    }


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: Mapping[str, str]) -> list[str]:
    """Path components from a template; ``/`` in the template (trusted) separates folders.

    Values (untrusted) are sanitised before they are inserted, so a value can never add a
    folder level; unknown fields render empty, a broken template renders literally.
    """
    safe = _Blank({k: _FORBIDDEN.sub("_", str(v)) for k, v in values.items()})
    parts: list[str] = []
    for segment in re.split(r"[/\\]", template):
        try:
            text = string.Formatter().vformat(segment, (), safe)
        except (ValueError, IndexError, AttributeError):
            text = segment
        text = re.sub(r"(\s*-\s*){2,}", " - ", text).strip(" -")  # "{artist} - {title}" w/o artist
        if text.strip(" ."):
            parts.append(sanitize_component(text))
    return parts


def disposition_filename(header: str | None) -> str | None:
    """The file name a Content-Disposition header suggests (untrusted), if any."""
    if not header:
        return None
    star = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", header, re.IGNORECASE)
    if star:
        charset = star.group(1) or "utf-8"
        try:
            return urllib.parse.unquote(star.group(2).strip().strip('"'), encoding=charset)
        except LookupError:
            return urllib.parse.unquote(star.group(2).strip().strip('"'))
    plain = re.search(r'filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)', header, re.IGNORECASE)
    if plain:
        return plain.group(2) if plain.group(2) is not None else plain.group(1).strip()
    return None


def extension_for(content_type: str | None, disposition: str | None, *, video: bool) -> str:
    """A known media extension from Content-Disposition, else Content-Type, else the kind."""
    name = disposition_filename(disposition)
    if name:
        ext = os.path.splitext(name.strip().rstrip(". "))[1].lower()
        if ext in MEDIA_EXTENSIONS:
            return ext
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _TYPE_EXT:
        return _TYPE_EXT[mime]
    return ".mp4" if video or mime.startswith("video/") else ".mp3"


def target_path(
    root: Path,
    row: MediaRow,
    ext: str,
    *,
    folder_template: str = "{pool}",
    file_template: str = "{artist} - {title}",
    taken: Container[str] = (),
) -> Path:
    """A free final path for a row under ``root``; never outside it.

    ``taken`` holds paths (as str) reserved by other jobs that do not exist on disk yet.
    """
    values = fields_for(row)
    folders = render(folder_template, values)
    stem_parts = render(file_template, values)
    stem = " - ".join(stem_parts) if stem_parts else sanitize_component(f"{row.media_id}")
    ext = ext if ext in MEDIA_EXTENSIONS else ".bin"
    folder = root.joinpath(*folders)
    n = 1
    while True:
        suffix = f" ({n})" if n > 1 else ""
        budget = MAX_COMPONENT_BYTES - len((suffix + ext + ".part").encode("utf-8"))
        name = truncate_utf8(stem, budget).rstrip(" .") + suffix + ext
        candidate = folder / sanitize_component(name)
        if not _occupied(candidate, taken):
            break
        n += 1
    ensure_inside(root, candidate)
    return candidate


def _occupied(path: Path, taken: Container[str]) -> bool:
    part = path.with_name(path.name + ".part")
    return str(path) in taken or path.exists() or part.exists()


def ensure_inside(root: Path, path: Path) -> None:
    """Raise ValueError unless ``path`` resolves inside ``root`` (symlinks followed)."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise ValueError(f"{path} would leave the download folder")
