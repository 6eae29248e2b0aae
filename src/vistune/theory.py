"""Small pure music-theory helpers: keys, scales and diatonic chords."""

from __future__ import annotations

import re

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
