"""Transitions: how one section of a longer piece (a slideshow's picture) hands over to the next.

A section composed to lead into another is written past its cut (so its own ending is never
heard), then its last bar ramps, beat by beat, to the next section's tempo and ends exactly on
the cut. Over its last beat the drums (if any) play a fill down the toms; when the key changes,
chords and bass land on the new key's dominant seventh for the last two beats while melody and
pulse rest (a pivot into the new key). The next section opens with a crash cymbal when it, or
the section before, has drums.

Spans are counted in beats back from the cut, at the tempo the ramp has reached there, and
applied to the performed score: a transition changes nothing of the humanised playing before it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pretty_midi

from ...brief import MusicBrief
from ...brief.styles import Role
from ...theory import pitch_class
from .arrangement import DRUM

RAMP_BARS = 1  # a section's tempo ramps to the next section's over its last bar
ENDING_BARS = 3  # bars composed past a cut (and dropped), so a section's own ending is unheard
FILL_BEATS = 1  # the drum fill's length before the cut
PIVOT_BEATS = 2  # how long the next key's dominant seventh sounds before the cut
#: A fill down the kit in sixteenths: snare, high, mid and floor tom.
FILL = tuple(DRUM[drum] for drum in ("snare", "tom_high", "tom_mid", "tom_floor"))
CRASH = DRUM["crash"]


def ramp_ratio(tempo: float, to: float) -> float:
    """How much shorter (below 1) or longer a stretch of music becomes when its tempo moves
    evenly, beat by beat, from ``tempo`` to ``to``.

    >>> round(ramp_ratio(100, 112), 4), ramp_ratio(90, 90)
    (0.9444, 1.0)
    """
    change = to / tempo
    return 1.0 if abs(change - 1) < 1e-9 else math.log(change) / (change - 1)


def ramp_time(t: float, *, start: float, beats: float, tempo: float, to: float) -> float:
    """Where ``t`` (seconds at a constant ``tempo``) lands when the tempo, from ``start``
    on, moves evenly beat by beat to ``to`` over ``beats`` beats and stays there.

    >>> ramp_time(1.0, start=2.0, beats=4, tempo=120, to=120)
    1.0
    >>> round(ramp_time(4.0, start=2.0, beats=4, tempo=120, to=132), 4)  # 2 s + 2 s * 0.9531
    3.9062
    """
    if t <= start:
        return t
    beat = 60.0 / tempo
    inside = min(t - start, beats * beat)
    shift = to - tempo
    # Seconds for b beats while the tempo moves linearly in beats: 60 beats/shift * ln(T(b)/T0).
    seconds = (inside if abs(shift) < 1e-9
               else 60.0 * beats / shift * math.log1p(shift * inside / beat / beats / tempo))
    return start + seconds + (t - start - inside) * tempo / to


def _ramp(brief: MusicBrief, after: MusicBrief, length: float) -> tuple[float, float]:
    """(seconds the ramp lasts at the section's own tempo, seconds written up to the cut)."""
    bar = brief.meter * 60.0 / brief.tempo
    ramp = min(RAMP_BARS * bar, length / 2)
    return ramp, length + ramp * (1 - ramp_ratio(brief.tempo, after.tempo))


def written_length(brief: MusicBrief, after: MusicBrief, length: float) -> float:
    """Seconds to compose for a section of ``length`` seconds that leads into ``after``: up to
    the cut before the ramp shortens (or stretches) it, and ``ENDING_BARS`` past it."""
    bar = brief.meter * 60.0 / brief.tempo
    return _ramp(brief, after, length)[1] + ENDING_BARS * bar


def tempo_changes(brief: MusicBrief, after: MusicBrief | None,
                  length: float) -> list[tuple[float, float]]:
    """The tempo map of a section ``length`` seconds long: (seconds from its start, bpm), its
    own tempo and, when it leads into ``after``, each beat of the ramp at that beat's mean
    tempo.

    >>> [(round(t, 3), round(bpm, 1)) for t, bpm in tempo_changes(_Tempo(120), _Tempo(120), 4)]
    [(0.0, 120.0)]
    >>> len(tempo_changes(_Tempo(90, 4), _Tempo(100, 4), 8.0))  # 90 bpm, then 4 ramp beats
    5
    """
    changes = [(0.0, float(brief.tempo))]
    if after is None or after.tempo == brief.tempo:
        return changes
    ramp, written = _ramp(brief, after, length)
    beats = ramp * brief.tempo / 60.0
    beat = 60.0 / brief.tempo

    def warp(t: float) -> float:
        return ramp_time(t, start=written - ramp, beats=beats, tempo=brief.tempo, to=after.tempo)

    starts = [warp(written - ramp + k * beat) for k in range(int(round(beats)) + 1)]
    changes += [(a, 60.0 / (b - a)) for a, b in zip(starts, starts[1:], strict=False)
                if a < length - 1e-6]
    return changes


class _Tempo:
    """A brief's tempo and meter alone (for the examples above)."""

    def __init__(self, tempo: float, meter: int = 4) -> None:
        self.tempo, self.meter = tempo, meter


def hand_over(midi: pretty_midi.PrettyMIDI, brief: MusicBrief, after: MusicBrief, *,
              length: float) -> Callable[[float], float]:
    """Turn ``midi`` (composed ``written_length`` seconds long) into a section that ramps to
    ``after``'s tempo, ends on the cut at ``length`` seconds and leads into ``after``.
    Returns the retiming (seconds as composed -> seconds as played), which places the
    score's bars."""
    ramp, written = _ramp(brief, after, length)

    def warp(t: float) -> float:
        return ramp_time(t, start=written - ramp, beats=ramp * brief.tempo / 60.0,
                         tempo=brief.tempo, to=after.tempo)

    _retime(midi, warp)
    _cut(midi, length)
    _lead_into(midi, brief, after, at=length)
    return warp


def crash_in(midi: pretty_midi.PrettyMIDI, *, before: pretty_midi.PrettyMIDI) -> None:
    """A crash cymbal on a section's first beat when it, or the section ``before``, has drums."""
    drums = _part(midi, Role.DRUMS)
    if drums is None and _part(before, Role.DRUMS) is None:
        return
    if drums is None:
        drums = pretty_midi.Instrument(0, is_drum=True, name=Role.DRUMS.value)
        midi.instruments.append(drums)
    drums.notes.append(pretty_midi.Note(100, CRASH, 0.0, 1.5))


def _retime(midi: pretty_midi.PrettyMIDI, warp: Callable[[float], float]) -> None:
    """Move every note and controller of ``midi`` through ``warp`` (seconds -> seconds)."""
    for part in midi.instruments:
        for note in part.notes:
            note.start, note.end = warp(note.start), warp(note.end)
        for change in part.control_changes:
            change.time = warp(change.time)


def _cut(midi: pretty_midi.PrettyMIDI, at: float) -> None:
    """Drop what starts at or after ``at`` seconds and end every note by then."""
    for part in midi.instruments:
        part.notes = [n for n in part.notes if n.start < at - 0.02]
        for note in part.notes:
            note.end = min(note.end, at)
        part.control_changes = [c for c in part.control_changes if c.time < at]


def _part(midi: pretty_midi.PrettyMIDI, role: Role) -> pretty_midi.Instrument | None:
    return next((p for p in midi.instruments if p.name == role), None)


def _lead_into(midi: pretty_midi.PrettyMIDI, brief: MusicBrief, after: MusicBrief, *,
               at: float) -> None:
    """The fill over the last ``FILL_BEATS`` before ``at`` and, when the key changes, the
    pivot over the last ``PIVOT_BEATS``."""
    beat = 60.0 / after.tempo  # the ramp has reached the next tempo by the cut
    drums = _part(midi, Role.DRUMS)
    if drums is not None:
        fill = at - FILL_BEATS * beat
        drums.notes = [n for n in drums.notes if n.start < fill]
        loud = max((n.velocity for n in drums.notes), default=90)
        for k, pitch in enumerate(FILL):
            drums.notes.append(pretty_midi.Note(min(127, loud - 12 + 6 * k), pitch,
                                                fill + k * beat / 4, fill + (k + 1) * beat / 4))
    if (brief.key, brief.mode) == (after.key, after.mode):
        return
    dominant = (pitch_class(after.key) + 7) % 12
    seventh = [60 + (dominant + i - 60) % 12 for i in (0, 4, 7, 10)]
    # Melody and pulse (still in the old key) rest while the new key's dominant sounds.
    pivot = at - PIVOT_BEATS * beat
    for role, pitches in ((Role.CHORDS, seventh), (Role.BASS, [36 + dominant]),
                          (Role.MELODY, []), (Role.PULSE, [])):
        part = _part(midi, role)
        if part is None:
            continue
        loud = int(np.mean([n.velocity for n in part.notes] or [80]))
        part.notes = [n for n in part.notes if n.start < pivot - 0.02]
        for note in part.notes:
            note.end = min(note.end, pivot)
        part.notes += [pretty_midi.Note(loud, pitch, pivot, at) for pitch in pitches]
