"""Melody: a motif stated, answered, sequenced and brought to a cadence, phrase by phrase.

Notes are placed in scale steps: strong beats take chord tones, weak beats pass or turn by
step (passing and neighbour tones). A leap is at most an octave and is followed by a step
back; repeated notes are rare. The picture's contour sets where each phrase sits and peaks,
not every note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...theory import pitch_class, scale_pitches
from .harmony import Chord

#: One bar's rhythms in beats, sparse to busy; a negative length is a rest.
RHYTHMS = {
    4: (((2, 2), (3, 1), (-1, 1, 2), (1.5, 0.5, 2)),
        ((1, 1, 2), (1.5, 0.5, 1, 1), (-0.5, 0.5, 1, 2), (1, 0.5, 0.5, 2), (2, 1, 1)),
        ((0.5, 0.5, 1, 0.5, 0.5, 1), (1, 0.5, 0.5, 1, 1), (-0.5, 0.5, 0.5, 0.5, 1, 1),
         (0.75, 0.25, 1, 1, 1), (0.5, 1, 0.5, 1, 1))),
    3: (((2, 1), (3,), (-1, 2)),
        ((1, 1, 1), (1.5, 0.5, 1), (-1, 1, 1), (2, 0.5, 0.5)),
        ((0.5, 0.5, 1, 1), (1, 0.5, 0.5, 1), (0.5, 0.5, 0.5, 0.5, 1))),
}
#: Cadence bars: the last note is long.
CADENCE_RHYTHMS = {4: ((1, 3), (0.5, 0.5, 3), (-1, 1, 2), (4,)), 3: ((1, 2), (3,), (-1, 2))}
#: Motif shapes: scale steps between successive notes.
SHAPES = ((1, 1, -2, 1), (2, -1, -1, 2), (-1, -1, 2, 1), (1, 2, -1, -1), (-2, 1, 1, 1),
          (2, 1, -1, -2), (-1, 2, -1, 1), (1, -2, 1, 2))
LEAP = 5  # semitones; bigger intervals are leaps and want a step back


@dataclass(frozen=True)
class Note:
    """A note in beats from the start of its section (or of the piece)."""

    pitch: int
    start: float
    length: float
    velocity: int = 80


@dataclass(frozen=True)
class Motif:
    """The theme's cells: a rhythm and shape, its answer, and a cadence rhythm."""

    rhythm: tuple[float, ...]
    answer: tuple[float, ...]
    cadence: tuple[float, ...]
    shape: tuple[int, ...]


def make_motif(meter: int, density: float, rng: np.random.Generator) -> Motif:
    """A one-bar motif and its answer, busier with ``density`` (0..1)."""
    levels = RHYTHMS[meter]
    level = int(np.clip(round(density * (len(levels) - 1) + rng.normal(0, 0.5)), 0,
                        len(levels) - 1))
    choices = levels[level]
    first = int(rng.integers(len(choices)))
    rhythm = choices[first]
    # The answer is a different, usually calmer rhythm.
    answers = [r for r in levels[max(0, level - 1)] + choices if r != rhythm]
    answer = answers[int(rng.integers(len(answers)))]
    cadence = CADENCE_RHYTHMS[meter][int(rng.integers(len(CADENCE_RHYTHMS[meter])))]
    return Motif(rhythm, answer, cadence, SHAPES[int(rng.integers(len(SHAPES)))])


def vary(rhythm: tuple[float, ...], rng: np.random.Generator) -> tuple[float, ...]:
    """A variation of a rhythm: one note split in two, or two notes joined."""
    notes = list(rhythm)
    long = [i for i, d in enumerate(notes) if d >= 1]
    if long and (len(notes) < 4 or rng.random() < 0.5):
        i = long[int(rng.integers(len(long)))]
        notes[i:i + 1] = [notes[i] / 2, notes[i] / 2]
    else:
        pairs = [i for i in range(len(notes) - 1) if notes[i] > 0 and notes[i + 1] > 0]
        if pairs:
            i = pairs[int(rng.integers(len(pairs)))]
            notes[i:i + 2] = [notes[i] + notes[i + 1]]
    return tuple(notes)


class Line:
    """Writes melody notes in scale steps and keeps the rules of good voice leading."""

    def __init__(self, tonic: str, mode: str, *, centre: int, meter: int) -> None:
        self.scale = scale_pitches(tonic=tonic, mode=mode, low=centre - 10, high=centre + 15)
        self.tonic, self.mode, self.meter = tonic, mode, meter
        self.previous: int | None = None  # index into scale
        self.last_leap = 0  # semitones of the last interval if it was a leap

    def nearest(self, target: float, classes: set[int] | None = None) -> int:
        """Scale index nearest ``target`` (a scale index), among ``classes`` if given."""
        allowed = [i for i, p in enumerate(self.scale) if classes is None or p % 12 in classes]
        return min(allowed or range(len(self.scale)), key=lambda i: abs(i - target))

    def step(self, index: int, strong: bool, classes: set[int]) -> int:
        """Apply the rules to a wished-for scale index; returns the index actually used."""
        index = int(np.clip(index, 0, len(self.scale) - 1))
        if strong:
            index = self.nearest(index, classes)
        if self.previous is not None:
            interval = self.scale[index] - self.scale[self.previous]
            if abs(self.last_leap) >= LEAP:  # after a leap, step back the other way
                index = int(np.clip(self.previous - np.sign(self.last_leap), 0,
                                    len(self.scale) - 1))
            elif abs(interval) > 12:
                index = self.nearest(self.previous + np.sign(interval) * 4, classes)
            elif index == self.previous:
                index = self.previous + (1 if self.previous < len(self.scale) // 2 else -1)
            interval = self.scale[index] - self.scale[self.previous]
            self.last_leap = interval if abs(interval) >= LEAP else 0
        self.previous = index
        return index


def write_phrase(line: Line, motif: Motif, chords: list[Chord], *, arc: tuple[float, float],
                 closing: bool, rng: np.random.Generator, sequence: int = 1) -> list[Note]:
    """Four bars: motif, answer, the motif sequenced (varied), and a cadence with a long note.

    ``arc`` is (start height, peak height) in scale steps; ``closing`` ends on the tonic.
    """
    notes: list[Note] = []
    meter = line.meter
    rhythms = [motif.rhythm, motif.answer, vary(motif.rhythm, rng), motif.cadence]
    for bar, (rhythm, harmony) in enumerate(zip(rhythms, chords, strict=False)):
        classes = set(harmony.pitch_classes(line.tonic, line.mode)[:3])
        height = arc[0] + (arc[1] - arc[0]) * (0.0, 0.6, 1.0, 0.3)[bar]
        if bar == 2:
            height += sequence  # the sequence: motif moved up (or down) a step
        index = line.nearest(height, classes)
        offset = 0.0
        shape = motif.shape if bar != 1 else tuple(-s for s in motif.shape)
        count = 0
        for length in rhythm:
            if length < 0:
                offset -= length
                continue
            last = bar == 3 and offset + length >= meter - 1e-6
            strong = offset % 2 == 0 if meter == 4 else offset == 0
            if last:
                goal = ({pitch_class(line.tonic)} & classes if closing else None) or classes
                wish = line.nearest(index, goal)
            elif count == 0:
                wish = index
            else:
                wish = line.previous + shape[(count - 1) % len(shape)]
            pitch = line.scale[line.step(wish, strong or last, classes)]
            notes.append(Note(pitch, bar * meter + offset, length))
            offset += length
            count += 1
    return notes
