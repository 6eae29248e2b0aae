"""Small pure music-theory helpers: keys, scales, diatonic chords, the circle of fifths and
key plans (one copy, used by the brief and the slideshow)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import InputError

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
#: Semitone steps of each scale degree.
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
_KEY_PATTERN = re.compile(r"^\s*([A-Ga-g])\s*([#b\u266f\u266d]?)\s*(m|min|minor|maj|major)?\s*$")


def parse_key(text: str) -> tuple[str, str | None]:
    """Split a key such as "F# minor", "Bbm" or "d" into (tonic, mode or None).

    >>> parse_key("F# minor"), parse_key("Bb"), parse_key("am")
    (('F#', 'minor'), ('Bb', None), ('A', 'minor'))
    """
    match = _KEY_PATTERN.match(text or "")
    if not match:
        raise InputError(f"unknown key {text!r}; write a note and an optional mode, "
                         "e.g. 'D', 'F# minor', 'Bbm'")
    letter, accidental, mode = match.groups()
    accidental = {"\u266f": "#", "\u266d": "b"}.get(accidental, accidental)
    tonic = NOTE_NAMES[pitch_class(letter.upper() + accidental)]
    if mode:
        mode = "minor" if mode.startswith("m") and mode not in ("maj", "major") else "major"
    return tonic, mode


def pitch_class(note: str) -> int:
    """Pitch class 0..11 of a note name.

    >>> pitch_class("C"), pitch_class("F#"), pitch_class("Bb")
    (0, 6, 10)
    """
    base = _PITCH_CLASS[note[0].upper()]
    shift = {"#": 1, "b": -1}.get(note[1:], 0)
    return (base + shift) % 12


def scale_pitches(*, tonic: str, mode: str, low: int, high: int) -> list[int]:
    """MIDI pitches of the scale between ``low`` and ``high`` inclusive.

    >>> scale_pitches(tonic="C", mode="major", low=60, high=72)
    [60, 62, 64, 65, 67, 69, 71, 72]
    """
    root = pitch_class(tonic)
    steps = {(root + s) % 12 for s in SCALES[mode]}
    return [p for p in range(low, high + 1) if p % 12 in steps]


def chord_pitches(*, tonic: str, mode: str, degree: int, octave: int = 4,
                  seventh: bool = False) -> list[int]:
    """The diatonic triad (or seventh chord) on scale ``degree`` (0 = tonic).

    >>> chord_pitches(tonic="C", mode="major", degree=4)
    [67, 71, 74]
    """
    steps = SCALES[mode]
    root = 12 * (octave + 1) + pitch_class(tonic)
    size = 4 if seventh else 3
    pitches = []
    for i in range(size):
        index = degree + 2 * i
        pitches.append(root + steps[index % 7] + 12 * (index // 7))
    return pitches


def signature(tonic: str, mode: str) -> int:
    """Sharps (positive) or flats (negative) in the key signature, -5..6.

    >>> signature("D", "major"), signature("D", "minor"), signature("F#", "major")
    (2, -1, 6)
    """
    major = (pitch_class(tonic) + (3 if mode == "minor" else 0)) % 12
    return (major * 7 + 5) % 12 - 5


def key_of(sharps: int, mode: str) -> tuple[str, str]:
    """The key with ``sharps`` sharps (negative: flats) in ``mode``.

    >>> key_of(2, "major"), key_of(-1, "minor"), key_of(-6, "major")
    (('D', 'major'), ('D', 'minor'), ('F#', 'major'))
    """
    major = (sharps * 7) % 12
    return NOTE_NAMES[(major - 3) % 12 if mode == "minor" else major], mode


#: Major tonics around the circle of fifths, flat side first (six flats, spelled F#, to five
#: sharps).
CIRCLE_OF_FIFTHS = tuple(key_of(sharps, "major")[0] for sharps in range(-6, 6))


def _relation(before: tuple[str, str], after: tuple[str, str]) -> str:
    if after == before:
        return "stays in"
    if after[0] == before[0]:
        return f"the parallel {after[1]} of"
    step = signature(*after) - signature(*before)
    if step == 0:
        return f"the relative {after[1]} of"
    side = "dominant" if step == 1 else "subdominant"
    return f"on the {side} side of"


def _distance(key: tuple[str, str], goal: tuple[str, str]) -> int:
    """Steps apart on the circle of fifths, plus 3 for the other mode."""
    apart = abs(signature(*key) - signature(*goal)) % 12
    return 3 * (key[1] != goal[1]) + min(apart, 12 - apart)


def key_plan(wanted: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """One key per section: the first as asked, each next one the closely related key (at most
    one accidental away, or the parallel mode) nearest to what its section asks for, keeping
    the asked mode when it can. Returns (tonic, mode, reason) per section.

    >>> [k[:2] for k in key_plan([("C", "major"), ("E", "minor"), ("Bb", "major")])]
    [('C', 'major'), ('E', 'minor'), ('C', 'major')]
    """
    plan = [(wanted[0][0], wanted[0][1], f"{wanted[0][0]} {wanted[0][1]}: the first picture's "
             "own key")]
    for tonic, mode in wanted[1:]:
        before = plan[-1][:2]
        here = signature(*before)
        options = [key_of(here + step, m) for step in (-1, 0, 1) for m in ("major", "minor")]
        options.append((before[0], "minor" if before[1] == "major" else "major"))
        costs = [_distance(key, (tonic, mode)) + 0.1 * (key != before) for key in options]
        chosen = options[min(range(len(costs)), key=costs.__getitem__)]
        plan.append((*chosen, f"{chosen[0]} {chosen[1]}: {_relation(before, chosen)} "
                     f"{before[0]} {before[1]}, the closest to this picture's own "
                     f"{tonic} {mode}"))
    return plan
