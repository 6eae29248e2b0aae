"""Mastering and writing audio: -14 LUFS, peaks under -1 dBFS, fades; format by extension."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import OutputError
from .files import atomic_write

#: Extension -> (libsndfile format, subtype).
FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"),
           ".mp3": ("MP3", "MPEG_LAYER_III")}
TARGET_LUFS = -14.0
PEAK_DBFS = -1.0


def master(audio: np.ndarray, rate: int, *, loudness: float = TARGET_LUFS,
           peak: float = PEAK_DBFS, fade_in: float = 0.02, fade_out: float = 1.5) -> np.ndarray:
    """Fade, normalise integrated loudness (ITU-R BS.1770, pyloudnorm) and limit peaks.

    ``audio`` is float (channels, samples); the result is float32 of the same shape, at
    ``loudness`` LUFS (+/- 0.5 LU for music with headroom) with sample and 4x-oversampled peaks
    at or under ``peak`` dBFS. Silence stays silent.
    """
    import pyloudnorm
    from pedalboard import Compressor

    out = _fade(np.array(audio, dtype=np.float32), rate, fade_in=fade_in, fade_out=fade_out)
    meter = pyloudnorm.Meter(rate)
    ceiling = 10 ** (peak / 20)
    # A fast, steep compressor as the peak limiter: unlike pedalboard's Limiter it adds no
    # make-up gain, so levels below the threshold pass unchanged.
    limiter = Compressor(threshold_db=peak - 3.0, ratio=20.0, attack_ms=1.0, release_ms=100.0)
    for _ in range(3):  # gain, limit, re-measure: converges in two rounds for music
        measured = meter.integrated_loudness(out.T) if out.shape[1] >= rate // 2 else -np.inf
        if not np.isfinite(measured):
            break
        gap = loudness - measured
        if abs(gap) < 0.3:
            break
        out = limiter(out * np.float32(10 ** (gap / 20)), rate)
    highest = _true_peak(out)
    if highest > ceiling:
        out = out * np.float32(ceiling / highest * 0.999)
    return np.ascontiguousarray(out, dtype=np.float32)


def _fade(audio: np.ndarray, rate: int, *, fade_in: float, fade_out: float) -> np.ndarray:
    samples = audio.shape[1]
    n_in = min(int(fade_in * rate), samples // 4)
    n_out = min(int(fade_out * rate), samples // 4)
    if n_in:
        audio[:, :n_in] *= np.linspace(0.0, 1.0, n_in, dtype=np.float32)
    if n_out:
        audio[:, -n_out:] *= np.linspace(1.0, 0.0, n_out, dtype=np.float32) ** 2
    return audio


def _true_peak(audio: np.ndarray, block: int = 4096) -> float:
    """Peak of the 4x-oversampled signal, close to a true-peak meter (ITU-R BS.1770 Annex 2).

    Inter-sample peaks exceed the sample peak by at most a few dB, so only blocks whose sample
    peak is within 4 dB of the loudest are oversampled; this keeps the check at a few ms.
    """
    from scipy.signal import resample_poly

    if audio.size == 0:
        return 0.0
    count = -(-audio.shape[1] // block)
    padded = np.pad(np.abs(audio), ((0, 0), (0, count * block - audio.shape[1])))
    peaks = padded.reshape(audio.shape[0], count, block).max(axis=(0, 2))
    highest = float(peaks.max())
    for index in np.flatnonzero(peaks >= highest * 10 ** (-4 / 20)):
        start, stop = max(0, index * block - 32), min(audio.shape[1], (index + 1) * block + 32)
        upsampled = resample_poly(audio[:, start:stop], 4, 1, axis=1)
        highest = max(highest, float(np.abs(upsampled).max()))
    return highest


def write_audio(path: Path, audio: np.ndarray, rate: int) -> Path:
    """Write (channels, samples) float audio; the extension picks the format. Returns the path."""
    import soundfile

    path = Path(path)
    try:
        container, subtype = FORMATS[path.suffix.lower()]
    except KeyError:
        raise OutputError(f"unknown audio format {path.suffix!r} in {path}; use one of: "
                          f"{', '.join(FORMATS)}") from None
    return atomic_write(path, lambda temp: soundfile.write(
        temp, np.asarray(audio).T, rate, format=container, subtype=subtype))
