"""The download queue's columns, declared once as data (rows: ``JobSnapshot``), and the
words they show: sizes, times, the row's one action and its state with the reason."""

from __future__ import annotations

from crateq.core.download_jobs import JobSnapshot, JobState
from crateq.ui.columns import CENTER, RIGHT, Column, column_index

STATE_WORDS = {
    JobState.QUEUED: "Waiting",
    JobState.CONNECTING: "Connecting",
    JobState.DOWNLOADING: "Downloading",
    JobState.VERIFYING: "Checking",
    JobState.TAGGING: "Tagging",
    JobState.ANALYSING: "Analysing",
    JobState.DONE: "Done",
    JobState.PAUSED: "Paused",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return ""


def human_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds + 0.5)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def action_for(job: JobSnapshot) -> str:
    """The row's one button: what a click on the action cell does."""
    if job.state is JobState.FAILED:
        return "Retry"
    if job.state is JobState.PAUSED:
        return "Resume"
    if job.state is JobState.QUEUED or job.state.active:
        return "Pause"
    return ""


def status_text(job: JobSnapshot) -> str:
    """State in words, with the engine's reason (the error, or why it waits)."""
    word = STATE_WORDS.get(job.state, str(job.state))
    if job.skipped:
        return f"{word}: {job.reason}" if job.reason else word
    reason = job.reason.strip()
    if reason.rstrip(".").casefold() == word.casefold():
        return word
    if reason and job.state in (JobState.FAILED, JobState.PAUSED, JobState.CONNECTING):
        return f"{word}: {reason}"
    if job.state is JobState.DONE and job.reason:
        return f"{word} ({job.reason})"
    return word


def _speed(job: JobSnapshot) -> str:
    return f"{human_bytes(job.speed)}/s" if job.speed else ""


def _size(job: JobSnapshot) -> str:
    return human_bytes(job.total_bytes) if job.total_bytes else ""


# ``sample``: the widest text a short column shows; its width follows the theme's font, so
# it never elides.
JOB_COLUMNS: tuple[Column[JobSnapshot], ...] = (
    Column("track", "Track", lambda j: f"{j.artist} - {j.title}", width=300),
    Column("mix", "Mix", lambda j: j.tool, width=100, sample="Instrumental"),
    Column("pool", "Pool", lambda j: j.pool, width=120, sample="urban-beats"),
    Column("progress", "Progress", lambda j: "", width=150, sample="___100 %___"),
    Column("speed", "Speed", _speed, align=RIGHT, width=90, sample="888.8 MB/s"),
    Column("eta", "ETA", lambda j: human_eta(j.eta), align=RIGHT, width=64, sample="88:88"),
    Column("size", "Size", _size, align=RIGHT, width=80, sample="888.8 MB"),
    Column("action", "", action_for, align=CENTER, width=96, sample="Resume____"),
)
COLUMN = column_index(JOB_COLUMNS)
