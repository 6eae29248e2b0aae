"""Slideshows: several pictures, one piece of music whose sections follow them, one video.

What "follows the pictures" means: each picture gets its own section, made from that picture's
own brief (its mood, genre, instruments, melody contour and, with MusicGen, its prompt), with
the key and tempo of one shared plan. The key plan starts in the first picture's key and moves
only to a closely related key (same, relative, dominant, subdominant, their relatives, or the
parallel mode), the one nearest to what the next picture asks for; the tempo map starts at the
first picture's tempo and changes by at most ``MAX_TEMPO_STEP`` per cut.

How the sections become one piece depends on what the engine can do (``capabilities``):
- engines that write scores (the composer): each section's score is re-timed so its last bar
  ramps to the next section's tempo and ends exactly on the cut; the drums play a fill into
  the cut and a crash on the next section's first beat, and when the key changes, chords and
  bass land on the new key's dominant seventh for the last two beats while melody and pulse
  rest. Each section is played and rings on into the next;
- engines that continue one piece across sections (MusicGen): one piece, each section's
  windows prompted by its picture's brief and continuing from the audio before them;
- other engines: each section rendered on its own and joined with equal-power crossfades of
  ``MUSIC_CROSSFADE`` seconds centred on the cuts.
The whole is mastered once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .brief import TEMPO_RANGE, MusicBrief
from .engines import Progress, Track
from .errors import InputError
from .output.audio import master
from .output.video import MAX_SIDE
from .result import Result, save_video
from .see.image import DEFAULT_WORKING_SIZE, ImageSource, Picture, load_image
from .settings import check_duration, check_seed
from .theory import NOTE_NAMES, pitch_class

if TYPE_CHECKING:
    import pretty_midi

    from .pipeline import ImageToMusic

DEFAULT_SECONDS = 6.0  # per picture, when neither seconds_per_image nor duration is given
MIN_SECONDS = 2.0  # per picture
MUSIC_CROSSFADE = 1.0  # seconds of overlap between two sections, centred on the cut
MAX_TEMPO_STEP = 0.12  # largest tempo change at a cut, as a fraction of the tempo before it
_TAIL = 1.6  # extra seconds rendered and cut away, so no section's own fade-out is heard
RAMP_BARS = 1  # a section's tempo ramps to the next section's over its last bar
ENDING_BARS = 3  # bars composed past a cut (and dropped), so a section's own ending is unheard
RING_OUT = 1.5  # seconds the last notes of a section (and its room) ring on into the next
FILL = (38, 48, 45, 43)  # General MIDI snare, high, mid and floor tom: a fill down the kit
CRASH = 49  # General MIDI crash cymbal


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
    # Through the pipeline's _use, so that an auto-chosen engine that cannot load after all
    # gives way to the offline one, as for a single picture.
    track = pipe._use("engine", lambda engine: (
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
        slides=slides, pictures=tuple(pictures))


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
        """Engines that write scores: each section's score is re-timed so its last bar ramps
        to the next section's tempo and ends exactly on the cut, with a transition into the
        next section (a drum fill and a crash, and the next key's dominant seventh when the
        key changes); each is played, and what rings past a cut overlaps the next section."""
        parts, midis = [], []
        for i, brief in enumerate(self.briefs):
            self._step(i)
            length = self.ends[i] - self.starts[i]
            after = self.briefs[i + 1] if i + 1 < len(self.briefs) else None
            if after is None:  # the last section ends the piece with its own ending
                midi = engine.score(brief, duration=length, seed=self.seed)
            else:
                bar = brief.meter * 60.0 / brief.tempo
                ramp = min(RAMP_BARS * bar, length / 2)
                written = length + ramp * (1 - ramp_ratio(brief.tempo, after.tempo))
                # Compose past the cut, so that the section's own ending is never heard.
                midi = engine.score(brief, duration=written + ENDING_BARS * bar, seed=self.seed)
                _retime(midi, lambda t, ramp=ramp, written=written, after=after, brief=brief:
                        ramp_time(t, start=written - ramp, beats=ramp * brief.tempo / 60.0,
                                  tempo=brief.tempo, to=after.tempo))
                _cut(midi, length)
                _transition(midi, brief, after, at=length)
            if i > 0:
                _crash(midi, before=midis[-1][2])
            track = engine.play(midi, brief, duration=length + (RING_OUT if after else 0.0))
            audio = np.array(track.audio, dtype=np.float32)
            if after is not None:  # whatever still rings when the ring-out ends fades away
                fade = round(RING_OUT / 4 * track.sample_rate)
                audio[:, -fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
            parts.append((round(self.starts[i] * track.sample_rate), audio))
            midis.append((self.starts[i], length, midi))
        self.report(len(self.briefs) + 1, len(self.briefs) + 2, "joining and mastering")
        rate = track.sample_rate
        audio = _join(parts, samples=round(self.total * rate), fade=0)
        return dataclasses.replace(track, audio=audio, midi=_join_midi(
            midis, self.briefs[0].tempo))

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
                     midi=_join_midi(midis, self.briefs[0].tempo))


def ramp_ratio(tempo: float, to: float) -> float:
    """How much shorter (below 1) or longer a stretch of music becomes when its tempo moves
    evenly, beat by beat, from ``tempo`` to ``to``.

    >>> round(ramp_ratio(100, 112), 4), ramp_ratio(90, 90)
    (0.9444, 1.0)
    """
    change = to / tempo
    return 1.0 if abs(change - 1) < 1e-9 else math.log(change) / (change - 1)


def ramp_time(t: float, *, start: float, beats: float, tempo: float, to: float) -> float:
    """Where ``t`` (seconds at a constant ``tempo``) lands when the tempo, from ``start``
    on, moves evenly beat by beat to ``to`` over ``beats`` beats and stays there.

    >>> ramp_time(1.0, start=2.0, beats=4, tempo=120, to=120)
    1.0
    >>> round(ramp_time(4.0, start=2.0, beats=4, tempo=120, to=132), 4)  # 2 s + 2 s * 0.9531
    3.9062
    """
    if t <= start:
        return t
    beat = 60.0 / tempo
    inside = min(t - start, beats * beat)
    shift = to - tempo
    # Seconds for b beats while the tempo moves linearly in beats: 60 beats/shift * ln(T(b)/T0).
    seconds = (inside if abs(shift) < 1e-9
               else 60.0 * beats / shift * math.log1p(shift * inside / beat / beats / tempo))
    return start + seconds + (t - start - inside) * tempo / to


def _retime(midi: pretty_midi.PrettyMIDI, warp: Callable[[float], float]) -> None:
    """Move every note and controller of ``midi`` through ``warp`` (seconds -> seconds)."""
    for part in midi.instruments:
        for note in part.notes:
            note.start, note.end = warp(note.start), warp(note.end)
        for change in part.control_changes:
            change.time = warp(change.time)


def _cut(midi: pretty_midi.PrettyMIDI, at: float) -> None:
    """Drop what starts at or after ``at`` seconds and end every note by then."""
    for part in midi.instruments:
        part.notes = [n for n in part.notes if n.start < at - 0.02]
        for note in part.notes:
            note.end = min(note.end, at)
        part.control_changes = [c for c in part.control_changes if c.time < at]


def _part(midi: pretty_midi.PrettyMIDI, role: str) -> pretty_midi.Instrument | None:
    return next((p for p in midi.instruments if p.name == role), None)


def _transition(midi: pretty_midi.PrettyMIDI, brief: MusicBrief, after: MusicBrief, *,
                at: float) -> None:
    """Lead the section ending at ``at`` into the next: the drums (if any) play a fill
    down the toms over the last beat, and when the key changes, chords and bass land on
    the next key's dominant seventh for the last two beats while melody and pulse rest (a
    pivot into the new key)."""
    import pretty_midi

    beat = 60.0 / after.tempo  # the ramp has reached the next tempo by the cut
    drums = _part(midi, "drums")
    if drums is not None:
        drums.notes = [n for n in drums.notes if n.start < at - beat]
        loud = max((n.velocity for n in drums.notes), default=90)
        for k, pitch in enumerate(FILL):
            drums.notes.append(pretty_midi.Note(min(127, loud - 12 + 6 * k), pitch,
                                                at - beat + k * beat / 4,
                                                at - beat + (k + 1) * beat / 4))
    if (brief.key, brief.mode) == (after.key, after.mode):
        return
    dominant = (pitch_class(after.key) + 7) % 12
    seventh = [60 + (dominant + i - 60) % 12 for i in (0, 4, 7, 10)]
    # Melody and pulse (still in the old key) rest while the new key's dominant sounds.
    for role, pitches in (("chords", seventh), ("bass", [36 + dominant]), ("melody", []),
                          ("pulse", [])):
        part = _part(midi, role)
        if part is None:
            continue
        pivot = at - 2 * beat
        loud = int(np.mean([n.velocity for n in part.notes] or [80]))
        part.notes = [n for n in part.notes if n.start < pivot - 0.02]
        for note in part.notes:
            note.end = min(note.end, pivot)
        part.notes += [pretty_midi.Note(loud, pitch, pivot, at) for pitch in pitches]


def _crash(midi: pretty_midi.PrettyMIDI, *, before: pretty_midi.PrettyMIDI) -> None:
    """A crash cymbal on a section's first beat when it, or the section before, has drums."""
    import pretty_midi

    drums = _part(midi, "drums")
    if drums is None and _part(before, "drums") is None:
        return
    if drums is None:
        drums = pretty_midi.Instrument(0, is_drum=True, name="drums")
        midi.instruments.append(drums)
    drums.notes.append(pretty_midi.Note(100, CRASH, 0.0, 1.5))


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
