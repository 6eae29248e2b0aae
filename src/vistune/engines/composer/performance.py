"""Performance: the score played by people, written as MIDI a DAW opens ready to edit.

Swing moves off-beat eighths late; each note lands a few milliseconds off the grid (never more
than 30 ms); velocities rise and fall over each phrase with accents on strong beats; the
final bars slow down (ritardando). Piano parts get the sustain pedal (CC64), pads and
strings swell (CC11), electronic pads pump on the beat; through a build the chords and the
pulse grow louder (CC11 crescendo) into the climax. Legato melodies hold each phrase's last
note to the next. :func:`played_sections` says what each section played, and when.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pretty_midi

from ...brief import MusicBrief
from ...brief.styles import Role
from ...theory import pitch_class
from .. import PlayedSection
from .mix import mix_controls
from .score import Part, Score

MAX_OFFSET = 0.030  # seconds
RITARDANDO = 0.35  # the last beat before the ending is this much longer than a plain beat
PHRASE_SWELL = 12  # velocity the phrase arc adds at its peak
CRESCENDO = (62, 127)  # CC11 from the start to the end of a build
PIANOS = range(0, 8)  # GM programs played with the sustain pedal


class Clock:
    """Beats -> seconds: swing within each beat and a ritardando into the ending."""

    def __init__(self, tempo: float, swing: float, slow_from: float | None,
                 slow_beats: float) -> None:
        self.beat = 60.0 / tempo
        self.swing = swing
        self.slow_from, self.slow_beats = slow_from, max(slow_beats, 1e-9)

    def __call__(self, beat: float) -> float:
        """Seconds at ``beat``."""
        whole, part = divmod(beat, 1.0)
        if self.swing != 0.5:
            part = part / 0.5 * self.swing if part < 0.5 else (
                self.swing + (part - 0.5) / 0.5 * (1 - self.swing))
        beat = whole + part
        seconds = beat * self.beat
        if self.slow_from is not None and beat > self.slow_from:
            x = min(beat - self.slow_from, self.slow_beats)
            seconds += self.beat * RITARDANDO * x ** 3 / (3 * self.slow_beats ** 2)
            seconds += self.beat * RITARDANDO * max(0.0, beat - self.slow_from - x)
        return seconds


def score_clock(score: Score, brief: MusicBrief) -> Clock:
    """The clock ``perform`` plays ``score`` by: the brief's tempo and the style's swing,
    slowing into the ending (not in a loop)."""
    ending = [bar for bar in score.bars if bar.ending]
    slow_from = None if score.loop or not ending else max(0.0, ending[0].start - score.meter)
    return Clock(brief.tempo, score.style.swing, slow_from, 2.0 * score.meter)


def played_sections(score: Score, midi: pretty_midi.PrettyMIDI,
                    clock: Callable[[float], float],
                    length: float) -> tuple[PlayedSection, ...]:
    """The sections of ``score`` as ``midi`` (its performance, ``clock`` placing each beat in
    seconds, ``length`` seconds long) plays them: when each starts and ends, its bars and
    energy and the parts that start notes in it (up to 50 ms early, as humanised notes
    may). Bars written past ``length`` (a slideshow's section is cut before its ending) are
    not played, and not counted."""
    runs: list[list] = []
    for bar in score.bars:
        if clock(bar.start) >= length:
            break
        if runs and runs[-1][0].section is bar.section:
            runs[-1].append(bar)
        else:
            runs.append([bar])
    out = []
    for number, run in enumerate(runs):
        start = clock(run[0].start)
        end = length if number == len(runs) - 1 else clock(runs[number + 1][0].start)
        parts = tuple(track.name for track in midi.instruments
                      if any(start - 0.05 <= n.start < end - 0.05 for n in track.notes))
        section = run[0].section
        out.append(PlayedSection(section.label, section.arc, start, end, len(run),
                                 float(np.mean([bar.energy for bar in run])), parts))
    return tuple(out)


def perform(score: Score, brief: MusicBrief, *, rng: np.random.Generator) -> pretty_midi.PrettyMIDI:
    """The score as MIDI: named tracks, tempo, time and key signatures, humanised playing."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=float(brief.tempo))
    midi.time_signature_changes.append(pretty_midi.TimeSignature(brief.meter, 4, 0.0))
    key_number = pitch_class(brief.key) + (12 if brief.mode == "minor" else 0)
    midi.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
    clock = score_clock(score, brief)
    phrase_beats = 4 * score.meter
    for part in score.parts:
        held = _phrase_ends(part.notes, phrase_beats) if part.role == Role.MELODY and \
            score.style.legato >= 0.9 else set()
        program = 0 if part.is_drum else pretty_midi.instrument_name_to_program(part.program)
        track = pretty_midi.Instrument(program, is_drum=part.is_drum, name=part.role.value)
        looseness = score.style.looseness * (0.5 if part.is_drum else 1.0)
        for note in part.notes:
            # A velocity arc over each phrase, peaking two-thirds in, and accents on the beat.
            where = (note.start % phrase_beats) / phrase_beats
            arc = PHRASE_SWELL * np.sin(np.pi * where ** 1.67)
            accent = 8 if note.start % score.meter == 0 else 4 if note.start % 1 == 0 else 0
            velocity = note.velocity + (arc + accent if not part.is_drum else 0)
            velocity += rng.normal(0, 4)
            offset = float(np.clip(rng.normal(0, looseness), -MAX_OFFSET, MAX_OFFSET))
            start = max(0.0, clock(note.start) + offset)
            end = clock(note.start + note.length)
            if part.role == Role.MELODY and note.start not in held:
                end = start + (end - start) * score.style.legato
            track.notes.append(pretty_midi.Note(int(np.clip(velocity, 12, 127)), note.pitch,
                                                start, max(end, start + 0.04)))
        track.control_changes += _expression(part, score, program, clock)
        track.control_changes += [pretty_midi.ControlChange(number, value, clock(beat))
                                  for number, beat, value in part.controls]
        track.control_changes += mix_controls(part.role, score.style)
        track.control_changes.sort(key=lambda c: c.time)
        midi.instruments.append(track)
    return midi


def _phrase_ends(notes: list, phrase_beats: float) -> set[float]:
    """Starts of the notes that end a phrase: the last before each phrase boundary."""
    last: dict[int, float] = {}
    for note in notes:
        phrase = int((note.start + note.length - 1e-6) // phrase_beats)
        last[phrase] = max(last.get(phrase, note.start), note.start)
    return set(last.values())


def _crescendo(part: Part, score: Score, clock: Clock) -> list:
    """CC11 rising through each build (chords and pulse), back to full after it."""
    cc = pretty_midi.ControlChange
    events = []
    builds = [bar for bar in score.bars if bar.section.arc == "build"]
    for bar in builds:
        for k in range(4):
            x = (bar.position + k / 4) / bar.section.bars
            value = int(CRESCENDO[0] + (CRESCENDO[1] - CRESCENDO[0]) * x)
            events.append(cc(11, value, clock(bar.start + k * score.meter / 4)))
        if bar.position == bar.section.bars - 1:
            events.append(cc(11, 127, clock(bar.start + score.meter)))
    return events if part.role in (Role.CHORDS, Role.PULSE) else []


def _expression(part: Part, score: Score, program: int, clock: Clock) -> list:
    """Pedal for pianos, swells for pads and strings, pumping for electronic pads, the
    crescendo through a build."""
    cc = pretty_midi.ControlChange
    events = []
    style = score.style
    building = {bar.index for bar in score.bars if bar.section.arc == "build"}
    if part.role in (Role.CHORDS, Role.BASS) and style.pedal and program in PIANOS:
        for bar in score.bars:  # legato pedal: up as the chord changes, down just after
            events.append(cc(64, 0, max(0.0, clock(bar.start) - 0.01)))
            events.append(cc(64, 127, clock(bar.start) + 0.06))
    if part.role == Role.CHORDS and style.swell:
        for bar in score.bars:
            if bar.index in building:
                continue
            shape = 1.67 if bar.position % 2 == 0 else 0.8  # peaks late, then early
            for k in range(8):
                x = k / 8
                level = 70 + 45 * np.sin(np.pi * x ** shape)
                events.append(cc(11, int(np.clip(level, 0, 127)),
                                 clock(bar.start + x * score.meter)))
    if part.role == Role.CHORDS and style.pump:
        for bar in score.bars:
            if bar.index in building:
                continue
            for beat in range(score.meter):
                for k, level in enumerate((45, 80, 105, 118)):
                    events.append(cc(11, level, clock(bar.start + beat + k / 4)))
    return events + _crescendo(part, score, clock)
