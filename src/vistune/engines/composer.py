"""The offline engine: MusicBrief -> multi-track MIDI (pretty_midi) -> audio (see synth.py).

The piece has an intro, sections A and B with their own four-chord progressions in the brief's
key and mode, and an ending on the tonic. The melody follows the brief's contour and lands on
chord tones on strong beats; a bass line, a chord part voiced by the style's texture, and drums
where the style has them complete it. Loudness of every part follows arousal and the section.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from ..brief import MusicBrief
from ..theory import chord_pitches, pitch_class, scale_pitches
from . import AudioCallback, Capabilities, Progress, Track
from .synth import render_midi

#: Four-chord progressions as scale degrees (0 = tonic).
PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 0), (5, 3, 0, 4), (0, 3, 5, 4)),
    "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 6), (0, 3, 6, 2), (0, 5, 3, 4)),
}
#: Melody rhythms per bar in beats, from sparse (calm) to dense (energetic), for 4 and 3 beats.
RHYTHMS = {
    4: ((2, 2), (3, 1), (1, 1, 2), (2, 1, 1), (1, 1, 1, 1), (1.5, 0.5, 1, 1),
        (0.5, 0.5, 1, 0.5, 0.5, 1), (0.5,) * 8),
    3: ((3,), (2, 1), (1, 1, 1), (1.5, 0.5, 1), (0.5, 0.5, 1, 1), (0.5,) * 6),
}
DRUM = {"kick": 36, "snare": 38, "clap": 39, "hat": 42, "open_hat": 46, "pedal_hat": 44,
        "ride": 51, "crash": 49}


@dataclass(frozen=True)
class _Bar:
    index: int
    start: float
    end: float
    section: str
    degree: int


class ComposerEngine:
    """Offline engine: composes MIDI from the brief and renders it with a General MIDI SoundFont.

    >>> track, = ComposerEngine().render(brief, duration=30, seed=0)  # doctest: +SKIP
    >>> track.audio.shape, track.sample_rate  # doctest: +SKIP
    ((2, 1440000), 48000)
    """

    name = "composer"
    model_name = "vistune composer + TimGM6mb SoundFont"
    capabilities = Capabilities(midi=True)

    def render(self, brief: MusicBrief, *, duration: float, seed: int, count: int = 1,
               melody: tuple[np.ndarray, int] | None = None, stems: bool = False,
               loop: bool = False, progress: Progress | None = None,
               on_audio: AudioCallback | None = None) -> list[Track]:
        """Compose and render ``count`` takes of exactly ``duration`` seconds, take ``i`` from
        seed ``seed + i``; the same seed gives the same audio. ``on_audio`` gets the first take
        whole (it takes well under a second)."""
        report = progress or (lambda done, total, stage: None)
        tracks = []
        for take in range(count):
            report(2 * take, 2 * count, "composing")
            midi = compose(brief, duration=duration, seed=seed + take)
            report(2 * take + 1, 2 * count, "playing the SoundFont")
            audio, rate = render_midi(midi, duration=duration, reverb=brief.style.reverb)
            tracks.append(Track(audio=audio, sample_rate=rate, engine=self.name,
                                model=self.model_name, midi=midi, seed=seed + take))
        report(2 * count, 2 * count, "rendered")
        if on_audio is not None:
            on_audio(tracks[0].audio, tracks[0].sample_rate)
        return tracks


def compose(brief: MusicBrief, *, duration: float, seed: int) -> pretty_midi.PrettyMIDI:
    """Write the piece as MIDI: melody, chords, bass and (by style) drums, ``duration`` long."""
    rng = np.random.default_rng(seed)
    midi = pretty_midi.PrettyMIDI(initial_tempo=float(brief.tempo))
    midi.time_signature_changes.append(pretty_midi.TimeSignature(brief.meter, 4, 0.0))
    key_number = pitch_class(brief.key) + (12 if brief.mode == "minor" else 0)
    midi.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))

    bars = _plan(brief, duration=duration, rng=rng)
    beat = 60.0 / brief.tempo
    parts = {role: pretty_midi.Instrument(pretty_midi.instrument_name_to_program(name),
                                          name=role)
             for role, name in brief.instruments.items()}
    _chords(parts["chords"], bars, brief, beat=beat, rng=rng)
    _bass(parts["bass"], bars, brief, beat=beat)
    _melody(parts["melody"], bars, brief, beat=beat, duration=duration, rng=rng)
    midi.instruments.extend(parts.values())
    if brief.drums and len(bars) > 2:
        drums = pretty_midi.Instrument(0, is_drum=True, name="drums")
        _drums(drums, bars, brief, beat=beat, rng=rng)
        midi.instruments.append(drums)
    return midi


def image_melody(brief: MusicBrief, *, duration: float, seed: int) -> tuple[np.ndarray, int]:
    """The picture-shaped melody alone, as dry audio: MusicGen-melody's tune to follow."""
    midi = compose(brief, duration=duration, seed=seed)
    midi.instruments = [part for part in midi.instruments if part.name == "melody"]
    return render_midi(midi, duration=duration, reverb=0.0)


def _plan(brief: MusicBrief, *, duration: float, rng: np.random.Generator) -> list[_Bar]:
    """Cut ``duration`` into bars with a section and a chord each; the last holds to the end."""
    bar_length = brief.meter * 60.0 / brief.tempo
    count = max(1, int(duration // bar_length))
    labels = _sections(brief.sections, count)
    progressions = PROGRESSIONS[brief.mode]
    first = int(rng.integers(len(progressions)))
    chosen = {"A": progressions[first],
              "B": progressions[(first + 1 + int(rng.integers(len(progressions) - 1)))
                                % len(progressions)]}
    bars, position = [], {}
    for i, label in enumerate(labels):
        if label in ("intro", "outro"):
            degree = 0 if label == "intro" or i == count - 1 else 4
        else:
            step = position.get(label, 0)
            degree = chosen[label][step % 4]
            position[label] = step + 1
        end = duration if i == count - 1 else (i + 1) * bar_length
        bars.append(_Bar(i, i * bar_length, end, label, degree))
    return bars


def _sections(plan: tuple[str, ...], count: int) -> list[str]:
    """Section label of each of ``count`` bars, following ``plan`` (intro ... outro)."""
    if count < 4:
        return ["A"] * (count - 1) + ["outro"]
    intro = 2 if count >= 24 else 1
    outro = 2 if count >= 12 else 1
    body = [s for s in plan if s not in ("intro", "outro")] or ["A"]
    middle = count - intro - outro
    # Sections last a multiple of four bars where possible, repeating the plan for long pieces.
    chunk = max(1, min(8, (middle // len(body)) // 4 * 4 or middle // len(body) or 1))
    labels: list[str] = []
    while len(labels) < middle:
        for section in body:
            labels.extend([section] * chunk)
    return ["intro"] * intro + labels[:middle] + ["outro"] * outro


def _velocity(brief: MusicBrief, bar: _Bar, total: int, accent: int = 0) -> int:
    """Dynamics: louder with arousal, a lift in section B, softer intro, fading last bars."""
    base = 62 + 26 * (brief.arousal + 1) / 2
    lift = {"intro": -10, "A": 0, "B": 8, "outro": -6}.get(bar.section, 0)
    if bar.section == "outro":
        lift -= 6 * (bar.index - total + 2)
    return int(np.clip(base + lift + accent, 25, 120))


def _add(part: pretty_midi.Instrument, pitch: int, start: float, end: float, velocity: int):
    part.notes.append(pretty_midi.Note(velocity=int(velocity), pitch=int(pitch),
                                       start=float(start), end=float(max(end, start + 0.05))))


def _chords(part, bars, brief: MusicBrief, *, beat: float, rng: np.random.Generator) -> None:
    octave = 3  # chords sit between the bass (octave 2) and the melody (around G4)
    previous: list[int] | None = None
    for bar in bars:
        seventh = brief.texture == "comp"
        notes = _voice(chord_pitches(tonic=brief.key, mode=brief.mode, degree=bar.degree,
                                     octave=octave, seventh=seventh), previous)
        previous = notes
        velocity = _velocity(brief, bar, len(bars), accent=-14)
        last = bar.index == len(bars) - 1
        if brief.texture == "pad" or last:
            for p in notes:
                _add(part, p, bar.start, bar.end - 0.02, velocity)
        elif brief.texture == "arpeggio":
            pattern = notes + [notes[1] + 12, notes[2] + 12] if len(notes) == 3 else notes
            steps = int(round((bar.end - bar.start) / (beat / 2)))
            cycle = pattern + pattern[-2:0:-1]
            for k in range(steps):
                start = bar.start + k * beat / 2
                _add(part, cycle[k % len(cycle)], start, start + beat, velocity - 4 * (k % 2))
        elif brief.texture == "comp":
            for offset in ([1.5, 3.0] if brief.meter == 4 else [1.0, 2.0]):
                start = bar.start + offset * beat
                for p in notes:
                    _add(part, p, start, start + 0.6 * beat, velocity + int(rng.integers(-4, 5)))
        else:  # strum: one down-strum a beat, strings a few ms apart
            for b in range(brief.meter):
                start = bar.start + b * beat
                for n, p in enumerate(notes + [notes[0] + 12]):
                    _add(part, p, start + 0.012 * n, start + 0.95 * beat,
                         velocity - (0 if b == 0 else 8))


def _voice(chord: list[int], previous: list[int] | None) -> list[int]:
    """Pick the inversion of ``chord`` closest to the previous voicing (smooth voice leading)."""
    if previous is None:
        return chord
    options = []
    for k in range(len(chord)):
        inverted = sorted(chord[k:] + [p + 12 for p in chord[:k]])
        for shift in (-12, 0):
            voicing = [p + shift for p in inverted]
            distance = sum(abs(a - b) for a, b in zip(voicing, previous, strict=True))
            options.append((distance, voicing))
    return min(options)[1]


def _bass(part, bars, brief: MusicBrief, *, beat: float) -> None:
    for bar in bars:
        root = chord_pitches(tonic=brief.key, mode=brief.mode, degree=bar.degree, octave=2)
        velocity = _velocity(brief, bar, len(bars), accent=-4)
        if brief.arousal < -0.2 or bar.index == len(bars) - 1 or bar.section == "intro":
            _add(part, root[0], bar.start, bar.end - 0.02, velocity)
            continue
        hits = [(0, root[0]), (brief.meter // 2 + brief.meter % 2, root[2] - 12
                                if root[2] - 12 >= 28 else root[2])]
        if brief.arousal > 0.35:
            hits = [(b * 0.5, root[0] if b % 4 != 3 else root[2]) for b in range(2 * brief.meter)]
        for k, (offset, pitch) in enumerate(hits):
            start = bar.start + offset * beat
            stop = bar.start + hits[k + 1][0] * beat if k + 1 < len(hits) else bar.end
            _add(part, pitch, start, stop - 0.03, velocity)


def _melody(part, bars, brief: MusicBrief, *, beat: float, duration: float,
            rng: np.random.Generator) -> None:
    """Contour-shaped melody: chord tones on strong beats, steps within the scale between."""
    centre = 67
    scale = scale_pitches(tonic=brief.key, mode=brief.mode, low=centre - 7, high=centre + 14)
    tonic = pitch_class(brief.key)
    contour = np.asarray(brief.contour, dtype=float)
    density = (brief.arousal + 1) / 2
    rhythms = RHYTHMS[brief.meter]
    motifs: dict[str, tuple[float, ...]] = {}
    previous = None
    for bar in bars:
        if bar.section == "intro":
            continue
        last = bar.index == len(bars) - 1
        if last:
            goal = min((p for p in scale if p % 12 == tonic), key=lambda p: abs(p - centre))
            _add(part, goal, bar.start, bar.end - 0.05, _velocity(brief, bar, len(bars)))
            return
        if bar.section not in motifs:
            lift = 1 if bar.section == "B" else 0
            pick = np.clip(density * (len(rhythms) - 1) + lift + rng.normal(0, 0.7),
                           0, len(rhythms) - 1)
            motifs[bar.section] = rhythms[int(round(pick))]
        pattern = motifs[bar.section]
        # Every fourth bar answers with a longer note: phrases breathe.
        if bar.index % 4 == 3:
            pattern = pattern[:-2] + (pattern[-2] + pattern[-1],) if len(pattern) > 1 else pattern
        chord = {p % 12 for p in chord_pitches(tonic=brief.key, mode=brief.mode,
                                               degree=bar.degree)}
        offset = 0.0
        for length in pattern:
            start = bar.start + offset * beat
            if start >= duration:
                break
            where = np.interp(start / max(duration, 1e-6), np.linspace(0, 1, len(contour)),
                              contour)
            target = scale[0] + where * (scale[-1] - scale[0])
            strong = offset == 0 or (brief.meter == 4 and offset == 2)
            candidates = [p for p in scale if p % 12 in chord] if strong else scale
            if previous is not None and not strong:
                target = 0.5 * target + 0.5 * previous + rng.choice((-2, 0, 2))
            pitch = min(candidates, key=lambda p: abs(p - target))
            velocity = _velocity(brief, bar, len(bars), accent=8 if strong else 0)
            _add(part, pitch, start, start + length * beat * 0.92,
                 velocity + int(rng.integers(-5, 6)))
            previous = pitch
            offset += length


def _drums(part, bars, brief: MusicBrief, *, beat: float, rng: np.random.Generator) -> None:
    """Groove by style: lo-fi swing, four-on-the-floor, jazz ride, or a rock beat."""
    genre = brief.genre
    eighths = 2 * brief.meter
    swing = 0.12 * beat if genre in ("lo-fi", "jazz") else 0.0
    for bar in bars:
        if bar.section == "intro" or bar.index == len(bars) - 1:
            continue
        velocity = _velocity(brief, bar, len(bars), accent=-10)
        hits: list[tuple[float, str, int]] = []
        for e in range(eighths):
            on_beat = e % 2 == 0
            beat_number = e // 2
            if genre == "electronic":
                if on_beat:
                    hits.append((e, "kick", 10))
                else:
                    hits.append((e, "open_hat" if e % 4 == 3 else "hat", -10))
                if on_beat and beat_number % 2 == 1:
                    hits.append((e, "clap", 0))
            elif genre == "jazz":
                if on_beat or e % 4 == 3:
                    hits.append((e, "ride", -8 if on_beat else -16))
                if on_beat and beat_number % 2 == 1:
                    hits.append((e, "pedal_hat", -12))
            else:  # lo-fi and rock share a backbeat
                hits.append((e, "hat", -12 if on_beat else -20))
                if e == 0 or (genre == "lo-fi" and e == 5) or (genre == "rock" and e == 4
                                                                  and brief.meter == 4):
                    hits.append((e, "kick", 6))
                if on_beat and beat_number % 2 == 1:
                    hits.append((e, "snare", 4))
        if bar.index > 0 and bars[bar.index - 1].section != bar.section and genre == "rock":
            hits.append((0, "crash", 0))
        for e, sound, accent in hits:
            start = bar.start + e * beat / 2 + (swing if e % 2 else 0.0)
            _add(part, DRUM[sound], start, start + 0.1,
                 np.clip(velocity + accent + int(rng.integers(-6, 7)), 20, 127))

