"""The engine's ``analysing`` step: measure a committed download, tag it, record it.

Mixed into :class:`crateq.core.downloads.DownloadEngine` after the file is committed and
in the library: the job leaves its connection slot (``analysing`` is local work), the file
goes to the :class:`~crateq.core.analysis.Analyser`'s worker processes, and the job is
done when the figures are back, tagged (TKEY, TBPM as ``analysis.bpm`` says, ReplayGain,
the Camelot code in the comment or grouping as ``analysis.key_in`` says) and stored. A
file that does not decode is noted on the job, which is still done: the download is fine.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from crateq.core import analysis as analysis_mod
from crateq.core.analysis import Analyser, Analysis
from crateq.core.analysis_bpm import BpmCheck, bpm_to_write, check_bpm
from crateq.core.download_jobs import DownloadJob, JobState
from crateq.core.download_runner import JobRunner
from crateq.core.keys import parse_key
from crateq.core.settings import AnalysisSettings
from crateq.core.tag_values import TagResult, TagValues

log = logging.getLogger("crateq.core.downloads")
MAX_ANALYSED_SECONDS = 20 * 60  # the longest file analysed on arrival: tracks, not mixes


class AnalysisStep(JobRunner):
    """The analysing state of a job, on top of the runner; the engine provides the state."""

    analysis_settings: AnalysisSettings | None
    _analyser: Analyser | None

    def analyser(self) -> Analyser | None:
        """The worker pool when analysis is on and essentia is installed, else None."""
        settings = self.analysis_settings
        if settings is None or not settings.enabled:
            return None
        if not analysis_mod.available():
            analysis_mod.warn_unavailable()
            return None
        if self._analyser is None:
            self._analyser = Analyser()
        return self._analyser

    async def _analyse(self, job: DownloadJob, done_reason: str) -> None:
        """Measure, tag and record ``job``'s file, then call the job done."""
        analyser = self.analyser()
        assert job.path is not None
        if analyser is None:
            self._set(job, JobState.DONE, done_reason)
            return
        if job.id > 0:  # a crash while analysing must not download the file again
            self.store.update_job(job.id, state="done", reason=done_reason, path=str(job.path))
        seconds = await asyncio.to_thread(media_seconds, job.path)
        if seconds is not None and seconds > MAX_ANALYSED_SECONDS:
            job.analysis_note = too_long_note(seconds)
            self._set(job, JobState.DONE, done_reason)
            return
        self._set(job, JobState.ANALYSING, "")
        try:
            _kind, payload = await asyncio.wrap_future(analyser.submit(job.path))
        except RuntimeError as exc:  # shut down meanwhile
            _kind, payload = "error", str(exc)
        path, pool, media_id = job.path, job.row.pool, job.row.media_id
        if isinstance(payload, Analysis):
            check = check_bpm(float(job.row.bpm), payload.bpm, job.row.genre)
            job.analysis, job.analysis_note = payload, check.note
            tagged = await self._blocking(job, self._tag_analysis, job, payload, check)
            if not tagged.ok:
                job.analysis_note = " ".join(filter(None, [check.note, tagged.reason]))
            self.store.record_analysis(
                path, payload.as_dict(), pool=pool, media_id=media_id, note=check.note
            )
        else:
            job.analysis_note = f"Analysis failed: {payload}"
            self.store.record_analysis(path, None, pool=pool, media_id=media_id, error=payload)
        self._set(job, JobState.DONE, done_reason)

    def _tag_analysis(self, job: DownloadJob, result: Analysis, check: BpmCheck) -> TagResult:
        """Write the analysis into the file (worker thread); see :func:`analysis_tags`."""
        from crateq.core.tagging import tag_file

        assert job.path is not None and self.analysis_settings is not None
        values = analysis_tags(
            job.path, result, check, self.analysis_settings, pool_bpm=float(job.row.bpm)
        )
        return tag_file(job.path, values, overwrite=True)


def media_seconds(path: Path) -> float | None:
    """The file's length as its headers say (mutagen, no decoding); None when unknown."""
    import mutagen

    from crateq.core.media_formats import media_class

    kind = media_class(path.suffix)  # not mutagen.File: that imports every format it knows
    try:
        found = kind(path) if kind is not None else mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError):
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    return float(length) if isinstance(length, int | float) and length > 0 else None


def too_long_note(seconds: float) -> str:
    """Why a file was not measured: a DJ mix has no one tempo or key, and decoding hours
    of audio would take gigabytes of memory and minutes of both cores."""
    hours, rest = divmod(round(seconds / 60), 60)
    length = f"{hours} h {rest} min" if hours else f"{rest} min"
    limit = MAX_ANALYSED_SECONDS // 60
    return f"Not analysed: {length} long (a mix?); tracks up to {limit} min are measured."


def analysis_tags(
    path: Path,
    result: Analysis,
    check: BpmCheck,
    settings: AnalysisSettings,
    *,
    pool_bpm: float = 0.0,
) -> TagValues:
    """The tags an analysis writes: TKEY, ReplayGain, TBPM unless ``analysis.bpm`` is pool,
    and the Camelot code in front of the comment or grouping if ``analysis.key_in`` asks."""
    from crateq.core.tagging import read_tags

    key = parse_key(result.key)
    bpm = 0 if settings.bpm == "pool" else bpm_to_write(settings.bpm, pool_bpm, result.bpm, check)
    comment = grouping = ""
    if settings.key_in != "none" and result.camelot:
        field = settings.key_in
        current = read_tags(path).get(field, "") if path.exists() else ""
        text = current if current.startswith(result.camelot) else f"{result.camelot} - {current}"
        text = text.rstrip(" -")
        comment, grouping = (text, "") if field == "comment" else ("", text)
    return TagValues(
        key=key.id3 if key else "",
        bpm=bpm,
        comment=comment,
        grouping=grouping,
        replaygain_gain=result.gain_text,
        replaygain_peak=result.peak_text,
    )
