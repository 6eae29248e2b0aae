"""Harmony: chords coloured as the style colours them, and voice-led chord voicings.

The progressions themselves are the style's (``Style.progressions``); score.py places them.

A chord is a scale degree (0 = tonic) with optional seventh and ninth; in minor the dominant
(degree 4) takes the leading tone, as in harmonic minor, so V-i cadences pull home.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...brief.styles import Style
from ...theory import SCALES, pitch_class


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


def chord(style: Style, degree: int) -> Chord:
    """The chord on ``degree`` coloured as the style colours it (sevenths, ninths)."""
    return Chord(degree, style.sevenths, style.ninths)


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
