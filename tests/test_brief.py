from __future__ import annotations

import dataclasses
import re

import pytest

from vistune import InputError, make_brief
from vistune.brief.styles import STYLES
from vistune.brief.styles.lexicon import COMMON_STYLES
from vistune.see.features import Features, Swatch
from vistune.see.labels import Description, Label
from vistune.see.scenery import Cue
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
                                           ("a plate of food in a restaurant", "jazz"),
                                           ("a shop", "lo-fi"), ("furniture", "lo-fi"),
                                           ("a party with balloons", "electronic")])
def test_scene_words_choose_the_style(caption, genre):
    brief = make_brief(_description(caption))
    assert brief.genre == genre
    assert STYLES[genre].tempo_range[0] <= brief.tempo <= STYLES[genre].tempo_range[1]


def test_sure_labels_named_in_the_caption_are_cited_with_their_score():
    brief = make_brief(_description("a photo of a seashore", labels=[Label("seashore", 0.9)]))
    assert brief.scene == "sea"
    assert "the caption (label 'seashore', 90%) says 'seashore'" in brief.reasons["genre"]


@pytest.mark.parametrize("label", [Label("seashore", 0.0011), Label("volcano", 0.045)])
def test_a_label_below_the_threshold_never_picks_the_scene(label):
    brief = make_brief(_description("a picture in cool, dim light with muted colours",
                                    labels=[label]))
    assert brief.scene == "scene" and label.name not in str(brief.reasons)


def test_the_captioners_light_words_are_not_mood_words():
    description = _description(brightness=0.1, saturation=0.02)
    assert "dark light" in description.features.summary()
    caption = f"a picture in {description.features.summary()}"
    brief = make_brief(dataclasses.replace(description, caption=caption))
    assert "'dark'" not in brief.reasons["mood"] and brief.scene == "scene"


@pytest.mark.parametrize("caption", ["a picture in soft light", "a photo of a cat",
                                     "a photo of a rocket under a night sky"])
def test_brightening_lowers_arousal(caption):
    dim = make_brief(_description(caption, brightness=0.35))
    bright = make_brief(_description(caption, brightness=0.75))
    assert bright.arousal < dim.arousal


def test_brightening_a_photo_keeps_its_edges_and_lowers_arousal():
    from conftest import skimage_photo
    from PIL import Image, ImageEnhance

    from vistune import load_image
    from vistune.see.features import analyze

    photo = Image.fromarray(skimage_photo("chelsea"))
    base, lighter = (analyze(load_image(ImageEnhance.Brightness(photo).enhance(f)))
                     for f in (1.0, 1.3))
    assert abs(lighter.edge_density - base.edge_density) < 0.02
    caption = "a photo of a cat"
    assert (make_brief(Description(caption, (), lighter, "t")).arousal
            < make_brief(Description(caption, (), base, "t")).arousal)


def test_a_word_cannot_outweigh_the_colours():
    calm = make_brief(_description("a picture", brightness=0.2, saturation=0.05))
    stormy = make_brief(_description("a storm", brightness=0.2, saturation=0.05))
    assert abs(stormy.arousal - calm.arousal) <= 0.4


def _quoted(text: str) -> list[str]:
    return re.findall(r"'([^']+)'", text)


@pytest.mark.parametrize("caption,labels", [
    ("a photo of a cat, in warm, soft light with gentle colours", [Label("cat", 0.92)]),
    ("a photo of a rocket under a night sky, in cool, dim light with vivid colours",
     [Label("rocket", 0.58), Label("drilling platform", 0.08)]),
    ("a misty forest at dawn, sad and quiet", []),
    ("a picture in neutral, soft light with almost no colour", [Label("bubble", 0.3)])])
def test_every_reason_quotes_only_what_was_said_or_measured(caption, labels):
    description = _description(caption, labels, brightness=0.42, saturation=0.37,
                               edge_density=0.17, warmth=0.21)
    brief = make_brief(description)
    said = set(re.findall(r"[a-z]+", caption)) | {lb.name for lb in labels if lb.score >= 0.4}
    for field, reason in brief.reasons.items():
        for quoted in _quoted(reason):
            assert quoted in said or f"{quoted!r}" in f"{brief.genre!r}", (field, quoted)
        for name, value in (("brightness", 0.42), ("saturation", 0.37),
                            ("edge density", 0.17), ("warmth", 0.21)):
            if f"{name} " in reason:
                assert re.search(rf"{name} [+]?{value:.2f}", reason), (field, reason)
    assert "drilling" not in str(brief.reasons) and "bubble" not in str(brief.reasons)


EXAMPLE = "fast rock with distorted electric guitars, 150 bpm, E minor"


def test_the_prompt_drives_the_brief():
    brief = make_brief(_description("a photo of a cat"), prompt=EXAMPLE)
    assert (brief.genre, brief.tempo, brief.key, brief.mode) == ("rock", 150, "E", "minor")
    assert brief.instruments["melody"] == brief.instruments["chords"] == "Distortion Guitar"
    assert brief.prompt == EXAMPLE
    assert brief.reasons["genre"] == "your prompt asks for rock"
    assert "set by your prompt" in brief.reasons["tempo"]
    assert "set by your prompt" in brief.reasons["key"]
    assert "'distorted electric guitars'" in brief.reasons["prompt"]
    assert "not used" not in brief.reasons["prompt"]


def test_words_the_prompt_could_not_use_are_listed():
    brief = make_brief(_description(), prompt="an epic, sad waltz in 7/8 for kazoo")
    assert brief.meter == 3
    assert brief.reasons["prompt"].endswith("not used: 'epic', '7/8', 'kazoo'")
    assert "your prompt says 'sad'" in brief.reasons["mood"]


def test_same_prompt_same_brief():
    description = _description("a photo of a cat")
    assert (make_brief(description, prompt=EXAMPLE).to_dict()
            == make_brief(description, prompt=EXAMPLE).to_dict())


def test_explicit_overrides_beat_the_prompt():
    brief = make_brief(_description(), prompt=EXAMPLE, style="jazz", tempo=90, key="C")
    assert (brief.genre, brief.tempo, brief.key, brief.mode) == ("jazz", 90, "C", "minor")
    assert brief.reasons["genre"] == "style preset 'jazz'"


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


@pytest.mark.parametrize("name", ["vistune.brief.prompt", "vistune.see.scenery"])
def test_docstring_examples_of_the_new_modules(name):
    import doctest
    import importlib

    failed, attempted = doctest.testmod(importlib.import_module(name))
    assert attempted > 0 and failed == 0


@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_calm_picture_sways_in_three_only_where_the_style_has_a_figure_that_sways(style):
    calm = make_brief(_description(brightness=0.95, saturation=0.05, edge_density=0.0),
                      style=style)
    assert calm.arousal < -0.3
    assert calm.meter == (3 if STYLES[style].sways else 4)
    if calm.meter == 3:
        assert f"a slow, gentle {STYLES[style].sways} sways in three" in calm.reasons["meter"]
    assert calm.texture == STYLES[style].texture


@pytest.mark.parametrize("brightness,saturation,edges", [
    (0.5, 0.9, 0.4), (0.3, 0.9, 0.4), (0.2, 0.7, 0.3), (0.9, 0.1, 0.0), (0.1, 0.05, 0.0),
    (0.5, 0.3, 0.12), (0.8, 0.9, 0.4)])
def test_with_nothing_named_the_mood_picks_a_style_that_suits_most_pictures(
        brightness, saturation, edges):
    brief = make_brief(_description("a picture in neutral light", brightness=brightness,
                                    saturation=saturation, edge_density=edges))
    assert brief.genre in COMMON_STYLES and brief.genre != "electronic"
    assert (f"{brief.mood} mood picks {brief.genre} among the styles that suit most pictures"
            in brief.reasons["genre"])


def test_tense_and_driving_pictures_no_longer_get_electronic():
    moods = {make_brief(_description("a picture", brightness=b, saturation=0.9,
                                     edge_density=0.4)).mood for b in (0.2, 0.5)}
    assert moods & {"tense", "driving"}  # the moods that used to pick electronic


def test_a_texture_gets_electronic_only_in_vivid_colours():
    texture = (Cue("texture", "edges cover 30% of the picture, evenly"),)
    natural = make_brief(_description("an abstract texture", cues=texture, colourfulness=0.2))
    assert natural.genre != "electronic"
    assert natural.reasons["genre"].startswith(
        "the caption says 'abstract' (abstract scene), but electronic needs neon or night "
        "colours, a city, or an abstract or synthetic texture, so the picture's ")
    vivid = make_brief(_description("an abstract texture", cues=texture, colourfulness=0.7))
    assert vivid.genre == "electronic"
    assert "a texture in vivid colours (colourfulness 0.70)" in vivid.reasons["genre"]


def test_neon_or_night_colours_are_evidence_for_electronic():
    neon = (Swatch("#101018", "black", 0.8), Swatch("#ff30d0", "pink", 0.1))
    brief = make_brief(_description(brightness=0.2, palette=neon))
    assert brief.genre == "electronic" and "neon pink (10%)" in brief.reasons["genre"]
    night = (Swatch("#101040", "dark blue", 0.7), Swatch("#000000", "black", 0.3))
    brief = make_brief(_description(brightness=0.1, palette=night))
    assert brief.genre == "electronic" and "night colours (70%" in brief.reasons["genre"]
    dim = (Swatch("#101018", "black", 0.8), Swatch("#705070", "purple", 0.2))  # no glow
    assert make_brief(_description(brightness=0.2, palette=dim)).genre != "electronic"
    bright = (Swatch("#ff30d0", "pink", 0.5), Swatch("#f0f0f0", "white", 0.5))  # not dark
    assert make_brief(_description(brightness=0.7, palette=bright)).genre != "electronic"


def test_a_city_is_its_own_evidence():
    assert make_brief(_description("a busy city street with traffic")).genre == "electronic"


def test_a_class_named_on_its_own_brings_its_group_words():
    brief = make_brief(_description("a photo of a moped", labels=[Label("moped", 0.7)]))
    assert brief.genre == "rock"
    assert "the caption ('moped' is a motorcycle) says 'motorcycle'" in brief.reasons["genre"]


def test_one_balloon_is_no_party():
    """ImageNet's "balloon" is a hot-air balloon: no evidence for electronic (issue 24)."""
    brief = make_brief(_description("a balloon", labels=[Label("balloon", 0.87)]))
    assert brief.scene != "party" and brief.genre != "electronic"
