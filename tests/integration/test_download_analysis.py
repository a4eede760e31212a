"""Analysis on arrival in the download engine, against the demo pools (whose files are a
kick pattern at the row's BPM): ``analysing`` comes between tagging and done, never holds a
connection slot, records its figures on the job, in the store and the file's tags; a file
that does not decode is noted on its job and the engine carries on."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from test_download_engine import DemoLogin, DemoSource, make_engine

from crateq.core import download_analysis
from crateq.core.analysis import Analyser, Outcome
from crateq.core.downloads import JobState
from crateq.core.settings import AnalysisSettings, DownloadSettings
from crateq.core.store import Store

pytest.importorskip("essentia")
pytestmark = pytest.mark.analysis


@pytest.fixture
def urban(demo_login: DemoLogin) -> DemoSource:
    return DemoSource(demo_login("urban-beats"), "urban-beats")


@pytest.fixture
def store(crateq_home: Path) -> Store:
    return Store()


async def test_analysing_comes_between_tagging_and_done_and_is_recorded(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    analyser = Analyser(workers=1)
    settings = DownloadSettings(per_pool_jobs=1, total_jobs=1)
    engine, events = make_engine(
        store, urban, settings=settings, analysis=AnalysisSettings(), analyser=analyser
    )
    rows = urban.rows(2, sort="mediaId", dir="asc", audio="true")
    for row in rows:
        await engine.add(row, dest=tmp_path)
    jobs = await engine.wait()
    assert [j.state for j in jobs] == [JobState.DONE] * 2, [j.reason for j in jobs]
    first = jobs[0]
    states = [e.job.state for e in events if e.kind == "state" and e.job.id == first.id]
    assert states[-3:] == [JobState.TAGGING, JobState.ANALYSING, JobState.DONE]
    # one connection slot: the second download started while the first was analysing
    order = [(e.job.id, e.job.state) for e in events if e.kind == "state"]
    assert order.index((jobs[1].id, JobState.CONNECTING)) < order.index((first.id, JobState.DONE))
    for job, row in zip(jobs, rows, strict=True):
        assert job.analysis is not None, job.analysis_note
        measured = job.analysis.bpm
        assert min(abs(measured - row.bpm * f) for f in (0.5, 1, 2)) <= 1.0, (measured, row.bpm)
        stored = store.analysis_for(Path(job.path))
        assert stored is not None and stored["result"]["camelot"] == job.analysis.camelot
        assert store.have(row.pool, row.media_id).tags["camelot"] == job.analysis.camelot
        tags = ID3(job.path)
        assert str(tags["TXXX:REPLAYGAIN_TRACK_GAIN"]) == job.analysis.gain_text
        assert str(tags["TKEY"])
        done = [e for e in events if e.job.id == job.id and e.job.state is JobState.DONE][-1]
        assert done.as_dict()["analysis"]["bpm"] == measured
    await engine.shutdown()
    with pytest.raises(RuntimeError):
        analyser.submit(jobs[0].path)  # shut down with the engine


async def test_a_file_that_does_not_decode_is_noted_and_the_engine_carries_on(
    urban: DemoSource, store: Store, tmp_path: Path
) -> None:
    class Garbling(Analyser):
        """Corrupts the first file just before it is analysed."""

        garbled = False

        def submit(self, path: Path | str) -> Future[Outcome]:
            if not self.garbled:
                self.garbled = True
                Path(path).write_bytes(b"not audio at all" * 100)
            return super().submit(path)

    engine, _ = make_engine(store, urban, analysis=AnalysisSettings(), analyser=Garbling(workers=1))
    rows = urban.rows(2, sort="mediaId", dir="asc", audio="true")
    for row in rows:
        await engine.add(row, dest=tmp_path)
    jobs = await engine.wait()
    assert [j.state for j in jobs] == [JobState.DONE] * 2, [j.reason for j in jobs]
    (bad,) = [j for j in jobs if j.analysis is None]  # the first to reach the analyser
    (good,) = [j for j in jobs if j.analysis is not None]
    assert "Analysis failed" in bad.analysis_note and "cannot decode" in bad.analysis_note
    assert store.analysis_for(Path(bad.path))["error"]  # type: ignore[index]
    assert good.state is JobState.DONE and good.analysis is not None
    await engine.shutdown()


async def test_without_essentia_downloads_finish_unanalysed(
    urban: DemoSource, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download_analysis.analysis_mod, "available", lambda: False)
    engine, events = make_engine(store, urban, analysis=AnalysisSettings())
    await engine.add(urban.rows(1, audio="true")[0], dest=tmp_path)
    (job,) = await engine.wait()
    assert job.state is JobState.DONE and job.analysis is None
    assert JobState.ANALYSING not in {e.job.state for e in events}
    await asyncio.wait_for(engine.shutdown(), 30)


async def test_a_file_longer_than_a_track_is_not_analysed(
    urban: DemoSource, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DJ mix has no one tempo or key, and decoding hours of audio takes gigabytes: a file
    longer than ``MAX_ANALYSED_SECONDS`` (read from its header) is done with a note, never
    sent to the workers. The demo's files are seconds long: the limit is lowered below."""

    class Counting(Analyser):
        def __init__(self) -> None:
            super().__init__(workers=1)
            self.sent: list[Path] = []

        def submit(self, path: Path | str) -> Future[Outcome]:
            self.sent.append(Path(path))
            return super().submit(path)

    row = urban.rows(1, audio="true")[0]
    analyser = Counting()
    engine, _ = make_engine(store, urban, analysis=AnalysisSettings(), analyser=analyser)
    await engine.add(row, dest=tmp_path)
    (job,) = await engine.wait()
    seconds = download_analysis.media_seconds(Path(job.path))
    assert seconds is not None and seconds > 2 and analyser.sent == [Path(job.path)]
    await engine.shutdown()

    monkeypatch.setattr(download_analysis, "MAX_ANALYSED_SECONDS", seconds - 1)
    analyser = Counting()
    engine, events = make_engine(store, urban, analysis=AnalysisSettings(), analyser=analyser)
    await engine.add(row, dest=tmp_path / "again", force=True)
    (job,) = await engine.wait()
    assert job.state is JobState.DONE and job.analysis is None and analyser.sent == []
    assert JobState.ANALYSING not in {e.job.state for e in events}  # no analysing shown
    assert job.analysis_note.startswith("Not analysed: ") and "(a mix?)" in job.analysis_note
    await engine.shutdown()


def test_the_too_long_note_names_the_length_and_the_limit() -> None:
    assert download_analysis.too_long_note(2 * 3600 + 36 * 60) == (
        "Not analysed: 2 h 36 min long (a mix?); tracks up to 20 min are measured."
    )
    assert download_analysis.too_long_note(45 * 60).startswith("Not analysed: 45 min long")
    assert download_analysis.media_seconds(Path("/nonexistent/file.mp3")) is None
