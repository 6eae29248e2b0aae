"""MIDI -> audio with a General MIDI SoundFont.

Rendering uses ``midirenderer`` (a Rust SoundFont synthesiser that installs with pip alone on
Linux, macOS and Windows). It takes the SoundFont as bytes and parses them on every call, so
it gets only the presets the MIDI plays, cut from the file once and kept (see sf2.py): a
490 MB SoundFont is neither re-read nor parsed whole for every piece or stem (parsing a cut
one takes milliseconds). What costs is the synthesis: a 30 s part takes 0.1-0.15 s even when
it is nearly silent (measured for issue 24; midirenderer keeps rustysynth's default settings,
whose reverb and chorus run on every sample), more with many voices; parts.py plays the parts
in parallel. Without a
SoundFont named, the best General MIDI SoundFont installed in the usual places is used, else
TimGM6mb from pretty_midi.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pretty_midi

from ...errors import InputError
from .sf2 import PERCUSSION_BANK, subset_bytes

SAMPLE_RATE = 48_000  # what midirenderer produces
WAV_HEADER = 44  # bytes before midirenderer's samples
#: The canonical header midirenderer 0.1.3 writes (RIFF, WAVE, a 16-byte fmt chunk: PCM, 2
#: channels, SAMPLE_RATE, 16 bits), as (offset, bytes) to check before reading past it.
_PCM16_STEREO = ((0, b"RIFF"), (8, b"WAVEfmt \x10\0\0\0\x01\0\x02\0"),
                 (24, SAMPLE_RATE.to_bytes(4, "little")), (34, b"\x10\0data"))
#: Installed SoundFonts, best first: Debian's musescore-general-soundfont-lossless and
#: fluid-soundfont-gm (and the same files where other systems put them).
SOUNDFONT_PLACES = tuple(Path(folder) / name
                         for name in ("MuseScore_General_Full.sf2", "MuseScore_General.sf2",
                                      "FluidR3_GM.sf2")
                         for folder in ("/usr/share/sounds/sf2", "/usr/share/soundfonts",
                                        "/usr/local/share/soundfonts"))
BUNDLED = Path(pretty_midi.__file__).with_name("TimGM6mb.sf2")


def find_soundfont(soundfont: str | Path | None = None) -> Path:
    """The SoundFont to play: ``soundfont`` if given, else $VISTUNE_SOUNDFONT, else the best
    installed General MIDI SoundFont, else TimGM6mb. InputError if a named file is missing."""
    named = soundfont or os.environ.get("VISTUNE_SOUNDFONT")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            origin = "VISTUNE_SOUNDFONT" if not soundfont else "SoundFont"
            raise InputError(f"{origin} {path} is not a file; give the path of an .sf2 "
                             "SoundFont (e.g. /usr/share/sounds/sf2/FluidR3_GM.sf2)")
        return path
    return next((p for p in SOUNDFONT_PLACES if p.is_file()), BUNDLED)


def render_midi(midi: pretty_midi.PrettyMIDI, *, samples: int,
                soundfont: Path | None = None) -> np.ndarray:
    """Synthesise ``midi`` to dry float32 stereo audio (2, ``samples``)."""
    import midirenderer

    path = soundfont or find_soundfont()
    data = subset_bytes(path, frozenset(
        (PERCUSSION_BANK if part.is_drum else 0, part.program) for part in midi.instruments))
    buffer = io.BytesIO()
    midi.write(buffer)
    try:
        wav = midirenderer.render_wave_from(data, buffer.getvalue())
    except Exception as exc:  # the Rust synthesiser raises plain exceptions on bad files
        raise InputError(f"SoundFont {path} cannot be played ({exc}); pass another "
                         ".sf2 file") from None
    return _samples(wav, samples)


def _samples(wav: bytes, samples: int) -> np.ndarray:
    """midirenderer's 16-bit stereo WAV (a 44-byte header, then interleaved samples) as
    float32 (2, ``samples``), cut or padded with silence: one pass, no decoder (the same
    values libsndfile gives, x / 32768). A header of another layout is decoded by
    libsndfile instead, so a new midirenderer cannot turn its samples into noise."""
    if not all(wav[at:at + len(expected)] == expected for at, expected in _PCM16_STEREO):
        # Another layout (a later midirenderer): libsndfile reads any WAV.
        import soundfile

        decoded, _ = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
        pcm = decoded[:samples] * np.float32(32768)
    else:
        pcm = np.frombuffer(wav, dtype="<i2", offset=WAV_HEADER).reshape(-1, 2)[:samples]
    audio = np.zeros((2, samples), dtype=np.float32)
    np.multiply(pcm.T, np.float32(1 / 32768), out=audio[:, :len(pcm)], casting="unsafe")
    return audio
