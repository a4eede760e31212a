"""Audio of known tempo, key and loudness, generated at test time (no committed media).

A kick on every beat plus a sustained triad (sine partials of the chord's notes, a little
detuned for width), written as 16-bit stereo WAV with the stdlib ``wave`` module and, when
asked, encoded to MP3 with lameenc (the demo extra).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 44100
_NOTES = {"C": 0, "C#": 1, "D": 2, "D#": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "G#": 8, "A": 9}
_NOTES.update({"A#": 10, "B": 11, "Db": 1, "Eb": 3, "Gb": 6, "Ab": 8, "Bb": 10})


def _freq(semitone: int, octave: int) -> float:
    return float(440.0 * 2 ** ((semitone - 9) / 12 + (octave - 4)))


def chord_notes(tonic: str, scale: str) -> list[int]:
    """Semitones of the tonic triad plus the scale's characteristic notes."""
    root = _NOTES[tonic]
    steps = [0, 3, 7, 10, 2, 5] if scale == "minor" else [0, 4, 7, 11, 2, 5]
    return [(root + s) % 12 for s in steps]


def track(
    seconds: float, bpm: float, tonic: str = "A", scale: str = "minor", amp: float = 0.25
) -> np.ndarray:
    """A (n, 2) float32 signal: a kick per beat over the key's chord, peaking near ``amp``."""
    t = np.arange(int(seconds * RATE)) / RATE
    tones = np.zeros_like(t)
    notes = chord_notes(tonic, scale)
    for i, semitone in enumerate(notes):
        weight = 1.0 if i < 3 else 0.35  # the triad loud, colour notes soft
        for octave in (2, 3, 4):
            tones += weight * np.sin(2 * np.pi * _freq(semitone, octave) * t)
    tones /= np.max(np.abs(tones))
    beat = 60.0 / bpm
    phase = np.mod(t, beat)
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-phase * 40)) * phase) * np.exp(-phase * 18)
    mono = amp * (0.55 * tones + 0.45 * kick)
    return np.stack([mono, mono], axis=1).astype(np.float32)


def write_wav(path: Path, signal: np.ndarray) -> Path:
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(signal.shape[1])
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def write_mp3(path: Path, signal: np.ndarray, kbps: int = 192) -> Path:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(signal.shape[1])
    encoder.set_quality(7)
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    path.write_bytes(encoder.encode(pcm.tobytes()) + encoder.flush())
    return path
