"""The one registry of engines and captioners: names, descriptions, known models, loaders,
and how ``auto`` picks.

The built-in pieces are listed here; other packages add theirs through the entry-point groups
``vistune.engines`` and ``vistune.captioners`` (each entry point names an :class:`Entry`), so
``pip install vistune-myengine`` makes ``--engine myengine`` work. A plug-in that fails to load
is skipped and reported in one line by :func:`problems`.

``auto`` takes the first neural entry marked ``auto`` whose model can be had here (local, cached,
or downloadable), else the first offline entry marked ``auto``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, ModelUnavailable
from .runtime.models import (
    DEFAULT_ACE_STEP_MODEL,
    DEFAULT_CAPTION_MODEL,
    DEFAULT_MUSIC_MODEL,
    KNOWN_MODELS,
    LICENCES,
    Licence,
    ModelInfo,
    can_load,
    unavailable,
)
from .settings import ModelSettings

if TYPE_CHECKING:
    import numpy as np

    from .brief import MusicBrief

KINDS = ("engine", "captioner")
GROUPS = {"engine": "vistune.engines", "captioner": "vistune.captioners"}
#: The command-line switch that chooses each kind (for error messages).
SWITCHES = {"engine": "--engine", "captioner": "--captioner"}

Loader = Callable[[str, ModelSettings], Any]
"""``load(model, settings)``: the engine or captioner for checkpoint ``model`` (ignored by
pieces without checkpoints)."""


@dataclass(frozen=True)
class Entry:
    """One engine or captioner VisTune can use.

    ``neural`` pieces need a checkpoint (``default_model``, ``models`` lists known ones);
    ``options`` names the ImageToMusic arguments the piece uses (``temperature``...), so others
    can be reported as ignored; ``draws_melody(brief, *, duration, seed) -> (audio, rate)``
    draws a melody from the picture's brief, for ``melody="image"``; ``licence`` says what
    users may do with an engine's music (``vistune models``, the sidecar, the app).
    """

    name: str
    kind: str
    description: str
    load: Loader
    neural: bool = False
    auto: bool = False
    default_model: str | None = None
    models: tuple[ModelInfo, ...] = ()
    options: frozenset[str] = frozenset()
    draws_melody: Callable[..., tuple[np.ndarray, int]] | None = None
    origin: str = "built in"
    #: A line for ``vistune models`` about what the piece uses here (say, its SoundFont).
    detail: Callable[[], str] | None = None
    licence: Licence | None = None

    def check(self, model: str, settings: ModelSettings) -> None:
        """Raise ModelUnavailable, naming the ways out, when the piece needs a checkpoint that
        cannot be had here (with ``offline`` set, that is the reason given), and InputError
        when it is another piece's known checkpoint."""
        other = next((e for e in entries(self.kind) if e is not self and self.neural
                      and any(m.name == model for m in e.models)), None)
        if other is not None:
            raise InputError(f"{model} is a {other.name} checkpoint, not a {self.name} one; "
                             f"leave the model out for {self.name}'s own ({self.default_model})"
                             f" or use {SWITCHES[self.kind]} {other.name}",
                             argument="music_model" if self.kind == "engine"
                             else "caption_model")
        if not self.neural or can_load(model, offline=settings.offline):
            return
        fallback = offline_choice(self.kind).name
        if settings.offline and not Path(model).expanduser().exists():
            raise ModelUnavailable(f"{model} is not downloaded and --offline keeps off the "
                                   f"network; leave out --offline, run `vistune download "
                                   f"{model}`, or use the offline {fallback} "
                                   f"({SWITCHES[self.kind]} {fallback})")
        raise unavailable(model, switch=SWITCHES[self.kind], fallback=fallback)

    def create(self, model: str, settings: ModelSettings) -> Any:
        """Load the piece; a neural one whose checkpoint cannot be had, or is another
        piece's, is a clear error."""
        self.check(model, settings)
        return self.load(model, settings)


def _composer(model: str, settings: ModelSettings):
    from .engines.composer import ComposerEngine

    return ComposerEngine(settings.soundfont)


def _musicgen(model: str, settings: ModelSettings):
    from .engines.musicgen.engine import MusicGenEngine

    return MusicGenEngine(model, device=settings.device, precision=settings.precision,
                          sampling=settings.sampling, backend=settings.backend)


def _ace_step(model: str, settings: ModelSettings):
    from .engines.ace_step import AceStepEngine

    return AceStepEngine(model, device=settings.device, precision=settings.precision,
                         guidance_scale=settings.sampling.guidance_scale,
                         cover_strength=settings.cover_strength)


def _labels(model: str, settings: ModelSettings):
    from .see.labels import LabelCaptioner

    return LabelCaptioner()


def _blip(model: str, settings: ModelSettings):
    from .see.blip import BlipCaptioner

    return BlipCaptioner(model, device=settings.device, precision=settings.precision,
                         prefix=settings.caption.prefix, num_beams=settings.caption.num_beams,
                         backend=settings.backend)


def _soundfont_detail() -> str:
    from .engines.composer.synth import find_soundfont

    try:
        return f"SoundFont: {find_soundfont()} (--soundfont FILE or $VISTUNE_SOUNDFONT)"
    except InputError as exc:
        return f"SoundFont: {exc}"


def _image_melody(brief: MusicBrief, *, duration: float, seed: int) -> tuple[np.ndarray, int]:
    from .engines.composer import image_melody

    return image_melody(brief, duration=duration, seed=seed)


def _composer_piece(brief: MusicBrief, *, duration: float, seed: int
                    ) -> tuple[np.ndarray, int]:
    """The whole piece the composer writes for the brief, played: what ACE-Step covers."""
    from .engines.composer import ComposerEngine

    track = ComposerEngine().render(brief, duration=duration, seed=seed)[0]
    return track.audio, track.sample_rate


def _with_licence(description: str, name: str) -> str:
    """The description ``vistune models`` shows, ending with the licence, why, and its link."""
    return f"{description}. Licence: {LICENCES[name]}"


NEURAL_OPTIONS = frozenset({"device", "precision"})
BUILT_IN: tuple[Entry, ...] = (
    Entry("composer", "engine",
          _with_licence("offline: writes MIDI from the brief, played with a SoundFont",
                        "composer"),
          _composer, auto=True, options=frozenset({"soundfont"}),
          draws_melody=_image_melody, detail=_soundfont_detail, licence=LICENCES["composer"]),
    Entry("musicgen", "engine",
          _with_licence("neural: Meta's MusicGen text-to-music", "musicgen"),
          _musicgen, neural=True, auto=True, default_model=DEFAULT_MUSIC_MODEL,
          models=tuple(m for m in KNOWN_MODELS if m.kind == "music"),
          options=NEURAL_OPTIONS | {"guidance_scale", "temperature", "top_k", "top_p",
                                    "backend"}, licence=LICENCES["musicgen"]),
    Entry("ace-step", "engine",
          _with_licence("neural: ACE-Step 1.5 through diffusers, 48 kHz stereo", "ace-step"),
          _ace_step, neural=True, default_model=DEFAULT_ACE_STEP_MODEL,
          models=tuple(m for m in KNOWN_MODELS if m.kind == "ace-step"),
          options=NEURAL_OPTIONS | {"guidance_scale", "cover_strength"},
          draws_melody=_composer_piece, licence=LICENCES["ace-step"]),
    Entry("labels", "captioner", "offline: ImageNet labels (EfficientNet-Lite0), light and "
          "colour", _labels, auto=True),
    Entry("blip", "captioner", "neural: Salesforce BLIP image captions", _blip,
          neural=True, auto=True, default_model=DEFAULT_CAPTION_MODEL,
          models=tuple(m for m in KNOWN_MODELS if m.kind == "captioner"),
          options=NEURAL_OPTIONS | {"caption_prefix", "num_beams", "backend"}),
)


@functools.cache
def _registry() -> tuple[dict[str, dict[str, Entry]], tuple[str, ...]]:
    """Every entry by kind and name, and a line per plug-in that could not be used."""
    table: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
    for entry in BUILT_IN:
        table[entry.kind][entry.name] = entry
    skipped = []
    for kind, group in GROUPS.items():
        for point in entry_points(group=group):
            where = f"{point.name} ({point.value})"
            try:
                entry = point.load()
            except Exception as exc:  # any error in someone else's package: skip it, say why
                skipped.append(f"skipped the {kind} plug-in {where}: {type(exc).__name__}: "
                               f"{_first_line(exc)}")
                continue
            if not isinstance(entry, Entry) or entry.kind != kind:
                skipped.append(f"skipped the {kind} plug-in {where}: it is not a "
                               f"vistune.registry.Entry of kind {kind!r}")
            elif entry.name in table[kind] or entry.name == "auto":
                skipped.append(f"skipped the {kind} plug-in {where}: the name {entry.name!r} "
                               "is taken")
            else:
                dist = getattr(point, "dist", None)
                origin = f"plug-in from {dist.name}" if dist is not None else "plug-in"
                table[kind][entry.name] = dataclasses.replace(entry, origin=origin)
    return table, tuple(skipped)


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else "no message"


def reload() -> None:
    """Look for plug-ins again (after installing one in a running process)."""
    _registry.cache_clear()


def entries(kind: str) -> list[Entry]:
    """Every usable entry of ``kind`` ("engine" or "captioner"): built-ins first."""
    return list(_registry()[0][kind].values())


def names(kind: str) -> tuple[str, ...]:
    """The names ``kind`` can be chosen by, "auto" first."""
    return ("auto", *_registry()[0][kind])


def problems() -> tuple[str, ...]:
    """One line per plug-in that was skipped, saying why."""
    return _registry()[1]


def get(kind: str, name: str) -> Entry:
    """The entry called ``name``; an unknown name is an error listing the choices."""
    table = _registry()[0][kind]
    if name not in table:
        raise InputError(f"unknown {kind} {name!r}; choose one of: {', '.join(names(kind))}",
                         argument=kind)
    return table[name]


def offline_choice(kind: str) -> Entry:
    """The offline entry ``auto`` falls back to."""
    return next(e for e in entries(kind) if e.auto and not e.neural)


def neural_choice(kind: str) -> Entry:
    """The neural entry ``auto`` tries first."""
    return next(e for e in entries(kind) if e.auto and e.neural)


def pick(kind: str, choice: str, model: str | None, *, offline: bool = False) -> Entry:
    """The entry for ``choice``; ``auto`` is the neural one when ``model`` (or its default
    model) can be had here, else the offline one."""
    if choice != "auto":
        return get(kind, choice)
    neural = neural_choice(kind)
    if can_load(model or neural.default_model or "", offline=offline):
        return neural
    return offline_choice(kind)


def for_model(kind: str, name: str) -> tuple[str, str | None]:
    """(entry name, checkpoint) for a name that is either an entry ("composer") or a
    checkpoint (hub id or folder): the entry that knows the checkpoint, else the neural one
    ``auto`` tries."""
    table = _registry()[0][kind]
    if name in table:
        return name, None
    knows = [e for e in table.values() if any(m.name == name for m in e.models)]
    return (knows[0] if knows else neural_choice(kind)).name, name


def melody_drawer(engine: str | None = None) -> Callable[..., tuple[np.ndarray, int]]:
    """The function that draws a melody from a picture's brief (for ``melody="image"``): the
    ``engine``'s own when it has one (ACE-Step covers the composer's whole piece), else the
    first engine's that draws one."""
    own = _registry()[0]["engine"].get(engine or "")
    drawers = [e.draws_melody for e in [own, *entries("engine")]
               if e is not None and e.draws_melody is not None]
    if not drawers:
        raise InputError("no engine here draws a melody from a picture; give an audio file",
                         argument="melody")
    return drawers[0]
