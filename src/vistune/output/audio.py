"""Mastering and writing audio: -14 LUFS, peaks under -1 dBFS, fades; format by extension."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

from ..errors import InputError, OutputError
from .files import atomic_write

#: Extension -> (libsndfile format, subtype).
FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"),
           ".mp3": ("MP3", "MPEG_LAYER_III")}
TARGET_LUFS = -14.0
PEAK_DBFS = -1.0
MAX_LIMITING_DB = 4.0  # the most the limiter may take off the loudest peaks
A = TypeVar("A")
B = TypeVar("B")


def master(audio: np.ndarray, rate: int, *, loudness: float = TARGET_LUFS,
           peak: float = PEAK_DBFS, fade_in: float = 0.02, fade_out: float = 1.5,
           max_limiting: float = MAX_LIMITING_DB) -> np.ndarray:
    """Fade, normalise integrated loudness (ITU-R BS.1770, pyloudnorm) and limit peaks.

    ``audio`` is float (channels, samples); the result is float32 of the same shape, at
    ``loudness`` LUFS (+/- 0.5 LU for music with headroom) with sample and 4x-oversampled peaks
    at or under ``peak`` dBFS. Calm, dynamic music whose peaks would need more than
    ``max_limiting`` dB of limiting to reach ``loudness`` keeps its dynamics and ends up
    quieter instead of squashed. Use ``fade_in=0, fade_out=0`` for loops. Silence stays silent.
    """
    out = fade(np.array(audio, dtype=np.float32), rate, fade_in=fade_in, fade_out=fade_out)
    ceiling = 10 ** (peak / 20)
    target = None
    for _ in range(3):  # gain, limit, re-measure: converges in two rounds for music
        measured = integrated_loudness(out, rate) if out.shape[1] >= rate // 2 else -np.inf
        if not np.isfinite(measured):
            break
        if target is None:  # decided once, on the unlimited audio
            target = measured + _allowed_gain(out, loudness - measured, peak=peak,
                                              max_limiting=max_limiting)
        gap = target - measured
        if abs(gap) < 0.3:
            break
        out = _limit(out * np.float32(10 ** (gap / 20)), rate, threshold=peak - 3.0)
    highest = _true_peak(out)
    if highest > ceiling:
        out *= np.float32(ceiling / highest * 0.999)
    return np.ascontiguousarray(out, dtype=np.float32)


def integrated_loudness(audio: np.ndarray, rate: int, *, block: float = 0.4) -> float:
    """Integrated loudness in LUFS of float (channels, samples) audio, ITU-R BS.1770-4: the
    K-weighting filters of pyloudnorm (both in one pass; the first channel and the others side
    by side), mean squares over 400 ms blocks
    overlapping by 75% (from sums over their four 100 ms quarters), then the -70 LUFS and
    -10 LU gates. Equals ``pyloudnorm.Meter(rate).integrated_loudness(audio.T)`` to rounding
    (whose block loop in Python takes ten times as long). -inf for silence."""
    from pyloudnorm import IIRfilter
    from scipy.signal import sosfilt

    stages = [IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"),  # head
              IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")]  # the RLB curve
    sos = np.array([np.concatenate([stage.b, stage.a]) for stage in stages])
    gain = np.prod([stage.passband_gain for stage in stages])
    quarter = int(round(block * rate / 4))
    count = audio.shape[1] // quarter
    if count < 4:
        return -np.inf
    first, others = audio[:1, :count * quarter], audio[1:, :count * quarter]
    weighted = np.concatenate(side_by_side(lambda: sosfilt(sos, first, axis=1),
                                           lambda: sosfilt(sos, others, axis=1))) * gain
    sums = np.square(weighted).reshape(audio.shape[0], count, quarter).sum(axis=2)
    power = sum(sums[:, k:count - 3 + k] for k in range(4)).sum(axis=0) / (4 * quarter)
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(power)
    gated = power[level >= -70.0]
    if gated.size == 0:
        return -np.inf
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = power[(level > relative) & (level > -70.0)]
    return float(-0.691 + 10 * np.log10(gated.mean())) if gated.size else -np.inf


def _allowed_gain(audio: np.ndarray, gain: float, *, peak: float, max_limiting: float) -> float:
    """``gain`` in dB, lowered where it would push the loud peaks (99.995th percentile, so a
    lone transient does not count) more than ``max_limiting`` dB over ``peak``."""
    loud = _percentile_of_loudest(np.abs(audio).ravel(), 99.995)
    if loud <= 0:
        return gain
    return min(gain, peak + max_limiting - 20 * np.log10(loud))


def _limit(audio: np.ndarray, rate: int, *, threshold: float) -> np.ndarray:
    """The peak limiter: a fast, steep compressor (unlike pedalboard's Limiter it adds no
    make-up gain, so levels below ``threshold`` dB pass unchanged). Its channels are limited
    independently (JUCE's compressor follows each channel's own level), so the first and
    the others go side by side, each through its own compressor."""
    from pedalboard import Compressor

    return by_channel(lambda channels: Compressor(
        threshold_db=threshold, ratio=20.0, attack_ms=1.0, release_ms=100.0)(channels, rate),
        audio)


def by_channel(process: Callable[[np.ndarray], np.ndarray], audio: np.ndarray) -> np.ndarray:
    """``process`` (which must treat channels independently and return float32) run on the
    first channel and on the others side by side (see :func:`side_by_side`), joined again:
    the same samples as ``process(audio)``, on two cores."""
    if audio.shape[0] < 2:
        return process(audio)
    return np.concatenate(side_by_side(lambda: process(audio[:1]), lambda: process(audio[1:])))


def side_by_side(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """(first(), second()): ``first`` in a helper thread while ``second`` runs here.
    pedalboard's and scipy's filters let go of the GIL, so the two use two cores. The thread
    ends before this returns: the composer forks its workers only where no other thread runs."""
    with ThreadPoolExecutor(1) as helper:
        pending = helper.submit(first)
        here = second()
        return pending.result(), here


def _percentile_of_loudest(values: np.ndarray, q: float, block: int = 1024) -> float:
    """``np.percentile(values, q)`` for a high ``q``, from the few values that can reach it:
    the k-th largest value is at least the k-th largest of the block maxima."""
    size = values.size
    position = q / 100 * (size - 1)
    top = size - int(np.floor(position))  # how many of the largest values decide it
    if not 2 <= top <= size // (4 * block):
        return float(np.percentile(values, q))
    whole = size // block * block
    maxima = np.append(values[:whole].reshape(-1, block).max(axis=1), values[whole:])
    floor = np.partition(maxima, maxima.size - top)[maxima.size - top]
    loudest = values[values >= floor]
    return float(np.percentile(loudest, 100 * (position - (size - loudest.size)) /
                               (loudest.size - 1)))


def fade(audio: np.ndarray, rate: int, *, fade_in: float, fade_out: float) -> np.ndarray:
    """``audio`` (channels, samples) faded in and out, in place (each fade at most a quarter
    of it); returned for convenience."""
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
    peak is within 4 dB of the loudest are oversampled (each with 32 samples of its
    neighbours; half of them in a helper thread).
    """
    from scipy.signal import resample_poly

    if audio.size == 0:
        return 0.0
    count = -(-audio.shape[1] // block)
    padded = np.pad(audio, ((0, 0), (32, count * block - audio.shape[1] + 32)))
    peaks = np.abs(padded[:, 32:32 + count * block]).reshape(
        audio.shape[0], count, block).max(axis=(0, 2))
    if peaks.max() == 0:
        return 0.0
    loud = np.flatnonzero(peaks >= peaks.max() * 10 ** (-4 / 20))
    blocks = np.stack([padded[:, i * block:(i + 1) * block + 64] for i in loud])
    half = (len(blocks) + 1) // 2  # the two halves side by side (scipy lets go of the GIL)
    return max(float(peaks.max()), *side_by_side(
        lambda: float(np.abs(resample_poly(blocks[:half], 4, 1, axis=-1)).max()),
        lambda: float(np.abs(resample_poly(blocks[half:], 4, 1, axis=-1)).max())
        if len(blocks) > 1 else 0.0))


def _container(suffix: str) -> tuple[str, str]:
    """(libsndfile format, subtype) for an extension; OutputError for anything else."""
    try:
        return FORMATS[suffix.lower()]
    except KeyError:
        raise OutputError(f"unknown audio format {suffix!r}; use one of: {', '.join(FORMATS)}"
                          ) from None


def write_audio(path: Path, audio: np.ndarray, rate: int, *, overwrite: bool = False) -> Path:
    """Write (channels, samples) float audio; the extension picks the format. Returns the path.

    An existing file is replaced only with ``overwrite``."""
    import soundfile

    path = Path(path)
    container, subtype = _container(path.suffix)
    return atomic_write(path, lambda temp: soundfile.write(
        temp, np.asarray(audio).T, rate, format=container, subtype=subtype),
        overwrite=overwrite)


def encode_audio(audio: np.ndarray, rate: int, suffix: str = ".wav") -> bytes:
    """The bytes of an audio file in the format of ``suffix`` (for players and downloads)."""
    import io

    import soundfile

    container, subtype = _container(suffix)
    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(audio).T, rate, format=container, subtype=subtype)
    return buffer.getvalue()


class WavStream:
    """16-bit WAV written chunk by chunk while the music is made (``compose --stream``).

    Use it as the ``on_audio`` callback. The header states the final length (``seconds``) up
    front, so a player can start at once and nothing seeks back: pipes work as well as files.
    (The stdlib's ``wave`` writer patches its header on close, which a pipe cannot take, so
    the 44-byte header is written here.)
    """

    def __init__(self, file: BinaryIO, seconds: float) -> None:
        self.file, self.seconds, self._started = file, seconds, False

    def __call__(self, chunk: np.ndarray, rate: int) -> None:
        """Append (channels, samples) float audio."""
        import soundfile

        channels = chunk.shape[0]
        if not self._started:
            size = int(round(self.seconds * rate)) * channels * 2
            self.file.write(struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + size, b"WAVE",
                                        b"fmt ", 16, 1, channels, rate, rate * channels * 2,
                                        channels * 2, 16, b"data", size))
            self._started = True
        pcm = io.BytesIO()  # libsndfile's float -> 16-bit conversion, clipped
        soundfile.write(pcm, chunk.T, rate, format="RAW", subtype="PCM_16")
        self.file.write(pcm.getvalue())
        self.file.flush()


def picture(audio: np.ndarray, rate: int, *, width: int = 900, height: int = 260):
    """A PIL image: the waveform's envelope above a log-frequency spectrogram."""
    from PIL import Image
    from scipy.signal import stft

    mono = np.asarray(audio, dtype=np.float32).mean(axis=0)
    wave_h, spec_h = height // 3, height - height // 3
    canvas = np.full((height, width, 3), 18, dtype=np.uint8)
    columns = np.array_split(np.abs(mono), width)
    peaks = np.array([c.max() if c.size else 0.0 for c in columns])
    peaks = peaks / max(float(peaks.max()), 1e-9)
    middle = wave_h // 2
    for x, peak in enumerate(peaks):
        reach = int(peak * (middle - 2))
        canvas[middle - reach:middle + reach + 1, x] = (120, 200, 255)
    _, _, spec = stft(mono, fs=rate, nperseg=2048, noverlap=1024)
    power = 20 * np.log10(np.abs(spec) + 1e-6)
    bins = np.geomspace(1, power.shape[0] - 1, spec_h).astype(int)[::-1]  # log frequency
    frames = np.linspace(0, power.shape[1] - 1, width).astype(int)
    level = np.clip((power[np.ix_(bins, frames)] + 90) / 90, 0, 1)
    colours = np.array([(10, 10, 30), (90, 20, 120), (220, 60, 70), (255, 200, 80),
                        (255, 255, 220)], dtype=np.float32)
    position = level * (len(colours) - 1)
    low = np.floor(position).astype(int).clip(0, len(colours) - 2)
    blend = (position - low)[..., None]
    canvas[wave_h:] = (colours[low] * (1 - blend) + colours[low + 1] * blend).astype(np.uint8)
    return Image.fromarray(canvas)


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 (channels, samples) and its rate; InputError if unreadable."""
    import soundfile

    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as exc:
        raise InputError(f"{path} is not a readable audio file ({exc}); use WAV, FLAC, OGG or "
                         "MP3") from None
    if data.shape[0] == 0:
        raise InputError(f"{path} holds no audio")
    return np.ascontiguousarray(data.T), int(rate)
