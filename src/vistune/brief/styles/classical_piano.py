"""Solo classical piano: a tune over an Alberti bass and a left-hand octave, with the pedal."""

from .spec import POP, Role, Style

STYLE = Style(
    name="classical piano", words="solo classical piano",
    melody="Acoustic Grand Piano", chords="Acoustic Grand Piano", bass="Acoustic Grand Piano",
    drums=False, tempo_range=(60, 120),
    texture="alberti", bass_pattern="piano_lh", groove=None,
    progressions=POP,
    chord_range=(48, 67), centre=74, legato=0.9, looseness=0.010, pedal=True,
    sways="arpeggio",
    reverb=0.7, places={Role.CHORDS: (0.0, 92), Role.BASS: (0.0, 92), Role.MELODY: (0.0, 110)},
)
