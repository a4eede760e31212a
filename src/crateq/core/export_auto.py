"""The "CrateQ" playlist every finished download joins (setting ``export.auto_playlist``).

An M3U8 in the download folder, ``CrateQ.m3u8``, with paths relative to it (the folder and
its playlist can move together); rekordbox and Serato both import an M3U8. An
:class:`AutoPlaylist` listens to the engine's events and appends on its own worker thread,
so the engine's loop never waits for the disk (importing this module is cheap: the exporters
load when the setting is on); the file is rewritten atomically through
:func:`crateq.core.export_base.write_outputs`, so a playlist the DJ edited is left alone (logged).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from crateq.core.errors import CrateQError

if TYPE_CHECKING:
    from crateq.core.download_jobs import JobEvent, Listener
    from crateq.core.settings import Settings
    from crateq.core.store import Store

log = logging.getLogger(__name__)
_LOCK = threading.Lock()  # one writer of a playlist at a time, whichever engine asks


class _Engine(Protocol):
    """What :func:`watch` needs of an engine (``DownloadEngine.subscribe``)."""

    def subscribe(self, listener: Listener) -> Callable[[], None]: ...


E = TypeVar("E", bound=_Engine)


class AutoPlaylist:
    """An engine listener adding each file that reaches ``done`` to ``folder/CrateQ.m3u8``."""

    def __init__(self, store: Store, folder: Path) -> None:
        from crateq.core.export_base import DEFAULT_PLAYLIST  # the exporters: when it is on

        self.store = store
        self.path = folder / f"{DEFAULT_PLAYLIST}.m3u8"
        self._worker = concurrent.futures.ThreadPoolExecutor(1, "crateq-auto-playlist")

    def __call__(self, event: JobEvent) -> None:
        job = event.job
        if event.kind == "state" and job.state == "done" and job.path:
            self._worker.submit(self._add_logged, job.pool, job.media_id)

    def close(self) -> None:
        """Wait for the pending additions."""
        self._worker.shutdown(wait=True)

    def _add_logged(self, pool: str, media_id: int) -> None:
        try:
            self.add(pool, media_id)
        except CrateQError as exc:  # e.g. the DJ edited the playlist: theirs now
            log.warning("not added to %s: %s", self.path, exc)
        except Exception:  # a playlist never breaks a download (disk, a closed store…)
            log.warning("not added to %s", self.path, exc_info=True)

    def add(self, pool: str, media_id: int) -> bool:
        """Add the library's file for ``POOL:ID``; False if it is not there or listed already."""
        from crateq.core.export_base import (
            DEFAULT_PLAYLIST,
            Output,
            Playlist,
            is_ours,
            track_from_entry,
            write_outputs,
        )
        from crateq.core.export_m3u import render

        entry = self.store.library_entry(pool, media_id)
        if entry is None or not entry.present:
            return False
        track = track_from_entry(entry)
        with _LOCK:
            old = self.path.read_bytes() if is_ours(self.path) else b""
            data, _ = render(Playlist(DEFAULT_PLAYLIST, (track,)), self.path.parent, relative=True)
            lines = data.decode("utf-8").splitlines(keepends=True)
            entry_lines = "".join(lines[2:]).encode("utf-8")
            if not entry_lines or entry_lines.splitlines()[-1] in old.splitlines():
                return False
            body = old or "".join(lines[:2]).encode("utf-8")
            write_outputs([Output(self.path, body + entry_lines)])
        return True


def auto_playlist(
    store: Store, settings: Settings, folder: Path | None = None
) -> AutoPlaylist | None:
    """The listener to subscribe when ``export.auto_playlist`` is on (close it before the
    store), for downloads into ``folder`` (the download folder by default)."""
    if not settings.export.auto_playlist:
        return None
    return AutoPlaylist(store, folder or settings.downloads.folder_path())


def watch(engine: E, store: Store, settings: Settings) -> E:
    """``engine``, with an :class:`AutoPlaylist` subscribed if the setting is on."""
    listener = auto_playlist(store, settings)
    if listener is not None:
        engine.subscribe(listener)
    return engine
