from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vistune import InputError, ModelUnavailable, make_brief
from vistune.brief.styles import STYLES
from vistune.engines import Capabilities, Engine
from vistune.engines.composer import ComposerEngine, compose, count_bars
from vistune.engines.composer.form import plan_sections
from vistune.engines.composer.score import write_score
from vistune.engines.composer.synth import BUNDLED, find_soundfont
from vistune.see.features import Features
from vistune.see.labels import Description
from vistune.theory import SCALES, pitch_class

RATE = 48_000


def _brief(caption="a forest", style=None, **feature_changes):
    base = dict(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3, warmth=0.0,
                edge_density=0.12, palette=(), profile=(0.5,) * 16, horizon=(0.5,) * 16)
    description = Description(caption, (), Features(**{**base, **feature_changes}), "test")
    return make_brief(description, style=style)


def _part(midi, name):
    return next(part for part in midi.instruments if part.name == name)


@pytest.fixture(scope="module")
def engine():
    return ComposerEngine(BUNDLED)  # the small SoundFont keeps the tests fast


def test_engine_protocol(engine):
    assert isinstance(engine, Engine)
    assert engine.capabilities == Capabilities(midi=True, stems=True, loop=True, scores=True)
    assert engine.model_name == "vistune composer + TimGM6mb.sf2"
    with pytest.raises(InputError, match="writes its own melody"):
        engine.render(_brief(), duration=2, seed=0, melody=(np.zeros((1, 10)), RATE))


@pytest.mark.parametrize("duration", [1.0, 7.3, 30.0])
def test_exact_length_stereo_float32(engine, duration):
    [track] = engine.render(_brief(), duration=duration, seed=0)
    assert track.audio.dtype == np.float32 and track.audio.shape == (2, round(duration * RATE))
    assert track.sample_rate == RATE
    assert np.abs(track.audio).max() > 0.01  # not silence


def test_same_seed_same_audio_and_seeds_differ_from_the_start(engine):
    brief = _brief(style="lo-fi")
    a, b = (engine.render(brief, duration=5, seed=11)[0].audio for _ in range(2))
    c = engine.render(brief, duration=5, seed=12)[0].audio
    assert np.array_equal(a, b)
    first = slice(0, 5 * RATE)
    difference = np.sqrt(np.mean((a[:, first] - c[:, first]) ** 2))
    assert difference > 0.1 * np.sqrt(np.mean(a[:, first] ** 2))


def test_takes_use_consecutive_seeds_and_the_first_is_streamed(engine):
    heard = []
    tracks = engine.render(_brief(), duration=3, seed=5, count=2,
                           on_audio=lambda audio, rate: heard.append(audio))
    assert np.array_equal(tracks[1].audio, engine.render(_brief(), duration=3, seed=6)[0].audio)
    assert len(heard) == 1 and np.array_equal(heard[0], tracks[0].audio)


@pytest.mark.parametrize("style", list(STYLES))
def test_every_style_bass_under_the_chords_and_a_shapely_tune(style):
    brief = _brief(style=style, horizon=tuple(np.linspace(0, 1, 16)))
    midi = compose(brief, duration=40, seed=2)
    bass, chords = _part(midi, "bass").notes, _part(midi, "chords").notes
    assert all(28 <= n.pitch <= 52 for n in bass)  # E1..E3
    for low in bass:
        above = [c.pitch for c in chords if c.start < low.end and c.end > low.start]
        assert all(low.pitch < p for p in above)
    melody = sorted(_part(midi, "melody").notes, key=lambda n: n.start)
    steps = np.diff([n.pitch for n in melody])
    assert np.abs(steps).max() <= 12
    assert np.mean(steps == 0) <= 0.2
    # Within phrases (a new phrase may start afresh after a long closing note), a leap of a
    # fourth or more is followed by a step back.
    beat = 60 / brief.tempo
    leaps = [i for i in np.flatnonzero(np.abs(steps[:-1]) >= 5)
             if melody[i + 1].start - melody[i].start < 2 * beat]
    stepped_back = [np.sign(steps[i + 1]) == -np.sign(steps[i]) for i in leaps]
    assert np.mean(stepped_back or [True]) >= 0.75
    assert midi.get_end_time() <= 40.0 + 1e-6


def test_melody_in_key_ends_on_the_tonic_after_a_dominant():
    brief = dataclasses.replace(_brief(), key="E", mode="minor")
    midi = compose(brief, duration=30, seed=4)
    melody = sorted(_part(midi, "melody").notes, key=lambda n: n.start)
    in_key = {(pitch_class("E") + s) % 12 for s in SCALES["minor"]} | {3}  # D# leading tone
    assert {note.pitch % 12 for note in melody} <= in_key
    assert melody[-1].pitch % 12 == pitch_class("E")
    bass = sorted(_part(midi, "bass").notes, key=lambda n: n.start)
    bar = brief.meter * 60 / brief.tempo
    downbeat = min(bass, key=lambda n: abs(n.start - (bass[-1].start - 1.05 * bar)))
    assert bass[-1].pitch % 12 == pitch_class("E")
    assert downbeat.pitch % 12 == pitch_class("B")  # V-i



@pytest.mark.parametrize("style", ["jazz", "lo-fi"])
@pytest.mark.parametrize("seed", range(4))
def test_jazz_colours_keep_the_key_plain(style, seed):
    """A major was heard as E major: Amaj9 spells E's IVmaj9, V9 and a chromatic approach
    (D#) lean there too. Now every note is in the key, the chords sound the leading tone
    over I and V only in the final cadence, and the jazz head opens on I over its root."""
    brief = dataclasses.replace(_brief(style=style), key="A", mode="major")
    score = write_score(brief, count_bars(brief, 60), rng=np.random.default_rng(seed))
    a_major = {(9 + step) % 12 for step in SCALES["major"]}
    notes = {p.role: p.notes for p in score.parts}
    assert all(n.pitch % 12 in a_major for p in score.parts if not p.is_drum for n in p.notes)
    cadence = next(b.index for b in score.bars if b.ending) - 1
    for bar in score.bars:
        held = {n.pitch % 12 for n in notes["chords"]
                if bar.start <= n.start < bar.start + brief.meter}
        if bar.chord.degree in (0, 4) and bar.index != cadence:
            assert 8 not in held, bar  # G#, the leading tone
        elif bar.index == cadence:
            assert 8 in held  # the final V pulls home
    if style == "jazz":
        firsts = [b.start for b in score.bars if b.section.label == "A" and b.position == 0]
        for start in firsts:
            [root] = [n.pitch % 12 for n in notes["bass"] if n.start == start]
            assert root == 9


@pytest.mark.parametrize("style", ["lo-fi", "jazz", "classical piano", "cinematic"])
def test_half_a_minute_grows_from_a_sparse_section_into_a_smaller_climax(engine, style):
    brief = _brief(style=style)
    [track] = engine.render(brief, duration=30, seed=0)
    sections = {s.arc: s for s in track.sections}
    assert [s.arc for s in track.sections if s.arc != "outro"] == ["intro", "sparse", "climax"]
    sparse, climax = sections["sparse"], sections["climax"]
    assert set(sparse.parts) < set(climax.parts)  # a part waits for the climax
    assert "drums" not in sections["intro"].parts  # and does not play in the intro either

    def level(section):
        span = track.audio[:, int(section.start * RATE):int(section.end * RATE)]
        return 10 * np.log10(np.mean(span ** 2))

    assert 3 <= level(climax) - level(sparse) <= 9

def test_form_has_an_intro_whole_phrases_and_returns():
    sections = plan_sections(26)
    assert sections[0].label == "intro" and sections[0].bars >= 2
    assert [s.label for s in sections[1:]] == ["A", "A", "B", "A", "B", "A"]
    assert all(s.bars == 4 for s in sections[1:])
    long = plan_sections(80)
    assert {"breakdown", "build", "bridge"} <= {s.label for s in long}
    assert sum(s.bars for s in long) == 80


def test_a_returns_whenever_two_phrases_fit_and_after_a_b_when_three_do():
    for bars in range(10, 200):  # a 2-bar intro and two 4-bar phrases need 10 bars
        labels = [s.label for s in plan_sections(bars)]
        assert labels.count("A") >= 2, bars
        if bars >= 14:  # A B A: 2 + 3 x 4 bars
            assert "B" in labels and "A" in labels[labels.index("B"):], bars


def test_the_a_section_returns_with_its_melody():
    brief = _brief(style="folk")
    midi = compose(brief, duration=45, seed=1)
    bar = brief.meter * 60 / brief.tempo
    sections = plan_sections(count_bars(brief, 45))
    starts = np.cumsum([0] + [s.bars for s in sections])
    a = [(start, s) for start, s in zip(starts, sections, strict=False) if s.label == "A"]
    (first, s1), (again, _) = a[0], a[1]
    melody = _part(midi, "melody").notes

    def heard(at):
        return {(round((n.start - at * bar) / bar * 4), n.pitch) for n in melody
                if at * bar - 0.1 <= n.start < (at + s1.bars) * bar - 0.1}

    shared = len(heard(first) & heard(again)) / len(heard(first))
    assert shared >= 0.6


def test_midi_has_named_tracks_tempo_meter_and_key():
    brief = _brief(style="jazz")
    midi = compose(brief, duration=10, seed=0)
    names = [part.name for part in midi.instruments]
    assert names[:3] == ["melody", "chords", "bass"] and "drums" in names
    assert midi.get_tempo_changes()[1][0] == pytest.approx(brief.tempo)
    assert midi.time_signature_changes[0].numerator == brief.meter
    assert midi.key_signature_changes[0].key_number % 12 == pitch_class(brief.key)


def test_played_not_typed():
    brief = _brief(style="classical piano")
    midi = compose(brief, duration=20, seed=0)
    beat = 60 / brief.tempo
    starts = np.array([n.start for n in _part(midi, "melody").notes]) / beat * 4
    off_grid = np.abs(starts - np.round(starts)) * beat / 4
    assert 0.001 < off_grid.mean() < 0.03
    assert np.std([n.velocity for n in _part(midi, "melody").notes]) > 4
    assert any(c.number == 64 for c in _part(midi, "chords").control_changes)  # pedal
    strings = compose(_brief(style="cinematic"), duration=10, seed=0)
    assert len({c.value for c in _part(strings, "chords").control_changes if c.number == 11}) > 3


def test_stems_sum_to_the_mix(engine):
    [track] = engine.render(_brief(style="electronic"), duration=6, seed=0, stems=True)
    assert {"melody", "chords", "bass", "drums"} <= set(track.stems)
    assert all(s.shape == track.audio.shape for s in track.stems.values())
    total = np.sum(list(track.stems.values()), axis=0)
    assert np.abs(total - track.audio).max() < 1e-4
    [plain] = engine.render(_brief(style="electronic"), duration=6, seed=0)
    assert np.abs(total - plain.audio).max() < 1e-4  # also the mix rendered without stems
    for stem in track.stems.values():  # a stem ends in silence, not on a cut release (click)
        assert np.abs(stem[:, -1]).max() == 0 and np.abs(stem[:, -RATE // 100:]).max() < 0.01


def test_loop_is_whole_bars_and_joins_its_start(engine):
    brief = _brief(style="lo-fi")
    [track] = engine.render(brief, duration=12, seed=0, loop=True)
    bar = brief.meter * 60 / brief.tempo
    bars = track.audio.shape[1] / RATE / bar
    assert abs(bars - round(bars)) < 1 / RATE / bar * 2 and round(bars) == count_bars(
        brief, 12, loop=True)
    edge = RATE // 10  # the last and the first tenth of a second are as loud as each other
    end, start = track.audio[:, -edge:], track.audio[:, :edge]
    level = np.sqrt(np.mean(track.audio ** 2))
    assert np.sqrt(np.mean(end ** 2)) > 0.3 * level and np.sqrt(np.mean(start ** 2)) > 0.3 * level
    jump = np.abs(track.audio[:, 0] - track.audio[:, -1]).max()
    assert jump < 5 * np.abs(np.diff(track.audio, axis=1)).mean() + 0.05


def test_soundfont_choice_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("VISTUNE_SOUNDFONT", str(BUNDLED))
    assert find_soundfont() == BUNDLED
    monkeypatch.delenv("VISTUNE_SOUNDFONT")
    with pytest.raises(InputError, match="not a file") as missing:
        ComposerEngine(tmp_path / "nope.sf2")
    assert "\n" not in str(missing.value)
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"not a soundfont at all")
    with pytest.raises((InputError, ModelUnavailable), match="junk.sf2") as bad:
        ComposerEngine(junk).render(_brief(), duration=1, seed=0)
    assert "\n" not in str(bad.value)


def test_three_minutes_have_more_than_a_looped_form():
    brief = _brief(style="electronic")
    labels = [s.label for s in plan_sections(count_bars(brief, 180))]
    assert {"breakdown", "build"} <= set(labels) and labels.count("A") >= 4
    midi = compose(brief, duration=180, seed=0)
    assert 170 < max(n.end for n in _part(midi, "chords").notes) <= 180
