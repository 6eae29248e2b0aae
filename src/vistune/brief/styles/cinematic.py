"""Cinematic: horn over strings and double bass, a cello ostinato, taiko drums, a large hall."""

from .spec import POP, Role, Style

STYLE = Style(
    name="cinematic", words="cinematic orchestral",
    melody="French Horn", chords="String Ensemble 1", bass="Contrabass", drums=False,
    tempo_range=(60, 110),
    texture="pad", bass_pattern="long", groove="taiko",
    progressions=POP,
    pulse="ostinato", pulse_program="Cello",
    chord_range=(53, 67), centre=70, legato=0.98, looseness=0.012, swell=True,
    reverb=0.85, places={Role.DRUMS: (0.0, 104)},
)
