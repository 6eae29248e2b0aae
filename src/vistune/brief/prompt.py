"""Read a music prompt for what the composer can use: style, instruments, tempo, key, mood, meter.

MusicGen reads the prompt as text; the composer reads these fields instead, so both engines follow
the same words. Whatever could not be used is listed, so the user sees it was not ignored silently.

>>> w = read_prompt("fast rock with distorted electric guitars, 150 bpm, E minor")
>>> (w.genre, w.tempo, w.key, w.mode, w.instruments["melody"])
('rock', 150, 'E', 'minor', 'Distortion Guitar')
>>> read_prompt("an epic waltz").unused, read_prompt("an epic waltz").meter
(('epic',), 3)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..theory import parse_key
from .styles import MOOD_WORDS

#: Words that name a style (checked longest first).
GENRE_WORDS = {
    "heavy metal": "rock", "metal": "rock", "rock": "rock", "punk": "rock", "grunge": "rock",
    "jazz": "jazz", "swing": "jazz", "bebop": "jazz", "bossa nova": "jazz", "blues": "jazz",
    "lo-fi": "lo-fi", "lofi": "lo-fi", "hip hop": "lo-fi", "chillhop": "lo-fi",
    "ambient": "ambient", "drone": "ambient", "new age": "ambient",
    "classical": "classical piano", "piano solo": "classical piano",
    "electronic": "electronic", "synthwave": "electronic", "techno": "electronic",
    "house": "electronic", "edm": "electronic", "trance": "electronic", "disco": "electronic",
    "folk": "folk", "acoustic": "folk", "country": "folk", "celtic": "folk",
    "cinematic": "cinematic", "orchestral": "cinematic", "soundtrack": "cinematic",
    "film score": "cinematic",
}
#: Instrument words -> General MIDI program, and whether it can hold the chords too.
INSTRUMENTS = {
    "distorted electric guitar": "Distortion Guitar", "distorted guitar": "Distortion Guitar",
    "distortion guitar": "Distortion Guitar", "overdriven guitar": "Overdriven Guitar",
    "electric guitar": "Electric Guitar (clean)", "jazz guitar": "Electric Guitar (jazz)",
    "acoustic guitar": "Acoustic Guitar (steel)", "nylon guitar": "Acoustic Guitar (nylon)",
    "guitar": "Acoustic Guitar (steel)", "electric piano": "Electric Piano 1",
    "piano": "Acoustic Grand Piano", "organ": "Drawbar Organ", "harp": "Orchestral Harp",
    "strings": "String Ensemble 1", "violin": "Violin", "cello": "Cello", "flute": "Flute",
    "saxophone": "Tenor Sax", "sax": "Tenor Sax", "trumpet": "Trumpet",
    "french horn": "French Horn", "horn": "French Horn", "clarinet": "Clarinet",
    "synth pad": "Pad 2 (warm)", "pads": "Pad 2 (warm)", "synth": "Lead 2 (sawtooth)",
    "marimba": "Marimba", "vibraphone": "Vibraphone", "choir": "Choir Aahs",
    "bass guitar": "Electric Bass (pick)", "synth bass": "Synth Bass 1",
    "double bass": "Contrabass", "upright bass": "Acoustic Bass",
}
#: Programs that can also play the chords when they are the only instrument named.
_CHORDAL = {"Distortion Guitar", "Overdriven Guitar", "Electric Guitar (clean)",
            "Electric Guitar (jazz)", "Acoustic Guitar (steel)", "Acoustic Guitar (nylon)",
            "Electric Piano 1", "Acoustic Grand Piano", "Drawbar Organ", "Orchestral Harp",
            "String Ensemble 1", "Pad 2 (warm)", "Marimba", "Vibraphone", "Choir Aahs"}
_BASSES = {"Electric Bass (pick)", "Synth Bass 1", "Contrabass", "Acoustic Bass"}
#: Pace words -> where the tempo sits in the style's range (0 slowest, 1 fastest).
PACE_WORDS = {"fast": 0.9, "upbeat": 0.8, "energetic": 0.85, "driving": 0.8, "quick": 0.85,
              "slow": 0.1, "gentle": 0.25, "relaxed": 0.25, "laid back": 0.3, "moderate": 0.5}
#: Extra mood words a prompt uses besides the scene lexicon's :data:`MOOD_WORDS`.
_PROMPT_MOODS = {"melancholic": (-0.6, -0.3), "melancholy": (-0.6, -0.3), "joyful": (0.8, 0.5),
                 "uplifting": (0.7, 0.4), "dreamy": (0.3, -0.5), "heavy": (-0.3, 0.6),
                 "aggressive": (-0.5, 0.8), "romantic": (0.5, -0.2), "tense": (-0.5, 0.6),
                 "warm": (0.5, -0.1), "bright": (0.6, 0.3), "soft": (0.3, -0.4)}
#: Words that carry no musical choice.
_FILLER = set("a an the with and of in on for to at by some very music song track piece tune "
              "style sound sounds like feel feeling playing played featuring".split())
_TEMPO = re.compile(r"\b(\d{2,3})\s*(?:bpm|beats per minute)\b")
_KEY = re.compile(r"\b([a-g](?:#|b|\u266f|\u266d| sharp| flat)?)\s*(major|minor|maj|min)\b")


@dataclass(frozen=True)
class PromptWishes:
    """What a prompt asks of the music; None where it says nothing."""

    genre: str | None = None
    tempo: int | None = None
    pace: float | None = None
    key: str | None = None
    mode: str | None = None
    meter: int | None = None
    instruments: dict[str, str] = field(default_factory=dict)
    moods: tuple[tuple[str, float, float], ...] = ()
    used: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()


def read_prompt(text: str) -> PromptWishes:
    """Parse ``text`` (already cleaned by brief.check_prompt) into :class:`PromptWishes`.

    >>> read_prompt("slow sad piano in 3/4").pace, read_prompt("slow sad piano in 3/4").meter
    (0.1, 3)
    """
    rest = " " + text.lower() + " "
    used: list[str] = []
    found: dict = {}

    def take(pattern: str) -> re.Match | None:
        nonlocal rest
        match = re.search(pattern, rest)
        if match:
            used.append(match.group(0).strip())
            rest = rest[:match.start()] + " " + rest[match.end():]
        return match

    if match := take(_TEMPO.pattern):
        found["tempo"] = int(match.group(1))
    if match := take(_KEY.pattern):
        note = match.group(1).replace(" sharp", "#").replace(" flat", "b")
        found["key"], found["mode"] = parse_key(f"{note.upper()[:1]}{note[1:]} {match.group(2)}")
    if match := take(r"\b([34])/4\b"):  # the composer plays 3/4 and 4/4; "6/8" stays unused
        found["meter"] = int(match.group(1))
    if take(r"\bwaltz(es)?\b"):
        found["meter"] = 3
    for phrase in sorted(GENRE_WORDS, key=len, reverse=True):
        if take(rf"\b{re.escape(phrase)}\b"):
            found.setdefault("genre", GENRE_WORDS[phrase])
    programs = []
    for phrase in sorted(INSTRUMENTS, key=len, reverse=True):
        if match := take(rf"\b{re.escape(phrase)}s?\b"):
            programs.append((match.start(), INSTRUMENTS[phrase], match.group(0).endswith("s")))
    found["instruments"] = _roles([(p, plural) for _, p, plural in sorted(programs)])
    for phrase in sorted(PACE_WORDS, key=len, reverse=True):
        if take(rf"\b{re.escape(phrase)}\b"):
            found.setdefault("pace", PACE_WORDS[phrase])
    moods = []
    for word in re.findall(r"[a-z]+", rest):
        feel = MOOD_WORDS.get(word) or _PROMPT_MOODS.get(word)
        if feel:
            moods.append((word, *feel))
            used.append(word)
    unused = [w for w in re.findall(r"[a-z0-9][a-z0-9'/#-]*", rest)
              if w not in _FILLER and not (MOOD_WORDS.get(w) or _PROMPT_MOODS.get(w))]
    return PromptWishes(**found, moods=tuple(moods), used=tuple(used),
                        unused=tuple(dict.fromkeys(unused)))


def _roles(programs: list[tuple[str, bool]]) -> dict[str, str]:
    """Assign named programs to melody, chords and bass, in the order the prompt names them."""
    roles: dict[str, str] = {}
    for program, plural in programs:
        if program in _BASSES:
            roles.setdefault("bass", program)
        elif "melody" not in roles:
            roles["melody"] = program
            if plural and program in _CHORDAL:  # "guitars": they play the chords as well
                roles.setdefault("chords", program)
        else:
            roles.setdefault("chords", program)
    return roles
