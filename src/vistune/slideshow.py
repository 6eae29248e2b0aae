"""Slideshows: several pictures, one piece of music whose sections follow them, one video.

What "follows the pictures" means in this version: each picture gets its own section, made by
the pipeline from that picture's own brief (its mood, genre, instruments, melody contour and,
with MusicGen, its prompt), but with the key and tempo of one shared plan. The key plan starts
in the first picture's key and moves only to a closely related key (same, relative, dominant,
subdominant, their relatives, or the parallel mode), the one nearest to what the next picture
asks for; the tempo map starts at the first picture's tempo and changes by at most
``MAX_TEMPO_STEP`` per cut. The sections overlap by ``MUSIC_CROSSFADE`` seconds and are joined
with equal-power crossfades centred on the picture cuts, then mastered once. Each section is
rendered on its own: it is not a continuation of the previous one (MusicGen windows are not
chained, and tempo changes are steps at the cuts, not ramps).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .audio import master
from .brief import TEMPO_RANGE, MusicBrief
from .engines import Progress
from .errors import InputError
from .image import DEFAULT_WORKING_SIZE, ImageSource, Picture, load_image
from .result import Result
from .theory import NOTE_NAMES, pitch_class
from .video import MAX_SIDE, save_video

if TYPE_CHECKING:
    import pretty_midi

    from .pipeline import ImageToMusic

DEFAULT_SECONDS = 6.0  # per picture, when neither seconds_per_image nor duration is given
MIN_SECONDS = 2.0  # per picture
MUSIC_CROSSFADE = 1.0  # seconds of overlap between two sections, centred on the cut
MAX_TEMPO_STEP = 0.12  # largest tempo change at a cut, as a fraction of the tempo before it
_TAIL = 1.6  # extra seconds rendered and cut away, so no section's own fade-out is heard


@dataclass(frozen=True)
class Slide:
    """One picture of a slideshow: when it starts, how long it stays, and its music's brief."""

    source: str
    start: float
    seconds: float
    caption: str
    brief: MusicBrief
    plan: str

    def to_dict(self) -> dict[str, Any]:
        """What the sidecar lists for this picture (the image's name, not its folders)."""
        return {"source": PurePath(self.source).name or self.source, "start": round(self.start, 3),
                "seconds": round(self.seconds, 3), "caption": self.caption, "plan": self.plan,
                "brief": self.brief.to_dict()}


@dataclass(frozen=True)
class SlideshowResult(Result):
    """A :class:`Result` for several pictures: ``slides`` in order, and the ``pictures``
    decoded at video size. ``save("show.mp4")`` writes the video; other extensions, audio."""

    slides: tuple[Slide, ...] = ()
    pictures: tuple[Picture, ...] = ()

    def to_dict(self, **options: Any) -> dict[str, Any]:
        """The Result's sidecar, plus each picture with its start time and brief."""
        return {**super().to_dict(**options),
                "slides": [slide.to_dict() for slide in self.slides]}

    def save(self, path: str | Path, *, midi: bool = False, overwrite: bool = False,
             video_style: str = "zoom", size: str | None = None,
             progress: Progress | None = None) -> Path:
        """Write the video (``.mp4``: ``video_style`` and ``size`` as in
        :func:`vistune.video.write_video`) or the audio, with the sidecar (and MIDI if asked)."""
        if Path(path).suffix.lower() != ".mp4":
            return super().save(path, midi=midi, overwrite=overwrite)
        return save_video(self, path, pictures=self.pictures,
                          starts=[slide.start for slide in self.slides], style=video_style,
                          size=size, midi=midi, overwrite=overwrite, progress=progress)


def slideshow(pipe: ImageToMusic, images: Sequence[ImageSource], *,
              seconds_per_image: float | None = None, duration: float | None = None,
              seed: int = 0, style: str | None = None,
              progress: Progress | None = None) -> SlideshowResult:
    """One continuous piece for ``images``, shown in turn for equal times.

    Give ``seconds_per_image`` or the total ``duration`` (default: 6 s per picture, at least
    2 s each). Each picture's section comes from its own brief within one key plan and one
    tempo map (see the module's docstring for exactly what that means).
    """
    from .pipeline import check_duration, check_seed

    if isinstance(images, (str, bytes, Path)) or not images:
        raise InputError("a slideshow needs a list of images, e.g. ['a.jpg', 'b.jpg']")
    count = len(images)
    seconds = _seconds_each(count, seconds_per_image, duration)
    total = check_duration(seconds * count, max_duration=pipe.max_duration)
    seed = check_seed(seed)
    report = progress or (lambda done, total, stage: None)
    report(0, count + 2, "looking at the pictures")
    pictures = [load_image(image, max_pixels=pipe.max_pixels, working_size=MAX_SIDE)
                for image in images]
    descriptions = pipe.describe_many([_working_copy(p) for p in pictures])
    own = [pipe.brief(d, style=style) for d in descriptions]
    keys = key_plan([(b.key, b.mode) for b in own])
    tempos = tempo_map([b.tempo for b in own])
    rate = None
    sections, slides, midis = [], [], []
    for i, (description, (tonic, mode, why_key), (bpm, why_tempo)) in enumerate(
            zip(descriptions, keys, tempos, strict=True)):
        report(i + 1, count + 2, f"music for picture {i + 1} of {count}")
        start = max(0.0, i * seconds - MUSIC_CROSSFADE / 2)
        end = min(total, (i + 1) * seconds + MUSIC_CROSSFADE / 2)
        # master() fades the last min(1.5 s, a quarter) of each part: render past that.
        extra = min(_TAIL, (end - start) / 3) if i < count - 1 else 0.0
        part = pipe(description, duration=end - start + extra, seed=seed, style=style,
                    tempo=bpm, key=f"{tonic} {mode}")
        rate = part.sample_rate
        sections.append((round(start * rate), part.audio[:, :round((end - start) * rate)]))
        midis.append((start, end - start, part.midi))
        slides.append(Slide(source=description.source, start=i * seconds, seconds=seconds,
                            caption=description.caption, brief=part.brief,
                            plan=f"{why_key}; {why_tempo}"))
    report(count + 1, count + 2, "joining and mastering")
    audio = _join(sections, samples=round(total * rate), fade=round(MUSIC_CROSSFADE * rate))
    first = slides[0]
    result = SlideshowResult(
        # The last section keeps its own mastered fade-out, so no second one is added.
        audio=master(audio, rate, fade_out=0.0), sample_rate=rate,
        caption=" / ".join(s.caption for s in slides), brief=first.brief,
        prompt=" / ".join(s.brief.prompt for s in slides), engine=part.engine,
        seed=seed, description=descriptions[0], music_model=part.music_model,
        source=", ".join(PurePath(s.source).name for s in slides),
        midi=_join_midi(midis, tempos[0][0]), slides=tuple(slides), pictures=tuple(pictures))
    report(count + 2, count + 2, "done")
    return result


def _seconds_each(count: int, seconds_per_image: float | None,
                  duration: float | None) -> float:
    """Seconds per picture from either setting; InputError for both, or too short."""
    if seconds_per_image is not None and duration is not None:
        raise InputError("give seconds per image or a total duration, not both")
    value = DEFAULT_SECONDS if seconds_per_image is None and duration is None else (
        seconds_per_image if duration is None else duration)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number of seconds") from None
    seconds = value if duration is None else value / count
    if not math.isfinite(seconds) or seconds < MIN_SECONDS:
        asked = (f"{value:g} s for {count} picture(s)" if duration is not None
                 else f"{value:g} s per picture")
        raise InputError(f"{asked} is too short; each picture needs at least {MIN_SECONDS:g} s "
                         f"(e.g. --seconds-per-image {DEFAULT_SECONDS:g})")
    return seconds


def _working_copy(picture: Picture) -> Picture:
    """The picture at the size analysis and captioning use (the video keeps the large one)."""
    small = picture.image.copy()
    small.thumbnail((DEFAULT_WORKING_SIZE, DEFAULT_WORKING_SIZE), Image.Resampling.LANCZOS)
    return replace(picture, image=small)


def _signature(tonic: str, mode: str) -> int:
    """Sharps (positive) or flats (negative) in the key signature, -5..6.

    >>> _signature("D", "major"), _signature("D", "minor"), _signature("F#", "major")
    (2, -1, 6)
    """
    major = (pitch_class(tonic) + (3 if mode == "minor" else 0)) % 12
    return (major * 7 + 5) % 12 - 5


def _key_of(signature: int, mode: str) -> tuple[str, str]:
    major = (signature * 7) % 12
    return NOTE_NAMES[(major - 3) % 12 if mode == "minor" else major], mode


def _relation(before: tuple[str, str], after: tuple[str, str]) -> str:
    if after == before:
        return "stays in"
    if after[0] == before[0]:
        return f"the parallel {after[1]} of"
    step = _signature(*after) - _signature(*before)
    if step == 0:
        return f"the relative {after[1]} of"
    side = "dominant" if step == 1 else "subdominant"
    return f"on the {side} side of"


def _distance(key: tuple[str, str], goal: tuple[str, str]) -> int:
    """Steps apart on the circle of fifths, plus 3 for the other mode."""
    apart = abs(_signature(*key) - _signature(*goal)) % 12
    return 3 * (key[1] != goal[1]) + min(apart, 12 - apart)


def key_plan(wanted: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """One key per section: the first as asked, each next one the closely related key (at most
    one accidental away, or the parallel mode) nearest to what its picture asks for, keeping
    the asked mode when it can. Returns (tonic, mode, reason) per section.

    >>> [k[:2] for k in key_plan([("C", "major"), ("E", "minor"), ("Bb", "major")])]
    [('C', 'major'), ('E', 'minor'), ('C', 'major')]
    """
    plan = [(wanted[0][0], wanted[0][1], f"{wanted[0][0]} {wanted[0][1]}: the first picture's "
             "own key")]
    for tonic, mode in wanted[1:]:
        before = plan[-1][:2]
        here = _signature(*before)
        options = [_key_of(here + step, m) for step in (-1, 0, 1) for m in ("major", "minor")]
        options.append((before[0], "minor" if before[1] == "major" else "major"))
        costs = [_distance(key, (tonic, mode)) + 0.1 * (key != before) for key in options]
        chosen = options[int(np.argmin(costs))]
        plan.append((*chosen, f"{chosen[0]} {chosen[1]}: {_relation(before, chosen)} "
                     f"{before[0]} {before[1]}, the closest to this picture's own "
                     f"{tonic} {mode}"))
    return plan


def tempo_map(wanted: Sequence[int]) -> list[tuple[int, str]]:
    """One tempo per section: the first as asked, each next one moved toward what its
    picture asks for by at most ``MAX_TEMPO_STEP`` of the tempo before. Returns (bpm, reason).

    >>> [bpm for bpm, _ in tempo_map([80, 120, 118])]
    [80, 90, 101]
    """
    low, high = TEMPO_RANGE
    plan = [(int(wanted[0]), f"{int(wanted[0])} bpm: the first picture's own tempo")]
    for bpm in wanted[1:]:
        before = plan[-1][0]
        step = max(1, round(before * MAX_TEMPO_STEP))
        chosen = int(np.clip(bpm, max(low, before - step), min(high, before + step)))
        plan.append((chosen, f"{chosen} bpm: from {before} toward this picture's {bpm}"))
    return plan


def _join(sections: list[tuple[int, np.ndarray]], *, samples: int, fade: int) -> np.ndarray:
    """Overlap-add the sections at their start samples, with equal-power crossfades of
    ``fade`` samples where one ends and the next begins."""
    channels = max(audio.shape[0] for _, audio in sections)
    out = np.zeros((channels, samples), dtype=np.float32)
    ramp = np.sin(np.linspace(0.0, np.pi / 2, fade, dtype=np.float32))
    for i, (start, audio) in enumerate(sections):
        part = np.array(audio, dtype=np.float32)
        length = min(part.shape[1], samples - start)
        part = part[:, :length]
        if i > 0:
            part[:, :fade] *= ramp[:length]
        if i < len(sections) - 1:
            part[:, -fade:] *= ramp[::-1][-length:]
        out[:, start:start + length] += part
    return out


def _join_midi(parts: list[tuple[float, float, pretty_midi.PrettyMIDI | None]],
               tempo: int) -> pretty_midi.PrettyMIDI | None:
    """The sections' MIDI on one timeline (each cut where its audio is cut); None when an
    engine made no MIDI."""
    if any(midi is None for _, _, midi in parts):
        return None
    import pretty_midi

    out = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
    for start, length, midi in parts:
        for instrument in midi.instruments:
            part = pretty_midi.Instrument(instrument.program, is_drum=instrument.is_drum,
                                          name=instrument.name)
            part.notes = [pretty_midi.Note(velocity=n.velocity, pitch=n.pitch,
                                           start=n.start + start,
                                           end=min(n.end, length) + start)
                          for n in instrument.notes if n.start < length]
            part.control_changes = [pretty_midi.ControlChange(c.number, c.value, c.time + start)
                                    for c in instrument.control_changes if c.time < length]
            out.instruments.append(part)
    return out
