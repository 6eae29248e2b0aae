"""Harmony: progressions per style, cadences at section ends, and voice-led chord voicings.

A chord is a scale degree (0 = tonic) with optional seventh and ninth; in minor the dominant
(degree 4) takes the leading tone, as in harmonic minor, so V-i cadences pull home.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...theory import SCALES, pitch_class

#: Four-chord progressions as scale degrees: (A-section choices, B-section choices) per mode.
POP = {"major": (((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 0, 4), (0, 2, 3, 4)),
                 ((3, 4, 2, 5), (5, 4, 3, 4), (3, 0, 4, 5), (1, 4, 2, 5))),
       "minor": (((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 6), (0, 5, 3, 4)),
                 ((5, 2, 6, 0), (3, 6, 2, 5), (5, 6, 3, 4), (2, 6, 5, 4)))}
JAZZ = {"major": (((1, 4, 0, 5), (0, 5, 1, 4), (2, 5, 1, 4), (0, 3, 1, 4)),
                  ((3, 6, 2, 5), (1, 4, 2, 5), (5, 1, 4, 0))),
        "minor": (((0, 3, 1, 4), (1, 4, 0, 0), (0, 5, 1, 4)),
                  ((3, 6, 2, 5), (5, 1, 4, 0), (2, 5, 1, 4)))}
LOFI = {"major": (((3, 2, 1, 0), (1, 4, 0, 5), (0, 2, 3, 4), (3, 4, 2, 5)),
                  ((5, 1, 3, 4), (3, 2, 5, 4), (1, 2, 3, 4))),
        "minor": (((0, 3, 6, 2), (0, 5, 3, 4), (3, 6, 0, 5)),
                  ((5, 6, 2, 5), (3, 4, 0, 0), (5, 3, 6, 4)))}
PROGRESSIONS = {"jazz": JAZZ, "lo-fi": LOFI}
#: Chord colour per style: (seventh, ninth).
EXTENSIONS = {"jazz": (True, True), "lo-fi": (True, True), "ambient": (False, True),
              "electronic": (True, False)}


@dataclass(frozen=True)
class Chord:
    """A diatonic chord: ``degree`` 0..6 with optional seventh and ninth."""

    degree: int
    seventh: bool = False
    ninth: bool = False

    def pitch_classes(self, tonic: str, mode: str) -> list[int]:
        """Root, third, fifth (seventh, ninth) as pitch classes, root first."""
        steps = SCALES[mode]
        root = pitch_class(tonic)
        indices = [0, 2, 4] + ([6] if self.seventh else []) + ([8] if self.ninth else [])
        classes = [(root + steps[(self.degree + i) % 7]) % 12 for i in indices]
        if mode == "minor" and self.degree == 4:
            classes[1] = (classes[1] + 1) % 12  # harmonic minor: the leading tone
        return classes


def progressions(genre: str, mode: str) -> tuple[tuple, tuple]:
    """(A choices, B choices) of four-degree progressions for a style and mode."""
    return PROGRESSIONS.get(genre, POP)[mode]


def chord(genre: str, degree: int) -> Chord:
    """The chord on ``degree`` coloured as the style colours it."""
    seventh, ninth = EXTENSIONS.get(genre, (False, False))
    return Chord(degree, seventh or (genre in ("jazz", "lo-fi") and degree == 4), ninth)


def voice(classes: list[int], previous: list[int] | None, *, low: int, high: int,
          size: int = 4) -> list[int]:
    """A close voicing of ``classes`` in ``low..high`` that moves least from ``previous``.

    Common tones stay where they were; other voices move to the nearest chord tone. With no
    previous chord, the voicing centres in the range.

    >>> voice([0, 4, 7], None, low=55, high=72, size=3)
    [60, 64, 67]
    """
    tones = (classes * 2)[:size] if len(classes) < size else classes[:size]
    options = []
    for first in range(low, high - 6):
        if first % 12 not in tones:
            continue
        voicing, pitch = [first], first
        for pc in sorted(set(tones) - {first % 12}, key=lambda c: (c - first) % 12):
            pitch = first + (pc - first) % 12
            voicing.append(pitch)
        while len(voicing) < size:  # doubled tone an octave up
            voicing.append(voicing[len(voicing) - len(set(tones))] + 12)
        voicing = sorted(voicing)
        if voicing[-1] > high:
            continue
        if previous is None:
            cost = abs(sum(voicing) / len(voicing) - (low + high) / 2)
        else:
            cost = sum(min(abs(p - q) for q in previous) for p in voicing)
            cost += sum(min(abs(p - q) for p in voicing) for q in previous)
        options.append((cost, voicing))
    return min(options)[1] if options else sorted(60 + (c - 0) % 12 for c in tones)
