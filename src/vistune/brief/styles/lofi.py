"""Lo-fi hip hop: electric piano and jazz guitar comping on seventh and ninth chords, a lazy
swung beat, a muted bass."""

from types import MappingProxyType

from .spec import Role, Style

STYLE = Style(
    name="lo-fi", words="lo-fi hip hop",
    melody="Electric Piano 1", chords="Electric Guitar (jazz)", bass="Electric Bass (finger)",
    drums=True, tempo_range=(70, 92),
    texture="comp_lofi", bass_pattern="muted", groove="lofi",
    progressions=MappingProxyType({
        "major": (((3, 2, 1, 0), (1, 4, 0, 5), (0, 2, 3, 4), (3, 4, 2, 5)),
                  ((5, 1, 3, 4), (3, 2, 5, 4), (1, 2, 3, 4))),
        "minor": (((0, 3, 6, 2), (0, 5, 3, 4), (0, 6, 5, 4)),
                  ((5, 6, 2, 5), (3, 4, 0, 0), (5, 3, 6, 4))),
    }),
    sevenths=True, ninths=True, jazz_colours=True, chord_range=(52, 68), centre=72, legato=0.85,
    swing=0.6, looseness=0.014,
    reverb=0.5, places={Role.DRUMS: (0.0, 88)},
)
