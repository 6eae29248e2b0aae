"""Harmony: chords coloured as the style colours them, and voice-led chord voicings.

The progressions themselves are the style's (``Style.progressions``); score.py places them.

A chord is a scale degree (0 = tonic) with optional seventh (or sixth) and ninth, and may be
a sus chord (the fourth in place of the third); in minor the dominant (degree 4) takes the
leading tone, as in harmonic minor, so V-i cadences pull home.

Jazz colours (``Style.jazz_colours``, jazz and lo-fi) keep extended chords without blurring
the key, as arrangers do: the major tonic is a sixth chord (I6/9), not Imaj9, which spells
the dominant's key (Amaj9 is IVmaj9 of E); dominants are sus chords (V9sus4: the tonic and the
fourth over the dominant's root) except in the final cadence, whose V pulls home to I.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...brief.styles import Style
from ...theory import SCALES, pitch_class


@dataclass(frozen=True)
class Chord:
    """A diatonic chord: ``degree`` 0..6 with optional seventh (or ``sixth`` in its place)
    and ninth; ``sus``: the fourth replaces the third."""

    degree: int
    seventh: bool = False
    ninth: bool = False
    sixth: bool = False
    sus: bool = False

    def pitch_classes(self, tonic: str, mode: str) -> list[int]:
        """Root, third (or fourth), fifth (seventh or sixth, ninth) as pitch classes, root
        first."""
        steps = SCALES[mode]
        root = pitch_class(tonic)
        colour = [5] if self.sixth else [6] if self.seventh else []
        indices = [0, 3 if self.sus else 2, 4] + colour + ([8] if self.ninth else [])
        classes = [(root + steps[(self.degree + i) % 7]) % 12 for i in indices]
        if mode == "minor" and self.degree == 4 and not self.sus:
            classes[1] = (classes[1] + 1) % 12  # harmonic minor: the leading tone
        return classes


def chord(style: Style, degree: int, mode: str, *, cadence: bool = False) -> Chord:
    """The chord on ``degree`` coloured as the style colours it (sevenths, ninths, jazz
    colours); ``cadence``: the dominant of the final cadence, never sus.

    >>> from types import SimpleNamespace
    >>> jazz = SimpleNamespace(sevenths=True, ninths=True, jazz_colours=True)
    >>> chord(jazz, 0, "major").pitch_classes("C", "major")  # C6/9
    [0, 4, 7, 9, 2]
    >>> chord(jazz, 4, "major").pitch_classes("C", "major")  # G9sus4
    [7, 0, 2, 5, 9]
    """
    jazz = style.jazz_colours
    sixth = jazz and degree == 0 and mode == "major"
    return Chord(degree, style.sevenths and not sixth, style.ninths, sixth,
                 sus=jazz and degree == 4 and not cadence)


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
