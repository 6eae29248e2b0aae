"""Property-based tests and bounded fuzzing (hypothesis): only success or a VisTuneError."""

from __future__ import annotations

import contextlib
import dataclasses
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from vistune import InputError, VisTuneError, load_image, make_brief
from vistune.brief.styles import STYLES
from vistune.engines.composer import ComposerEngine, compose
from vistune.pipeline import check_duration
from vistune.see.features import Features, analyze
from vistune.see.labels import Description
from vistune.theory import NOTE_NAMES

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

unit = st.floats(0, 1, allow_nan=False)
features = st.builds(
    Features, brightness=unit, contrast=unit, saturation=unit, colourfulness=unit,
    warmth=st.floats(-1, 1), edge_density=unit, palette=st.just(()),
    profile=st.lists(unit, min_size=16, max_size=16).map(tuple),
    horizon=st.lists(unit, min_size=16, max_size=16).map(tuple))
captions = st.text(max_size=200)


@FAST
@given(features=features, caption=captions, style=st.sampled_from([None, *STYLES]))
def test_any_description_gives_a_sane_brief(features, caption, style):
    brief = make_brief(Description(caption or "x", (), features, "test"), style=style)
    assert -1 <= brief.valence <= 1 and -1 <= brief.arousal <= 1
    low, high = STYLES[brief.genre].tempo_range
    assert low <= brief.tempo <= high and brief.meter in (3, 4)
    assert brief.mode in ("major", "minor") and brief.key in NOTE_NAMES
    assert all(0 <= v <= 1 for v in brief.contour) and brief.prompt


BASE = Features(0.5, 0.3, 0.3, 0.3, 0.0, 0.1, (), (0.5,) * 16, (0.5,) * 16)


@FAST
@given(tempo=st.integers(30, 240), meter=st.sampled_from([3, 4]),
       key=st.sampled_from(NOTE_NAMES), mode=st.sampled_from(["major", "minor"]),
       genre=st.sampled_from(sorted(STYLES)), arousal=st.floats(-1, 1),
       contour=st.lists(unit, min_size=1, max_size=40).map(tuple),
       duration=st.floats(1, 120), seed=st.integers(0, 2**32 - 1))
def test_composer_midi_is_valid_for_any_brief(tempo, meter, key, mode, genre, arousal, contour,
                                              duration, seed):
    brief = dataclasses.replace(make_brief(Description("x", (), BASE, "t")), tempo=tempo,
                                meter=meter, key=key, mode=mode, genre=genre, arousal=arousal,
                                contour=contour, drums=STYLES[genre].drums,
                                texture=STYLES[genre].texture)
    midi = compose(brief, duration=duration, seed=seed)
    notes = [n for part in midi.instruments for n in part.notes]
    assert notes and midi.get_end_time() <= duration + 1e-6
    assert all(0 <= n.pitch <= 127 and 1 <= n.velocity <= 127 and n.end > n.start >= 0
               for n in notes)


@settings(max_examples=12, deadline=None)
@given(duration=st.floats(1, 20), seed=st.integers(0, 1000),
       genre=st.sampled_from(sorted(STYLES)))
def test_composer_audio_is_exactly_the_requested_length(duration, seed, genre):
    brief = make_brief(Description("x", (), BASE, "t"), style=genre)
    [track] = ComposerEngine().render(brief, duration=duration, seed=seed)
    assert track.audio.shape == (2, round(duration * track.sample_rate))
    assert np.isfinite(track.audio).all()


@FAST
@given(value=st.one_of(st.floats(), st.integers(), st.text(max_size=12)))
def test_duration_is_valid_or_a_clear_error(value):
    try:
        seconds = check_duration(value)
    except InputError as exc:
        assert "duration" in str(exc)
    else:
        assert 1 <= seconds <= 600


def _valid_image_bytes(fmt: str) -> bytes:
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (24, 32, 3), np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()


SEEDS = {fmt: _valid_image_bytes(fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")}


@settings(max_examples=1000, deadline=None)
@given(fmt=st.sampled_from(sorted(SEEDS)), data=st.data())
def test_fuzzed_image_bytes_decode_or_raise_input_error(fmt, data):
    raw = bytearray(SEEDS[fmt])
    for _ in range(data.draw(st.integers(1, 12))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    try:
        picture = load_image(bytes(raw[:cut]))
    except InputError:
        return
    assert picture.image.mode == "RGB"
    analyze(picture)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash_the_decoder(raw):
    with contextlib.suppress(VisTuneError):
        load_image(raw)


def test_brief_fields_are_checked_when_overridden():
    with pytest.raises(InputError):
        make_brief(Description("x", (), BASE, "t"), tempo=1000)


prompt_words = st.lists(st.sampled_from(
    ["fast", "slow", "rock", "jazz", "waltz", "3/4", "120 bpm", "E minor", "Bb major", "piano",
     "distorted guitars", "sad", "epic", "kazoo", "lofi", "with", "strings", "bass guitar"]),
    max_size=8).map(" ".join)


@FAST
@given(words=prompt_words, extra=st.text(max_size=40))
def test_any_prompt_gives_a_sane_brief_or_a_clear_error(words, extra):
    try:
        brief = make_brief(Description("x", (), BASE, "t"), prompt=f"{words} {extra}")
    except InputError as exc:
        assert "prompt" in str(exc) or "tempo" in str(exc)
        return
    assert brief.genre in STYLES and 30 <= brief.tempo <= 240 and brief.meter in (3, 4)
    assert brief.mode in ("major", "minor") and brief.key in NOTE_NAMES
    assert set(brief.instruments) == {"melody", "chords", "bass"}
    assert brief.reasons["prompt"].startswith("your prompt: used ")
