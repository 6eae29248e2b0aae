"""Arrangement: each style's idiom as data (who plays what pattern), and the patterns themselves.

Every style has a pulse a beat tracker can find: drums where the style has them, otherwise an
ostinato, an arpeggio, a left-hand figure or a boom-chick. The bass stays in E1..E3 and under
the chords; chords are voice-led and held over common tones where they sustain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .harmony import Chord, voice
from .melody import Note

BASS_LOW, BASS_HIGH = 28, 52  # E1..E3


@dataclass(frozen=True)
class Idiom:
    """How a style is played: patterns per part, feel, and where each part sits."""

    chords: str  # chord pattern (see CHORD_PATTERNS)
    bass: str  # bass pattern
    groove: str | None  # drum groove in GROOVES, None for no kit
    pulse: str | None = None  # an extra pulse part's pattern
    pulse_program: str = ""
    swing: float = 0.5  # where the off-beat eighth falls: 0.5 straight, 0.67 triplet swing
    looseness: float = 0.010  # timing spread in seconds (clipped to 30 ms)
    centre: int = 72  # the melody's middle pitch
    chord_range: tuple[int, int] = (52, 69)
    pedal: bool = False  # sustain pedal (CC64) on the chords and bass
    swell: bool = False  # expression swells (CC11) on the chords
    pump: bool = False  # side-chain style pumping (CC11 dips on every beat)
    legato: float = 0.92  # how much of its length a melody note sounds


IDIOMS = {
    "cinematic": Idiom("pad", "long", "taiko", pulse="ostinato", pulse_program="Cello",
                       looseness=0.012, centre=70, chord_range=(53, 67), swell=True,
                       legato=0.98),
    "ambient": Idiom("pad", "long", "soft", pulse="arpeggio", pulse_program="Vibraphone",
                     looseness=0.014, centre=74, chord_range=(52, 69), swell=True),
    "lo-fi": Idiom("comp_lofi", "muted", "lofi", swing=0.6, looseness=0.014, centre=72,
                   chord_range=(52, 68), legato=0.85),
    "classical piano": Idiom("alberti", "piano_lh", None, looseness=0.010, centre=74,
                             chord_range=(48, 67), pedal=True, legato=0.9),
    "electronic": Idiom("pump", "offbeat", "four", pulse="arp16",
                        pulse_program="Lead 1 (square)", looseness=0.003, centre=74,
                        chord_range=(55, 72), pump=True),
    "jazz": Idiom("comp_jazz", "walking", "swing", swing=0.66, looseness=0.012, centre=66,
                  chord_range=(50, 64), legato=0.9),
    "folk": Idiom("strum", "boom", "stomp", looseness=0.012, centre=77, chord_range=(52, 71),
                  legato=0.9),
    "rock": Idiom("power", "eighths", "rock", looseness=0.006, centre=72, chord_range=(40, 60),
                  legato=0.95),
}

#: GM drum notes.
DRUM = {"kick": 36, "rim": 37, "snare": 38, "clap": 39, "hat": 42, "pedal_hat": 44,
        "open_hat": 46, "tom_low": 41, "tom_floor": 43, "tom_mid": 45, "tom_high": 48,
        "crash": 49, "ride": 51, "shaker": 70}
#: Drum grooves on a 16th grid, one bar of 4/4: X accent, x normal, o ghost, . rest.
#: "low" plays in calm sections (intro, breakdown), "high" in full ones.
GROOVES = {
    "four": {"low": {"kick": "X...X...X...X...", "hat": "..x...x...x...x."},
             "high": {"kick": "X...X...X...X...", "clap": "....x.......x...",
                      "open_hat": "..x...x...x...x.", "hat": "o.o.o.o.o.o.o.o."}},
    "rock": {"low": {"kick": "X.......X.......", "hat": "x.x.x.x.x.x.x.x."},
             "high": {"kick": "X.......X.x.....", "snare": "....X.......X...",
                      "hat": "x.x.x.x.x.x.x.x."}},
    "lofi": {"low": {"kick": "X.....x...x.....", "hat": "x.o.x.o.x.o.x.o."},
             "high": {"kick": "X.....x...x.....", "snare": "....X.......X...",
                      "hat": "x.o.x.o.x.o.x.oo"}},
    "swing": {"low": {"ride": "x...x.x.x...x.x.", "pedal_hat": "....x.......x..."},
              "high": {"ride": "X...x.x.X...x.x.", "pedal_hat": "....x.......x...",
                       "kick": "o...o...o...o..."}},
    "taiko": {"low": {"tom_floor": "X.......x......."},
              "high": {"kick": "X.....x.X.......", "tom_floor": "x...x...x...x.x.",
                       "tom_low": "......x.....x.x."}},
    "soft": {"low": {"shaker": "x.o.x.o.x.o.x.o."},
             "high": {"kick": "o.......o.......", "shaker": "x.o.x.o.x.o.x.o."}},
    "stomp": {"low": {},
              "high": {"kick": "X.......X.......", "clap": "....x.......x...",
                       "shaker": "o.o.o.o.o.o.o.o."}},
}
#: Percussion that plays in styles without a drum kit (no crash cymbals there).
PERCUSSION = ("taiko", "stomp", "soft")
#: The fill that leads into a new section: the last two beats of the bar before it.
FILL = {"snare": "........x.x.xx..", "tom_high": "..............x.", "tom_mid": "...............x"}
TAIKO_FILL = {"tom_floor": "........x.x.xxxx", "tom_low": "............x.x."}
ACCENT = {"X": 16, "x": 0, "o": -28}


def groove(name: str, meter: int, *, full: bool, fill: bool) -> list[tuple[str, float, int]]:
    """(drum, beat, accent) hits for one bar of ``name``; 3/4 keeps the first 12 steps."""
    pattern = dict(GROOVES[name]["high" if full else "low"])
    steps = 4 * meter
    if fill and name not in ("soft", "stomp"):  # hand percussion does not fill
        for drum in list(pattern):
            if drum not in ("hat", "ride", "shaker", "pedal_hat"):
                pattern[drum] = pattern[drum][:steps - 8]
        pattern.update(TAIKO_FILL if name == "taiko" else FILL)
    hits = []
    for drum, row in pattern.items():
        row = row[:8] + row[12:] if meter == 3 and len(row) == 16 and fill else row[:steps]
        hits.extend((drum, i / 4, ACCENT[c]) for i, c in enumerate(row) if c != ".")
    return hits


def chord_notes(pattern: str, voicing: list[int], meter: int, energy: float,
                rng: np.random.Generator) -> list[Note]:
    """One bar of the chord part in ``pattern``, relative to the bar start (beats)."""
    base = int(52 + 36 * energy)
    if pattern in ("pad", "pump"):
        return [Note(p, 0, meter, base - 8) for p in voicing]
    if pattern == "alberti":
        low, mid, high = voicing[0], voicing[len(voicing) // 2], voicing[-1]
        figure = (low, high, mid, high) * 2 if meter == 4 else (low, mid, high, mid, high, mid)
        return [Note(p, i / 2, 0.5, base - 14 + (14 if i % 2 == 0 else 0))
                for i, p in enumerate(figure)]
    if pattern == "comp_lofi":
        hits = ((0, 1.5), (2.5, 1.5)) if meter == 4 else ((0, 1.5), (2, 1))
        return [Note(p, start, length, base - 10) for start, length in hits for p in voicing]
    if pattern == "comp_jazz":
        rhythms = (((0, 1), (1.5, 0.5)), ((0.5, 1),), ((1.5, 1), (3, 0.5)), ((0, 0.5), (2.5, 1)))
        if meter == 3:
            rhythms = (((0, 1), (2, 0.5)), ((1, 0.5),))
        hits = rhythms[int(rng.integers(len(rhythms)))]
        return [Note(p, start, length, base - 12 + int(rng.integers(-4, 5)))
                for start, length in hits for p in voicing]
    if pattern == "strum":
        if energy < 0.5:  # fingerpicking: bass strings on the beat, trebles between
            order = (voicing[0], voicing[2], voicing[1], voicing[3 % len(voicing)])
            return [Note(order[i % 4], i / 2, 1.0, base - 14 + (6 if i % 2 == 0 else 0))
                    for i in range(2 * meter)]
        # boom-chick: the bass takes the beat, the guitar strums after it
        starts = (1, 1.5, 2.5, 3, 3.5) if meter == 4 else (1, 2, 2.5)
        return [Note(p, start + 0.012 * k, 0.45, base - (4 if start % 1 == 0 else 12))
                for start in starts for k, p in enumerate(voicing)]
    if pattern == "power":
        root = voicing[0]
        shape = (root, root + 7, root + 12)
        if energy < 0.5:  # let it ring
            return [Note(p, 0, meter, base - 8) for p in shape]
        return [Note(p, i / 2, 0.42, base - 6 + (8 if i % 2 == 0 else 0))
                for i in range(2 * meter) for p in shape]
    raise ValueError(f"unknown chord pattern {pattern!r}")


def chord_voicing(chord: Chord, tonic: str, mode: str, previous: list[int] | None,
                  idiom: Idiom, genre: str) -> list[int]:
    """The chord's voicing for this style: rootless in jazz, root-position fifths in rock."""
    classes = chord.pitch_classes(tonic, mode)
    low, high = idiom.chord_range
    if idiom.chords == "power":
        root = low + (classes[0] - low) % 12
        return [root, root + 7]
    if genre == "jazz" and len(classes) >= 5:
        classes = [classes[1], classes[3], classes[4], classes[2]]  # 3, 7, 9, 5: rootless
    return voice(classes, previous, low=low, high=high, size=4 if len(classes) >= 4 else 3)


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


def bass_notes(pattern: str, chord: Chord, following: Chord, tonic: str, mode: str,
               meter: int, energy: float, ceiling: int) -> list[Note]:
    """One bar of the bass line in ``pattern``, relative to the bar start (beats)."""
    root = bass_root(chord, tonic, mode, ceiling)
    classes = chord.pitch_classes(tonic, mode)
    fifth = under(root + (classes[2] - classes[0]) % 12, ceiling)
    third = under(root + (classes[1] - classes[0]) % 12, ceiling)
    base = int(60 + 30 * energy)
    if pattern == "long" or (pattern == "piano_lh" and energy < 0.4):
        return [Note(root, 0, meter, base - 6)]
    if pattern == "piano_lh":  # the left hand's low octave on the strong beats
        low = root - 12 if root - 12 >= BASS_LOW else root
        strong = (0, 2) if meter == 4 else (0,)
        return [Note(p, start, meter / len(strong), base - (6 if p == root else 12))
                for start in strong for p in dict.fromkeys((root, low))]
    if pattern == "walking":
        target = bass_root(following, tonic, mode, ceiling)
        approach = under(target + (1 if target < root else -1), ceiling)
        line = [root, third, fifth, approach][:meter]
        if meter == 3:
            line = [root, fifth, approach]
        return [Note(p, i, 0.95, base - (0 if i == 0 else 8)) for i, p in enumerate(line)]
    if pattern == "muted":
        return [Note(root, 0, 0.6, base - 6), Note(root, 1.75, 0.4, base - 16),
                Note(fifth, 2.5, 0.6, base - 10)][: 3 if meter == 4 else 2]
    if pattern == "offbeat":
        octave = under(root + 12, ceiling)
        return [Note(octave if i % 4 == 3 else root, i + 0.5, 0.4, base - 4)
                for i in range(meter)]
    if pattern == "boom":
        hits = [(0, root), (2, fifth)] if meter == 4 else [(0, root)]
        return [Note(p, start, 0.9, base - 4) for start, p in hits]
    if pattern == "eighths":
        return [Note(root, i / 2, 0.42, base - (0 if i % 2 == 0 else 8))
                for i in range(2 * meter)]
    raise ValueError(f"unknown bass pattern {pattern!r}")


def pulse_notes(pattern: str, voicing: list[int], meter: int, energy: float) -> list[Note]:
    """One bar of the pulse part: a string ostinato, an arpeggio or a 16th arpeggiator."""
    base = int(48 + 36 * energy)
    if pattern == "ostinato":  # cello eighths: root, root, fifth, root...
        low = voicing[0] - 12 if voicing[0] - 12 >= 36 else voicing[0]
        figure = [low, low, low + 7 if low + 7 < voicing[0] else low, low]
        return [Note(figure[i % 4], i / 2, 0.4, base + (10 if i % 2 == 0 else 0))
                for i in range(2 * meter)]
    if pattern == "arpeggio":  # up and down through the chord, under the melody
        cycle = list(voicing) + list(voicing[-2:0:-1])
        return [Note(cycle[i % len(cycle)], i / 2, 0.9, base - 12 + (16 if i % 2 == 0 else 0))
                for i in range(2 * meter)]
    if pattern == "arp16":
        cycle = voicing + [voicing[0] + 12]
        return [Note(cycle[i % len(cycle)], i / 4, 0.2, base - 16 + (12 if i % 4 == 0 else 0))
                for i in range(4 * meter)]
    raise ValueError(f"unknown pulse pattern {pattern!r}")
