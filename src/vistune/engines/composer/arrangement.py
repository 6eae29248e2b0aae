"""Arrangement: the accompaniment patterns, drum grooves and chord voicings, registered by name.

A style (``vistune.brief.styles``) names what its parts play; the names are looked up here,
and :func:`check_style` says which one is missing. Every style has a pulse a beat tracker can
find: drums where the style has them, otherwise an ostinato, an arpeggio, a left-hand figure or
a boom-chick. The bass stays in E1..E3 and under the chords; chords are voice-led and held over
common tones where they sustain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from ...brief.styles import Style
from ...errors import InputError
from ...theory import SCALES, pitch_class
from .harmony import Chord, voice
from .melody import Note

BASS_LOW, BASS_HIGH = 28, 52  # E1..E3

#: A chord pattern plays one bar: (voicing, meter, energy 0..1, rng) -> notes in beats.
ChordPlay = Callable[[list[int], int, float, np.random.Generator], list[Note]]
#: A pulse pattern plays one bar: (voicing, meter, energy) -> notes in beats.
PulsePlay = Callable[[list[int], int, float], list[Note]]


@dataclass(frozen=True)
class ChordPattern:
    """How the chord part plays a bar; ``held`` patterns tie common tones from bar to bar, and
    the final chord is played in the ``final`` pattern."""

    play: ChordPlay
    held: bool = False
    final: str = "pad"


@dataclass(frozen=True)
class BassBar:
    """What a bass pattern knows about its bar: the chord's root, third and fifth and the next
    chord's root (all in E1..E3, under the chords), the meter, energy, base velocity and the
    key's pitch classes."""

    root: int
    third: int
    fifth: int
    target: int
    meter: int
    energy: float
    velocity: int
    ceiling: int
    scale: frozenset[int] = frozenset(range(12))


@dataclass(frozen=True)
class BassPattern:
    """How the bass plays a bar; a ``held`` line ties repeated roots into long notes."""

    play: Callable[[BassBar], list[Note]]
    held: bool = False


@dataclass(frozen=True)
class Groove:
    """A drum groove on a 16th grid, one bar of 4/4: X accent, x normal, o ghost, . rest.

    ``low`` plays in calm sections (intro, breakdown), ``high`` in full ones. ``kit``: a drum
    kit, heard only when the brief has drums (hand percussion plays in any case). ``fill``
    leads into a new section (None: no fills), ``crash`` marks the bar after a fill, ``ending``
    is struck with the kick on the final chord (None: nothing), ``roll`` closes a build, and
    below ``min_energy`` the groove rests.
    """

    low: Mapping[str, str]
    high: Mapping[str, str]
    kit: bool = True
    fill: Mapping[str, str] | None = field(default_factory=lambda: FILL)
    crash: bool = True
    ending: str | None = "crash"
    roll: str = "snare"
    min_energy: float = 0.0


#: GM drum notes.
DRUM = {"kick": 36, "rim": 37, "snare": 38, "clap": 39, "hat": 42, "pedal_hat": 44,
        "open_hat": 46, "tom_low": 41, "tom_floor": 43, "tom_mid": 45, "tom_high": 48,
        "crash": 49, "ride": 51, "shaker": 70}
#: Drums that keep time through a fill.
TIMEKEEPERS = ("hat", "ride", "shaker", "pedal_hat")
#: The fill that leads into a new section: the last two beats of the bar before it.
FILL = {"snare": "........x.x.xx..", "tom_high": "..............x.", "tom_mid": "...............x"}
ACCENT = {"X": 16, "x": 0, "o": -28}

GROOVES: dict[str, Groove] = {
    "four": Groove(low={"kick": "X...X...X...X...", "hat": "..x...x...x...x."},
                   high={"kick": "X...X...X...X...", "clap": "....x.......x...",
                         "open_hat": "..x...x...x...x.", "hat": "o.o.o.o.o.o.o.o."}),
    "rock": Groove(low={"kick": "X.......X.......", "hat": "x.x.x.x.x.x.x.x."},
                   high={"kick": "X.......X.x.....", "snare": "....X.......X...",
                         "hat": "x.x.x.x.x.x.x.x."}),
    "lofi": Groove(low={"kick": "X.....x...x.....", "hat": "x.o.x.o.x.o.x.o."},
                   high={"kick": "X.....x...x.....", "snare": "....X.......X...",
                         "hat": "x.o.x.o.x.o.x.oo"}),
    "swing": Groove(low={"ride": "x...x.x.x...x.x.", "pedal_hat": "....x.......x..."},
                    high={"ride": "X...x.x.X...x.x.", "pedal_hat": "....x.......x...",
                          "kick": "o...o...o...o..."}),
    # Percussion for styles without a kit: no crash cymbals.
    "taiko": Groove(low={"tom_floor": "X.......x......."},
                    high={"kick": "X.....x.X.......", "tom_floor": "x...x...x...x.x.",
                          "tom_low": "......x.....x.x."},
                    kit=False,
                    fill={"tom_floor": "........x.x.xxxx", "tom_low": "............x.x."},
                    crash=False, ending="tom_floor", roll="tom_floor"),
    "soft": Groove(low={"shaker": "x.o.x.o.x.o.x.o."},
                   high={"kick": "o.......o.......", "shaker": "x.o.x.o.x.o.x.o."},
                   kit=False, fill=None, crash=False, ending=None),
    "stomp": Groove(low={},
                    high={"kick": "X.......X.......", "clap": "....x.......x...",
                          "shaker": "o.o.o.o.o.o.o.o."},
                    kit=False, fill=None, crash=False, ending=None, min_energy=0.6),
}

CHORD_PATTERNS: dict[str, ChordPattern] = {}
BASS_PATTERNS: dict[str, BassPattern] = {}
PULSE_PATTERNS: dict[str, PulsePlay] = {}
#: Chord voicings: (pitch classes root first, previous voicing, range) -> pitches.
VOICINGS: dict[str, Callable[[list[int], list[int] | None, tuple[int, int]], list[int]]] = {}

F = TypeVar("F", bound=Callable)


def level(energy: float) -> int:
    """A part's base velocity at ``energy`` (0..1): 51 in a breakdown, 92 at a climax.

    >>> level(0.22), level(1.0)
    (51, 92)
    """
    return int(round(40 + 52 * energy))


def _register(table: dict, name: str, wrap: Callable = lambda play: play) -> Callable[[F], F]:
    def add(play: F) -> F:
        table[name] = wrap(play)
        return play
    return add


def lookup(table: Mapping, kind: str, name: str):
    """``table[name]``, or an InputError that lists the ``kind`` names there are."""
    if name not in table:
        raise InputError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(table))}")
    return table[name]


def check_style(style: Style) -> None:
    """InputError naming the first pattern, groove or voicing ``style`` uses that is missing."""
    lookup(CHORD_PATTERNS, "chord pattern", style.texture)
    lookup(BASS_PATTERNS, "bass pattern", style.bass_pattern)
    lookup(VOICINGS, "chord voicing", style.voicing)
    if style.pulse is not None:
        lookup(PULSE_PATTERNS, "pulse pattern", style.pulse)
    if style.groove is not None:
        lookup(GROOVES, "drum groove", style.groove)


def groove(name: str, meter: int, *, full: bool, fill: bool) -> list[tuple[str, float, int]]:
    """(drum, beat, accent) hits for one bar of ``name``; 3/4 keeps the first 12 steps."""
    spec = GROOVES[name]
    pattern = dict(spec.high if full else spec.low)
    steps = 4 * meter
    if fill and spec.fill is not None:  # hand percussion does not fill
        for drum in list(pattern):
            if drum not in TIMEKEEPERS:
                pattern[drum] = pattern[drum][:steps - 8]
        pattern.update(spec.fill)
    hits = []
    for drum, row in pattern.items():
        row = row[:8] + row[12:] if meter == 3 and len(row) == 16 and fill else row[:steps]
        hits.extend((drum, i / 4, ACCENT[c]) for i, c in enumerate(row) if c != ".")
    return hits


def _chords(name: str, *, held: bool = False, final: str = "pad") -> Callable[[F], F]:
    return _register(CHORD_PATTERNS, name, lambda play: ChordPattern(play, held, final))


@_chords("pad", held=True)
@_chords("pump", held=True)  # the pumping is the performance's (CC11 dips on every beat)
def _pad(voicing: list[int], meter: int, energy: float, rng: np.random.Generator) -> list[Note]:
    return [Note(p, 0, meter, level(energy) - 8) for p in voicing]


@_chords("alberti")
def _alberti(voicing: list[int], meter: int, energy: float,
             rng: np.random.Generator) -> list[Note]:
    base = level(energy)
    low, mid, high = voicing[0], voicing[len(voicing) // 2], voicing[-1]
    figure = (low, high, mid, high) * 2 if meter == 4 else (low, mid, high, mid, high, mid)
    return [Note(p, i / 2, 0.5, base - 14 + (14 if i % 2 == 0 else 0))
            for i, p in enumerate(figure)]


@_chords("comp_lofi")
def _comp_lofi(voicing: list[int], meter: int, energy: float,
               rng: np.random.Generator) -> list[Note]:
    hits = ((0, 1.5), (2.5, 1.5)) if meter == 4 else ((0, 1.5), (2, 1))
    return [Note(p, start, length, level(energy) - 10)
            for start, length in hits for p in voicing]


@_chords("comp_jazz")
def _comp_jazz(voicing: list[int], meter: int, energy: float,
               rng: np.random.Generator) -> list[Note]:
    base = level(energy)
    rhythms = (((0, 1), (1.5, 0.5)), ((0.5, 1),), ((1.5, 1), (3, 0.5)), ((0, 0.5), (2.5, 1)))
    if meter == 3:
        rhythms = (((0, 1), (2, 0.5)), ((1, 0.5),))
    hits = rhythms[int(rng.integers(len(rhythms)))]
    return [Note(p, start, length, base - 12 + int(rng.integers(-4, 5)))
            for start, length in hits for p in voicing]


@_chords("strum")
def _strum(voicing: list[int], meter: int, energy: float,
           rng: np.random.Generator) -> list[Note]:
    base = level(energy)
    if energy < 0.5:  # fingerpicking: bass strings on the beat, trebles between (a
        # root-and-fifth voicing alternates its two notes)
        order = (voicing[0], voicing[2 % len(voicing)], voicing[1], voicing[3 % len(voicing)])
        return [Note(order[i % 4], i / 2, 1.0, base - 14 + (6 if i % 2 == 0 else 0))
                for i in range(2 * meter)]
    # boom-chick: the bass takes the beat, the guitar strums after it
    starts = (1, 1.5, 2.5, 3, 3.5) if meter == 4 else (1, 2, 2.5)
    return [Note(p, start + 0.012 * k, 0.45, base - (4 if start % 1 == 0 else 12))
            for start in starts for k, p in enumerate(voicing)]


@_chords("power", final="power")
def _power(voicing: list[int], meter: int, energy: float,
           rng: np.random.Generator) -> list[Note]:
    base = level(energy)
    root = voicing[0]
    shape = (root, root + 7, root + 12)
    if energy < 0.5:  # let it ring
        return [Note(p, 0, meter, base - 8) for p in shape]
    return [Note(p, i / 2, 0.42, base - 6 + (8 if i % 2 == 0 else 0))
            for i in range(2 * meter) for p in shape]


def chord_notes(pattern: str, voicing: list[int], meter: int, energy: float,
                rng: np.random.Generator) -> list[Note]:
    """One bar of the chord part in ``pattern``, relative to the bar start (beats)."""
    return lookup(CHORD_PATTERNS, "chord pattern", pattern).play(voicing, meter, energy, rng)


@_register(VOICINGS, "close")
def _close(classes: list[int], previous: list[int] | None, span: tuple[int, int]) -> list[int]:
    return voice(classes, previous, low=span[0], high=span[1],
                 size=4 if len(classes) >= 4 else 3)


@_register(VOICINGS, "rootless")
def _rootless(classes: list[int], previous: list[int] | None,
              span: tuple[int, int]) -> list[int]:
    if len(classes) >= 5:  # 3, 7, 9, 5: the bass has the root
        classes = [classes[1], classes[3], classes[4], classes[2]]
    return _close(classes, previous, span)


@_register(VOICINGS, "fifths")
def _fifths(classes: list[int], previous: list[int] | None, span: tuple[int, int]) -> list[int]:
    root = span[0] + (classes[0] - span[0]) % 12
    return [root, root + 7]


def chord_voicing(chord: Chord, tonic: str, mode: str, previous: list[int] | None,
                  style: Style) -> list[int]:
    """The chord voiced as the style voices it (close, rootless or root-and-fifth) in its
    chord range, moving least from ``previous``."""
    voicing = lookup(VOICINGS, "chord voicing", style.voicing)
    return voicing(chord.pitch_classes(tonic, mode), previous, style.chord_range)


def bass_root(chord: Chord, tonic: str, mode: str, ceiling: int) -> int:
    """The chord's root in E1..E3 and below ``ceiling`` (the chord part's lowest note)."""
    pc = chord.pitch_classes(tonic, mode)[0]
    root = BASS_LOW + (pc - BASS_LOW) % 12
    if root + 12 <= min(ceiling - 1, BASS_HIGH) and root < 36:
        root += 12
    return root


def under(pitch: int, ceiling: int) -> int:
    """``pitch`` moved by octaves into E1..E3 and below ``ceiling`` where it can be."""
    while pitch >= min(ceiling, BASS_HIGH + 1) and pitch - 12 >= BASS_LOW:
        pitch -= 12
    while pitch < BASS_LOW:
        pitch += 12
    return pitch


def _bass(name: str, *, held: bool = False) -> Callable[[F], F]:
    return _register(BASS_PATTERNS, name, lambda play: BassPattern(play, held))


@_bass("long", held=True)
def _long(bar: BassBar) -> list[Note]:
    return [Note(bar.root, 0, bar.meter, bar.velocity - 6)]


@_bass("piano_lh")
def _piano_left_hand(bar: BassBar) -> list[Note]:
    if bar.energy < 0.4:
        return _long(bar)
    root = bar.root  # the left hand's low octave on the strong beats
    low = root - 12 if root - 12 >= BASS_LOW else root
    strong = (0, 2) if bar.meter == 4 else (0,)
    return [Note(p, start, bar.meter / len(strong), bar.velocity - (6 if p == root else 12))
            for start in strong for p in dict.fromkeys((root, low))]


@_bass("walking")
def _walking(bar: BassBar) -> list[Note]:
    # The approach: the key's next step into the next root, from the side the line comes
    # from (a chromatic one would spell the leading tone of another key: D# in A major).
    side = 1 if bar.target < bar.root else -1
    step = next(k for k in range(1, 13) if (bar.target + side * k) % 12 in bar.scale)
    approach = under(bar.target + side * step, bar.ceiling)
    line = [bar.root, bar.third, bar.fifth, approach][:bar.meter]
    if bar.meter == 3:
        line = [bar.root, bar.fifth, approach]
    return [Note(p, i, 0.95, bar.velocity - (0 if i == 0 else 8)) for i, p in enumerate(line)]


@_bass("muted")
def _muted(bar: BassBar) -> list[Note]:
    return [Note(bar.root, 0, 0.6, bar.velocity - 6), Note(bar.root, 1.75, 0.4, bar.velocity - 16),
            Note(bar.fifth, 2.5, 0.6, bar.velocity - 10)][: 3 if bar.meter == 4 else 2]


@_bass("offbeat")
def _offbeat(bar: BassBar) -> list[Note]:
    octave = under(bar.root + 12, bar.ceiling)
    return [Note(octave if i % 4 == 3 else bar.root, i + 0.5, 0.4, bar.velocity - 4)
            for i in range(bar.meter)]


@_bass("boom")
def _boom(bar: BassBar) -> list[Note]:
    hits = [(0, bar.root), (2, bar.fifth)] if bar.meter == 4 else [(0, bar.root)]
    return [Note(p, start, 0.9, bar.velocity - 4) for start, p in hits]


@_bass("eighths")
def _eighths(bar: BassBar) -> list[Note]:
    return [Note(bar.root, i / 2, 0.42, bar.velocity - (0 if i % 2 == 0 else 8))
            for i in range(2 * bar.meter)]


def bass_notes(pattern: str, chord: Chord, following: Chord, tonic: str, mode: str,
               meter: int, energy: float, ceiling: int) -> list[Note]:
    """One bar of the bass line in ``pattern``, relative to the bar start (beats)."""
    play = lookup(BASS_PATTERNS, "bass pattern", pattern).play
    root = bass_root(chord, tonic, mode, ceiling)
    classes = chord.pitch_classes(tonic, mode)
    return play(BassBar(root=root, third=under(root + (classes[1] - classes[0]) % 12, ceiling),
                        fifth=under(root + (classes[2] - classes[0]) % 12, ceiling),
                        target=bass_root(following, tonic, mode, ceiling), meter=meter,
                        energy=energy, velocity=level(energy) + 8, ceiling=ceiling,
                        scale=frozenset((pitch_class(tonic) + s) % 12 for s in SCALES[mode])))


@_register(PULSE_PATTERNS, "ostinato")
def _ostinato(voicing: list[int], meter: int, energy: float) -> list[Note]:
    """Cello eighths: root, root, fifth, root..."""
    base = level(energy) - 4
    low = voicing[0] - 12 if voicing[0] - 12 >= 36 else voicing[0]
    figure = [low, low, low + 7 if low + 7 < voicing[0] else low, low]
    return [Note(figure[i % 4], i / 2, 0.4, base + (10 if i % 2 == 0 else 0))
            for i in range(2 * meter)]


@_register(PULSE_PATTERNS, "arpeggio")
def _arpeggio(voicing: list[int], meter: int, energy: float) -> list[Note]:
    """Up and down through the chord, under the melody."""
    base = level(energy) - 4
    cycle = list(voicing) + list(voicing[-2:0:-1])
    return [Note(cycle[i % len(cycle)], i / 2, 0.9, base - 12 + (16 if i % 2 == 0 else 0))
            for i in range(2 * meter)]


@_register(PULSE_PATTERNS, "arp16")
def _arp16(voicing: list[int], meter: int, energy: float) -> list[Note]:
    """A 16th-note arpeggiator."""
    base = level(energy) - 4
    cycle = voicing + [voicing[0] + 12]
    return [Note(cycle[i % len(cycle)], i / 4, 0.2, base - 16 + (12 if i % 4 == 0 else 0))
            for i in range(4 * meter)]


def pulse_notes(pattern: str, voicing: list[int], meter: int, energy: float) -> list[Note]:
    """One bar of the pulse part in ``pattern``, relative to the bar start (beats)."""
    return lookup(PULSE_PATTERNS, "pulse pattern", pattern)(voicing, meter, energy)
