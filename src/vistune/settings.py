"""Settings as data: frozen dataclasses that check themselves when made (the one place input is
validated, as diffusers' ``check_inputs``), shared by the CLI, the app and the API.

Errors are :class:`InputError` naming the API argument (``error.argument``), so each front end
can say it in its own words.

>>> RenderSettings(duration=10, seed=3).duration
10.0
>>> RenderSettings(duration=0.5)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
vistune.errors.InputError: duration 0.5 is outside 1-600 s; choose a length in that range ...
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

#: Longest piece, in seconds, unless ``max_duration`` says otherwise.
MAX_DURATION = 600.0
MIN_DURATION = 1.0
MAX_VARIATIONS = 8
#: Integrated loudness of the mastered music (LUFS); streaming services play at about -14.
DEFAULT_LOUDNESS = -14.0
LOUDNESS_RANGE = (-40.0, -6.0)
MAX_BEAMS = 20
#: Number formats of the neural models (runtime/models.py says what auto means where).
PRECISIONS = ("auto", "fp32", "bf16", "int8")
#: Who runs MusicGen's decoder (runtime/openvino/core.py says what auto means where).
BACKENDS = ("auto", "torch", "openvino")


def _number(value: object, argument: str, example: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{argument} {value!r} is not a number; {example}",
                         argument=argument) from None
    if not math.isfinite(number):
        raise InputError(f"{argument} {value!r} is not a finite number; {example}",
                         argument=argument)
    return number


def _whole(value: object, argument: str, low: int, high: int, example: str) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{argument} {value!r} is not a whole number; {example}",
                         argument=argument) from None
    if isinstance(value, float) and number != value:
        raise InputError(f"{argument} {value!r} is not a whole number; {example}",
                         argument=argument)
    if not low <= number <= high:
        raise InputError(f"{argument} {value!r} is outside {low}-{high}", argument=argument)
    return number


def check_max_duration(value: float | str) -> float:
    """Validate ``max_duration``: a number of seconds, at least the 1 s minimum."""
    seconds = _number(value, "max_duration", "give seconds, e.g. 600")
    if seconds < MIN_DURATION:
        raise InputError(f"max_duration {value!r} is below the {MIN_DURATION:g} s minimum; "
                         "raise it", argument="max_duration")
    return seconds


def check_duration(value: float | str, *, max_duration: float = MAX_DURATION) -> float:
    """Validate a duration in seconds: a finite number from 1 s to ``max_duration``.

    >>> check_duration("30")
    30.0
    """
    seconds = _number(value, "duration", "give seconds, e.g. 30")
    if not MIN_DURATION <= seconds <= max_duration:
        raise InputError(f"duration {value!r} is outside {MIN_DURATION:g}-{max_duration:g} s; "
                         "choose a length in that range (max_duration raises the limit)",
                         argument="duration")
    return seconds


def check_seed(value: int | str) -> int:
    """Validate a seed: a whole number from 0 to 2**32 - 1."""
    return _whole(value, "seed", 0, 2**32 - 1, "e.g. seed 0")


def check_count(value: int | str) -> int:
    """Validate the number of takes (variations) of one picture: 1 to 8."""
    return _whole(value, "count", 1, MAX_VARIATIONS, "e.g. count 4")


def check_cover_strength(value: float | str) -> float:
    """Validate ``cover_strength``: how closely a cover follows its source audio, 0 to 1.

    >>> check_cover_strength("0.5")
    0.5
    """
    strength = _number(value, "cover_strength", "give 0 to 1, e.g. 0.7")
    if not 0.0 <= strength <= 1.0:
        raise InputError(f"cover_strength {value!r} is outside 0-1; 1 follows the source "
                         "closely, 0 only loosely (e.g. 0.7)", argument="cover_strength")
    return strength


def check_loudness(value: float | str) -> float:
    """Validate a loudness target in LUFS, from -40 (very quiet) to -6 (very loud)."""
    low, high = LOUDNESS_RANGE
    lufs = _number(value, "loudness", "give LUFS, e.g. -14")
    if not low <= lufs <= high:
        raise InputError(f"loudness {value!r} is outside {low:g} to {high:g} LUFS; -14 suits "
                         "streaming, -23 broadcast", argument="loudness")
    return lufs


@dataclass(frozen=True)
class Sampling:
    """MusicGen-style sampling settings; None keeps the checkpoint's own generation config."""

    guidance_scale: float | None = None
    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None

    def __post_init__(self) -> None:
        checks = {"guidance_scale": (0.0, 100.0), "temperature": (1e-3, 10.0),
                  "top_k": (0, 100_000), "top_p": (1e-3, 1.0)}
        for name, (low, high) in checks.items():
            value = getattr(self, name)
            if value is not None and not low <= _number(value, name, "or leave it out") <= high:
                raise InputError(f"{name} {value!r} is outside {low:g}-{high:g}", argument=name)

    def kwargs(self) -> dict:
        """The settings that were given, as ``generate()`` keyword arguments."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class CaptionSettings:
    """Neural captioner settings: ``prefix`` ("an image of") makes conditional captions,
    ``num_beams`` is the beam-search width."""

    prefix: str | None = None
    num_beams: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_beams", _whole(self.num_beams, "num_beams", 1, MAX_BEAMS,
                                                     "e.g. num_beams 3"))


@dataclass(frozen=True)
class ModelSettings:
    """How the engine and the captioner load and run; every loader receives this."""

    device: str | None = None
    precision: str = "auto"
    offline: bool = False
    sampling: Sampling = field(default_factory=Sampling)
    caption: CaptionSettings = field(default_factory=CaptionSettings)
    #: A General MIDI SoundFont (.sf2) for engines that play MIDI; None: the best installed.
    soundfont: str | None = None
    #: Who runs MusicGen's decoder: "auto", "torch" or "openvino" (engines/openvino_step.py).
    backend: str = "auto"
    #: How closely ACE-Step's cover of a melody follows it, 0 to 1; None: fully (1.0).
    cover_strength: float | None = None

    def __post_init__(self) -> None:
        if self.cover_strength is not None:
            object.__setattr__(self, "cover_strength", check_cover_strength(self.cover_strength))
        if self.precision not in PRECISIONS:
            raise InputError(f"unknown precision {self.precision!r}; choose one of: "
                             f"{', '.join(PRECISIONS)}", argument="precision")
        if self.backend not in BACKENDS:
            raise InputError(f"unknown backend {self.backend!r}; choose one of: "
                             f"{', '.join(BACKENDS)}", argument="backend")

    def given(self) -> set[str]:
        """The API arguments set to something other than their defaults (``temperature``,
        ``caption_prefix``...), for telling users which ones a piece ignores."""
        default = ModelSettings()
        given = {name for name in ("device", "precision")
                 if getattr(self, name) != getattr(default, name)}
        given |= {f.name for f in dataclasses.fields(Sampling)
                  if getattr(self.sampling, f.name) is not None}
        if self.caption.prefix:
            given.add("caption_prefix")
        if self.caption.num_beams != default.caption.num_beams:
            given.add("num_beams")
        if self.soundfont:
            given.add("soundfont")
        if self.backend != "auto":
            given.add("backend")
        if self.cover_strength is not None:
            given.add("cover_strength")
        return given


@dataclass(frozen=True)
class RenderSettings:
    """What to make from one picture: length, seed, takes, brief overrides and output.

    ``style``, ``tempo``, ``key`` and ``prompt`` override the brief (checked by
    :func:`~vistune.brief.make_brief`); ``melody`` is an audio file to follow or "image";
    ``loudness`` is the mastered level in LUFS; ``stems`` asks for one track per part and
    ``loop`` for a seamless loop, where the engine can. ``max_duration`` is the limit
    ``duration`` is checked against.
    """

    duration: float = 30.0
    seed: int = 0
    count: int = 1
    style: str | None = None
    tempo: float | None = None
    key: str | None = None
    prompt: str | None = None
    melody: str | Path | None = None
    loudness: float = DEFAULT_LOUDNESS
    stems: bool = False
    loop: bool = False
    max_duration: float = MAX_DURATION

    def __post_init__(self) -> None:
        checked = {"max_duration": check_max_duration(self.max_duration)}
        checked["duration"] = check_duration(self.duration, max_duration=checked["max_duration"])
        checked |= {"seed": check_seed(self.seed), "count": check_count(self.count),
                    "loudness": check_loudness(self.loudness)}
        for name, value in checked.items():
            object.__setattr__(self, name, value)
