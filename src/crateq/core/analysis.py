"""Analysis on arrival: tempo, musical key and loudness of an audio file, off the engine.

essentia (the optional ``analysis`` extra) decodes the file through its FFmpeg-based loader
and measures: tempo with RhythmExtractor2013 (``degara``, a fraction of ``multifeature``'s
time, refined by a line through its beats; the confidence comes from how even they are),
the key with KeyExtractor's ``edma`` profile (EDM-trained), and integrated loudness with
LoudnessEBUR128 on the stereo signal, plus ReplayGain (-18 LUFS reference). Work runs in
worker processes (:class:`Analyser`, spawn/forkserver: the engine has threads) sized to
leave a core for the DJ software. Without essentia the app reports :data:`UNAVAILABLE`
once and carries on. Figures: docs/PERFORMANCE.md, "Analysis".
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from crateq.core.errors import CrateQError
from crateq.core.keys import parse_key

if TYPE_CHECKING:  # numpy comes with essentia (the analysis extra)
    import numpy as np
    from numpy.typing import NDArray

    Signal = NDArray[np.float32]

log = logging.getLogger(__name__)
UNAVAILABLE = "analysis unavailable: pip install 'crateq[analysis]'"
REPLAYGAIN_REFERENCE = -18.0  # LUFS
RATE = 44100.0  # RhythmExtractor2013 works at 44.1 kHz only
AUDIO_SUFFIXES = frozenset({".mp3", ".m4a", ".mp4", ".aac", ".flac", ".wav", ".aiff", ".aif"})
AUDIO_SUFFIXES |= {".ogg", ".opus", ".m4v", ".mov"}
_warned = threading.Event()


class AnalysisFailed(CrateQError):
    """A file could not be analysed (it does not decode, or holds no audio)."""


class AnalysisUnavailable(CrateQError):
    """essentia is not installed."""

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE)


@dataclass(frozen=True)
class Analysis:
    """What a file measured: tempo, key (name, Camelot, Open Key) and loudness."""

    bpm: float  # one decimal
    bpm_confidence: float  # 0-1
    key: str  # "A minor"
    key_strength: float  # 0-1
    camelot: str  # "8A"
    open_key: str  # "1m"
    lufs: float  # integrated, EBU R128
    replay_gain: float  # dB to reach -18 LUFS
    peak: float  # sample peak, linear (1.0 = full scale)
    duration: float  # seconds of audio
    elapsed: float  # seconds it took

    def as_dict(self) -> dict[str, float | str]:
        return asdict(self)

    @property
    def gain_text(self) -> str:
        """REPLAYGAIN_TRACK_GAIN as players read it: "-3.21 dB"."""
        return f"{self.replay_gain:+.2f} dB"

    @property
    def peak_text(self) -> str:
        return f"{self.peak:.6f}"


def available() -> bool:
    """True when essentia can be imported (checked without importing it)."""
    return importlib.util.find_spec("essentia") is not None


def warn_unavailable() -> None:
    """Log :data:`UNAVAILABLE` once per process."""
    if not _warned.is_set():
        _warned.set()
        log.warning(UNAVAILABLE)


def analyse_file(path: Path | str) -> Analysis:
    """Decode and measure one file (blocking, seconds per track: run it in a worker).

    Raises AnalysisUnavailable without essentia, AnalysisFailed when it cannot be decoded.
    """
    if not available():
        raise AnalysisUnavailable()
    started = time.perf_counter()
    stereo, rate = _decode(Path(path))
    import numpy as np

    duration = len(stereo) / rate
    if duration < 2.0 or not np.any(stereo):
        raise AnalysisFailed(f"{Path(path).name}: too little audio to analyse.")
    mono = _mono_44k(stereo, rate)
    bpm, confidence = _tempo(mono)
    key, strength = _key(mono)
    lufs, peak = _loudness(stereo, rate)
    parsed = parse_key(key)
    return Analysis(
        bpm=round(bpm, 1),
        bpm_confidence=round(confidence, 3),
        key=parsed.name if parsed else key,
        key_strength=round(strength, 3),
        camelot=parsed.camelot if parsed else "",
        open_key=parsed.open_key if parsed else "",
        lufs=round(lufs, 2),
        replay_gain=round(REPLAYGAIN_REFERENCE - lufs, 2),
        peak=round(peak, 6),
        duration=round(duration, 2),
        elapsed=round(time.perf_counter() - started, 2),
    )


def _essentia() -> ModuleType:
    """essentia.standard, imported with its INFO chatter (on stderr) turned off."""
    import essentia

    essentia.log.infoActive = False
    essentia.log.warningActive = False  # FFmpeg's per-frame complaints: we report failures
    import essentia.standard as es

    module: ModuleType = es  # essentia ships no type information
    return module


def _decode(path: Path) -> tuple[Signal, float]:
    """(frames × 2 float32, sample rate) through essentia's FFmpeg-based AudioLoader."""
    es = _essentia()

    if not path.is_file():
        raise AnalysisFailed(f"{path.name}: no such file.")
    try:
        audio, rate, channels, *_ = es.AudioLoader(filename=str(path))()
    except Exception as exc:  # essentia raises RuntimeError with FFmpeg's words
        raise AnalysisFailed(f"{path.name}: cannot decode ({_first_line(exc)}).") from exc
    if channels < 1 or len(audio) == 0:
        raise AnalysisFailed(f"{path.name}: cannot decode (no audio stream).")
    return audio, float(rate)


def _mono_44k(stereo: Signal, rate: float) -> Signal:
    import numpy as np

    es = _essentia()

    mono: Signal = np.asarray(stereo, dtype=np.float32).mean(axis=1).astype(np.float32)
    if rate != RATE:
        mono = np.asarray(es.Resample(inputSampleRate=rate, outputSampleRate=RATE)(mono))
    return mono


def _tempo(mono: Signal) -> tuple[float, float]:
    """BPM from a least-squares line through the beats (finer than the extractor's own
    estimate, which is quantised by its onset frames), and a confidence: 1 when the beat
    intervals are even, lower as they scatter."""
    import numpy as np

    es = _essentia()
    bpm, beats, _conf, _estimates, intervals = es.RhythmExtractor2013(method="degara")(mono)
    if len(beats) < 8 or bpm <= 0:
        return float(bpm), 0.0
    beats = np.asarray(beats, dtype=np.float64)
    period = float(np.median(np.diff(beats)))
    steps = np.maximum(1.0, np.round(np.diff(beats) / period))  # a missed beat counts 2
    index = np.concatenate(([0.0], np.cumsum(steps)))
    slope = float(np.polyfit(index, beats, 1)[0])
    fitted = 60.0 / slope if slope > 0 else float(bpm)
    if abs(fitted - bpm) > 0.04 * bpm:  # the line disagrees: trust the extractor
        fitted = float(bpm)
    spread = float(np.std(intervals) / max(float(np.mean(intervals)), 1e-6))
    return fitted, max(0.0, min(1.0, 1.0 - 4.0 * spread))


def _key(mono: Signal) -> tuple[str, float]:
    es = _essentia()

    tonic, scale, strength = es.KeyExtractor(profileType="edma", sampleRate=RATE)(mono)
    return f"{tonic} {scale}", float(strength)


def _loudness(stereo: Signal, rate: float) -> tuple[float, float]:
    import numpy as np

    es = _essentia()

    _momentary, _short, integrated, _range = es.LoudnessEBUR128(sampleRate=rate)(stereo)
    return float(integrated), float(np.max(np.abs(stereo)))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1].strip() if text else exc.__class__.__name__


# -- the worker pool ----------------------------------------------------------------------
Outcome = tuple[Literal["ok"], Analysis] | tuple[Literal["error"], str]


def _work(path: str) -> Outcome:
    """The worker process's entry: never raises (an exception may not pickle back)."""
    try:
        return ("ok", analyse_file(path))
    except CrateQError as exc:
        return ("error", str(exc))
    except Exception as exc:  # a bug in a decoder: reported on the file, the pool lives on
        return ("error", f"{Path(path).name}: analysis failed ({exc.__class__.__name__}).")


def default_workers() -> int:
    """Leave one core for the DJ software."""
    return max(1, (os.cpu_count() or 1) - 1)


class Analyser:
    """A pool of worker processes measuring files; thread-safe, created on first use."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._closed = False

    def submit(self, path: Path | str) -> concurrent.futures.Future[Outcome]:
        """Measure ``path`` in a worker; the future's result is ("ok", Analysis) or
        ("error", sentence). A crashed worker's file is reported and the pool rebuilt."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the analyser is shut down")
            if self._pool is None:
                import multiprocessing

                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context(
                    "forkserver" if "forkserver" in methods else "spawn"
                )
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    self.workers, mp_context=context
                )
            pool = self._pool
        result: concurrent.futures.Future[Outcome] = concurrent.futures.Future()
        inner = pool.submit(_work, str(path))
        inner.add_done_callback(lambda done: self._relay(done, result, pool, Path(path)))
        return result

    def _relay(
        self,
        done: concurrent.futures.Future[Outcome],
        result: concurrent.futures.Future[Outcome],
        pool: concurrent.futures.ProcessPoolExecutor,
        path: Path,
    ) -> None:
        if result.cancelled():  # its waiter went away (engine shutdown)
            return
        if done.cancelled():
            result.set_result(("error", f"{path.name}: analysis cancelled."))
            return
        exc = done.exception()
        if exc is None:
            result.set_result(done.result())
            return
        with self._lock:  # a worker died (a decoder crash): start afresh next time
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        why = exc.__class__.__name__
        result.set_result(("error", f"{path.name}: the analysis worker stopped ({why})."))

    def analyse(self, path: Path | str) -> Outcome:
        """Blocking: measure ``path`` in a worker and wait for it."""
        return self.submit(path).result()

    def shutdown(self) -> None:
        """Stop the workers; queued files are dropped, running ones finish."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
