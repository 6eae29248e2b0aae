"""MusicBrief and make_brief(): from what the picture shows to what the music does.

The mapping is grounded in published findings, each cited where it is used:

- Valdez & Mehrabian (1994), "Effects of color on emotions", J. Exp. Psych.: General 123(4):
  pleasure = .69 brightness + .22 saturation; arousal = -.31 brightness + .60 saturation
  (standardised regression weights).
- Hevner (1937) and Gagnon & Peretz (2003): major mode and faster tempo are heard as happier;
  tempo and loudness also carry arousal.
- Visual complexity (edge density) raises arousal (Berlyne 1971, "Aesthetics and Psychobiology").
Choices that are ours, not research (the tonic from warmth and light), say so where coded.
"""

from __future__ import annotations

import colorsys
import dataclasses
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..see.features import Features
from ..see.labels import MIN_LABEL_SCORE, Description, group_of
from ..theory import CIRCLE_OF_FIFTHS, parse_key
from .prompt import PromptWishes, read_prompt
from .styles import (
    INSTRUMENT_WORDS,
    MOOD_WORDS,
    SCENES,
    STYLES,
    Role,
    Scene,
    Style,
    find_style,
)
from .styles.lexicon import COMMON_STYLES, EVIDENT_SCENES, MOOD_STYLES, SETTING_STYLES

TEMPO_RANGE = (30, 240)
MAX_PROMPT_CHARS = 2000
_MOODS = (  # rows: valence low/mid/high; columns: arousal low/mid/high
    ("melancholic", "wistful", "tense"),
    ("calm", "reflective", "driving"),
    ("serene", "warm", "joyful"),
)


@dataclass(frozen=True)
class MusicBrief:
    """Everything the engines need to make the music, and why each choice was made.

    ``valence`` and ``arousal`` run from -1 to 1. ``instruments`` maps a role (melody, chords,
    bass) to a General MIDI program name. ``texture`` names the pattern the chords play (one
    of the composer's chord patterns, the style's by default). ``contour`` holds melody
    heights 0..1 from start to end. ``reasons`` maps a field name to the sentence that
    explains it. The form (intro, sections, ending) follows from the length of the piece, so
    the composer plans it when it knows the duration.
    """

    valence: float
    arousal: float
    mood: str
    genre: str
    tempo: int
    meter: int
    key: str
    mode: str
    instruments: Mapping[str, str]
    drums: bool
    texture: str
    contour: tuple[float, ...]
    scene: str
    prompt: str
    reasons: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return {f.name: (dict(v) if isinstance(v := getattr(self, f.name), Mapping) else v)
                for f in dataclasses.fields(self)}

    @property
    def style(self) -> Style:
        """The arrangement recipe of this brief's genre."""
        return STYLES[self.genre]


def make_brief(
    description: Description,
    *,
    style: str | None = None,
    tempo: float | None = None,
    key: str | None = None,
    prompt: str | None = None,
) -> MusicBrief:
    """Turn a :class:`Description` into a :class:`MusicBrief`; any argument overrides a field.

    ``style`` is one of :data:`vistune.brief.styles.STYLES` ("cinematic", "ambient", "lo-fi",
    "classical piano", "electronic", "jazz", "folk", "rock"); ``key`` is like "D" or "F# minor".
    ``prompt`` is the text MusicGen gets; its words about style, instruments, tempo, key, meter
    and mood (:func:`vistune.brief.prompt.read_prompt`) steer the brief too. ``style``, ``tempo``
    and ``key`` win over the prompt, and the prompt over the picture.

    >>> make_brief(description, style="jazz", tempo=96).tempo  # doctest: +SKIP
    96
    """
    features = description.features
    text = check_prompt(prompt) if prompt is not None else None
    wishes = read_prompt(text) if text else PromptWishes()
    seen = _seen_words(description)
    # The longest matching word first: "stars" as the caption wrote it, not its singular "star".
    scenes = [(s, w) for s in SCENES
              for w in sorted(s.words & seen.keys(), key=lambda w: (-len(w), w))[:1]]
    moods = [(w, *MOOD_WORDS[w]) for w in sorted(seen) if w in MOOD_WORDS]
    valence, arousal, emotion_reason = _emotion(features, scenes, moods, seen, wishes.moods)
    mood = _MOODS[_third(valence)][_third(arousal)]
    scene = scenes[0][0].name if scenes else "scene"

    if style is not None:
        chosen, style_reason = find_style(style), f"style preset {style!r}"
    elif wishes.genre:
        chosen = STYLES[wishes.genre]
        style_reason = f"your prompt asks for {chosen.name}"
    else:
        chosen, style_reason = _style_from_picture(features, scenes, seen, mood)

    low, high = chosen.tempo_range
    if tempo is not None:
        bpm, tempo_reason = _check_tempo(tempo), "set by you"
    elif wishes.tempo is not None:
        bpm, tempo_reason = _check_tempo(wishes.tempo), "set by your prompt"
    else:
        # Gagnon & Peretz (2003): faster reads as happier; arousal sets most of the pace.
        level = np.clip((arousal + 1) / 2 + 0.1 * valence, 0.0, 1.0)
        tempo_reason = (f"arousal {arousal:+.2f} sets the pace within {chosen.name}'s "
                        f"{low}-{high} bpm (faster feels more energetic and happier)")
        if wishes.pace is not None:
            level = wishes.pace
            tempo_reason = f"your prompt's pace, within {chosen.name}'s {low}-{high} bpm"
        bpm = int(round(low + level * (high - low)))

    tonic, mode, key_reason = _key(features, valence, key, wishes)
    if wishes.meter:
        meter, meter_reason = wishes.meter, "set by your prompt"
    else:
        meter = 3 if chosen.sways and arousal < -0.3 else 4
        meter_reason = (f"arousal {arousal:+.2f}: a slow, gentle {chosen.sways} sways in "
                        "three" if meter == 3 else "common time")
    instruments = {Role.MELODY.value: chosen.melody, Role.CHORDS.value: chosen.chords,
                   Role.BASS.value: chosen.bass, **wishes.instruments}
    contour, contour_reason = _contour(features)

    reasons = {
        "mood": f"{mood}: {emotion_reason}",
        "genre": style_reason,
        "instruments": f"{chosen.name} palette: " + ", ".join(
            f"{role} on {name}" + (" (your prompt)" if role in wishes.instruments else "")
            for role, name in instruments.items())
        + (", with drums" if chosen.drums else ", no drums"),
        "tempo": f"{bpm} bpm: {tempo_reason}",
        "meter": f"{meter}/4: {meter_reason}",
        "key": f"{tonic} {mode}: {key_reason}",
        "contour": contour_reason,
    }
    if text:
        reasons["prompt"] = _prompt_reason(wishes)
    elif description.setting is not None:
        reasons["setting"] = (f"{description.setting.name}, as {description.setting.evidence}; "
                              "the prompt says so")
    brief = MusicBrief(
        valence=round(valence, 3), arousal=round(arousal, 3), mood=mood, genre=chosen.name,
        tempo=bpm, meter=meter, key=tonic, mode=mode, instruments=instruments,
        drums=chosen.drums, texture=chosen.texture, contour=contour,
        scene=scene, prompt="", reasons=reasons)
    return dataclasses.replace(brief, prompt=text or write_prompt(brief, description))


def _style_from_picture(features: Features, scenes: list[tuple[Scene, str]],
                        seen: Mapping[str, str], mood: str) -> tuple[Style, str]:
    """The first named scene's style, if it needs no evidence or the picture shows it; else the
    mood's pick among the styles that suit most pictures (or electronic on neon or night
    colours)."""
    colours = setting_colours(features)
    passed = []
    for scene, word in scenes:
        needs = SETTING_STYLES.get(scene.style)
        if not needs or scene.name in EVIDENT_SCENES:
            return (STYLES[scene.style],
                    f"{seen[word]} says {word!r} ({scene.name} scene), so {scene.style}")
        if colours:
            return (STYLES[scene.style], f"{seen[word]} says {word!r} ({scene.name} scene) and "
                                         f"the picture shows {colours}, so {scene.style}")
        passed.append(f"{seen[word]} says {word!r} ({scene.name} scene), but {scene.style} "
                      f"needs {needs}")
    if colours:
        return STYLES["electronic"], f"no scene is named, but the picture shows {colours}"
    chosen = STYLES[MOOD_STYLES[mood]]
    return chosen, ("; ".join(passed) or "no word of the caption names a scene with a style "
                    "of its own") + (f", so the picture's {mood} mood picks {chosen.name} among "
                                     f"the styles that suit most pictures "
                                     f"({', '.join(COMMON_STYLES)})")


#: Palette colours that glow like neon signs or screens when the picture around them is dark.
NEON_COLOURS = ("pink", "purple", "blue", "teal", "red", "green")


def setting_colours(features: Features) -> str | None:
    """Neon or night colours, or a vivid, synthetic-looking texture, in words; None without.

    Neon: a dark picture (brightness under 0.35) with at least 5% of a saturated (over 0.5),
    bright (over 0.6) pink, purple, blue, teal, red or green. Night: a dark picture (under 0.3)
    that is mostly dark blue or purple. A texture counts when its colours are vivid
    (colourfulness over 0.55, the caption's "vivid colours"): grass, gravel and brick are not.
    """
    neon = [s for s in features.palette if features.brightness < 0.35 and s.share >= 0.05
            and s.name in NEON_COLOURS and _glows(s.hex)]
    if neon:
        return f"neon {neon[0].name} ({neon[0].share:.0%}) in a dark picture"
    night = sum(s.share for s in features.palette if s.name in ("dark blue", "dark purple"))
    if features.brightness < 0.3 and night >= 0.5:
        return f"night colours ({night:.0%} dark blue or purple)"
    if any(c.name == "texture" for c in features.cues) and features.colourfulness > 0.55:
        return f"a texture in vivid colours (colourfulness {features.colourfulness:.2f})"
    return None


def _glows(hex_colour: str) -> bool:
    """Saturated and bright, like a lit sign: HSV saturation over 0.5 and value over 0.6."""
    _, saturation, value = colorsys.rgb_to_hsv(*(int(hex_colour[i:i + 2], 16) / 255.0
                                                 for i in (1, 3, 5)))
    return saturation > 0.5 and value > 0.6


def _prompt_reason(wishes: PromptWishes) -> str:
    used = ", ".join(repr(w) for w in wishes.used) or "nothing"
    unused = ", ".join(repr(w) for w in wishes.unused)
    return f"your prompt: used {used}" + (f"; not used: {unused}" if unused else "")


def write_prompt(brief: MusicBrief, description: Description) -> str:
    """A MusicGen-style caption: mood, genre, instruments, tempo, key, and what it evokes.

    e.g. "calm ambient with electric piano and warm synth pads, 70 bpm, D major, evoking a
    misty forest at dawn".
    """
    style = brief.style
    parts = [INSTRUMENT_WORDS.get(brief.instruments[r], brief.instruments[r].lower())
             for r in (Role.MELODY, Role.CHORDS)]
    players = " and ".join(dict.fromkeys(parts))  # piano and piano -> piano
    drums = " and soft drums" if brief.drums and brief.arousal < 0.3 else (
        " and drums" if brief.drums else "")
    scene = re.sub(r"^(a photo of|an image of|a picture of|arafed|there is)\s+", "",
                   description.caption.strip(), flags=re.IGNORECASE)
    scene = " ".join(scene.split()[:24])
    if description.setting is not None:
        scene += f", {description.setting.name}"
    return (f"{brief.mood} {style.words} with {players}{drums}, {brief.tempo} bpm, "
            f"{brief.key} {brief.mode}, evoking {scene}")


def check_prompt(prompt: str) -> str:
    """Validate a user's prompt: control characters removed, not empty, not overly long."""
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in prompt)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InputError("the prompt is empty; write a few words describing the music, "
                         "or leave --prompt out to use the one made from the picture")
    if len(cleaned) > MAX_PROMPT_CHARS:
        raise InputError(f"the prompt is {len(cleaned):,} characters long; keep it under "
                         f"{MAX_PROMPT_CHARS:,}")
    return cleaned


def _words(text: str) -> frozenset[str]:
    """Lower-case words of ``text``, with a plural's singular added ("trees" -> "tree")."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    return frozenset(words | {w[:-1] for w in words if w.endswith("s") and len(w) > 3})


def _seen_words(description: Description) -> dict[str, str]:
    """Each word the caption says, and where it came from (with the label's score, when a sure
    label gave it); a class named on its own brings its group's words ("cheetah": "big cat").

    The captioner's own words for the light ("dark light with muted colours") are measurements,
    already counted by the colour rules, so they are left out. Labels count only through the
    caption: one below the caption threshold, or overruled by what the pixels show, is a guess.
    """
    caption = description.caption.replace(description.features.summary(), "")
    seen = dict.fromkeys(_words(caption), "the caption")
    for label in description.labels:
        if label.score >= MIN_LABEL_SCORE:
            for word in _words(label.name) & seen.keys():
                seen[word] = f"the caption (label {label.name!r}, {label.score:.0%})"
        group = group_of(label.name)
        if group and _words(label.name) <= seen.keys():  # "a moped" is a motorcycle
            for word in _words(group) - seen.keys():
                seen[word] = f"the caption ({label.name!r} is a {group})"
    return seen


#: How far the words (caption, labels, prompt) pull the colour-based mood: less than half, so
#: a label flip cannot outweigh the colour rules.
WORD_WEIGHT = 0.4


def _emotion(features: Features, scenes: list[tuple[Scene, str]],
             moods: list[tuple[str, float, float]], seen: Mapping[str, str],
             prompt_moods: tuple[tuple[str, float, float], ...] = ()
             ) -> tuple[float, float, str]:
    """Valence and arousal in -1..1 from colour and busyness, pulled by the words."""
    bright = np.clip((features.brightness - 0.5) * 2.0, -1.0, 1.0)
    saturated = np.clip((features.saturation - 0.3) / 0.3, -1.0, 1.0)
    busy = np.clip((features.edge_density - 0.12) / 0.2, -1.0, 1.0)
    # Valdez & Mehrabian (1994): standardised weights of brightness and saturation.
    colour_valence = 0.69 * bright + 0.22 * saturated
    colour_arousal = -0.31 * bright + 0.60 * saturated
    # Berlyne: complexity arouses. Edge density is measured independently of exposure, so
    # brightening a picture lowers its arousal, as the colour rule says.
    visual_arousal = 0.6 * colour_arousal + 0.4 * busy
    reason = (f"brightness {features.brightness:.2f} and saturation {features.saturation:.2f} "
              f"(Valdez & Mehrabian 1994) give valence {colour_valence:+.2f}, edge density "
              f"{features.edge_density:.2f} with them arousal {visual_arousal:+.2f}")
    cues = ([(f"{seen[w]} says {w!r} ({s.name})", s.valence, s.arousal) for s, w in scenes]
            + [(f"{seen[w]} says {w!r}", v, a) for w, v, a in moods]
            + [(f"your prompt says {w!r}", v, a) for w, v, a in prompt_moods])
    if not cues:
        return (float(np.clip(colour_valence, -1, 1)), float(np.clip(visual_arousal, -1, 1)),
                reason)
    word_valence, word_arousal = np.mean([c[1:] for c in cues], axis=0)
    valence = (1 - WORD_WEIGHT) * colour_valence + WORD_WEIGHT * word_valence
    arousal = (1 - WORD_WEIGHT) * visual_arousal + WORD_WEIGHT * word_arousal
    reason += (f"; pulled toward valence {word_valence:+.2f}, arousal {word_arousal:+.2f} "
               f"because " + ", ".join(c[0] for c in cues)
               + f" -> valence {valence:+.2f}, arousal {arousal:+.2f}")
    return float(np.clip(valence, -1.0, 1.0)), float(np.clip(arousal, -1.0, 1.0)), reason


def _third(value: float) -> int:
    return 0 if value < -0.2 else 2 if value > 0.25 else 1


def _check_tempo(tempo: float) -> int:
    low, high = TEMPO_RANGE
    try:
        value = float(tempo)
    except (TypeError, ValueError):
        raise InputError(f"tempo {tempo!r} is not a number; give beats per minute, e.g. 90"
                         ) from None
    if not np.isfinite(value) or not low <= value <= high:
        raise InputError(f"tempo {tempo!r} is outside {low}-{high} bpm; choose a tempo in range")
    return int(round(value))


def _key(features: Features, valence: float, key: str | None,
         wishes: PromptWishes) -> tuple[str, str, str]:
    """Tonic and mode, and why: the user's key, the prompt's, or one read from the picture."""
    tonic, mode = parse_key(key) if key is not None else (None, None)
    reasons = ["tonic set by you"] if tonic and not mode else []
    if tonic is None and wishes.key:
        tonic, mode = wishes.key, mode or wishes.mode
        reasons = ["set by your prompt"]
    elif mode is None and wishes.mode:
        mode = wishes.mode
        reasons.append("mode set by your prompt")
    if tonic is None:
        # Our own convention, not research: warm, bright pictures sit on the sharp side of the
        # circle of fifths, cool, dark ones on the flat side.
        shift = round(3 * features.warmth + 4 * (features.brightness - 0.5))
        tonic = CIRCLE_OF_FIFTHS[int(np.clip(6 + shift, 0, 11))]
        reasons.append(f"warmth {features.warmth:+.2f} and brightness "
                       f"{features.brightness:.2f} place the tonic on the circle of fifths")
    if mode is None:
        # Hevner (1937): the major mode is heard as happier than the minor.
        mode = "major" if valence >= -0.05 else "minor"
        reasons.append(f"valence {valence:+.2f} -> {mode} mode (major is heard as happier, "
                       "Hevner 1937)")
    return tonic, mode, "; ".join(reasons) or "set by you"


def _contour(features: Features) -> tuple[tuple[float, ...], str]:
    """Melody heights 0..1: the picture's skyline, blended with its light, left to right."""
    shape = 0.6 * np.asarray(features.horizon) + 0.4 * np.asarray(features.profile)
    spread = float(shape.max() - shape.min())
    if spread < 0.05:
        arch = np.sin(np.linspace(0.15, np.pi - 0.15, len(shape)))
        return (tuple(round(float(v), 3) for v in 0.25 + 0.5 * arch),
                f"the skyline and light vary by only {spread:.2f} from left to right, so the "
                "melody makes a simple arch")
    shape = (shape - shape.min()) / spread
    return (tuple(round(float(v), 3) for v in shape),
            f"the melody rises and falls with the skyline and light of the picture (they vary "
            f"by {spread:.2f} from left to right)")
