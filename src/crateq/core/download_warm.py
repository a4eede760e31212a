"""The finishing step's imports, run on a worker while a type's first transfer runs.

Verifying and tagging a file import mutagen's parser of its type and its ID3 frames; a
one-file ``crateq download`` would import them after its last byte. The first file of each
type starts them beside its transfer instead (the import lock makes a finishing step that
comes sooner wait for them).
"""

from __future__ import annotations

import threading

_warmed: set[str] = set()  # extensions whose tagging modules are imported or importing
_warmed_lock = threading.Lock()


def warm_needed(ext: str) -> bool:
    """True once per extension: the first file of that type warms its tagging modules."""
    with _warmed_lock:
        needed = ext not in _warmed
        _warmed.add(ext)
    return needed


def warm_tagging(ext: str) -> None:
    """Import what verifying and tagging a file of ``ext`` needs (blocking: a worker)."""
    import crateq.core.tagging  # noqa: F401
    from crateq.core.media_formats import media_class

    media_class(ext)
