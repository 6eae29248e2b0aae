"""ImageToMusic: image -> Description -> MusicBrief -> Track -> mastered Result.

Every front end (CLI, app, Python) goes through this class. It only wires the pieces: settings
come in as data (:mod:`vistune.settings`), the engine and captioner come from the registry
(:mod:`vistune.registry`; ``auto`` = neural when its weights are here or can be fetched, else
offline), each loads once and is reused. What an engine can do is its ``capabilities``: the
pipeline never asks which engine it holds.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from . import registry
from .brief import MusicBrief, make_brief
from .engines import AudioCallback, Capabilities, Engine, Progress
from .errors import InputError, ModelUnavailable
from .output.audio import master, read_audio
from .result import Result
from .runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL, release
from .see.image import DEFAULT_MAX_PIXELS, ImageSource, load_image
from .see.labels import Captioner, Description
from .settings import (
    MAX_DURATION,
    MAX_VARIATIONS,
    CaptionSettings,
    ModelSettings,
    RenderSettings,
    Sampling,
    check_duration,
    check_max_duration,
    check_seed,
)

__all__ = ["CAPTIONERS", "ENGINES", "MAX_DURATION", "MAX_VARIATIONS", "ImageToMusic",
           "check_duration", "check_seed"]

#: The names ``engine`` and ``captioner`` accept, "auto" first (built-ins and plug-ins).
ENGINES = registry.names("engine")
CAPTIONERS = registry.names("captioner")
#: Progress runs over STEPS: captioning to CAPTIONED, the engine's own steps to RENDERED,
#: then mastering.
STEPS, CAPTIONED, RENDERED = 100, 10, 95
T = TypeVar("T")
#: What each capability lets an engine do, as the error for an engine without it says.
FEATURES = {"melody": "follow a tune", "stems": "make stems", "loop": "make a seamless loop"}


class ImageToMusic:
    """Turn pictures into music.

    >>> pipe = ImageToMusic(engine="composer", captioner="labels")  # offline, no download
    >>> result = pipe("examples/forest.jpg", duration=10, seed=0)  # doctest: +SKIP
    >>> result.save("forest.wav")  # doctest: +SKIP
    >>> result.save("forest.mp4")  # the picture with its music  # doctest: +SKIP

    ``engine`` and ``captioner`` are registry names (:data:`ENGINES`, :data:`CAPTIONERS`):
    "auto", "composer" (offline) or "musicgen", and "labels" (offline) or "blip", plus any
    plug-in's. ``caption_model`` and ``music_model`` are checkpoints (hub ids or folders; None:
    the piece's default). ``offline=True`` never touches the network: ``auto`` then uses neural
    models only when they are already downloaded. ``caption_prefix`` ("an image of") makes BLIP
    captions conditional; ``num_beams`` is BLIP's beam width. ``guidance_scale``,
    ``temperature``, ``top_k`` and ``top_p`` tune MusicGen's sampling (None: the checkpoint's
    own defaults). ``precision`` ("auto", "fp32", "bf16", "int8") sets the neural models'
    number format; ``auto`` is fp16 on CUDA and, on a CPU, int8 for MusicGen and bf16 (where
    the CPU has it) for BLIP. ``low_memory=True`` frees a neural captioner before a neural
    engine runs, so the two never sit in memory together. ``soundfont`` is an .sf2 file for
    engines that play MIDI (the composer; None: the best General MIDI SoundFont installed).
    ``backend`` runs MusicGen's decoder steps: "auto" (OpenVINO on a CPU when
    ``vistune[openvino]`` is installed, else PyTorch), "torch" or "openvino".
    ``cover_strength`` (0 to 1; None: 1) is how closely ACE-Step's cover of a ``melody``
    follows it. ``notify`` receives one-line notes:
    which pieces ``auto`` chose, settings the chosen pieces ignore, plug-ins that were skipped.
    """

    def __init__(
        self,
        *,
        engine: str = "auto",
        captioner: str = "auto",
        caption_model: str | None = None,
        music_model: str | None = None,
        device: str | None = None,
        precision: str = "auto",
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
        soundfont: str | None = None,
        backend: str = "auto",
        cover_strength: float | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = ModelSettings(
            device=device, precision=precision, offline=offline,
            sampling=Sampling(guidance_scale=guidance_scale, temperature=temperature,
                              top_k=top_k, top_p=top_p),
            caption=CaptionSettings(prefix=caption_prefix, num_beams=num_beams),
            soundfont=soundfont, backend=backend, cover_strength=cover_strength)
        self.max_duration = check_max_duration(max_duration)
        self.low_memory = low_memory
        self.max_pixels = max_pixels
        self.notes: list[str] = []
        #: The note saying what ``auto`` chose (None when it chose nothing), so that a front
        #: end can say it its own way.
        self.auto_note: str | None = None
        self._notify = notify
        self._pieces = {
            "captioner": registry.pick("captioner", captioner, caption_model, offline=offline),
            "engine": registry.pick("engine", engine, music_model, offline=offline)}
        self._auto = {"captioner": captioner == "auto", "engine": engine == "auto"}
        self.caption_model = caption_model or self._default_model("captioner")
        self.music_model = music_model or self._default_model("engine")
        self.captioner_name = self._pieces["captioner"].name
        self.engine_name = self._pieces["engine"].name
        for line in registry.problems():
            self._note(line)
        self._explain_auto(captioner == "auto", engine == "auto")
        self._explain_ignored()
        self._captioner: Captioner | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(cls, caption_model: str = DEFAULT_CAPTION_MODEL,
                        music_model: str = DEFAULT_MUSIC_MODEL,
                        **settings) -> ImageToMusic:
        """Build with named checkpoints (hub ids or local folders), or with the names of
        pieces that need none ("labels", "composer").

        >>> ImageToMusic.from_pretrained("labels", "composer").engine_name
        'composer'
        """
        captioner, caption = registry.for_model("captioner", caption_model)
        engine, music = registry.for_model("engine", music_model)
        return cls(captioner=captioner, engine=engine, caption_model=caption, music_model=music,
                   **settings)

    def _default_model(self, kind: str) -> str:
        """The checkpoint the chosen piece uses when none is named (pieces without one:
        the neural ``auto`` entry's, as ``auto`` looked for it)."""
        return (self._pieces[kind].default_model or registry.neural_choice(kind).default_model
                or "")

    def _models(self) -> dict[str, str]:
        return {"captioner": self.caption_model, "engine": self.music_model}

    def _explain_auto(self, auto_captioner: bool, auto_engine: bool) -> None:
        """One line saying what ``auto`` chose, and why when it fell back to offline pieces."""
        chosen, missing = [], []
        for kind, auto in (("captioner", auto_captioner), ("engine", auto_engine)):
            if not auto:
                continue
            entry, model = self._pieces[kind], self._models()[kind]
            if entry.neural:
                chosen.append(f"{entry.name} ({model})")
            else:
                chosen.append(f"the offline {entry.name} {kind}")
                missing.append(model)
        if not chosen:
            return
        line = "auto: using " + " and ".join(chosen)
        if missing:
            line += (f": {' and '.join(missing)} not downloaded"
                     + ("" if self.settings.offline else " and the model hub cannot be reached")
                     + " (`vistune download NAME` fetches a model)")
        self.auto_note = line
        self._note(line)

    def _explain_ignored(self) -> None:
        """One line naming the settings given that neither chosen piece uses."""
        used = self._pieces["engine"].options | self._pieces["captioner"].options
        ignored = sorted(self.settings.given() - used)
        if ignored:
            self._note(f"ignored {', '.join(ignored)}: the {self.engine_name} engine and the "
                       f"{self.captioner_name} captioner do not use "
                       + ("it" if len(ignored) == 1 else "them"))

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self._notify:
            self._notify(text)

    def check_models(self, *kinds: str) -> None:
        """Raise ModelUnavailable, before anything loads, when a chosen piece's model cannot
        be had here (``kinds``: "captioner", "engine"; default both). ``auto``'s neural
        choices are left to fall back when they load."""
        for kind in kinds or ("captioner", "engine"):
            if not self._auto[kind]:
                self._pieces[kind].check(self._models()[kind], self.settings)

    @property
    def captioner(self) -> Captioner:
        """The captioner, loaded on first use."""
        with self._lock:
            if self._captioner is None:
                self._captioner = self._pieces["captioner"].create(self.caption_model,
                                                                   self.settings)
            return self._captioner

    @property
    def engine(self) -> Engine:
        """The music engine, loaded on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = self._pieces["engine"].create(self.music_model, self.settings)
            return self._engine

    def _use(self, kind: str, call: Callable):
        """``call(piece)`` with the captioner or engine; when ``auto`` chose a neural piece that
        cannot load here after all (a half-downloaded checkpoint, too little memory), the
        offline piece takes over, with a note saying why."""
        try:
            return call(getattr(self, kind))
        except ModelUnavailable as exc:
            if not (self._auto[kind] and self._pieces[kind].neural):
                raise
            offline = registry.offline_choice(kind)
            self._note(f"auto: {exc}; using the offline {offline.name} {kind} instead")
            with self._lock:
                self._pieces[kind] = offline
                setattr(self, f"{kind}_name", offline.name)
                setattr(self, f"_{kind}", None)
            return call(getattr(self, kind))

    def with_engine(self, call: Callable[[Engine], T]) -> T:
        """``call(engine)`` with the chosen engine, for flows built on the pipeline (a
        slideshow): when ``auto`` chose a neural engine that cannot load here after all, the
        offline engine takes over, with a note saying why, as for a single picture."""
        return self._use("engine", call)

    @property
    def licence(self) -> str | None:
        """What users may do with the chosen engine's music: its licence, why, and where it is
        written (after an ``auto`` fall-back, the offline engine's); None when the engine
        names none. Every result records it."""
        licence = self._pieces["engine"].licence
        return str(licence) if licence else None

    @property
    def capabilities(self) -> Capabilities:
        """What the chosen engine can do (melody, streaming, batching, MIDI, stems, loop)."""
        return self.engine.capabilities

    def slideshow(self, images: Sequence[ImageSource], **options) -> Result:
        """One continuous piece for several pictures, each with its own section; ``options``
        as :func:`vistune.slideshow.slideshow` (``seconds_per_image`` or ``duration``, ``seed``,
        ``style``, ``progress``). Its ``save("show.mp4")`` writes the video."""
        from .slideshow import slideshow

        return slideshow(self, images, **options)

    def describe(self, image: ImageSource) -> Description:
        """Caption and measure one picture."""
        return self.describe_many([image])[0]

    def describe_many(self, images: Sequence[ImageSource]) -> list[Description]:
        """Caption and measure several pictures (one batched call where the captioner can)."""
        pictures = [load_image(image, max_pixels=self.max_pixels) for image in images]
        described = self._use("captioner", lambda captioner: captioner.describe_many(pictures)
                              if hasattr(captioner, "describe_many")
                              else [captioner.describe(p) for p in pictures])
        return [dataclasses.replace(d, digest=p.digest)
                for d, p in zip(described, pictures, strict=True)]

    def brief(self, image: ImageSource | Description, *, style: str | None = None,
              tempo: float | None = None, key: str | None = None,
              prompt: str | None = None) -> MusicBrief:
        """The musical brief for a picture (or an existing Description), with overrides."""
        description = image if isinstance(image, Description) else self.describe(image)
        return make_brief(description, style=style, tempo=tempo, key=key, prompt=prompt)

    def __call__(self, image: ImageSource | Description, *, progress: Progress | None = None,
                 on_audio: AudioCallback | None = None, **settings) -> Result:
        """Make one piece for ``image``; the same seed gives the same audio.

        ``settings`` are :class:`~vistune.settings.RenderSettings` fields: ``duration``
        (seconds, default 30), ``seed``, ``style``, ``tempo``, ``key``, ``prompt``, ``melody``
        (an audio file to follow, or "image" for the melody drawn from the picture; engines
        that can follow one only), ``loudness`` (LUFS, default -14), ``stems``, ``loop``.
        ``progress(done, total, stage)`` moves ``done`` through a fixed ``total``.
        ``on_audio(chunk, rate)`` gets the music before mastering, as (channels, samples)
        float32 chunks while it is made where the engine streams, else all at once.
        """
        return self.variations(image, count=1, progress=progress, on_audio=on_audio,
                               **settings)[0]

    def variations(self, image: ImageSource | Description, *, count: int = 4,
                   progress: Progress | None = None, on_audio: AudioCallback | None = None,
                   **settings) -> list[Result]:
        """``count`` different takes on one picture (one batched call where the engine
        batches); ``settings`` and ``on_audio`` (the first take) as in ``__call__``."""
        return self.compose(image, RenderSettings(count=count, **settings),
                            progress=progress, on_audio=on_audio)

    def compose(self, image: ImageSource | Description, settings: RenderSettings, *,
                progress: Progress | None = None,
                on_audio: AudioCallback | None = None) -> list[Result]:
        """The takes ``settings`` ask for: describe -> brief -> engine.render -> master."""
        settings = dataclasses.replace(
            settings, max_duration=min(settings.max_duration, self.max_duration))
        self._check_capabilities(settings)
        report = _Bar(progress)
        report(0, "looking at the picture")
        if isinstance(image, Description):
            description = image
        else:
            report(0, f"captioning with {self.captioner_name}")
            description = self.describe(image)
        if self.low_memory and all(entry.neural for entry in self._pieces.values()):
            with self._lock:
                self._captioner = None
            release("captioner")
        brief = make_brief(description, style=settings.style, tempo=settings.tempo,
                           key=settings.key, prompt=settings.prompt)
        report(CAPTIONED, f"making music with {self.engine_name}")
        tracks = self.with_engine(lambda engine: engine.render(
            brief, duration=settings.duration, seed=settings.seed, count=settings.count,
            melody=self._melody(settings, brief), stems=settings.stems, loop=settings.loop,
            progress=report.within(CAPTIONED, RENDERED), on_audio=on_audio))
        report(RENDERED, "mastering")
        # A seamless loop keeps its ends: no fades.
        shape = {"fade_in": 0.0, "fade_out": 0.0} if settings.loop else {}
        soundfont = getattr(self.engine, "soundfont", None)  # engines that play MIDI
        request = {"loop": settings.loop, "stems": settings.stems,
                   "loudness": settings.loudness,
                   **({"soundfont": Path(soundfont).name} if soundfont else {})}
        results = [Result(audio=master(t.audio, t.sample_rate, loudness=settings.loudness,
                                       **shape),
                          sample_rate=t.sample_rate, caption=description.caption, brief=brief,
                          prompt=brief.prompt, engine=t.engine,
                          seed=settings.seed if t.seed is None else t.seed, take=i,
                          description=description, music_model=t.model,
                          source=description.source, midi=t.midi, stems=t.stems,
                          picture=None if isinstance(image, Description) else image,
                          licence=self.licence, engine_settings=t.settings,
                          request=request, sections=t.sections)
                   for i, t in enumerate(tracks)]
        report(STEPS, "done")
        return results

    def _check_capabilities(self, settings: RenderSettings) -> None:
        """The same one-line error, for every engine, when a request needs something the
        engine cannot do."""
        asked = [name for name in FEATURES if getattr(settings, name) not in (None, False)]
        if not asked:
            return
        capabilities = self.capabilities
        entry = self._pieces["engine"]
        for name in asked:
            if not getattr(capabilities, name):
                which = f"the {entry.name} engine" + (f" with {self.music_model}"
                                                      if entry.neural else "")
                raise InputError(f"{which} cannot {FEATURES[name]}; leave out {name}, or choose "
                                 "an engine (or model) that can: `vistune models` lists them",
                                 argument=name)

    def _melody(self, settings: RenderSettings, brief: MusicBrief):
        """The melody to follow, as (audio, rate): a file's, or one drawn from the picture
        (as the chosen engine wants it)."""
        if settings.melody is None:
            return None
        if settings.melody == "image":
            draw = registry.melody_drawer(self.engine_name)
            return draw(brief, duration=settings.duration, seed=settings.seed)
        return read_audio(settings.melody)


class _Bar:
    """Progress of a whole run over a fixed ``STEPS``; inside a stage, the stage's own steps
    move ``done`` through its share. ``done`` never goes back."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.done = progress, 0

    def __call__(self, done: int, stage: str) -> None:
        self.done = max(self.done, min(int(done), STEPS))
        if self.progress is not None:
            self.progress(self.done, STEPS, stage)

    def within(self, start: int, end: int) -> Progress:
        """A progress callback mapping a stage's (done, total) onto ``start``..``end``."""
        return lambda done, total, stage: self(
            start + (end - start) * min(max(done, 0), total) // max(total, 1), stage)
