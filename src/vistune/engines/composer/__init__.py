"""The offline engine: MusicBrief -> a composed, performed score (MIDI) -> audio.

The composer writes an intro that sets up the groove, sections of 4- and 8-bar phrases (A A B A,
with a breakdown, build and bridge in longer pieces) under an energy arc (form.py: parts enter,
drop out in a breakdown and build to a climax) on each style's progressions, a motif-based
melody shaped by the picture, each style's accompaniment idiom (see arrangement.py), and an
ending that slows into a ringing final chord on the tonic; or, as one section of a longer
piece, a hand-over into the next (transitions.py). Modules are named as musicians think: form,
harmony, melody, arrangement, score, performance, transitions, mix; parts.py plays the parts
in parallel. Everything about a style comes from its :class:`~vistune.brief.styles.Style`.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np
import pretty_midi

from ...brief import MusicBrief
from ...brief.styles import Role
from ...errors import InputError
from ...output.audio import fade
from .. import AudioCallback, Capabilities, PlayedSection, Progress, Track
from .mix import mix_down
from .parts import PartJob, play_parts
from .performance import RITARDANDO, perform, played_sections, score_clock
from .score import Score, write_score
from .synth import SAMPLE_RATE, find_soundfont, render_midi
from .transitions import crash_in, hand_over, written_length

LOOP_TAIL = 4.0  # seconds of reverb and release wrapped to the start of a loop
RING = 0.25  # seconds the final chord's release rings after its note ends
END_FADE = 0.05  # seconds: the release cut at the last sample fades instead of clicking


class ComposerEngine:
    """Offline engine: composes MIDI from the brief and plays it with a General MIDI SoundFont.

    ``soundfont`` is any .sf2 file; without one, the best installed General MIDI SoundFont.
    ``workers`` processes play parts alongside this one (see parts.py; 0: none, None: one
    per further CPU core that is idle); the audio is the same either way.

    >>> tracks = ComposerEngine().render(brief, duration=30, seed=0)  # doctest: +SKIP
    >>> tracks[0].audio.shape, tracks[0].sample_rate  # doctest: +SKIP
    ((2, 1440000), 48000)
    """

    name = "composer"
    capabilities = Capabilities(melody=False, streaming=False, batching=False, midi=True,
                                stems=True, loop=True, scores=True)

    def score(self, brief: MusicBrief, *, duration: float, seed: int,
              after: MusicBrief | None = None,
              before: pretty_midi.PrettyMIDI | None = None) -> pretty_midi.PrettyMIDI:
        """The performed MIDI of ``render``'s first take, not played (``capabilities.scores``).

        As one section of a longer piece: with ``after`` (the next section's brief) it ramps
        to that tempo, ends on the cut at ``duration`` and leads into it (see transitions.py)
        instead of ending; with ``before`` (the score of the section before) it opens with a
        crash when either has drums.
        """
        written = duration if after is None else written_length(brief, after, duration)
        score, midi, _ = _compose(brief, duration=written, seed=seed, loop=False,
                                  cut=after is not None)
        clock = score_clock(score, brief)
        seconds = clock  # where each beat is played
        if after is not None:
            warp = hand_over(midi, brief, after, length=duration)

            def seconds(beat: float) -> float:
                return warp(clock(beat))
        if before is not None:
            crash_in(midi, before=before)
        self._sections[midi] = played_sections(score, midi, seconds, duration)
        return midi

    def play(self, midi: pretty_midi.PrettyMIDI, brief: MusicBrief, *,
             duration: float) -> Track:
        """``midi`` (a score, perhaps edited) played in the brief's room as ``render`` plays
        its own: ``duration`` seconds, what rings past them cut off. When ``midi`` is a score
        this engine wrote, the Track has its sections as written, up to the cut (MIDI from
        elsewhere: none)."""
        audio, _ = self._mixed(midi, int(round(duration * SAMPLE_RATE)), brief, stems=False)
        return Track(audio=audio, sample_rate=SAMPLE_RATE, engine=self.name,
                     model=self.model_name, midi=midi, sections=self._sections.get(midi))

    def __init__(self, soundfont: str | Path | None = None, *,
                 workers: int | None = None) -> None:
        self.soundfont = find_soundfont(soundfont)
        self.workers = workers  # processes playing parts besides this one; None: by CPUs
        self.model_name = f"vistune composer + {self.soundfont.name}"
        #: The sections of each score ``score`` wrote, for ``play`` (kept while the score is).
        self._sections: weakref.WeakKeyDictionary[pretty_midi.PrettyMIDI,
                                                  tuple[PlayedSection, ...]] = \
            weakref.WeakKeyDictionary()

    def render(self, brief: MusicBrief, *, duration: float, seed: int, count: int = 1,
               melody: object = None, stems: bool = False, loop: bool = False,
               progress: Progress | None = None,
               on_audio: AudioCallback | None = None) -> list[Track]:
        """``count`` takes (seeds ``seed``, ``seed + 1``...) of ``duration`` seconds each.

        ``stems`` adds each part's audio (summing to the mix); ``loop`` makes whole bars
        (the length nearest ``duration``) that loop seamlessly. The same seed gives the same
        audio. ``on_audio(audio, rate)`` gets the first take whole as soon as it is made.
        """
        if melody is not None:
            raise InputError("the composer writes its own melody; use --engine musicgen with a "
                             "musicgen-melody checkpoint to follow one")
        report = progress or (lambda done, total, stage: None)
        tracks = []
        for take in range(count):
            report(take, count, f"composing take {take + 1} of {count}")
            tracks.append(self._take(brief, duration=duration, seed=seed + take, stems=stems,
                                     loop=loop))
            if take == 0 and on_audio is not None:
                on_audio(tracks[0].audio, tracks[0].sample_rate)
        report(count, count, "rendered")
        return tracks

    def _take(self, brief: MusicBrief, *, duration: float, seed: int, stems: bool,
              loop: bool) -> Track:
        score, midi, length = _compose(brief, duration=duration, seed=seed, loop=loop)
        sections = played_sections(score, midi, score_clock(score, brief), length)
        samples = int(round(length * SAMPLE_RATE))
        tail = int(LOOP_TAIL * SAMPLE_RATE) if loop else 0
        mix, parts = self._mixed(midi, samples + tail, brief, stems=stems)
        # Not for a loop, whose end runs on into its start. The same fade on the mix and on
        # every stem keeps them summing to the mix.
        end = (lambda audio: audio) if loop else (lambda audio: fade(
            audio, SAMPLE_RATE, fade_in=0.0, fade_out=END_FADE))
        mix = end(_wrap(mix, samples))
        parts = {name: end(_wrap(audio, samples)) for name, audio in parts.items()} if stems \
            else None
        return Track(audio=mix, sample_rate=SAMPLE_RATE, engine=self.name,
                     model=self.model_name, midi=midi, stems=parts, seed=seed,
                     sections=sections)

    def _mixed(self, midi: pretty_midi.PrettyMIDI, samples: int, brief: MusicBrief, *,
               stems: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """``samples`` of the mix (and each part, with ``stems``): every part played and
        equalised on its own, as in a mix (see mix.equalise), then mixed in the brief's room."""
        tune = [n.pitch for part in midi.instruments if part.name == Role.MELODY
                for n in part.notes] or [72]
        melody_hz = pretty_midi.note_number_to_hz(float(np.median(tune)))
        jobs = []
        for part in midi.instruments:
            single = _copy_header(midi)
            single.instruments = [part]
            lowest = np.inf if part.is_drum or not part.notes else \
                pretty_midi.note_number_to_hz(min(n.pitch for n in part.notes))
            jobs.append(PartJob(single, samples, self.soundfont, part.name, lowest, melody_hz))
        played = play_parts(jobs, workers=self.workers)
        dry = {part.name: audio for part, audio in zip(midi.instruments, played, strict=True)}
        return mix_down(dry, SAMPLE_RATE, size=brief.style.reverb, stems=stems,
                        melody_low_hz=0.7 * pretty_midi.note_number_to_hz(min(tune)))


def compose(brief: MusicBrief, *, duration: float, seed: int) -> pretty_midi.PrettyMIDI:
    """Write and perform the piece as MIDI (melody, chords, bass, pulse, drums), ``duration``
    seconds long."""
    return _compose(brief, duration=duration, seed=seed, loop=False)[1]


def image_melody(brief: MusicBrief, *, duration: float, seed: int) -> tuple[np.ndarray, int]:
    """The picture-shaped melody alone, as dry audio: MusicGen-melody's tune to follow."""
    midi = compose(brief, duration=duration, seed=seed)
    midi.instruments = [part for part in midi.instruments if part.name == Role.MELODY]
    return render_midi(midi, samples=int(round(duration * SAMPLE_RATE))), SAMPLE_RATE


def _compose(brief: MusicBrief, *, duration: float, seed: int, loop: bool,
             cut: bool = False) -> tuple[Score, pretty_midi.PrettyMIDI, float]:
    """The score, its performance as MIDI and its length in seconds (whole bars for a loop);
    ``cut``: the piece is cut before its ending (a slideshow's picture leading into the
    next; see :func:`~vistune.engines.composer.form.plan_sections`)."""
    rng = np.random.default_rng(seed)
    bars = count_bars(brief, duration, loop=loop)
    length = bars * brief.meter * 60.0 / brief.tempo if loop else duration
    score = write_score(brief, bars, rng=rng, loop=loop, cut=cut)
    midi = perform(score, brief, rng=rng)
    if not loop:  # the final chord rings to the end, whatever the ritardando did
        for part in midi.instruments:
            part.notes = [n for n in part.notes if n.start < duration - 0.05]
            part.control_changes = [c for c in part.control_changes if c.time < duration]
            final = max((n.start for n in part.notes), default=0.0)
            for note in part.notes:
                if note.start >= final - 0.1 and not part.is_drum:
                    note.end = duration - RING
                note.end = min(max(note.end, note.start + 0.04),
                               max(note.start + 0.04, duration - RING))
    return score, midi, length


def count_bars(brief: MusicBrief, duration: float, *, loop: bool = False) -> int:
    """Whole bars in ``duration``: the nearest count for a loop; otherwise as many as leave
    the final chord (after the ritardando) time to ring, which scales with the tempo and the
    length: three quarters of a bar, but at most an eighth of the piece (and at least a beat),
    so a short piece (a slideshow's last picture) is not half ringing.

    >>> from types import SimpleNamespace
    >>> count_bars(SimpleNamespace(meter=4, tempo=100), 6.0)  # bars of 2.4 s: the last rings 0.9 s
    3
    """
    beat = 60.0 / brief.tempo
    bar = brief.meter * beat
    if loop:
        return max(1, int(round(duration / bar)))
    ring = min(0.75 * bar, max(beat, duration / 8))
    stretch = RITARDANDO / 3  # how far the ritardando pushes the last bar back, in bars
    bars = int(duration // bar) + 1
    while bars > 1 and (bars - 1 + stretch) * bar > duration - ring:
        bars -= 1
    return bars


def _copy_header(midi: pretty_midi.PrettyMIDI) -> pretty_midi.PrettyMIDI:
    """An empty PrettyMIDI with ``midi``'s tempo, time and key signatures."""
    copy = pretty_midi.PrettyMIDI(initial_tempo=float(midi.get_tempo_changes()[1][0]))
    copy.time_signature_changes = list(midi.time_signature_changes)
    copy.key_signature_changes = list(midi.key_signature_changes)
    return copy


def _wrap(audio: np.ndarray, samples: int) -> np.ndarray:
    """The first ``samples`` of ``audio`` with what rings past them added to the start."""
    out = np.array(audio[:, :samples], dtype=np.float32)
    tail = audio[:, samples:]
    if tail.shape[1]:
        out[:, :tail.shape[1]] += tail[:, :samples]
    return out
