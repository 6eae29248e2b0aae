from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vistune import make_brief
from vistune.captioning import Description
from vistune.engines import Engine
from vistune.engines.composer import ComposerEngine, compose
from vistune.features import Features
from vistune.theory import pitch_class, scale_pitches


def _brief(caption="a forest", style=None, **feature_changes):
    base = dict(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3, warmth=0.0,
                edge_density=0.12, palette=(), profile=(0.5,) * 16, horizon=(0.5,) * 16)
    description = Description(caption, (), Features(**{**base, **feature_changes}), "test")
    return make_brief(description, style=style)


def _part(midi, name):
    return next(part for part in midi.instruments if part.name == name)


@pytest.fixture(scope="module")
def engine():
    return ComposerEngine()


@pytest.mark.parametrize("duration", [1.0, 2.5, 7.3, 30.0])
def test_exact_length_stereo_float32(engine, duration):
    track, = engine.render(_brief(), duration=duration, seed=0)
    assert track.audio.dtype == np.float32 and track.audio.shape[0] == 2
    assert track.audio.shape[1] == round(duration * track.sample_rate)
    assert track.sample_rate == 48_000
    assert np.abs(track.audio).max() > 0.01  # not silence
    assert isinstance(engine, Engine)


def test_same_seed_same_audio_different_seed_different(engine):
    brief = _brief(style="lo-fi")
    a = engine.render(brief, duration=8, seed=11)[0].audio
    b = engine.render(brief, duration=8, seed=11)[0].audio
    c = engine.render(brief, duration=8, seed=12)[0].audio
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("style", ["lo-fi", "jazz", "electronic", "rock", "folk",
                                   "classical piano", "ambient", "cinematic"])
def test_parts_and_drums_by_style(style):
    brief = _brief(style=style)
    midi = compose(brief, duration=20, seed=1)
    names = [part.name for part in midi.instruments]
    assert names[:3] == ["melody", "chords", "bass"]
    assert ("drums" in names) == brief.drums
    assert all(part.notes for part in midi.instruments)
    assert midi.get_end_time() <= 20.0 + 1e-6


def test_melody_stays_in_key_and_ends_on_the_tonic():
    brief = dataclasses.replace(_brief(), key="E", mode="minor")
    melody = _part(compose(brief, duration=30, seed=4), "melody")
    in_key = {p % 12 for p in scale_pitches(tonic="E", mode="minor", low=0, high=127)}
    assert {note.pitch % 12 for note in melody.notes} <= in_key
    assert melody.notes[-1].pitch % 12 == pitch_class("E")


def test_structure_has_intro_and_held_ending():
    brief = _brief()
    midi = compose(brief, duration=30, seed=0)
    melody, chords = _part(midi, "melody"), _part(midi, "chords")
    bar = brief.meter * 60 / brief.tempo
    assert melody.notes[0].start >= bar - 1e-6  # the melody waits for the intro bar
    assert chords.notes[0].start == 0.0
    assert max(n.end for n in chords.notes) > 30 - bar  # the last chord rings to the end


def test_louder_when_more_aroused():
    calm = compose(_brief(edge_density=0.0, saturation=0.05), duration=20, seed=0)
    lively = compose(_brief(edge_density=0.5, saturation=0.9), duration=20, seed=0)

    def mean_velocity(midi):
        return np.mean([n.velocity for n in _part(midi, "melody").notes])

    def notes_per_second(midi):
        return len(_part(midi, "melody").notes) / 20

    assert mean_velocity(lively) > mean_velocity(calm)
    assert notes_per_second(lively) > notes_per_second(calm)


def test_midi_carries_tempo_meter_and_key():
    brief = _brief(style="folk", edge_density=0.0, saturation=0.0)
    midi = compose(brief, duration=10, seed=0)
    assert midi.get_tempo_changes()[1][0] == pytest.approx(brief.tempo)
    assert midi.time_signature_changes[0].numerator == brief.meter
    assert midi.key_signature_changes[0].key_number % 12 == pitch_class(brief.key)


def test_ten_minutes(engine):
    track, = engine.render(_brief(style="electronic"), duration=600, seed=0)
    assert track.audio.shape[1] == 600 * 48_000


def test_melody_sits_above_chords_and_bass():
    midi = compose(_brief(style="cinematic"), duration=30, seed=0)
    median = {name: np.median([n.pitch for n in _part(midi, name).notes])
              for name in ("melody", "chords", "bass")}
    assert median["melody"] > median["chords"] > median["bass"]
