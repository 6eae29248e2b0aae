"""The score: bars with their section and chord, and every part's notes in beats.

This is where form, harmony, melody and arrangement meet; performance.py then plays it.
The energy arc (form.py) is realised here: which parts play (:func:`playing`: the drums
enter halfway through the intro, a breakdown drops the drums and the pulse, a sparse first
section, or the first half of a lone phrase that rises, waits for the drums), how loud every
part plays each bar (``level`` of the bar's energy), the groove (low or full, a roll at the end
of a build) and the register (at the climax, held chords double their top an octave up). The
tonic is stated plainly: the bass holds it under the intro (a pedal) and the final chord.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ...brief import MusicBrief
from ...brief.styles import Role, Style
from ...theory import pitch_class
from .arrangement import (
    BASS_PATTERNS,
    CHORD_PATTERNS,
    DRUM,
    GROOVES,
    VOICINGS,
    bass_notes,
    check_style,
    chord_notes,
    chord_voicing,
    groove,
    level,
    lookup,
    pulse_notes,
)
from .form import Section, bar_energy, place, plan_sections
from .harmony import Chord, chord
from .melody import Line, Note, make_motif, write_phrase

#: Sections where the melody rests (the accompaniment carries them). The intro has a tune,
#: softly, so a piece is heard from its first second.
NO_MELODY = ("breakdown", "build")


@dataclass(frozen=True)
class Bar:
    """One bar: where it starts (beats), its section, chord and energy 0..1."""

    index: int
    start: float
    section: Section
    position: int  # bar number within its section
    chord: Chord
    energy: float
    fill: bool = False  # the drums lead into a new section
    ending: bool = False  # the final chord rings (the piece's last bar, or a longer ending)


@dataclass
class Part:
    """One instrument's notes (beats) and controller events (number, beat, value)."""

    role: Role
    program: str
    notes: list[Note] = field(default_factory=list)
    controls: list[tuple[int, float, int]] = field(default_factory=list)
    is_drum: bool = False


@dataclass
class Score:
    """Everything the performance needs."""

    bars: list[Bar]
    parts: list[Part]
    style: Style
    meter: int
    loop: bool


def write_score(brief: MusicBrief, bar_count: int, *, rng: np.random.Generator,
                loop: bool = False, cut: bool = False) -> Score:
    """Compose ``bar_count`` bars for ``brief``: melody, chords, bass, pulse and drums.

    Everything about the style comes from ``brief.style``; the chords play ``brief.texture``.
    ``cut``: the piece is cut before its ending (see :func:`~.form.plan_sections`).
    """
    style = brief.style
    check_style(style)
    texture = lookup(CHORD_PATTERNS, "chord pattern", brief.texture)
    sections = plan_sections(bar_count, loop=loop, cut=cut)
    bars = _bars(brief, sections, rng=rng, loop=loop)
    meter = brief.meter
    parts = {role: Part(role, brief.instruments[role])
             for role in (Role.MELODY, Role.CHORDS, Role.BASS)}
    parts[Role.MELODY].notes = _melody(brief, bars, rng=rng)
    voicings = _voicings(brief, bars)
    kit = bool(style.groove and (brief.drums or not GROOVES[style.groove].kit))
    band = Band(kit, style.pulse is not None, calm_intro=_calm_intro(sections))
    for bar, voicing in zip(bars, voicings, strict=True):
        at = bar.start
        pattern = texture.final if bar.ending else brief.texture
        for note in chord_notes(pattern, voicing, meter, bar.energy, rng):
            parts[Role.CHORDS].notes.append(_shift(note, at))
        # At the climax pads and strings open up: the top doubled an octave up.
        if texture.held and place(bar.section, bar.position) == "climax" and not bar.ending:
            parts[Role.CHORDS].notes += [_shift(Note(n.pitch + 12, n.start, n.length,
                                                     n.velocity - 8), at)
                                         for n in chord_notes(pattern, voicing[-1:], meter,
                                                              bar.energy, rng)]
        if not playing(bar, Role.BASS, band):
            continue
        following = bars[bar.index + 1].chord if bar.index + 1 < len(bars) else bars[0].chord
        bass_pattern = "long" if bar.ending or bar.section.arc in ("breakdown", "intro") \
            else style.bass_pattern
        root = Chord(0) if bar.section.arc == "intro" else bar.chord  # the intro: a tonic pedal
        for note in bass_notes(bass_pattern, root, following, brief.key, brief.mode, meter,
                               bar.energy, min(min(voicing), style.chord_range[0])):
            parts[Role.BASS].notes.append(_shift(note, at))
    if texture.held:
        parts[Role.CHORDS].notes = _tie(parts[Role.CHORDS].notes)
    if BASS_PATTERNS[style.bass_pattern].held:
        parts[Role.BASS].notes = _tie(parts[Role.BASS].notes)
    if style.pulse:
        pulse = Part(Role.PULSE, style.pulse_program)
        for bar, voicing in zip(bars, voicings, strict=True):
            if playing(bar, Role.PULSE, band):
                pulse.notes += [_shift(n, bar.start)
                                for n in pulse_notes(style.pulse, voicing, meter, bar.energy)]
        parts[Role.PULSE] = pulse
    if kit:
        parts[Role.DRUMS] = Part(Role.DRUMS, "Standard", _drums(bars, style.groove, meter, band),
                                 is_drum=True)
    return Score(bars, [p for p in parts.values() if p.notes], style, meter, loop)


@dataclass(frozen=True)
class Band:
    """Who can drop out: whether a kit (``drums``) and a ``pulse`` part play at all, and
    whether the drums wait out the intro (``calm_intro``: the body opens sparse, or rises)."""

    drums: bool
    pulse: bool
    calm_intro: bool = False


def playing(bar: Bar, role: Role, band: Band) -> bool:
    """Whether ``role`` plays in ``bar``. The drums enter halfway through the intro (its calm
    groove), or after it when the body opens sparse. A breakdown drops the drums and the
    pulse, or, in a piece with neither, the bass; a sparse bar (a sparse section, or the
    first half of one that rises: :func:`~.form.place`) drops the drums, or, with none, the
    pulse, or else the bass. The final chord has no pulse.

    >>> from types import SimpleNamespace as S
    >>> sparse = S(section=S(arc="sparse", bars=4), position=0, ending=False)
    >>> [playing(sparse, role, Band(True, True)) for role in (Role.DRUMS, Role.PULSE)]
    [False, True]
    """
    arc = place(bar.section, bar.position)
    thin = arc == "breakdown" or arc == "sparse"
    if role == Role.DRUMS:
        return not thin and (arc != "intro" or (not band.calm_intro
                                                and bar.position >= bar.section.bars // 2))
    if role == Role.PULSE:
        return not bar.ending and arc != "breakdown" and not (arc == "sparse" and not band.drums)
    if role == Role.BASS:
        return bar.ending or not thin or band.drums or band.pulse
    return True


def _calm_intro(sections: list[Section]) -> bool:
    """Whether the intro keeps the drums back: when the body opens sparse (or rises)."""
    return any(section.arc in ("sparse", "rise") for section in sections)


def _shift(note: Note, at: float) -> Note:
    return Note(note.pitch, note.start + at, note.length, note.velocity)


def _tie(notes: list[Note]) -> list[Note]:
    """Hold common tones: a note that repeats the pitch right where another ends extends it."""
    held: dict[int, int] = {}  # pitch -> index in out of its latest note
    out: list[Note] = []
    for note in sorted(notes, key=lambda n: (n.start, n.pitch)):
        before = held.get(note.pitch)
        if before is not None and abs(out[before].start + out[before].length - note.start) < 1e-6:
            tied = out[before]
            out[before] = Note(tied.pitch, tied.start, tied.length + note.length, tied.velocity)
            continue
        held[note.pitch] = len(out)
        out.append(note)
    return out


def _bars(brief: MusicBrief, sections: list[Section], *, rng: np.random.Generator,
          loop: bool) -> list[Bar]:
    """Each bar's chord (the section's progression, with its cadence) and energy."""
    style = brief.style
    a_choices, b_choices = style.progressions[brief.mode]
    first = a_choices[int(rng.integers(len(a_choices)))]
    second = b_choices[int(rng.integers(len(b_choices)))]
    third = b_choices[(b_choices.index(second) + 1) % len(b_choices)]
    # The intro states the tonic plainly (its first chord, root in the bass).
    intros = ((0, 4, 0, 4), (0, 3, 0, 4) if brief.mode == "major" else (0, 5, 0, 4),
              (0,) + first[1:])
    degrees = {"intro": intros[int(rng.integers(len(intros)))], "A": first,
               "B": second, "bridge": third, "breakdown": first, "build": second}
    lift = 0.1 * brief.arousal
    bars: list[Bar] = []
    for number, section in enumerate(sections):
        following = sections[number + 1] if number + 1 < len(sections) else None
        for position in range(section.bars):
            if section.label == "ending":
                degree = 0
            else:
                progression = degrees[section.label]
                degree = progression[position % len(progression)]
            last = position == section.bars - 1
            if last and section.label != "ending" and (
                    following is None or following.label in ("A", "ending", "breakdown")):
                degree = 4  # a dominant leads home: half or authentic cadence
            energy = bar_energy(section, position)
            plain = degree == 0 and (not bars or section.label in ("intro", "ending"))
            cadence = last and following is not None and following.label == "ending"
            bars.append(Bar(len(bars), float(len(bars) * brief.meter), section, position,
                            Chord(0) if plain else chord(style, degree, brief.mode,
                                                         cadence=cadence),
                            float(np.clip(energy + lift, 0.1, 1.05)),
                            fill=last and following is not None and following.label != "ending"
                            or (loop and last and following is None),
                            ending=section.label == "ending"))
    if not loop and bars[-1].section.label != "ending":  # the last phrase closes V-I
        tonic, dominant = Chord(0, seventh=False), chord(style, 4, brief.mode,
                                                           cadence=True)  # the tonic plainly
        bars[-1] = dataclasses.replace(bars[-1], chord=tonic, ending=True, fill=False)
        if len(bars) > 1:
            bars[-2] = dataclasses.replace(bars[-2], chord=dominant, fill=False)
    return bars


def _voicings(brief: MusicBrief, bars: list[Bar]) -> list[list[int]]:
    """Voice-led chords; where the style leaves roots to the bass (rootless voicings), the
    tonic chord closely voiced with its root, so the key is plain."""
    voicings, previous = [], None
    for bar in bars:
        if bar.chord.degree == 0 and brief.style.voicing == "rootless":  # the tonic, rooted
            previous = VOICINGS["close"](bar.chord.pitch_classes(brief.key, brief.mode),
                                         previous, brief.style.chord_range)
        else:
            previous = chord_voicing(bar.chord, brief.key, brief.mode, previous, brief.style)
        voicings.append(previous)
    return voicings


def _melody(brief: MusicBrief, bars: list[Bar], *, rng: np.random.Generator) -> list[Note]:
    """The tune: a motif per section label, phrases of 4 bars, the A returning with ornament."""
    meter = brief.meter
    line = Line(brief.key, brief.mode, centre=brief.style.centre, meter=meter)
    contour = np.asarray(brief.contour, dtype=float)
    density = 0.3 + 0.5 * (brief.arousal + 1) / 2 + brief.style.density
    motifs: dict[str, object] = {}
    written: dict[str, list[Note]] = {}
    notes: list[Note] = []
    total = len(bars)
    index = 0
    while index < total:
        bar = bars[index]
        section = bar.section
        start_beat = bar.start
        if section.label in NO_MELODY:
            index += section.bars
            continue
        if section.label == "ending":
            tonic = line.nearest(line.previous if line.previous is not None else 7,
                                 {bar.chord.pitch_classes(brief.key, brief.mode)[0]})
            notes.append(Note(line.scale[tonic], start_beat, meter * section.bars, 78))
            break
        label = section.label
        if label in written and section.take:
            again = [_shift(n, start_beat) for n in _ornament(written[label], line.scale, rng)]
            if bars[index + section.bars - 1].ending and again:  # the last cadence goes home
                tonic = pitch_class(brief.key)
                home = min((p for p in line.scale if p % 12 == tonic),
                           key=lambda p: abs(p - again[-1].pitch))
                again[-1] = Note(home, again[-1].start, again[-1].length, again[-1].velocity)
            notes += again
            index += section.bars
            continue
        lift = {"B": 0.25, "bridge": -0.2, "intro": -0.4}.get(label, 0.0)
        motif = motifs.setdefault(label, make_motif(meter, np.clip(density + lift, 0, 1), rng))
        section_notes: list[Note] = []
        for phrase in range(0, section.bars, 4):
            chords = [bars[index + phrase + k].chord for k in range(min(4, section.bars - phrase))]
            where = (index + phrase) / total
            span = contour[int(where * len(contour)):int((where + 4 / total) * len(contour)) + 1]
            height = 3 + 7 * float(np.interp(where, np.linspace(0, 1, len(contour)), contour))
            peak = height + 2 + 3 * float(span.max() if span.size else 0.5)
            height += {"B": 2, "bridge": 1}.get(label, 0)
            closing = phrase + 4 >= section.bars
            phrase_notes = write_phrase(line, motif, chords, arc=(height, peak), closing=closing,
                                        rng=rng, sequence=1 if phrase == 0 else -1)
            if phrase >= 4:  # the consequent opens like the antecedent
                opening = [n for n in section_notes if n.start < 2 * meter]
                phrase_notes = opening + [n for n in phrase_notes if n.start >= 2 * meter]
            section_notes += [_shift(n, phrase * meter) for n in phrase_notes]
        written[label] = section_notes
        notes += [_shift(n, start_beat) for n in section_notes]
        index += section.bars
    landed = _land(_tidy(notes, line.scale), bars, line.scale, brief.key, meter)
    return _dynamics(landed, bars, meter)


def _land(notes: list[Note], bars: list[Bar], scale: list[int], key: str,
          meter: int) -> list[Note]:
    """A piece's end: the tune holds the tonic, from the final chord's downbeat to the end."""
    if not bars[-1].ending or not notes:
        return notes
    final = next(bar for bar in bars if bar.ending).start
    before = [n for n in notes if n.start < final - 1e-6]
    near = (before or notes)[-1].pitch
    tonic = pitch_class(key)
    home = min((p for p in scale if p % 12 == tonic), key=lambda p: abs(p - near))
    if before and before[-1].start + before[-1].length > final:
        last = before[-1]
        before[-1] = Note(last.pitch, last.start, final - last.start, last.velocity)
    return before + [Note(home, final, bars[-1].start + meter - final, notes[-1].velocity)]


def _dynamics(notes: list[Note], bars: list[Bar], meter: int) -> list[Note]:
    """Each note as loud as its bar's energy; the answering bars of a phrase softer."""
    out = []
    for note in notes:
        bar = bars[min(len(bars) - 1, int(note.start // meter))]
        answer = 5 if bar.position % 2 and not bar.ending else 0
        out.append(Note(note.pitch, note.start, note.length, level(bar.energy) + 10 - answer))
    return out


def _ornament(notes: list[Note], scale: list[int], rng: np.random.Generator) -> list[Note]:
    """The return of a section: same notes, one long note turned (note, neighbour, note)."""
    long = [i for i, n in enumerate(notes) if n.length >= 2]
    if not long:
        return list(notes)
    i = long[int(rng.integers(len(long)))]
    n = notes[i]
    neighbour = min((p for p in scale if p > n.pitch), default=n.pitch - 1)
    turn = [Note(n.pitch, n.start, n.length - 1, n.velocity),
            Note(neighbour, n.start + n.length - 1, 0.5, n.velocity - 6),
            Note(n.pitch, n.start + n.length - 0.5, 0.5, n.velocity)]
    return notes[:i] + turn + notes[i + 1:]


def _tidy(notes: list[Note], scale: list[int]) -> list[Note]:
    """Keep every leap within an octave where phrases were joined or copied."""
    out: list[Note] = []
    for note in sorted(notes, key=lambda n: n.start):
        pitch = note.pitch
        if out:
            while pitch - out[-1].pitch > 12:
                pitch -= 12
            while out[-1].pitch - pitch > 12:
                pitch += 12
        out.append(Note(pitch, note.start, note.length, note.velocity))
    return out


def _drums(bars: list[Bar], name: str, meter: int, band: Band) -> list[Note]:
    """The groove ``name``, fuller in full sections, with fills, crashes and a final hit."""
    spec = GROOVES[name]
    notes: list[Note] = []
    for bar in bars:
        label = bar.section.label
        if bar.ending:
            first = bar.index == 0 or not bars[bar.index - 1].ending
            if first and spec.ending is not None:
                notes += [Note(DRUM[spec.ending], bar.start, 2.0, 90),
                          Note(DRUM["kick"], bar.start, 0.5, 96)]
            continue
        if bar.energy < spec.min_energy or not playing(bar, Role.DRUMS, band):
            continue
        full = bar.energy >= 0.55 and label not in ("intro", "breakdown") and \
            bar.section.arc != "build"
        base = level(bar.energy) + 6
        for drum, beat, accent in groove(name, meter, full=full, fill=bar.fill):
            notes.append(Note(DRUM[drum], bar.start + beat, 0.25, base + accent))
        if bar.position == 0 and bar.index > 0 and label != "breakdown" and \
                bars[bar.index - 1].fill and spec.crash:
            notes.append(Note(DRUM["crash"], bar.start, 2.0, base + 10))
        if bar.section.arc == "build" and bar.position == bar.section.bars - 1:
            notes += [Note(DRUM[spec.roll], bar.start + k / 4, 0.2, 50 + 4 * k)
                      for k in range(4 * meter)]
    return notes
