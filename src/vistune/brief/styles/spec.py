"""What a style is: one frozen record of everything about how it sounds, and the part roles.

A style names its accompaniment patterns, drum groove and chord voicing by string; the
composer (``vistune.engines.composer.arrangement``) holds them, registered by name, and a test
checks that every name a style uses exists there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """The parts of an arrangement; also the MIDI track names and the stems' names."""

    MELODY = "melody"
    CHORDS = "chords"
    BASS = "bass"
    PULSE = "pulse"  # an ostinato or arpeggio that keeps time where there is no kit
    DRUMS = "drums"


#: Four-chord progressions as scale degrees (0 = tonic).
Progression = tuple[int, int, int, int]
#: Per mode: (A-section choices, B-section choices).
Progressions = Mapping[str, tuple[tuple[Progression, ...], tuple[Progression, ...]]]

#: The common pop progressions, which most styles play.
POP: Progressions = MappingProxyType({
    "major": (((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 0, 4), (0, 2, 3, 4)),
              ((3, 4, 2, 5), (5, 4, 3, 4), (3, 0, 4, 5), (1, 4, 2, 5))),
    "minor": (((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 6), (0, 5, 3, 4)),
              ((5, 2, 6, 0), (3, 6, 2, 5), (5, 6, 3, 4), (2, 6, 5, 4))),
})


@dataclass(frozen=True)
class Style:
    """Everything about one style: its sound, harmony, arrangement, feel, mix and prompt words.

    ``texture``, ``bass_pattern`` and ``pulse`` name accompaniment patterns, ``groove`` a drum
    groove and ``voicing`` a chord voicing, all registered by name in the composer.
    """

    name: str
    #: How a MusicGen caption names the genre.
    words: str
    #: General MIDI programs of the melody, chords and bass.
    melody: str
    chords: str
    bass: str
    #: Whether a drum kit plays (hand percussion grooves play in any case).
    drums: bool
    tempo_range: tuple[int, int]
    #: The chord part's pattern: what the accompaniment plays (the brief's ``texture``).
    texture: str
    bass_pattern: str
    #: The drum groove, None for no kit or percussion.
    groove: str | None
    #: Harmony: (A, B) progressions per mode.
    progressions: Progressions
    #: Room size 0..1 of the composer's reverb.
    reverb: float
    #: An extra part keeping time (its pattern and General MIDI program), if any.
    pulse: str | None = None
    pulse_program: str = ""
    #: Chord colours and how chords are voiced.
    sevenths: bool = False
    ninths: bool = False
    #: Jazz colours that keep the key plain: a major tonic as a sixth chord (I6/9), dominants
    #: as sus chords except in the final cadence (see the composer's harmony.py).
    jazz_colours: bool = False
    voicing: str = "close"
    chord_range: tuple[int, int] = (52, 69)
    #: Melody: its middle pitch, how much busier (or calmer) than the mood its tunes are, and
    #: how much of its length a note sounds.
    centre: int = 72
    density: float = 0.0
    legato: float = 0.92
    #: Feel: where the off-beat eighth falls (0.5 straight, 0.67 triplet swing) and the timing
    #: spread in seconds (clipped to 30 ms).
    swing: float = 0.5
    looseness: float = 0.010
    #: Expression: sustain pedal (CC64) on chords and bass, swells (CC11) on the chords,
    #: side-chain style pumping (CC11 dips on every beat) on the chords.
    pedal: bool = False
    swell: bool = False
    pump: bool = False
    #: The figure that, slow and gentle (arousal under -0.3), sways in three; None keeps 4/4.
    sways: str | None = None
    #: Mix: (pan -1..1, channel volume 0..127) for the roles this style places its own way.
    places: Mapping[Role, tuple[float, int]] = field(default_factory=dict)
