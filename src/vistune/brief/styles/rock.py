"""Rock: overdriven lead guitar over power chords, driving eighth-note bass and a backbeat."""

from .spec import POP, Role, Style

STYLE = Style(
    name="rock", words="rock",
    melody="Overdriven Guitar", chords="Electric Guitar (clean)", bass="Electric Bass (pick)",
    drums=True, tempo_range=(100, 150),
    texture="power", bass_pattern="eighths", groove="rock",
    progressions=POP,
    voicing="fifths", chord_range=(40, 60), centre=72, density=0.15, legato=0.95,
    looseness=0.006, sways="strum",
    reverb=0.35, places={Role.CHORDS: (-0.5, 90)},
)
