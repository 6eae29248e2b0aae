"""ImageToMusic: image -> Description -> MusicBrief -> Track -> mastered Result.

Every front end (CLI, app, Python) goes through this class; it owns the settings, picks the
pieces (``auto`` = neural when its weights are here or can be fetched, else offline), loads each
model once and reuses it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from .audio import master, read_audio
from .brief import MusicBrief, make_brief
from .captioning import Captioner, Description, LabelCaptioner
from .engines import AudioCallback, Engine, Progress, Track
from .engines.composer import ComposerEngine, image_melody
from .engines.musicgen import Sampling
from .engines.openvino_step import BACKENDS
from .errors import InputError
from .image import DEFAULT_MAX_PIXELS, ImageSource, load_image
from .models import (
    DEFAULT_CAPTION_MODEL,
    DEFAULT_MUSIC_MODEL,
    PRECISIONS,
    can_load,
    release,
    unavailable,
)
from .result import Result

#: Longest piece, in seconds; configurable with ``max_duration``.
MAX_DURATION = 600.0
MIN_DURATION = 1.0
MAX_VARIATIONS = 8
ENGINES = ("auto", "composer", "musicgen")
CAPTIONERS = ("auto", "labels", "blip")



def check_duration(value: float | str, *, max_duration: float = MAX_DURATION) -> float:
    """Validate a duration in seconds: a finite number from 1 s to ``max_duration``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise InputError(f"duration {value!r} is not a number; give seconds, e.g. 30") from None
    if not math.isfinite(seconds) or not MIN_DURATION <= seconds <= max_duration:
        raise InputError(f"duration {value!r} is outside {MIN_DURATION:g}-{max_duration:g} s; "
                         f"choose a length in that range (max_duration raises the limit)")
    return seconds


def check_seed(value: int | str) -> int:
    """Validate a seed: a whole number from 0 to 2**32 - 1."""
    try:
        seed = int(value)
    except (TypeError, ValueError):
        raise InputError(f"seed {value!r} is not a whole number; e.g. --seed 0") from None
    if not 0 <= seed < 2**32:
        raise InputError(f"seed {value!r} is outside 0..{2**32 - 1}")
    return seed


def _choice(value: str, options: tuple[str, ...], what: str) -> str:
    if value not in options:
        raise InputError(f"unknown {what} {value!r}; choose one of: {', '.join(options)}")
    return value


class ImageToMusic:
    """Turn pictures into music.

    >>> pipe = ImageToMusic(engine="composer", captioner="labels")  # offline, no download
    >>> result = pipe("examples/forest.jpg", duration=10, seed=0)  # doctest: +SKIP
    >>> result.save("forest.wav")  # doctest: +SKIP

    ``engine``: "auto", "composer" (offline) or "musicgen"; ``captioner``: "auto", "labels"
    (offline) or "blip". ``offline=True`` never touches the network: ``auto`` then uses neural
    models only when they are already downloaded. ``caption_prefix`` ("an image of") makes BLIP
    captions conditional; ``num_beams`` is BLIP's beam width. ``guidance_scale``,
    ``temperature``, ``top_k`` and ``top_p`` tune MusicGen's sampling (None: the checkpoint's
    own defaults). ``precision`` ("auto", "fp32", "bf16", "int8") sets the neural models'
    number format; ``auto`` is fp16 on CUDA and, on a CPU, int8 for MusicGen and bf16 (where
    the CPU has it) for BLIP. ``backend`` ("auto", "torch", "openvino") runs MusicGen's decoder
    on OpenVINO (auto: on a CPU where it is installed). ``low_memory=True`` frees the BLIP
    captioner before MusicGen runs, so the two never sit in memory together. ``notify``
    receives one-line notes such as which pieces ``auto`` chose.
    """

    def __init__(
        self,
        *,
        engine: str = "auto",
        captioner: str = "auto",
        caption_model: str = DEFAULT_CAPTION_MODEL,
        music_model: str = DEFAULT_MUSIC_MODEL,
        device: str | None = None,
        precision: str = "auto",
        backend: str = "auto",
        offline: bool = False,
        caption_prefix: str | None = None,
        num_beams: int = 3,
        guidance_scale: float | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        low_memory: bool = False,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_duration: float = MAX_DURATION,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        _choice(engine, ENGINES, "engine")
        _choice(captioner, CAPTIONERS, "captioner")
        if not max_duration >= MIN_DURATION:
            raise InputError(f"max_duration {max_duration!r} is below the {MIN_DURATION:g} s "
                             "minimum; raise it")
        self.caption_model = caption_model
        self.music_model = music_model
        self.device = device
        self.precision = _choice(precision, PRECISIONS, "precision")
        self.backend = _choice(backend, BACKENDS, "backend")  # MusicGen decoder: openvino_step
        self.offline = offline
        self.caption_prefix = caption_prefix
        self.num_beams = num_beams
        self.sampling = Sampling(guidance_scale=guidance_scale, temperature=temperature,
                                 top_k=top_k, top_p=top_p)
        self.low_memory = low_memory
        self.max_pixels = max_pixels
        self.max_duration = max_duration
        self.notes: list[str] = []
        self._notify = notify
        self.captioner_name = self._resolve(captioner, "blip", "labels", caption_model)
        self.engine_name = self._resolve(engine, "musicgen", "composer", music_model)
        self._explain_auto(captioner == "auto", engine == "auto")
        self._captioner: Captioner | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(cls, caption_model: str = DEFAULT_CAPTION_MODEL,
                        music_model: str = DEFAULT_MUSIC_MODEL, **settings) -> ImageToMusic:
        """Build with named checkpoints (hub ids or local folders); "labels" and "composer"
        name the offline pieces.

        >>> ImageToMusic.from_pretrained("labels", "composer").engine_name
        'composer'
        """
        captioner = "labels" if caption_model == "labels" else "blip"
        engine = "composer" if music_model == "composer" else "musicgen"
        return cls(captioner=captioner, engine=engine,
                   caption_model=DEFAULT_CAPTION_MODEL if captioner == "labels" else caption_model,
                   music_model=DEFAULT_MUSIC_MODEL if engine == "composer" else music_model,
                   **settings)

    def _resolve(self, choice: str, neural: str, offline: str, model: str) -> str:
        if choice != "auto":
            return choice
        return neural if can_load(model, offline=self.offline) else offline

    def _explain_auto(self, auto_captioner: bool, auto_engine: bool) -> None:
        """One line saying what ``auto`` chose, and why when it fell back to offline pieces."""
        chosen, missing = [], []
        for auto, name, model, label in (
                (auto_captioner, self.captioner_name, self.caption_model, "captioner"),
                (auto_engine, self.engine_name, self.music_model, "engine")):
            if not auto:
                continue
            if name in ("blip", "musicgen"):
                chosen.append(f"{name} ({model})")
            else:
                chosen.append(f"the offline {name} {label}")
                missing.append(model)
        if not chosen:
            return
        line = "auto: using " + " and ".join(chosen)
        if missing:
            line += (f": {' and '.join(missing)} not downloaded"
                     + ("" if self.offline else " and the model hub cannot be reached")
                     + " (`vistune download NAME` fetches a model)")
        self._note(line)

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self._notify:
            self._notify(text)

    @property
    def captioner(self) -> Captioner:
        """The captioner, loaded on first use."""
        with self._lock:
            if self._captioner is None:
                self._captioner = self._load_captioner()
            return self._captioner

    @property
    def engine(self) -> Engine:
        """The music engine, loaded on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = self._load_engine()
            return self._engine

    def _load_captioner(self) -> Captioner:
        if self.captioner_name == "labels":
            return LabelCaptioner()
        if not can_load(self.caption_model, offline=self.offline):
            raise unavailable(self.caption_model, switch="--captioner", fallback="labels")
        from .blip import BlipCaptioner

        return BlipCaptioner(self.caption_model, device=self.device, precision=self.precision,
                             prefix=self.caption_prefix, num_beams=self.num_beams)

    def _load_engine(self) -> Engine:
        if self.engine_name == "composer":
            return ComposerEngine()
        if not can_load(self.music_model, offline=self.offline):
            raise unavailable(self.music_model, switch="--engine", fallback="composer")
        from .engines.musicgen import MusicGenEngine

        return MusicGenEngine(self.music_model, device=self.device, precision=self.precision,
                              sampling=self.sampling, backend=self.backend)

    def describe(self, image: ImageSource) -> Description:
        """Caption and measure one picture."""
        return self.describe_many([image])[0]

    def describe_many(self, images: Sequence[ImageSource]) -> list[Description]:
        """Caption and measure several pictures (one batched call where the captioner can)."""
        pictures = [load_image(image, max_pixels=self.max_pixels) for image in images]
        many = getattr(self.captioner, "describe_many", None)
        return many(pictures) if many else [self.captioner.describe(p) for p in pictures]

    def brief(self, image: ImageSource | Description, *, style: str | None = None,
              tempo: float | None = None, key: str | None = None,
              prompt: str | None = None) -> MusicBrief:
        """The musical brief for a picture (or an existing Description), with overrides."""
        description = image if isinstance(image, Description) else self.describe(image)
        return make_brief(description, style=style, tempo=tempo, key=key, prompt=prompt)

    def __call__(self, image: ImageSource | Description, *, duration: float = 30.0,
                 seed: int = 0, style: str | None = None, tempo: float | None = None,
                 key: str | None = None, prompt: str | None = None,
                 melody: str | Path | None = None, progress: Progress | None = None,
                 on_audio: AudioCallback | None = None) -> Result:
        """Make ``duration`` seconds of music for ``image``; the same seed gives the same audio.

        ``melody`` (MusicGen melody checkpoints only) is an audio file to follow, or "image"
        for the melody the composer draws from the picture. ``on_audio(chunk, rate)`` gets
        the music while it is made, as (channels, samples) float32 chunks before mastering
        (MusicGen: the first half second, then chunks growing to two seconds; the composer: all
        at once).
        """
        return self.variations(image, count=1, duration=duration, seed=seed, style=style,
                               tempo=tempo, key=key, prompt=prompt, melody=melody,
                               progress=progress, on_audio=on_audio)[0]

    def variations(self, image: ImageSource | Description, *, count: int = 4,
                   duration: float = 30.0, seed: int = 0, style: str | None = None,
                   tempo: float | None = None, key: str | None = None,
                   prompt: str | None = None, melody: str | Path | None = None,
                   progress: Progress | None = None,
                   on_audio: AudioCallback | None = None) -> list[Result]:
        """``count`` different takes on one picture (MusicGen makes them in one batched call).

        ``on_audio`` streams the first take, as in ``__call__``."""
        duration = check_duration(duration, max_duration=self.max_duration)
        seed = check_seed(seed)
        if not 1 <= int(count) <= MAX_VARIATIONS:
            raise InputError(f"variations {count!r} is outside 1-{MAX_VARIATIONS}")
        report = progress or (lambda done, total, stage: None)
        report(0, 4, "looking at the picture")
        if isinstance(image, Description):
            description = image
        else:
            report(1, 4, f"captioning with {self.captioner_name}")
            description = self.describe(image)
        if self.low_memory and self.captioner_name == "blip" and self.engine_name == "musicgen":
            with self._lock:
                self._captioner = None
            release("captioner")
        brief = make_brief(description, style=style, tempo=tempo, key=key, prompt=prompt)
        report(2, 4, f"making music with {self.engine_name}")
        tracks = self._render(brief, count=int(count), duration=duration, seed=seed,
                              melody=melody, progress=lambda d, t, stage: report(2, 4, stage),
                              on_audio=on_audio)
        report(3, 4, "mastering")
        # Composer takes use seeds seed, seed + 1, ...; MusicGen's share one batched seed.
        step = 1 if isinstance(self.engine, ComposerEngine) else 0
        results = [Result(audio=master(t.audio, t.sample_rate), sample_rate=t.sample_rate,
                          caption=description.caption, brief=brief, prompt=brief.prompt,
                          engine=t.engine, seed=seed + step * i, take=i,
                          description=description, music_model=t.model,
                          source=description.source,
                          midi=t.midi) for i, t in enumerate(tracks)]
        report(4, 4, "done")
        return results

    def _render(self, brief: MusicBrief, *, count: int, duration: float, seed: int,
                melody: str | Path | None, progress: Progress,
                on_audio: AudioCallback | None) -> list[Track]:
        engine = self.engine
        if isinstance(engine, ComposerEngine):
            if melody is not None:
                raise InputError("--melody needs MusicGen (--engine musicgen with a "
                                 "musicgen-melody checkpoint); the composer writes its own")
            # Each take of the composer is its own seed: seed, seed + 1, ...
            tracks = [engine.render(brief, duration=duration, seed=seed + i, progress=progress)
                      for i in range(count)]
            if on_audio is not None:  # the composer takes well under a second: no chunks
                on_audio(tracks[0].audio, tracks[0].sample_rate)
            return tracks
        tune = None
        if melody == "image":
            tune = image_melody(brief, duration=duration, seed=seed)
        elif melody is not None:
            tune = read_audio(melody)
        return engine.render_prompts([brief.prompt] * count, duration=duration, seed=seed,
                                     progress=progress, melody=tune, on_audio=on_audio)
