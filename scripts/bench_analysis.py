"""`scripts/bench analysis`: analysis on arrival, in seconds of audio per second of wall time.

Generates ``--files`` MP3s of ``--seconds`` each (default 50 x 4 minutes: a kick per beat,
an off-beat hat and a sustained chord, in keys round the Camelot wheel at tempi 90-174
BPM), then analyses them all through ``crateq.core.analysis.Analyser`` with ``--workers``
processes (default: both cores) and prints the real-time ratio of the whole pipeline
(decode, tempo, key, loudness), the workers' peak RSS, the accuracy on the generated set
(key exact, BPM within 0.5) and where one file's time goes, stage by stage.
Needs the ``analysis`` extra (essentia) and lameenc (the demo extra).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from crateq.core import analysis
from crateq.core.keys import PITCHES, Key

RATE = 44100
TEMPI = (90.0, 100.0, 110.0, 122.0, 124.0, 126.0, 128.0, 130.0, 138.0, 140.0, 150.0, 174.0)


def plan(count: int) -> list[tuple[Key, float]]:
    """(key, BPM) per file: every key in turn, tempi cycling independently."""
    keys = [Key(pitch, minor) for minor in (True, False) for pitch in range(12)]
    return [(keys[i % 24], TEMPI[(i * 5) % len(TEMPI)]) for i in range(count)]


def bar_signal(key: Key, bpm: float) -> np.ndarray:
    """Four beats (mono float32): kick on the beat, hat off the beat, the key's chord."""
    beat = round(RATE * 60 / bpm)
    t = np.arange(beat * 4) / RATE
    steps = [0, 3, 7, 10, 2, 5] if key.minor else [0, 4, 7, 11, 2, 5]
    tones = np.zeros_like(t)
    for i, step in enumerate(steps):
        semitone = (key.pitch + step) % 12
        for octave in (2, 3, 4):
            freq = 440.0 * 2 ** ((semitone - 9) / 12 + (octave - 4))
            tones += (1.0 if i < 3 else 0.35) * np.sin(2 * np.pi * freq * t)
    tones /= np.max(np.abs(tones))
    phase = np.mod(np.arange(len(t)), beat) / RATE
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-phase * 40)) * phase) * np.exp(-phase * 18)
    off = np.mod(np.arange(len(t)) + beat // 2, beat) / RATE
    noise = np.random.default_rng(int(bpm * 10) + key.pitch).standard_normal(len(t))
    hat = noise * np.exp(-off * 120) * 0.15
    return (0.25 * (0.5 * tones + 0.42 * kick + hat)).astype(np.float32)


def write_mp3(path: Path, key: Key, bpm: float, seconds: float) -> float:
    """Encode ``seconds`` of the bar repeated (192 kbit/s stereo); returns its length."""
    import lameenc

    bar = bar_signal(key, bpm)
    mono = np.tile(bar, int(np.ceil(seconds * RATE / len(bar))))[: int(seconds * RATE)]
    pcm = (np.clip(mono, -1, 1) * 32767).astype("<i2")
    stereo = np.repeat(pcm, 2)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(192)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(2)
    encoder.set_quality(7)
    path.write_bytes(bytes(encoder.encode(stereo.tobytes())) + bytes(encoder.flush()))
    return len(mono) / RATE


Job = tuple[Path, Key, float]


def generate(folder: Path, count: int, seconds: float, workers: int) -> list[Job]:
    jobs = [(folder / f"{i:02d} {key.camelot} {bpm:g}.mp3", key, bpm)
            for i, (key, bpm) in enumerate(plan(count))]  # fmt: skip
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        list(pool.map(write_mp3, *zip(*jobs, strict=True), [seconds] * count))
    return jobs


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a live process (Linux), MiB; 0 where /proc cannot say."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_pool(files: list[Path], workers: int) -> tuple[float, list[analysis.Outcome], list[float]]:
    """Wall seconds for every file through the worker pool, the outcomes, workers' peaks."""
    analyser = analysis.Analyser(workers=workers)
    warm = analyser.submit(files[0])  # start the workers (essentia imported once each)
    warm.result()
    pool = analyser._pool  # the bench reads the workers' pids for their peak RSS
    started = time.perf_counter()
    futures = [analyser.submit(path) for path in files]
    outcomes = [f.result() for f in futures]
    wall = time.perf_counter() - started
    pids = list(pool._processes) if pool is not None else []
    peaks = [peak_rss_mib(pid) for pid in pids]
    analyser.shutdown()
    return wall, outcomes, peaks


def stages(path: Path) -> dict[str, float]:
    """Seconds per stage for one file, in this process."""
    from crateq.core.analysis import _decode, _key, _loudness, _mono_44k, _tempo

    times: dict[str, float] = {}
    mark = time.perf_counter()
    stereo, rate = _decode(path)
    times["decode"], mark = time.perf_counter() - mark, time.perf_counter()
    mono = _mono_44k(stereo, rate)
    times["mono"], mark = time.perf_counter() - mark, time.perf_counter()
    _tempo(mono)
    times["tempo"], mark = time.perf_counter() - mark, time.perf_counter()
    _key(mono)
    times["key"], mark = time.perf_counter() - mark, time.perf_counter()
    _loudness(stereo, rate)
    times["loudness"] = time.perf_counter() - mark
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--target", type=float, default=40.0, help="real-time ratio to reach")
    args = parser.parse_args()
    if not analysis.available():
        raise SystemExit(analysis.UNAVAILABLE)
    with tempfile.TemporaryDirectory(prefix="crateq-bench-analysis-") as tmp:
        began = time.perf_counter()
        jobs = generate(Path(tmp), args.files, args.seconds, args.workers)
        made = time.perf_counter() - began
        size = sum(p.stat().st_size for p, _k, _b in jobs) / 1e6
        print(f"generated {len(jobs)} MP3s of {args.seconds:g} s ({size:.0f} MB) in {made:.1f} s")
        wall, outcomes, peaks = run_pool([p for p, _k, _b in jobs], args.workers)
        report(jobs, outcomes, wall, peaks, args)
        parts = stages(jobs[0][0])
    total = sum(parts.values())
    print(f"one file in one process: {total:.2f} s ({args.seconds / total:.1f}x real time): "
          + ", ".join(f"{name} {t:.2f} s" for name, t in parts.items()))  # fmt: skip
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def report(
    jobs: list[Job],
    outcomes: list[analysis.Outcome],
    wall: float,
    peaks: list[float],
    args: argparse.Namespace,
) -> None:
    audio = keys_ok = bpms_ok = 0.0
    for (path, key, bpm), (kind, payload) in zip(jobs, outcomes, strict=True):
        if kind != "ok" or not isinstance(payload, analysis.Analysis):
            print(f"  FAILED {path.name}: {payload}")
            continue
        audio += payload.duration
        key_hit, bpm_hit = payload.camelot == key.camelot, abs(payload.bpm - bpm) <= 0.5
        keys_ok += key_hit
        bpms_ok += bpm_hit
        if not (key_hit and bpm_hit):
            print(f"  miss {path.name}: {payload.camelot} {payload.key} {payload.bpm} BPM"
                  f" (want {key.camelot} {PITCHES[key.pitch]} {bpm:g})")  # fmt: skip
    ratio = audio / wall
    verdict = "meets" if ratio >= args.target else "below"
    print(f"analysed {audio:.0f} s of audio in {wall:.1f} s with {args.workers} workers:"
          f" {ratio:.1f}x real time ({verdict} the {args.target:g}x target,"
          f" ratio {ratio / args.target:.2f})")  # fmt: skip
    print(f"per file: {wall / len(jobs):.2f} s wall, {wall * args.workers / len(jobs):.2f} s"
          f" of a worker")  # fmt: skip
    peak = max(peaks, default=0.0)
    print(f"peak RSS per worker: {peak:.0f} MiB (all workers: {sum(peaks):.0f} MiB)")
    n = len(jobs)
    print(f"accuracy: keys {keys_ok / n:.0%} ({keys_ok:.0f}/{n}),"
          f" BPM within 0.5 {bpms_ok / n:.0%} ({bpms_ok:.0f}/{n})")  # fmt: skip


if __name__ == "__main__":
    main()
