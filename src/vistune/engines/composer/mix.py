"""Mix: where each part sits (pan, level, EQ) and the room it plays in (reverb per style).

Bass, kick and melody stay in the centre; chords and the pulse part sit either side, so the
width comes from the arrangement, not only from reverb. Each part is equalised on its own as
in a real mix: everything but the bass and the kit is high-passed under its lowest note, the
low mids are cleaned up, and the chords and the pulse part dip where the melody sits (its
middle note and its presence band), which the melody gets a little more of, so nothing masks
it. Then the melody's fader comes up where a SoundFont plays it far too quietly against the
others (MuseScore_General's grand piano, as midirenderer plays it, is 20-30 dB quieter in its
top octaves than in the accompaniment's). Reverb is a send: only what is above the bass goes
into the room, so the low end stays dry and tight. The mix is the sum of the parts, so stems
sum to it.
"""

from __future__ import annotations

import queue
from collections.abc import Iterable

import numpy as np
import pretty_midi

from ...brief.styles import Role, Style
from ...output.audio import by_channel, side_by_side

#: Role -> (pan -1 left .. 1 right, channel volume 0..127), unless the style places it
#: (``Style.places``).
PLACES = {Role.MELODY: (0.08, 110), Role.CHORDS: (-0.35, 84), Role.BASS: (0.0, 100),
          Role.PULSE: (0.4, 78), Role.DRUMS: (0.0, 96)}
SEND_CUTOFF = 250.0  # Hz: below this nothing goes into the reverb
PRESENCE = 3000.0  # Hz: where a melody's consonants and bite sit
#: dB: the melody's level in its band over the accompaniment's, at least. A tune's energy sits
#: in a few harmonics, so it stands out at -6 dB; lifting it further (to 0 or +6 dB) made the
#: beat tracker follow the tune's rhythm instead of the classical-piano accompaniment's pulse.
MELODY_OVER = -6.0
MAX_LIFT = 30.0  # dB: the most the melody's fader comes up
#: Role -> (highest high-pass corner in Hz, [(Hz or "melody", gain dB, Q)...]). The corner
#: moves down to 0.7x the part's lowest note when it plays lower.
EQ = {Role.MELODY: (150.0, [(PRESENCE, 2.0, 0.8)]),
      Role.CHORDS: (160.0, [(300.0, -2.5, 1.0), ("melody", -4.0, 1.0), (PRESENCE, -2.0, 0.8)]),
      Role.PULSE: (200.0, [(300.0, -2.0, 1.0), ("melody", -3.0, 1.0), (PRESENCE, -2.0, 0.8)]),
      Role.BASS: (20.0, [(250.0, -2.0, 1.0)]),
      Role.DRUMS: (20.0, [(400.0, -3.0, 1.2)])}
EQ_BLOCK = 8192  # samples pedalboard filters at a time (its default)
ROOM_CHUNK = 8 * EQ_BLOCK  # samples of the send handed to the reverb at a time


def mix_controls(role: str, style: Style) -> list[pretty_midi.ControlChange]:
    """Pan (CC10), volume (CC7) and no built-in reverb or chorus (CC91, CC93) at time 0."""
    pan, volume = style.places.get(role, PLACES.get(role, (0.0, 90)))
    cc = pretty_midi.ControlChange
    return [cc(10, int(round(64 + 63 * pan)), 0.0), cc(7, volume, 0.0), cc(91, 0, 0.0),
            cc(93, 0, 0.0)]


def equalise(audio: np.ndarray, rate: int, *, role: str, lowest_hz: float,
             melody_hz: float, silent: int = 0) -> np.ndarray:
    """One part's EQ: a 12 dB/octave high-pass under ``lowest_hz`` (its lowest note) and the
    role's peaks, ``"melody"`` meaning the melody's middle note, ``melody_hz``.

    The first ``silent`` samples of ``audio`` are exact zeros (a late entry): filtered from
    zeros they stay zeros, so the filters start at the last EQ_BLOCK boundary before its end.
    Not later: pedalboard filters in blocks of that many samples, and JUCE's filters set
    tiny state values to zero at the end of each block, so the same blocks give the same
    samples bit for bit, and others may not. The first channel and the others are filtered
    side by side, each by its own filters (they are independent: the same samples)."""
    from pedalboard import HighpassFilter, PeakFilter, Pedalboard

    top, peaks = EQ.get(role, EQ[Role.PULSE])
    corner = min(top, 0.7 * lowest_hz)

    def filtered(channels: np.ndarray) -> np.ndarray:
        board = Pedalboard([HighpassFilter(cutoff_frequency_hz=corner),  # two first-order
                            HighpassFilter(cutoff_frequency_hz=corner)])  # stages
        for where, gain, q in peaks:
            board.append(PeakFilter(cutoff_frequency_hz=melody_hz if where == "melody"
                                    else where, gain_db=gain, q=q))
        return board(channels, rate, buffer_size=EQ_BLOCK)

    start = silent // EQ_BLOCK * EQ_BLOCK
    out = np.zeros(audio.shape, dtype=np.float32)
    out[:, start:] = by_channel(filtered, audio[:, start:])
    return out


def melody_gain(melody: np.ndarray, accompaniment: np.ndarray, rate: int, *,
                low_hz: float) -> float:
    """The gain (linear, >= 1) that puts the melody at least MELODY_OVER dB over the
    accompaniment in the melody's band (``low_hz`` .. 4 kHz), measured in 50 ms blocks where
    the melody sounds; at most MAX_LIFT dB."""
    block = rate // 20
    count = melody.shape[1] // block
    if count == 0:
        return 1.0
    energy = side_by_side(lambda: _band_energy(melody, rate, low_hz, block, count),
                          lambda: _band_energy(accompaniment, rate, low_hz, block, count))
    sounding = energy[0] > 1e-4 * energy[0].max()
    if not sounding.any() or energy[1][sounding].sum() <= 0:
        return 1.0
    over = 10 * np.log10(energy[0][sounding].sum() / energy[1][sounding].sum())
    return float(10 ** (np.clip(MELODY_OVER - over, 0.0, MAX_LIFT) / 20))


def room(audio: np.ndarray, rate: int, *, size: float) -> np.ndarray:
    """Add the style's reverb (room ``size`` 0..1) as a send above the bass; linear in audio.

    The reverb (the longest step) runs in a helper thread on the send as its high-pass
    hands it over, ROOM_CHUNK samples at a time, while this thread filters the send and then
    the dry path. pedalboard carries its filters' and the reverb's state from one call to
    the next (``reset=False``), and the chunks hold whole EQ_BLOCKs: the same samples as in
    one call."""
    from pedalboard import HighpassFilter, HighShelfFilter, Pedalboard, Reverb

    high = Pedalboard([HighpassFilter(cutoff_frequency_hz=SEND_CUTOFF)])
    reverb = Pedalboard([Reverb(room_size=float(np.clip(size, 0.0, 1.0)), damping=0.45,
                                wet_level=1.0, dry_level=0.0, width=1.0)])
    dry = Pedalboard([HighpassFilter(cutoff_frequency_hz=28.0),
                      HighShelfFilter(cutoff_frequency_hz=7000.0, gain_db=2.0)])
    wet_level = 0.12 + 0.16 * float(np.clip(size, 0.0, 1.0))
    starts = range(0, audio.shape[1], ROOM_CHUNK)
    sends: queue.SimpleQueue = queue.SimpleQueue()

    def wet() -> np.ndarray:
        out = np.empty(audio.shape, dtype=np.float32)
        for start in starts:
            send = sends.get()
            if send is None:  # the high-pass failed: its error is raised below
                return out
            out[:, start:start + ROOM_CHUNK] = reverb(send, rate, buffer_size=EQ_BLOCK,
                                                      reset=start == 0)
        return out

    def here() -> np.ndarray:
        try:
            for start in starts:
                sends.put(high(audio[:, start:start + ROOM_CHUNK], rate,
                               buffer_size=EQ_BLOCK, reset=start == 0))
        except BaseException:
            sends.put(None)
            raise
        return dry(audio, rate)

    wet_audio, out = side_by_side(wet, here)
    out += np.float32(wet_level) * wet_audio
    return out.astype(np.float32, copy=False)


def _band_energy(audio: np.ndarray, rate: int, low_hz: float, block: int,
                 count: int) -> np.ndarray:
    """The energy of ``audio``'s mono sum in the melody's band, in ``count`` blocks."""
    from pedalboard import HighpassFilter, LowpassFilter, Pedalboard

    band = Pedalboard([HighpassFilter(cutoff_frequency_hz=low_hz),
                       HighpassFilter(cutoff_frequency_hz=low_hz),
                       LowpassFilter(cutoff_frequency_hz=4000.0),
                       LowpassFilter(cutoff_frequency_hz=4000.0)])
    return (band(audio.mean(axis=0, keepdims=True), rate)[0, :count * block] ** 2).reshape(
        count, block).sum(axis=1)


def mix_down(dry: dict[str, np.ndarray], rate: int, *, size: float, stems: bool,
             melody_low_hz: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(mix, parts) from each part's equalised audio: the melody's fader set (see
    melody_gain), then the room. With ``stems`` every part goes through the room and the mix
    is their sum; otherwise the parts are summed first and share one reverb (it is linear, so
    the mix is the same to float rounding) and no parts are returned."""
    if Role.MELODY in dry and len(dry) > 1:
        rest = total(a for name, a in dry.items() if name != Role.MELODY)
        dry = {**dry, Role.MELODY: dry[Role.MELODY] * np.float32(
            melody_gain(dry[Role.MELODY], rest, rate, low_hz=melody_low_hz))}
    if not stems:
        return room(total(dry.values()), rate, size=size), {}
    parts = {name: room(audio, rate, size=size) for name, audio in dry.items()}
    return total(parts.values()), parts


def total(parts: Iterable[np.ndarray]) -> np.ndarray:
    """The float32 sum of ``parts``, added one after another into a new array: what
    ``np.sum(parts, axis=0)`` gives, bit for bit, without stacking them into one array
    first."""
    parts = iter(parts)
    out = np.array(next(parts), dtype=np.float32)
    for audio in parts:
        out += audio
    return out
