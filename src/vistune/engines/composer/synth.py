"""MIDI -> audio with a General MIDI SoundFont.

Rendering uses ``midirenderer`` (a Rust SoundFont synthesiser that installs with pip alone on
Linux, macOS and Windows). It takes the SoundFont as bytes and parses them on every call, so
it gets only the presets the MIDI plays, cut from the file once and kept (see sf2.py): a
490 MB SoundFont is neither re-read nor parsed whole for every piece or stem (parsing a cut
one takes milliseconds). What costs is the synthesis: a 30 s part takes 0.1-0.15 s even when
it is nearly silent (measured for issue 24; midirenderer keeps rustysynth's default settings,
whose reverb and chorus run on every sample), more with many voices; parts.py plays the parts
in parallel, and a part that enters late is played from just before its entry (see
:func:`_late_entry`): its silence costs as much as its sound. Without a SoundFont named,
the best General MIDI SoundFont installed in the usual places is used, else TimGM6mb from
pretty_midi.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pretty_midi

from ...errors import InputError
from .sf2 import PERCUSSION_BANK, sends_to_chorus, subset_bytes

SAMPLE_RATE = 48_000  # what midirenderer produces
BLOCK = 64  # samples: rustysynth's sequencer takes in MIDI events once per block of this many
#: Seconds of silence before a part's first note from which it is worth playing the part from
#: just before its entry (parsing and checking the MIDI take a few milliseconds).
LATE = 1.0
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
    return render_entry(midi, samples=samples, soundfont=soundfont)[0]


def render_entry(midi: pretty_midi.PrettyMIDI, *, samples: int,
                 soundfont: Path | None = None) -> tuple[np.ndarray, int]:
    """(``render_midi``'s audio, how many samples at its start are silence for certain: those
    skipped before a late entry, else 0)."""
    import midirenderer

    path = soundfont or find_soundfont()
    wanted = frozenset((PERCUSSION_BANK if part.is_drum else 0, part.program)
                       for part in midi.instruments)
    data = subset_bytes(path, wanted)
    buffer = io.BytesIO()
    midi.write(buffer)
    whole = buffer.getvalue()
    sounding = [note.start for part in midi.instruments for note in part.notes]
    # The chorus's modulation runs from the first sample: skipping time would shift it.
    late = _late_entry(whole) if min(sounding, default=0.0) >= LATE and \
        not sends_to_chorus(path, wanted) else None
    try:
        wav = midirenderer.render_wave_from(data, late.midi if late else whole)
    except Exception as exc:  # the Rust synthesiser raises plain exceptions on bad files
        raise InputError(f"SoundFont {path} cannot be played ({exc}); pass another "
                         ".sf2 file") from None
    if late is None:
        return _samples(wav, samples), 0
    return _samples(wav, samples, at=late.at, end=late.end), min(late.at, samples)


def _samples(wav: bytes, samples: int, *, at: int = 0, end: int | None = None
             ) -> np.ndarray:
    """midirenderer's 16-bit stereo WAV (a 44-byte header, then interleaved samples) as
    float32 (2, ``samples``), starting ``at`` samples in and cut at ``end`` (if given), the
    rest silence: one pass, no decoder (the same values libsndfile gives, x / 32768). A
    header of another layout is decoded by libsndfile instead, so a new midirenderer cannot
    turn its samples into noise."""
    room = max(0, min(samples, samples if end is None else end) - at)
    if not all(wav[offset:offset + len(expected)] == expected
               for offset, expected in _PCM16_STEREO):
        # Another layout (a later midirenderer): libsndfile reads any WAV.
        import soundfile

        decoded, _ = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
        pcm = decoded[:room] * np.float32(32768)
    else:
        pcm = np.frombuffer(wav, dtype="<i2", offset=WAV_HEADER).reshape(-1, 2)[:room]
    audio = np.zeros((2, samples), dtype=np.float32)
    np.multiply(pcm.T, np.float32(1 / 32768), out=audio[:, at:at + len(pcm)], casting="unsafe")
    return audio


class LateEntry(NamedTuple):
    """A part that enters late, as played from just before its entry: ``midi`` (its events
    moved ``at`` samples earlier) renders what the whole MIDI renders from ``at`` to ``end``."""

    midi: bytes
    at: int
    end: int


def _late_entry(whole: bytes) -> LateEntry | None:
    """The MIDI file ``whole`` moved earlier to just before its first note, if that provably
    renders the same samples, else None.

    rustysynth (1.3, inside midirenderer) starts from silence and takes in the events due at
    the start of each block of BLOCK samples: an event's time is the float sum of its
    tick deltas, due once the float sum of the block lengths reaches it. Silence before the
    first note is exact zeros (no voice sounds; the reverb has no input), and what follows
    does not depend on when it started as long as nothing reaches the chorus, whose
    modulation runs from the first sample: no CC93 here, and no preset sending to it
    (checked by the caller, see sf2.sends_to_chorus). So moving every event S ticks earlier
    (those before S to tick 0, in order: the set-up) renders the same samples, ``K * BLOCK``
    earlier, if every event from tick S on falls due K blocks earlier than in the whole
    file. That is checked here with rustysynth's own float arithmetic, for the shifts that
    should keep every event in its block (see _shifts), latest first (a shift of exactly K
    blocks need not exist: MIDI's tempo is in whole microseconds per beat, 108 bpm is
    555556)."""
    import mido

    file = mido.MidiFile(file=io.BytesIO(whole))
    tracks = [_absolute(track) for track in file.tracks]
    events = [(tick, msg) for track in tracks for tick, msg in track]
    if any(msg.type == "control_change" and msg.control == 93 and msg.value for _, msg
           in events):
        return None
    first = min((tick for tick, msg in events if msg.type == "note_on" and msg.velocity),
                default=None)
    if not first:
        return None
    times = _due(tracks, file.ticks_per_beat)
    starts = _block_starts(max(times.values()))
    blocks = {key: int(np.searchsorted(starts, due)) for key, due in times.items()}
    end = int(SAMPLE_RATE * max(times.values()))  # the length midirenderer renders
    last = max(tick for track in tracks for tick, _ in track)
    for shift in _shifts(tracks, file.ticks_per_beat, first, times):
        # Every event `shift` ticks earlier; the end of track one tick later than that, so
        # the render does not stop a sample short of the whole one's end.
        moved = [[(max(0, tick - shift) + (tick == last and msg.type == "end_of_track"), msg)
                  for tick, msg in track] for track in tracks]
        later = _due(moved, file.ticks_per_beat)
        skip = {blocks[key] - int(np.searchsorted(starts, later[key])) for key in later
                if tracks[key[0]][key[1]][0] >= shift and not tracks[key[0]][key[1]][1].is_meta}
        if len(skip) != 1 or (at := skip.pop() * BLOCK) <= 0 or \
                int(SAMPLE_RATE * max(later.values())) < end - at:
            continue
        out = mido.MidiFile(ticks_per_beat=file.ticks_per_beat)
        out.tracks = [_relative(track) for track in moved]
        buffer = io.BytesIO()
        out.save(file=buffer)
        return LateEntry(buffer.getvalue(), at, end)
    return None


def _absolute(track) -> list[tuple[int, object]]:
    """A mido track's messages with their absolute ticks."""
    tick, out = 0, []
    for msg in track:
        tick += msg.time
        out.append((tick, msg))
    return out


def _relative(events: list[tuple[int, object]]):
    """A mido track from (absolute tick, message) pairs in order: the messages themselves,
    their delta times set."""
    import mido

    previous = 0
    for tick, msg in events:
        msg.time, previous = tick - previous, tick
    return mido.MidiTrack(msg for _, msg in events)


def _due(tracks: list[list[tuple[int, object]]], resolution: int) -> dict[tuple[int, int], float]:
    """(track, index) -> seconds, for each message rustysynth keeps (channel messages, tempo
    changes, ends of track: no other meta or system exclusive), as its MidiFile adds them up:
    the tracks merged by tick (the earlier track first at a tie), each tick delta's seconds
    at the tempo then in force added to a running float. Tempo changes are not kept."""
    kept = sorted((tick, number, index, msg) for number, track in enumerate(tracks)
                  for index, (tick, msg) in enumerate(track)
                  if msg.type in ("set_tempo", "end_of_track") or not (msg.is_meta or
                                                                        msg.type == "sysex"))
    due, now, seconds, tempo = {}, 0, 0.0, 120.0
    for tick, number, index, msg in kept:
        seconds += 60.0 / (resolution * tempo) * (tick - now)
        now = tick
        if msg.type == "set_tempo":
            tempo = 60000000.0 / msg.tempo
        else:
            due[number, index] = seconds
    return due


def _block_starts(until: float) -> np.ndarray:
    """The sequencer's clock at the start of each block up to ``until`` seconds: block
    lengths added up one by one in floats (``np.cumsum`` adds in order), as rustysynth does.
    An event due at t is taken in by the first block whose clock is >= t."""
    count = int(until * SAMPLE_RATE / BLOCK) + 2
    return np.concatenate([[0.0], np.cumsum(np.full(count, BLOCK / SAMPLE_RATE))])


def _shifts(tracks: list[list[tuple[int, object]]], resolution: int, first: int,
            due: dict[tuple[int, int], float], tries: int = 8) -> list[int]:
    """Up to ``tries`` shifts in ticks (at most ``first``), latest first, that should keep
    every event from the shift on in its block, K blocks earlier: an event x blocks into the
    piece is due in block ceil(x); moved r blocks further than K (0 <= r < 1 or -1 < r <= 0),
    it stays there if it sits more than r past a block's start (r >= 0), or at least -r
    before the next (r < 0). A shift of exactly K blocks may keep them too."""
    tempos = sorted((tick, msg.tempo) for track in tracks for tick, msg in track
                    if msg.type == "set_tempo")
    per_tick = np.full(first, 500000.0)  # microseconds per beat; MIDI's default: 120 bpm
    for tick, tempo in tempos:
        per_tick[tick:] = tempo
    blocks = np.cumsum(per_tick / (resolution * 1e6)) * SAMPLE_RATE / BLOCK  # at tick k + 1
    over = blocks - np.round(blocks)  # r of each shift
    events = sorted((tracks[number][index][0], seconds * SAMPLE_RATE / BLOCK)
                    for (number, index), seconds in due.items()
                    if not tracks[number][index][1].is_meta)
    ticks = np.array([tick for tick, _ in events])
    at = np.array([x for _, x in events])
    before = np.minimum.accumulate((np.ceil(at) - at)[::-1])[::-1]  # from each event on
    after = np.minimum.accumulate((1 - np.ceil(at) + at)[::-1])[::-1]
    from_shift = np.searchsorted(ticks, np.arange(1, first + 1))  # first event at or after
    margin = 1e-6  # blocks: the float sums' error is far smaller
    fits = (over >= margin - before[from_shift]) & (over < after[from_shift] - margin)
    # A whole number of blocks (some tempos have them, 80 bpm's 750000 us a beat among
    # them): events on a block's start stay or move by the floats' rounding, which only the
    # check in _late_entry tells.
    fits |= np.abs(over) < margin
    return (np.flatnonzero(fits)[::-1][:tries] + 1).tolist()
