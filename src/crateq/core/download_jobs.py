"""Download jobs, their states, and the events the engine publishes about them.

A :class:`DownloadJob` is owned by the engine's loop; listeners never see it, only frozen
:class:`JobSnapshot` copies inside :class:`JobEvent` objects, so a GUI thread can keep them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from crateq.api.pool_models import MediaRow
from crateq.core.analysis import Analysis
from crateq.core.download_transfer import TransferState, complete_part, part_offset

log = logging.getLogger(__name__)
DISK_FULL = "The disk is full:"  # how the reason of a job paused for lack of room begins


def stored_row_json(row: MediaRow) -> str:
    """A job's row as the store keeps it: without ``auth``, the per-user download token,
    which is a secret (it fetches the file) and short-lived anyway. A job read back from the
    store has an empty ``auth``; the runner asks the pool for a fresh row before its
    transfer."""
    return row.model_dump_json(by_alias=True, exclude={"auth"})


class JobState(StrEnum):
    QUEUED = "queued"
    CONNECTING = "connecting"
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"
    TAGGING = "tagging"
    ANALYSING = "analysing"  # the file is committed; tempo, key, loudness are being measured
    DONE = "done"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in _ACTIVE

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


_ACTIVE = frozenset(
    {JobState.CONNECTING, JobState.DOWNLOADING, JobState.VERIFYING, JobState.TAGGING}
)


@dataclass(frozen=True)
class JobSnapshot:
    """A job as listeners see it: immutable, safe to pass to another thread."""

    id: int
    key: str
    pool: str
    media_id: int
    artist: str
    title: str
    state: JobState
    reason: str
    bytes_done: int
    total_bytes: int | None
    speed: float  # bytes per second, smoothed
    eta: float | None  # seconds
    path: str
    tag_note: str
    skipped: bool
    tool: str = ""  # the mix (Extended, Intro…): tells versions of one song apart in lists
    verified: tuple[str, ...] = ()  # the checks a done file passed (download_verify.CHECKS)
    analysis: Analysis | None = None  # tempo, key and loudness measured on arrival
    analysis_note: str = ""  # "BPM differs (pool 128, measured 96.0)", or why it failed

    @property
    def waits_for_space(self) -> bool:
        """Paused because the disk is full (the reason says how much to free where)."""
        return self.state is JobState.PAUSED and self.reason.startswith(DISK_FULL)

    @property
    def fraction(self) -> float | None:
        return self.bytes_done / self.total_bytes if self.total_bytes else None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "key": self.key,
            "artist": self.artist,
            "title": self.title,
            "state": str(self.state),
            "reason": self.reason,
            "bytes": self.bytes_done,
            "total": self.total_bytes,
            "speed": round(self.speed),
            "eta": None if self.eta is None else round(self.eta, 1),
            "path": self.path,
            "tag_note": self.tag_note,
            "skipped": self.skipped,
            "verified": list(self.verified),
            "analysis": self.analysis.as_dict() if self.analysis else None,
            "analysis_note": self.analysis_note,
        }


@dataclass
class DownloadJob:
    """One track to fetch; mutated only on the engine's loop (``bytes_done`` by its thread)."""

    id: int
    row: MediaRow
    dest: Path
    priority: float
    state: JobState = JobState.QUEUED
    reason: str = ""
    force: bool = False
    bytes_done: int = 0
    path: Path | None = None
    transfer: TransferState = field(default_factory=TransferState)
    tag_note: str = ""
    skipped: bool = False
    verified: tuple[str, ...] = ()
    speed: float = 0.0
    analysis: Analysis | None = None
    analysis_note: str = ""
    # engine internals
    stop: threading.Event = field(default_factory=threading.Event)
    user_paused: bool = False
    restored: bool = False  # read back from the store: its row carries no download token
    _sample: tuple[float, int] = (0.0, 0)

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def part_path(self) -> Path | None:
        return self.path.with_name(self.path.name + ".part") if self.path else None

    @property
    def needs_token(self) -> bool:
        """Read back from the store, the job has no download token (the store keeps none):
        it asks the pool for a fresh row first, unless its part already holds the file."""
        if not self.restored or self.row.auth:
            return False
        return not complete_part(part_offset(self.part_path, self.transfer), self.transfer)

    @property
    def eta(self) -> float | None:
        total = self.transfer.total
        if total is None or self.speed <= 0 or self.state is not JobState.DOWNLOADING:
            return None
        return max(0.0, (total - self.bytes_done) / self.speed)

    def sample_speed(self, now: float | None = None) -> None:
        """Update the smoothed speed from the byte counter (called ~10 Hz)."""
        now = time.monotonic() if now is None else now
        then, before = self._sample
        self._sample = (now, self.bytes_done)
        if then and now > then and self.bytes_done >= before:
            current = (self.bytes_done - before) / (now - then)
            self.speed = current if self.speed == 0 else 0.7 * self.speed + 0.3 * current

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            id=self.id,
            key=self.key,
            pool=self.row.pool,
            media_id=self.row.media_id,
            artist=self.row.artist,
            title=self.row.title,
            state=self.state,
            reason=self.reason,
            bytes_done=self.bytes_done,
            total_bytes=self.transfer.total,
            speed=self.speed if self.state is JobState.DOWNLOADING else 0.0,
            eta=self.eta,
            path=str(self.path) if self.path else "",
            tag_note=self.tag_note,
            skipped=self.skipped,
            tool=self.row.tool,
            verified=self.verified,
            analysis=self.analysis,
            analysis_note=self.analysis_note,
        )


EventKind = Literal["added", "state", "progress", "removed"]


@dataclass(frozen=True)
class JobEvent:
    """``state`` on every state change, ``progress`` at most ~10 Hz per downloading job."""

    kind: EventKind
    job: JobSnapshot
    at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, object]:
        return {"event": self.kind, "at": round(self.at, 3), **self.job.as_dict()}


Listener = Callable[[JobEvent], None]


class EventHub:
    """Thread-safe listener registry; callbacks run on the engine's thread and must be quick

    (a GUI re-emits them as a queued Qt signal). A failing listener is logged, not fatal.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    @property
    def listening(self) -> bool:
        return bool(self._listeners)

    def emit(self, event: JobEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("download event listener failed")
