"""Set prep's door into the core: read a tracklist, match it line by line, queue, export.

Every call starts a named task on the services' core loop; the matching is the core's set
prep (``Services.set_prep``: ``crateq.core.setprep.SetPrep`` over the core loop's pool
clients, the ``prefer.*`` settings and the library), the same as ``crateq find``. Each line's
result comes back as a queued signal as soon as it and the lines before it are done, so the
view fills in the list's order while the window stays responsive. A newer tracklist cancels
the one still matching; signals carry the run number so the view drops a stale run's lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from crateq.core.errors import user_message
from crateq.core_loop import TaskGroup

if TYPE_CHECKING:
    from crateq.core.songs import Version
    from crateq.core.store import LibraryEntry
    from crateq.services import Services

MAX_FILE = 64 * 1024 * 1024  # bytes read from a dropped file (crateq.core.tracklist.MAX_BYTES)


class SetPrepController(QObject):
    """Runs set prep for the view; results come back through the signals."""

    lines_ready = Signal(int, list)  # run, [TrackLine]: every line, before any is matched
    line_resolved = Signal(int, object)  # run, LineResult
    finished = Signal(int)  # run: every line is matched
    failed = Signal(int, str)  # run, why the tracklist could not be read or matched
    entries_ready = Signal(str, list)  # export format, [LibraryEntry] of the lines' files
    notice = Signal(str)

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.tasks = TaskGroup(services.core, self._task_failed)
        self.run = 0

    # -- matching ------------------------------------------------------------------------------
    def load_text(self, text: str) -> int:
        """Pasted text (any form a file may have); returns the run."""
        return self.load(text.encode("utf-8"), "")

    def load_file(self, path: Path) -> int:
        """A dropped or opened file, read on the core thread."""
        self.run += 1
        self.tasks.start("setprep", self._from_file(self.run, path))
        return self.run

    def load(self, data: bytes, name: str) -> int:
        self.run += 1
        self.tasks.start("setprep", self._match(self.run, data, name))
        return self.run

    async def _from_file(self, run: int, path: Path) -> None:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE + 1)
        except OSError as exc:
            self.failed.emit(run, f"Cannot read {path.name}: {exc.strerror or exc}")
            return
        await self._match(run, data, path.name)

    async def _match(self, run: int, data: bytes, name: str) -> None:
        from crateq.core.tracklist import parse_tracklist

        try:
            entries = parse_tracklist(data, name)
        except Exception as exc:  # TracklistError: one sentence for the view
            self.failed.emit(run, user_message(exc))
            return
        self.lines_ready.emit(run, entries)
        if not entries:
            self.finished.emit(run)
            return
        prep = self.services.set_prep()
        try:
            await prep.find(entries, lambda result: self.line_resolved.emit(run, result))
        finally:
            self.finished.emit(run)

    def matching(self) -> bool:
        return self.tasks.running("setprep")

    # -- grabbing and exporting ----------------------------------------------------------------
    def queue(self, versions: Sequence[Version]) -> None:
        """Put ``versions`` on their pools' server queues (toggle-safe: core.setprep)."""
        self.tasks.start("setprep-queue", self._queue(list(versions)))

    async def _queue(self, versions: list[Version]) -> None:
        from crateq.core.setprep import queue_versions

        outcomes = await queue_versions(self.services.pool_clients(), versions)
        queued = sum(o.state == "queued" for o in outcomes)
        already = sum(o.state == "already queued" for o in outcomes)
        failed = [o for o in outcomes if o.state == "failed"]
        text = f"Queued {queued} on the pools ({already} already there)"
        if failed:
            text += f"; {len(failed)} failed: {failed[0].error}"
        self.notice.emit(text + ".")

    def gather(self, fmt: str, wanted: Sequence[str | tuple[str, int]]) -> None:
        """The library entries of the lines' files, in the list's order: a path (a ``have``
        line's file) or a (pool, mediaId) whose download is in the library;
        ``entries_ready`` hands them on."""
        self.tasks.start("setprep-export", self._gather(fmt, list(wanted)))

    async def _gather(self, fmt: str, wanted: list[str | tuple[str, int]]) -> None:
        store = self.services.store
        by_path = {str(entry.path): entry for entry in store.library()}
        found: dict[str, LibraryEntry] = {}
        for item in wanted:
            entry = by_path.get(item) if isinstance(item, str) else store.have(*item)
            if entry is not None:
                found.setdefault(str(entry.path), entry)
        self.entries_ready.emit(fmt, list(found.values()))

    def _task_failed(self, name: str, exc: BaseException) -> None:
        if name == "setprep":
            self.failed.emit(self.run, f"Set prep failed: {user_message(exc)}")
        else:
            self.notice.emit(f"Set prep: {user_message(exc)}")

    def shutdown(self) -> None:
        self.run += 1
        self.tasks.cancel_all()
