"""Slideshows: several pictures, one piece of music whose sections follow them, one video.

What "follows the pictures" means: each picture gets its own section, made from that picture's
own brief (its mood, genre, instruments, melody contour and, with MusicGen, its prompt), with
the key and tempo of one shared plan. The key plan starts in the first picture's key and moves
only to a closely related key (same, relative, dominant, subdominant, their relatives, or the
parallel mode), the one nearest to what the next picture asks for; the tempo map starts at the
first picture's tempo and changes by at most ``MAX_TEMPO_STEP`` per cut.

How the sections become one piece depends on what the engine can do (``capabilities``):
- engines that write scores (the composer): each section's score leads into the next (its
  last bar ramps to the next tempo and ends exactly on the cut, with a fill, a crash and a
  pivot chord when the key changes; the composer's transitions.py). Each section is played
  and rings on into the next;
- engines that continue one piece across sections (MusicGen): one piece, each section's
  windows prompted by its picture's brief and continuing from the audio before them;
- other engines: each section rendered on its own and joined with equal-power crossfades of
  ``MUSIC_CROSSFADE`` seconds centred on the cuts.
The whole is mastered once. Like a single picture's, the result names the engine's licence
(what users may do with the music), and, where the engine plays its scores' sections (the
composer), the ``sections`` played on the slideshow's timeline: each picture's own, from its
start, cut where the next picture begins.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .brief import TEMPO_RANGE, MusicBrief
from .engines import PlayedSection, Progress, Track
from .errors import InputError
from .output.audio import master
from .output.video import MAX_SIDE
from .result import Result, save_video
from .see.image import DEFAULT_WORKING_SIZE, ImageSource, Picture, load_image
from .settings import check_duration, check_seed
from .theory import key_plan

if TYPE_CHECKING:
    import pretty_midi

    from .pipeline import ImageToMusic

DEFAULT_SECONDS = 6.0  # per picture, when neither seconds_per_image nor duration is given
MIN_SECONDS = 2.0  # per picture
MUSIC_CROSSFADE = 1.0  # seconds of overlap between two sections, centred on the cut
MAX_TEMPO_STEP = 0.12  # largest tempo change at a cut, as a fraction of the tempo before it
_TAIL = 1.6  # extra seconds rendered and cut away, so no section's own fade-out is heard
RING_OUT = 1.5  # seconds the last notes of a section (and its room) ring on into the next


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
    decoded at video size; ``licence`` and ``sections`` as a single picture's, the sections
    on the slideshow's timeline. ``save("show.mp4")`` writes the video; other extensions,
    audio."""

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
        :func:`vistune.output.video.write_video`) or the audio, with the sidecar (and MIDI if
        asked)."""
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
    briefs = [pipe.brief(description, style=style, tempo=bpm, key=f"{tonic} {mode}")
              for description, (tonic, mode, _), (bpm, _) in zip(descriptions, keys, tempos,
                                                                  strict=True)]
    starts = [i * seconds for i in range(count)]
    slides = tuple(Slide(source=d.source, start=start, seconds=seconds, caption=d.caption,
                         brief=brief, plan=f"{why_key}; {why_tempo}")
                   for d, brief, start, (_, _, why_key), (_, why_tempo)
                   in zip(descriptions, briefs, starts, keys, tempos, strict=True))
    sections = _Sections(briefs, starts, total, seed, report)
    track = pipe.with_engine(lambda engine: (
        sections.scored(engine) if engine.capabilities.scores
        else sections.continued(engine) if engine.capabilities.sections
        else sections.joined(pipe, descriptions, style)))
    report(count + 2, count + 2, "done")
    return SlideshowResult(
        # The last section keeps its own ending, so no second fade-out is added.
        audio=master(track.audio, track.sample_rate, fade_out=0.0),
        sample_rate=track.sample_rate, caption=" / ".join(s.caption for s in slides),
        brief=briefs[0], prompt=" / ".join(b.prompt for b in briefs), engine=track.engine,
        seed=seed, description=descriptions[0], music_model=track.model,
        source=", ".join(PurePath(s.source).name for s in slides), midi=track.midi,
        licence=pipe.licence, sections=track.sections, slides=slides, pictures=tuple(pictures))


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


class _Sections:
    """The music of a slideshow's sections (``briefs`` from ``starts`` seconds, ``total``
    long), made in the way the engine allows; each way returns one Track."""

    def __init__(self, briefs: list[MusicBrief], starts: list[float], total: float, seed: int,
                 report: Progress) -> None:
        self.briefs, self.starts, self.total, self.seed = briefs, starts, total, seed
        self.ends = [*starts[1:], total]
        self.report = report

    def _step(self, i: int) -> None:
        self.report(i + 1, len(self.briefs) + 2, f"music for picture {i + 1} of "
                    f"{len(self.briefs)}")

    def scored(self, engine: Any) -> Track:
        """Engines that write scores: each section's score leads into the next one's (the
        last section ends the piece with its own ending); each is played, and what rings past
        a cut overlaps the next section. The MIDI carries every section's tempo and ramp, the
        Track each picture's sections as played (None when the engine gives none)."""
        from .engines.composer.transitions import tempo_changes

        parts, midis, tempos, played = [], [], [], []
        for i, brief in enumerate(self.briefs):
            self._step(i)
            length = self.ends[i] - self.starts[i]
            after = self.briefs[i + 1] if i + 1 < len(self.briefs) else None
            midi = engine.score(brief, duration=length, seed=self.seed, after=after,
                                before=midis[-1][2] if midis else None)
            track = engine.play(midi, brief, duration=length + (RING_OUT if after else 0.0))
            audio = np.array(track.audio, dtype=np.float32)
            if after is not None:  # whatever still rings when the ring-out ends fades away
                fade = round(RING_OUT / 4 * track.sample_rate)
                audio[:, -fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
            parts.append((round(self.starts[i] * track.sample_rate), audio))
            midis.append((self.starts[i], length, midi))
            played.append(None if track.sections is None else _on_timeline(
                track.sections, self.starts[i], self.ends[i]))
            tempos += [(self.starts[i] + at, bpm) for at, bpm in tempo_changes(brief, after,
                                                                                length)]
        self.report(len(self.briefs) + 1, len(self.briefs) + 2, "joining and mastering")
        rate = track.sample_rate
        audio = _join(parts, samples=round(self.total * rate), fade=0)
        return dataclasses.replace(
            track, audio=audio, midi=_join_midi(midis, tempos),
            sections=None if None in played else tuple(s for own in played for s in own))

    def continued(self, engine: Any) -> Track:
        """Engines that continue one piece across sections: one call, each section prompted
        by its picture's brief."""
        count = len(self.briefs)
        return engine.render_sections(
            self.briefs, starts=self.starts, duration=self.total, seed=self.seed,
            progress=lambda done, total, stage: self.report(
                1 + count * min(done, total) // max(total, 1), count + 2, stage))

    def joined(self, pipe: ImageToMusic, descriptions: list, style: str | None) -> Track:
        """Other engines: each section rendered on its own (a little longer), the sections
        joined with equal-power crossfades of ``MUSIC_CROSSFADE`` centred on the cuts."""
        parts, midis = [], []
        for i, (description, brief) in enumerate(zip(descriptions, self.briefs, strict=True)):
            self._step(i)
            start = max(0.0, self.starts[i] - MUSIC_CROSSFADE / 2)
            end = min(self.total, self.ends[i] + MUSIC_CROSSFADE / 2)
            # master() fades the last min(1.5 s, a quarter) of each part: render past that.
            extra = min(_TAIL, (end - start) / 3) if i < len(self.briefs) - 1 else 0.0
            part = pipe(description, duration=end - start + extra, seed=self.seed, style=style,
                        tempo=brief.tempo, key=f"{brief.key} {brief.mode}")
            rate = part.sample_rate
            parts.append((round(start * rate), part.audio[:, :round((end - start) * rate)]))
            midis.append((start, end - start, part.midi))
        self.report(len(self.briefs) + 1, len(self.briefs) + 2, "joining and mastering")
        audio = _join(parts, samples=round(self.total * rate),
                      fade=round(MUSIC_CROSSFADE * rate))
        return Track(audio=audio, sample_rate=rate, engine=part.engine, model=part.music_model,
                     midi=_join_midi(midis, [(start, brief.tempo) for (start, _, _), brief
                                             in zip(midis, self.briefs, strict=True)]))


def _on_timeline(sections: tuple[PlayedSection, ...], start: float,
                 end: float) -> tuple[PlayedSection, ...]:
    """A picture's ``sections`` (timed from its own start) on the slideshow's timeline: moved
    to ``start``, and cut at ``end``, where the next picture begins."""
    return tuple(replace(section, start=section.start + start,
                         end=min(section.end + start, end))
                 for section in sections if section.start + start < end)


def _join(sections: list[tuple[int, np.ndarray]], *, samples: int, fade: int) -> np.ndarray:
    """Overlap-add the sections at their start samples, with equal-power crossfades of
    ``fade`` samples (if any) where one ends and the next begins."""
    channels = max(audio.shape[0] for _, audio in sections)
    out = np.zeros((channels, samples), dtype=np.float32)
    ramp = np.sin(np.linspace(0.0, np.pi / 2, fade, dtype=np.float32))
    for i, (start, audio) in enumerate(sections):
        part = np.array(audio, dtype=np.float32)
        length = min(part.shape[1], samples - start)
        part = part[:, :length]
        if i > 0 and fade:
            part[:, :fade] *= ramp[:length]
        if i < len(sections) - 1 and fade:
            part[:, -fade:] *= ramp[::-1][-length:]
        out[:, start:start + length] += part
    return out


def _join_midi(parts: list[tuple[float, float, pretty_midi.PrettyMIDI | None]],
               tempos: list[tuple[float, float]]) -> pretty_midi.PrettyMIDI | None:
    """The sections' MIDI on one timeline (each cut where its audio is cut) with the whole
    tempo map ``tempos`` ((seconds, bpm), in order); None when an engine made no MIDI."""
    if any(midi is None for _, _, midi in parts):
        return None
    import pretty_midi

    out = pretty_midi.PrettyMIDI(initial_tempo=float(tempos[0][1]))
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
    return _with_tempo_map(out, tempos)


def _with_tempo_map(midi: pretty_midi.PrettyMIDI,
                    tempos: list[tuple[float, float]]) -> pretty_midi.PrettyMIDI:
    """``midi``'s parts and signatures (all timed in seconds) in a PrettyMIDI read from a file
    holding the tempo map ``tempos`` ((seconds, bpm), the first at 0), so that it writes
    every tempo and counts each event's tick through them."""
    import io

    import mido
    import pretty_midi

    track, tick, previous = mido.MidiTrack(), 0, 0
    for k, (at, bpm) in enumerate(tempos):
        if k:
            before_at, before_bpm = tempos[k - 1]
            tick += (at - before_at) * midi.resolution * before_bpm / 60.0
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm),
                                      time=int(round(tick)) - previous))
        previous = int(round(tick))
    track.append(mido.MetaMessage("end_of_track", time=midi.resolution))
    buffer = io.BytesIO()
    mido.MidiFile(ticks_per_beat=midi.resolution, tracks=[track]).save(file=buffer)
    buffer.seek(0)
    out = pretty_midi.PrettyMIDI(buffer)
    out.instruments = midi.instruments
    out.time_signature_changes = midi.time_signature_changes
    out.key_signature_changes = midi.key_signature_changes
    return out
