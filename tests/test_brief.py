from __future__ import annotations

import dataclasses

import pytest

from vistune import InputError, make_brief
from vistune.captioning import Description, Label
from vistune.features import Features
from vistune.styles import STYLES
from vistune.theory import scale_pitches


def _description(caption="a picture", labels=(), **feature_changes) -> Description:
    base = dict(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3, warmth=0.0,
                edge_density=0.12, palette=(), profile=(0.5,) * 16, horizon=(0.5,) * 16)
    return Description(caption, tuple(labels), Features(**{**base, **feature_changes}), "test")


@pytest.mark.parametrize("caption", ["a picture", "a forest with tall trees"])
def test_brighter_more_saturated_gives_higher_valence(caption):
    dull = make_brief(_description(caption, brightness=0.3, saturation=0.1))
    vivid = make_brief(_description(caption, brightness=0.8, saturation=0.7))
    assert vivid.valence > dull.valence


@pytest.mark.parametrize("caption", ["a picture", "a city street"])
def test_busier_gives_higher_arousal_and_faster_tempo(caption):
    calm = make_brief(_description(caption, edge_density=0.02))
    busy = make_brief(_description(caption, edge_density=0.4))
    assert busy.arousal > calm.arousal
    assert busy.tempo >= calm.tempo


def test_negative_valence_is_minor_and_positive_major():
    assert make_brief(_description(brightness=0.1, saturation=0.05)).mode == "minor"
    assert make_brief(_description(brightness=0.9, saturation=0.6)).mode == "major"


@pytest.mark.parametrize("caption,genre", [("a city street at night with neon", "lo-fi"),
                                           ("a misty forest", "folk"),
                                           ("waves on a beach", "ambient"),
                                           ("a plate of food in a restaurant", "jazz")])
def test_scene_words_choose_the_style(caption, genre):
    brief = make_brief(_description(caption))
    assert brief.genre == genre
    assert STYLES[genre].tempo_range[0] <= brief.tempo <= STYLES[genre].tempo_range[1]


def test_labels_count_as_scene_words():
    brief = make_brief(_description("a photo", labels=[Label("seashore", 0.9)]))
    assert brief.scene == "sea"


def test_prompt_reads_like_a_musicgen_caption():
    brief = make_brief(_description("a photo of a misty forest at dawn"))
    assert f"{brief.tempo} bpm" in brief.prompt and f"{brief.key} {brief.mode}" in brief.prompt
    assert brief.prompt.endswith("evoking a misty forest at dawn")
    assert "flute" in brief.prompt


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_preset_applies(style):
    brief = make_brief(_description(), style=style)
    assert brief.genre == style and brief.instruments["melody"] == STYLES[style].melody
    assert brief.reasons["genre"] == f"style preset {style!r}"


def test_overrides_win_and_are_explained():
    brief = make_brief(_description(brightness=0.9), tempo=97, key="F# minor", style="jazz")
    assert (brief.tempo, brief.key, brief.mode) == (97, "F#", "minor")
    assert "set by you" in brief.reasons["tempo"] and "set by you" in brief.reasons["key"]
    assert "97 bpm" in brief.prompt and "F# minor" in brief.prompt


def test_key_without_mode_keeps_the_picture_mode():
    brief = make_brief(_description(brightness=0.9, saturation=0.6), key="Bb")
    assert (brief.key, brief.mode) == ("Bb", "major")


def test_prompt_override_is_cleaned():
    brief = make_brief(_description(), prompt="  slow\tpiano\x00 ballad \u00e9t\u00e9  ")
    assert brief.prompt == "slow piano ballad \u00e9t\u00e9"


@pytest.mark.parametrize("kwargs,match", [
    ({"style": "polka"}, "unknown style"), ({"key": "H major"}, "unknown key"),
    ({"tempo": 0}, "outside 30-240"), ({"tempo": float("nan")}, "outside"),
    ({"tempo": "fast"}, "not a number"), ({"prompt": " \n\t "}, "prompt is empty"),
    ({"prompt": "x" * 10_000}, "characters long")])
def test_bad_overrides_raise_input_error(kwargs, match):
    with pytest.raises(InputError, match=match):
        make_brief(_description(), **kwargs)


def test_contour_follows_the_horizon():
    rising = tuple(i / 15 for i in range(16))
    brief = make_brief(_description(horizon=rising, profile=rising))
    assert brief.contour[0] == 0.0 and brief.contour[-1] == 1.0
    flat = make_brief(_description())
    assert max(flat.contour) - min(flat.contour) > 0.3  # an arch, not a monotone line


def test_brief_is_frozen_and_serialisable():
    brief = make_brief(_description())
    with pytest.raises(dataclasses.FrozenInstanceError):
        brief.tempo = 10
    data = brief.to_dict()
    assert data["instruments"]["melody"] == brief.instruments["melody"]


def test_scale_helper():
    assert scale_pitches(tonic="A", mode="minor", low=57, high=69) == [
        57, 59, 60, 62, 64, 65, 67, 69]
