"""The energy arc, the endings and the parallel render (issue 24)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vistune import make_brief
from vistune.brief.styles import STYLES
from vistune.engines.composer import ComposerEngine, compose, count_bars
from vistune.engines.composer.form import ARC, plan_sections
from vistune.engines.composer.score import write_score
from vistune.engines.composer.synth import BUNDLED
from vistune.output.audio import master
from vistune.see.features import Features
from vistune.see.labels import Description
from vistune.theory import pitch_class


def _brief(style: str):
    features = Features(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3,
                        warmth=0.0, edge_density=0.12, palette=(), profile=(0.5,) * 16,
                        horizon=(0.5,) * 16)
    return make_brief(Description("a forest", (), features, "test"), style=style)


def test_a_minute_has_a_breakdown_a_build_and_a_climax_and_a_loop_stays_level():
    places = [s.arc for s in plan_sections(24)]
    assert places[0] == "intro" and places[-1] == "climax"
    assert places.index("breakdown") < places.index("build") < places.index("climax")
    assert {s.arc for s in plan_sections(24, loop=True)} == {"level"}
    small = plan_sections(12)  # half a minute: no build, a lower climax
    assert "build" not in {s.arc for s in small} and small[-1].energy < ARC["climax"][0]


@pytest.mark.parametrize("style", sorted(STYLES))
def test_parts_drop_out_in_the_breakdown_and_play_louder_at_the_climax(style):
    brief = _brief(style)
    score = write_score(brief, count_bars(brief, 60), rng=np.random.default_rng(0))
    meter = brief.meter

    def playing(place):
        bars = {b.index for b in score.bars if b.section.arc == place and not b.ending}
        return {p.role for p in score.parts if any(int(n.start // meter) in bars
                                                    for n in p.notes)}

    def loudness(place):
        bars = {b.index for b in score.bars if b.section.arc == place and not b.ending}
        return np.mean([n.velocity for p in score.parts for n in p.notes
                        if int(n.start // meter) in bars])

    assert playing("breakdown") < playing("climax")
    assert loudness("climax") > loudness("breakdown") + 20


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("duration", [8.0, 30.0, 60.0])
def test_every_piece_ends_on_the_tonic_in_bass_and_tune(style, duration):
    brief = _brief(style)
    midi = compose(brief, duration=duration, seed=1)
    tonic = pitch_class(brief.key)
    parts = {p.name: sorted(p.notes, key=lambda n: n.start) for p in midi.instruments}
    assert parts["bass"][-1].pitch % 12 == tonic and parts["melody"][-1].pitch % 12 == tonic
    last = parts["bass"][-1].start
    final = {n.pitch % 12 for n in parts["chords"] if n.end > last + 0.05}
    assert tonic in final | {parts["bass"][-1].pitch % 12} and final <= set(
        (tonic + step) % 12 for step in (0, 2, 3, 4, 7, 9, 10, 11))


def test_the_first_bar_states_the_tonic_with_its_root_in_the_bass():
    brief = _brief("jazz")
    midi = compose(brief, duration=30, seed=0)
    bass = min((n for p in midi.instruments if p.name == "bass" for n in p.notes),
               key=lambda n: n.start)
    assert bass.pitch % 12 == pitch_class(brief.key)


def test_the_parallel_render_equals_the_serial_one_bit_for_bit():
    brief = _brief("electronic")
    serial, parallel = ComposerEngine(BUNDLED, workers=0), ComposerEngine(BUNDLED, workers=1)
    score = serial.score(brief, duration=6, seed=0)
    one = serial.play(score, brief, duration=6).audio
    assert np.array_equal(one, parallel.play(score, brief, duration=6).audio)
    assert np.array_equal(one, serial.play(score, brief, duration=6).audio)


@pytest.mark.parametrize("tempo", [60, 84, 100, 128])
@pytest.mark.parametrize("duration", [6.0, 8.0, 12.0])
def test_a_short_piece_is_not_half_ringing(tempo, duration):
    brief = dataclasses.replace(_brief("jazz"), tempo=tempo)
    midi = compose(brief, duration=duration, seed=0)
    final = max(n.start for p in midi.instruments if p.name == "melody" for n in p.notes)
    bar = brief.meter * 60 / tempo
    # Whole bars: the final chord rings at least a beat and less than a bar more than its
    # share (an eighth of the piece, at most three quarters of a bar).
    assert 60 / tempo - 0.05 <= duration - final <= min(duration / 8, 0.75 * bar) + bar


def test_a_lone_phrase_rises_unless_it_is_cut_short_looped_or_shorter_than_a_phrase():
    assert [(s.label, s.arc) for s in plan_sections(8)] == [("intro", "intro"), ("A", "rise")]
    assert plan_sections(8, cut=True)[-1].arc == "established"  # a slideshow's lead-in
    assert {s.arc for s in plan_sections(8, loop=True)} == {"level"}
    assert [s.arc for s in plan_sections(3)] == ["established"]
    assert "rise" not in {s.arc for s in plan_sections(24)}  # longer forms keep their arc


def test_half_a_minute_of_ambient_lifts_in_its_second_half():
    brief = _brief("ambient")  # 69 bpm: an intro and one phrase
    [track] = ComposerEngine(BUNDLED, workers=0).render(brief, duration=30, seed=0)
    intro, body = track.sections
    assert (intro.arc, body.arc, body.bars) == ("intro", "rise", 4)
    lift = body.start + 2 * brief.meter * 60 / brief.tempo
    mix, rate = master(track.audio, track.sample_rate), track.sample_rate

    def level(start, end):
        return 10 * np.log10(np.mean(mix[:, int(start * rate):int(end * rate)] ** 2))

    assert level(lift, 2 * lift - body.start) >= level(body.start, lift) + 4
    parts = {p.name: p.notes for p in track.midi.instruments}
    # The drums (a shaker) wait through the intro and the first half, and enter at the lift.
    assert parts["drums"] and min(n.start for n in parts["drums"]) >= lift - 0.05
    tune = [(n.start >= lift - 0.05, n.velocity) for n in parts["melody"]]
    before = np.mean([v for after, v in tune if not after])
    assert np.mean([v for after, v in tune if after]) >= before + 15
