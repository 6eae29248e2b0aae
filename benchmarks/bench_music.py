"""How musical is the offline composer? Measures its pieces, not its speed.

For the example pictures, a few real photographs shipped with scikit-image, and every style
(``style=`` overrides on one picture), it renders 30 s pieces and prints, per piece and on
average: phrase return (share of the first A's melody notes heard again in the returning A),
the largest melody leap and the share of leaps not followed by a step back, repeated notes,
distinct bar rhythms per 30 s, the bass register and the share of bass notes under the
chords, melody timing off the grid, the tempo librosa's beat tracker hears against the brief's
(and how clear the pulse is: onset autocorrelation at the brief's beat),
whether the piece closes V-I, spectral balance (energy above 5 kHz) and how much the
accompaniment covers the melody (from the stems). Then, per style and for three seeds, whether
the beat tracker hears the brief's tempo.

The shape of each piece (issue 24): the RMS of each 4-bar block of the mastered mix and its
span after the intro, the parts playing per block and how often that number changes, the
melody's velocity spread, the final chord and bass note (does it end on the tonic, with the
tonic in the bass and the melody), the key a key finder hears in the audio (Krumhansl-Kessler
profiles on librosa's chroma), the first 4 s against the body in LU, and the style chosen,
counted over the pictures. ``--arc`` prints only these, at 30 s and 60 s, with the issue's
bars checked per piece.

    PYTHONPATH=src python benchmarks/bench_music.py [--duration 30] [--seed 0] [--speed]
    PYTHONPATH=src python benchmarks/bench_music.py --arc

``--speed`` instead times 30 s renders with every installed SoundFont (wall and CPU seconds).

It needs librosa (a benchmark-only dependency). It works with the composer before and after
issue 12 (its section plan is read from either version) so the two can be compared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import vistune
from vistune.brief.styles import STYLES
from vistune.engines import composer
from vistune.output.audio import master
from vistune.theory import pitch_class

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.jpg"))
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def pictures():
    """(name, image) pairs: the examples, then scikit-image's photographs."""
    from PIL import Image
    from skimage import data

    for path in EXAMPLES:
        yield path.stem, Image.open(path).convert("RGB")
    for name in PHOTOS:
        yield name, Image.fromarray(getattr(data, name)())


def section_of_bars(brief, duration: float, seed: int) -> list[tuple[int, str]]:
    """Each bar's (section number, label), from either composer version (same seed, same
    plan)."""
    rng = np.random.default_rng(seed)
    if hasattr(composer, "_plan"):  # the composer before issue 12: sections never repeat
        labels = [bar.section for bar in composer._plan(brief, duration=duration, rng=rng)]
        numbers = np.cumsum([0] + [a != b for a, b in zip(labels, labels[1:], strict=False)])
        return list(zip(numbers.tolist(), labels, strict=True))
    from vistune.engines.composer.score import write_score

    bars = write_score(brief, composer.count_bars(brief, duration), rng=rng).bars
    starts = {id(bar.section): k for k, bar in reversed(list(enumerate(bars)))}
    return [(starts[id(bar.section)], bar.section.label) for bar in bars]


def render(engine, brief, duration: float, seed: int):
    stems = {"stems": True} if getattr(engine.capabilities, "stems", False) else {}
    out = engine.render(brief, duration=duration, seed=seed, **stems)
    return out[0] if isinstance(out, list) else out


def masking(stems: dict | None, rate: int) -> tuple[float, float]:
    """How much the accompaniment covers the melody, from the stems (before mastering): in
    each frame where the melody sounds, the bins holding its energy (within 20 dB of the
    frame's loudest melody bin). Returns (median accompaniment-to-melody energy there in dB,
    share of those bins where the accompaniment is louder than the melody)."""
    from scipy.signal import stft

    if not stems or "melody" not in stems:
        return float("nan"), float("nan")
    tune = stems["melody"].mean(axis=0)
    rest = np.sum([a for name, a in stems.items() if name != "melody"], axis=0).mean(axis=0)
    _, _, a = stft(tune, fs=rate, nperseg=4096, noverlap=3072)
    _, _, b = stft(rest, fs=rate, nperseg=4096, noverlap=3072)
    a, b = np.abs(a) ** 2, np.abs(b) ** 2
    loud = a.sum(axis=0) > 1e-3 * a.sum(axis=0).max()
    a, b = a[:, loud], b[:, loud]
    bins = a >= 0.01 * a.max(axis=0, keepdims=True)
    ratio = 10 * np.log10((b * bins).sum(axis=0) / (a * bins).sum(axis=0))
    return float(np.median(ratio)), float((b[bins] > a[bins]).mean())


def part(midi, name):
    return next((p for p in midi.instruments if p.name == name), None)


def pulse_of(mix: np.ndarray, rate: int, tempo: float) -> tuple[float, bool, float]:
    """(tempo librosa's beat tracker hears, whether it is ``tempo`` within 6% or half or
    double, pulse clarity: the onset envelope's autocorrelation at the beat, 0..1)."""
    import librosa

    mono = librosa.resample(mix.mean(axis=0), orig_sr=rate, target_sr=22050)
    # A 128-sample hop: with librosa's default 512 the tempo grid is ~7% coarse near 170 bpm.
    heard, _ = librosa.beat.beat_track(y=mono, sr=22050, hop_length=128)
    heard = float(np.atleast_1d(heard)[0])
    ratio = heard / tempo
    pulse = any(abs(ratio / m - 1) <= 0.06 for m in (0.5, 1.0, 2.0))
    # Pulse clarity: the onset envelope's autocorrelation at the brief's beat (or half or
    # double it), 0..1. A beat tracker always returns some tempo; this says how sure it can be.
    onsets = librosa.onset.onset_strength(y=mono, sr=22050, hop_length=128)
    onsets = onsets - onsets.mean()
    acf = np.correlate(onsets, onsets, "full")[len(onsets) - 1:]
    acf = acf / max(acf[0], 1e-9)
    frames_per_beat = 22050 / 128 * 60 / tempo
    clarity = max(float(acf[int(round(frames_per_beat * m))]) for m in (0.5, 1.0, 2.0)
                  if int(round(frames_per_beat * m)) < len(acf))
    return heard, pulse, clarity


def measure(brief, track, duration: float, seed: int) -> dict:
    """Every figure for one piece."""

    midi = track.midi
    beat = 60.0 / brief.tempo
    bar = beat * brief.meter
    melody = sorted(part(midi, "melody").notes, key=lambda n: n.start)
    pitches = np.array([n.pitch for n in melody])
    steps = np.diff(pitches)
    # Leaps within phrases: a new phrase may start afresh after a note of two beats or more.
    leaps = [i for i in np.flatnonzero(np.abs(steps) > 4)
             if melody[i + 1].start - melody[i].start < 2 * beat]
    unresolved = [i for i in leaps if i + 1 < len(steps) and not (
        np.sign(steps[i + 1]) == -np.sign(steps[i]) and abs(steps[i + 1]) <= 2)]
    plan = section_of_bars(brief, duration, seed)
    runs: dict[int, list[int]] = {}
    for i, (number, label) in enumerate(plan):
        if label == "A":
            runs.setdefault(number, []).append(i)
    phrase_return = float("nan")
    if len(runs) >= 2:
        first, again = list(runs.values())[:2]

        def notes_in(run):
            return {(int(n.start // bar) - run[0], n.pitch) for n in melody
                    if run[0] <= n.start // bar <= run[-1]}

        heard, back = notes_in(first), notes_in(again)
        phrase_return = len(heard & back) / max(1, len(heard))
    rhythms = set()
    for k in range(int(duration // bar)):
        onsets = tuple(round((n.start - k * bar) / beat * 4) for n in melody
                       if k * bar - 0.05 <= n.start < (k + 1) * bar - 0.05)
        if onsets:
            rhythms.add(onsets)
    bass = part(midi, "bass").notes
    chords = part(midi, "chords").notes
    under = [all(b.pitch < c.pitch for c in chords if c.start < b.end and c.end > b.start)
             for b in bass]
    grid = []  # melody onsets' distance from the 16th or the triplet grid (before the ending)
    for n in melody:
        if n.start > duration - 2.5 * bar:
            continue
        x = n.start / beat
        grid.append(min(abs(x * 4 - round(x * 4)) / 4, abs(x * 3 - round(x * 3)) / 3) * beat)
    mix = master(track.audio, track.sample_rate)
    heard, pulse, clarity = pulse_of(mix, track.sample_rate, brief.tempo)
    # V-I: the last bass note is the tonic, the bass on the bar before's downbeat the dominant.
    tonic = pitch_class(brief.key)
    line = sorted(bass, key=lambda n: n.start)
    downbeat = min(line, key=lambda n: abs(n.start - (line[-1].start - 1.05 * bar)))
    closes = line[-1].pitch % 12 == tonic and downbeat.pitch % 12 == (tonic + 7) % 12
    cover, masked = masking(track.stems, track.sample_rate)
    spectrum = np.abs(np.fft.rfft(mix.mean(axis=0))) ** 2
    freqs = np.fft.rfftfreq(mix.shape[1], 1 / track.sample_rate)
    high = 10 * np.log10(spectrum[freqs > 5000].sum() / spectrum.sum())
    return {"return": phrase_return, "max leap": int(np.abs(steps).max()) if steps.size else 0,
            "leaps unresolved": len(unresolved) / max(1, len(leaps)),
            "repeats": float(np.mean(steps == 0)) if steps.size else 0.0,
            "rhythms/30s": len(rhythms) * 30 / duration,
            "bars": len(plan), "A returns": len(runs) >= 2,
            "bass low": min(n.pitch for n in bass), "bass high": max(n.pitch for n in bass),
            "bass under": float(np.mean(under)), "timing ms": 1000 * float(np.mean(grid)),
            "tempo": brief.tempo, "heard": heard, "pulse": pulse, "clarity": clarity,
            "V-I": closes, ">5kHz dB": float(high), "accomp/melody dB": cover,
            "melody masked": masked}


#: Krumhansl-Kessler key profiles, tonic first.
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def heard_key(mix: np.ndarray, rate: int) -> tuple[int, str]:
    """(tonic pitch class, mode) a Krumhansl-Schmuckler key finder hears in the audio."""
    import librosa

    mono = librosa.resample(mix.mean(axis=0), orig_sr=rate, target_sr=22050)
    chroma = librosa.feature.chroma_cqt(y=mono, sr=22050).sum(axis=1)
    best = max(((np.corrcoef(chroma, np.roll(profile, tonic))[0, 1], tonic, mode)
                for tonic in range(12) for mode, profile in (("major", MAJOR),
                                                              ("minor", MINOR))))
    return best[1], best[2]


def shape(brief, track, duration: float, seed: int) -> dict:
    """The piece's shape (issue 24): energy arc, parts, dynamics, ending, key, intro level.

    Blocks are the intro and then 4-bar blocks from its end, the last one cut by the end of
    the piece if it holds at least 3 bars (a piece's bars leave its final chord time to
    ring, so a climax closing the piece is often a little short of 4 whole bars); the span
    is over the blocks after the intro."""
    import pyloudnorm

    midi, rate = track.midi, track.sample_rate
    bar = brief.meter * 60.0 / brief.tempo
    mix = master(track.audio, rate)
    plan = section_of_bars(brief, duration, seed)
    intro = sum(label == "intro" for _, label in plan) * bar
    # Blocks: the intro, then 4-bar blocks from its end (the last at least 3 bars, to the end
    # of the piece); 50 ms early, as notes may be.
    edges = ([0.0] if intro else []) + list(np.arange(intro, duration - 3 * bar + 1e-6, 4 * bar))
    blocks = list(zip(edges, edges[1:] + [min(edges[-1] + 4 * bar, duration)], strict=True))
    rms = [10 * np.log10(np.mean(mix[:, int(a * rate):int(b * rate)] ** 2) + 1e-12)
           for a, b in blocks]
    after = rms[1:] if intro else rms
    active = [sum(any(a - 0.05 <= n.start < b - 0.05 for n in p.notes)
                  for p in midi.instruments) for a, b in blocks]
    melody = part(midi, "melody")
    velocities = [n.velocity for n in melody.notes] if melody else [0]
    tonic = pitch_class(brief.key)
    bass = sorted(part(midi, "bass").notes, key=lambda n: n.start)
    last = bass[-1].start
    final = sorted({n.pitch % 12 for p in midi.instruments if not p.is_drum for n in p.notes
                    if n.start <= last + 0.05 and n.end >= last + 0.05})
    tune = sorted(melody.notes, key=lambda n: n.start)[-1].pitch % 12 if melody else tonic
    key, mode = heard_key(mix, rate)
    meter = pyloudnorm.Meter(rate)
    first = meter.integrated_loudness(mix[:, :4 * rate].T)
    body = meter.integrated_loudness(mix[:, int(intro * rate):].T)
    third = (tonic + (3 if brief.mode == "minor" else 4)) % 12
    return {"style": brief.genre, "rms 4-bar": " ".join(f"{r:.0f}" for r in rms),
            "span dB": float(max(after) - min(after)) if after else 0.0,
            "parts": "".join(str(a) for a in active),
            "part changes": int(sum(a != b for a, b in zip(active, active[1:], strict=False))),
            "velocity SD": float(np.std(velocities)),
            "final": "+".join(NAMES[c] for c in final), "bass": NAMES[bass[-1].pitch % 12],
            "tonic end": bass[-1].pitch % 12 == tonic and tune == tonic and tonic in final
            and (third in final or brief.style.voicing == "fifths"),  # rock: a power chord
            "key": f"{NAMES[key]} {mode}", "key heard": key == tonic and mode == brief.mode,
            "first 4 s LU": float(first - body)}


#: The issue's bars on shape()'s figures.
BARS = {"span dB": lambda v: v >= 6, "part changes": lambda v: v >= 2,
        "velocity SD": lambda v: v >= 8, "tonic end": bool, "key heard": bool,
        "first 4 s LU": lambda v: v >= -8}


def arc(jobs, engine, seed: int) -> None:
    """shape() per piece at 30 s and 60 s, the bars met, and the styles chosen."""
    from collections import Counter

    for duration in (60.0, 30.0):
        print(f"\n{duration:.0f} s pieces, seed {seed}:")
        met = Counter()
        for name, brief in jobs:
            row = shape(brief, render(engine, brief, duration, seed), duration, seed)
            met.update(k for k, check in BARS.items() if check(row[k]))
            print(f"{name:22s} " + "  ".join(
                f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
            sys.stdout.flush()
        print(f"bars met of {len(jobs)}: " + ", ".join(f"{k} {met[k]}" for k in BARS))
    print("styles chosen for the pictures:", dict(Counter(
        brief.genre for name, brief in jobs if not name.startswith("style "))))


def speed(duration: float) -> None:
    """Wall and CPU seconds to render ``duration`` s with each installed SoundFont."""
    import statistics

    from vistune.engines.composer.synth import BUNDLED, SOUNDFONT_PLACES
    from vistune.see.features import Features
    from vistune.see.labels import Description

    flat = Features(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3,
                    warmth=0.0, edge_density=0.12, palette=(), profile=(0.5,) * 16,
                    horizon=(0.5,) * 16)
    description = Description("a forest", (), flat, "bench")
    for font in [p for p in SOUNDFONT_PLACES if p.is_file()] + [BUNDLED]:
        engine = composer.ComposerEngine(font)
        for style in ("cinematic", "electronic"):
            brief = vistune.make_brief(description, style=style)
            engine.render(brief, duration=duration, seed=0)  # reads the SoundFont
            wall, cpu = [], []
            for seed in range(1, 4):
                started, used = time.perf_counter(), time.process_time()
                engine.render(brief, duration=duration, seed=seed)
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
            print(f"{font.name:28s} {style:11s} median of 3: {statistics.median(wall):.2f} s "
                  f"wall, {statistics.median(cpu):.2f} s CPU")
        started, used = time.perf_counter(), time.process_time()
        engine.render(brief, duration=duration, seed=0, stems=True)
        print(f"{font.name:28s} {'+ stems':11s} {time.perf_counter() - started:.2f} s wall, "
              f"{time.process_time() - used:.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", action="store_true",
                        help="time renders with each installed SoundFont instead")
    parser.add_argument("--arc", action="store_true",
                        help="only the shape of each piece (issue 24), at 30 s and 60 s")
    args = parser.parse_args()
    if args.speed:
        speed(args.duration)
        return
    pipe = vistune.ImageToMusic(engine="composer", captioner="labels", offline=True)
    engine = composer.ComposerEngine()
    print(f"engine: {engine.model_name}; {args.duration:.0f} s pieces, seed {args.seed}")
    jobs = []
    images = list(pictures())
    for name, image in images:
        jobs.append((name, pipe.brief(image)))
    forest = dict(images)["forest"] if "forest" in dict(images) else images[0][1]
    description = pipe.describe(forest)
    for style in STYLES:
        jobs.append((f"style {style}", pipe.brief(description, style=style)))
    if args.arc:
        arc(jobs, engine, args.seed)
        return
    rows = []
    for name, brief in jobs:
        started = time.perf_counter()
        track = render(engine, brief, args.duration, args.seed)
        seconds = time.perf_counter() - started
        row = measure(brief, track, args.duration, args.seed)
        row.update({k: v for k, v in shape(brief, track, args.duration, args.seed).items()
                    if isinstance(v, (bool, int, float))})
        rows.append(row)
        print(f"{name:22s} {brief.genre:15s} {seconds:4.1f}s " + "  ".join(
            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
        sys.stdout.flush()
    print("\nmeans over", len(rows), "pieces:")
    for key in rows[0]:
        values = np.array([float(r[key]) for r in rows], dtype=float)
        finite = values[np.isfinite(values)]
        text = f"{finite.mean():.2f}" if finite.size else "n/a"
        extra = f" (min {finite.min():.0f}, max {finite.max():.0f})" if key.startswith("bass ") \
            and key != "bass under" else ""
        print(f"  {key:18s} {text}{extra}  [{finite.size} pieces]")
    beats(engine, description, pipe, args.duration)


def beats(engine, description, pipe, duration: float, seeds: int = 3) -> None:
    """Per style, seeds 0..``seeds``-1 on one picture: does the beat tracker hear the brief's
    tempo (within 6%, or half or double)?"""
    print(f"\nbeat tracker per style, {seeds} seeds (brief's tempo -> heard):")
    for style in STYLES:
        brief = pipe.brief(description, style=style)
        found = []
        for seed in range(seeds):
            track = render(engine, brief, duration, seed)
            mix = master(track.audio, track.sample_rate)
            found.append(pulse_of(mix, track.sample_rate, brief.tempo))
        heard = ", ".join(f"{h:.1f}" for h, _, _ in found)
        print(f"  {style:15s} {sum(p for _, p, _ in found)}/{seeds} pass  {brief.tempo:.0f} bpm "
              f"-> {heard}  clarity {np.mean([c for _, _, c in found]):.2f}")

if __name__ == "__main__":
    main()
