"""Musical styles (also the ``--style`` presets), one module each, and the words that pick one.

Each style module holds one :class:`Style` with everything about it (programs, tempo range,
progressions, chord colours and voicing, accompaniment patterns, groove, swing, melody density,
mix and reverb, prompt words). :data:`STYLES` lists them in the order the front ends show them.
"""

from __future__ import annotations

from ...errors import InputError
from . import ambient, cinematic, classical_piano, electronic, folk, jazz, lofi, rock
from .lexicon import INSTRUMENT_WORDS, MOOD_STYLES, MOOD_WORDS, SCENES, Scene
from .spec import POP, Progressions, Role, Style

STYLES: dict[str, Style] = {module.STYLE.name: module.STYLE for module in (
    cinematic, ambient, lofi, classical_piano, electronic, jazz, folk, rock)}


def find_style(name: str) -> Style:
    """The style called ``name``, forgiving case, underscores and "lofi".

    >>> find_style("Classical_Piano").name, find_style("lofi").name
    ('classical piano', 'lo-fi')
    """
    key = name.strip().lower().replace("_", " ").replace("lofi", "lo-fi")
    if key not in STYLES:
        raise InputError(f"unknown style {name!r}; choose one of: {', '.join(STYLES)}")
    return STYLES[key]


__all__ = ["INSTRUMENT_WORDS", "MOOD_STYLES", "MOOD_WORDS", "POP", "SCENES", "STYLES",
           "Progressions", "Role", "Scene", "Style", "find_style"]
