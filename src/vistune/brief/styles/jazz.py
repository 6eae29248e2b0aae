"""Smooth jazz: tenor sax, rootless electric-piano comping, a walking bass and a swung ride."""

from types import MappingProxyType

from .spec import Style

STYLE = Style(
    name="jazz", words="smooth jazz",
    melody="Tenor Sax", chords="Electric Piano 1", bass="Acoustic Bass", drums=True,
    tempo_range=(80, 140),
    texture="comp_jazz", bass_pattern="walking", groove="swing",
    # The head opens on the tonic (I vi ii V, I iii ii V...); the bridge travels, often to IV.
    progressions=MappingProxyType({
        "major": (((0, 5, 1, 4), (0, 2, 1, 4), (0, 0, 1, 4), (0, 3, 1, 4)),
                  ((3, 6, 2, 5), (1, 4, 2, 5), (3, 3, 2, 5))),
        "minor": (((0, 3, 1, 4), (0, 0, 1, 4), (0, 5, 1, 4)),
                  ((3, 6, 2, 5), (3, 3, 1, 4), (2, 5, 1, 4))),
    }),
    sevenths=True, ninths=True, jazz_colours=True, voicing="rootless", chord_range=(50, 64),
    centre=66, density=0.2, legato=0.9, swing=0.66, looseness=0.012,
    reverb=0.45,
)
