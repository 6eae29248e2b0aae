"""Acoustic folk: flute over a fingerpicked or strummed nylon guitar, a boom-chick bass and
hand claps and stomps when it gets going."""

from .spec import POP, Style

STYLE = Style(
    name="folk", words="acoustic folk",
    melody="Flute", chords="Acoustic Guitar (nylon)", bass="Acoustic Bass", drums=False,
    tempo_range=(70, 120),
    texture="strum", bass_pattern="boom", groove="stomp",
    progressions=POP,
    chord_range=(52, 71), centre=77, density=0.1, legato=0.9, looseness=0.012,
    sways="strum",
    reverb=0.45,
)
