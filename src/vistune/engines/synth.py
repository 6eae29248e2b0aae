"""MIDI -> audio with a General MIDI SoundFont, then light effects.

Rendering uses ``midirenderer`` (a Rust SoundFont synthesiser that installs with pip alone on
Linux, macOS and Windows) with the TimGM6mb SoundFont that ships inside ``pretty_midi``.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile

from ..errors import ModelUnavailable

SAMPLE_RATE = 48_000  # what midirenderer produces


@functools.lru_cache(maxsize=4)
def _soundfont_bytes(path: str | None) -> bytes:
    """Bytes of ``path``, or of the SoundFont bundled with pretty_midi when None."""
    sf2 = Path(path) if path else Path(pretty_midi.__file__).with_name("TimGM6mb.sf2")
    try:
        return sf2.read_bytes()
    except OSError as exc:
        raise ModelUnavailable(f"SoundFont {sf2} cannot be read ({exc.strerror or exc}); "
                               "reinstall pretty_midi or pass another .sf2 file") from None


def render_midi(midi: pretty_midi.PrettyMIDI, *, duration: float, reverb: float = 0.6,
                soundfont: str | None = None) -> tuple[np.ndarray, int]:
    """Synthesise ``midi`` to float32 stereo audio (2, samples) of exactly ``duration`` seconds."""
    import midirenderer

    buffer = io.BytesIO()
    midi.write(buffer)
    wav = midirenderer.render_wave_from(_soundfont_bytes(soundfont), buffer.getvalue())
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    audio = audio.T
    samples = int(round(duration * rate))
    if audio.shape[1] >= samples:
        audio = audio[:, :samples]
    else:
        audio = np.pad(audio, ((0, 0), (0, samples - audio.shape[1])))
    return add_effects(np.ascontiguousarray(audio), rate, reverb=reverb), rate


def add_effects(audio: np.ndarray, rate: int, *, reverb: float) -> np.ndarray:
    """A touch of room (reverb of size ``reverb`` 0..1) and gentle compression."""
    from pedalboard import Compressor, HighpassFilter, Pedalboard, Reverb

    board = Pedalboard([
        HighpassFilter(cutoff_frequency_hz=30.0),
        Reverb(room_size=float(np.clip(reverb, 0.0, 1.0)), damping=0.5, wet_level=0.22,
               dry_level=0.8, width=1.0),
        Compressor(threshold_db=-18.0, ratio=2.5, attack_ms=15.0, release_ms=200.0),
    ])
    return board(audio, rate).astype(np.float32, copy=False)
