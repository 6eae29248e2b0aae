"""Pixel cues for micrographs, fundus photos and coins; motion blur; indoors and outdoors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from vistune.brief import make_brief
from vistune.see.features import Features, analyze
from vistune.see.image import load_image
from vistune.see.labels import (
    Description,
    Label,
    LabelCaptioner,
    describe_scene,
    imagenet_groups,
    read_setting,
)
from vistune.see.scenery import Cue

RNG = np.random.default_rng(7)


def cue_names(image: Image.Image) -> list[str]:
    """The names of the pixel cues analyze() finds in ``image`` (tests/test_labels_names.py too)."""
    return [c.name for c in analyze(load_image(image)).cues]


def _fundus(colour: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (400, 400), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 390, 390), fill=colour)
    for _ in range(12):  # vessels
        x0, y0, x1, y1 = RNG.integers(60, 340, 4)
        draw.line((x0, y0, x1, y1), fill=tuple(int(c * 0.7) for c in colour), width=4)
    return image


def test_a_round_red_field_on_black_is_a_retina():
    assert "retina" in cue_names(_fundus((220, 90, 40)))
    assert "retina" not in cue_names(_fundus((150, 150, 150)))  # a grey disc: no fundus colours
    no_corners = Image.new("RGB", (400, 400), (220, 90, 40))  # no black corners
    assert "retina" not in cue_names(no_corners)


def _discs(radii, relief: bool, ground=(40, 40, 40)) -> Image.Image:
    image = Image.new("RGB", (480, 360), ground)
    draw = ImageDraw.Draw(image)
    for index, radius in enumerate(radii):
        cx, cy = 60 + (index % 4) * 120, 70 + (index // 4) * 110
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(170, 170, 170))
        if relief:  # struck faces: ridges and a profile
            for k in range(6):
                y = cy - radius // 2 + k * radius // 6
                draw.line((cx - radius // 2, y, cx + radius // 2, y + 5), fill=(90, 90, 90),
                          width=2)
    return image


def test_grey_discs_with_relief_are_coins():
    assert "coins" in cue_names(_discs([40] * 8, relief=True))
    assert "coins" not in cue_names(_discs([40] * 8, relief=False))  # plain discs: no relief
    assert "coins" not in cue_names(_discs([40] * 2, relief=True))  # two are not a collection
    caption = describe_scene((Label("bottlecap", 0.3),), analyze(load_image(
        _discs([40] * 8, relief=True))))
    assert caption.startswith("coins or similar metal discs, in ")


def test_a_sure_label_beats_the_coin_rule():
    features = analyze(load_image(_discs([40] * 8, relief=True)))
    assert describe_scene((Label("golf ball", 0.9),), features).startswith("a photo of a golf")


def _glow(radius: float, count: int) -> Image.Image:
    size = 512
    rows, cols = np.mgrid[:size, :size]
    light = np.zeros((size, size))
    for y, x in RNG.integers(30, size - 30, (count, 2)):
        light += 0.6 * np.exp(-((rows - y) ** 2 + (cols - x) ** 2) / (2 * radius ** 2))
    pixels = (np.clip(light, 0, 1) * 255).astype(np.uint8)
    return Image.fromarray(np.stack([pixels] * 3, axis=2))


def test_round_glowing_patches_on_black_are_cells_not_stars():
    cues = cue_names(_glow(radius=9, count=40))
    assert "cells" in cues and "stars" not in cues
    sky = np.zeros((512, 512, 3), np.uint8)
    for y, x in RNG.integers(0, 510, (300, 2)):
        sky[y:y + 2, x:x + 2] = 255
    points = cue_names(Image.fromarray(sky))
    assert "stars" in points and "cells" not in points


def test_lit_windows_in_the_lower_half_are_not_stars():
    town = np.zeros((512, 512, 3), np.uint8)
    for y, x in RNG.integers((300, 0), (510, 510), (300, 2)):
        town[y:y + 2, x:x + 2] = 255
    assert "stars" not in cue_names(Image.fromarray(town))


def _slide(stain: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (512, 512), (235, 232, 240))
    draw = ImageDraw.Draw(image)
    for _ in range(90):  # stained membranes, then nuclei
        x, y = RNG.integers(0, 512, 2)
        draw.ellipse((x, y, x + 70, y + 40), outline=stain, width=8)
        draw.ellipse((x + 20, y + 12, x + 44, y + 26), fill=stain)
    for _ in range(150):
        x, y = RNG.integers(0, 512, 2)
        draw.ellipse((x, y, x + 10, y + 6), fill=(110, 120, 190))
    return image


def test_a_pale_slide_with_brown_stain_and_blue_nuclei_is_stained_tissue():
    assert "stained tissue" in cue_names(_slide((160, 100, 40)))
    assert "stained tissue" not in cue_names(_slide((40, 150, 60)))  # green: not a stain


def test_motion_blur_streaks_are_neither_a_sky_nor_water():
    rows = RNG.uniform(0.5, 1.0, 300)[:, None, None]
    streaks = np.broadcast_to(rows * np.array([230.0, 140.0, 60.0]), (300, 400, 3))
    image = Image.fromarray(streaks.astype(np.uint8)).filter(ImageFilter.GaussianBlur(1))
    cues = cue_names(image)
    assert "sunset sky" not in cues and "water" not in cues


def _field(top: tuple[int, int, int], bottom: tuple[int, int, int], streaks=False) -> Image.Image:
    """A smooth upper part over a lower part, with ripple-like rows in the lower part."""
    pixels = np.zeros((300, 400, 3))
    pixels[:150], pixels[150:] = top, bottom
    if streaks:  # rows that change from top to bottom and cancel out, like ripples
        pixels[180:] *= (RNG.uniform(0.6, 1.0, 120)[:, None, None]
                         * RNG.uniform(0.97, 1.0, (120, 400, 1)))
    return Image.fromarray(pixels.astype(np.uint8))


def test_a_blue_sky_stands_above_something_else_and_is_clearly_blue():
    assert "blue sky" in cue_names(_field((90, 150, 230), (60, 120, 40)))
    assert "blue sky" not in cue_names(_field((120, 150, 190), (120, 150, 190)))  # one backdrop
    assert "blue sky" not in cue_names(_field((150, 160, 175), (60, 120, 40)))  # greyish blue


def test_ripples_on_a_grey_ground_are_not_water():
    assert "water" in cue_names(_field((200, 120, 60), (220, 120, 50), streaks=True))
    assert "water" not in cue_names(_field((200, 120, 60), (120, 120, 125), streaks=True))


def _features(cues=()) -> Features:
    return Features(0.5, 0.3, 0.3, 0.3, 0.1, 0.1, (), (0.5,) * 16, (0.5,) * 16, tuple(cues))


GROUPS = imagenet_groups()
NAMES = LabelCaptioner().class_names


def _probs(**classes: float) -> np.ndarray:
    probs = np.zeros(1000)
    for name, p in classes.items():
        probs[NAMES.index(name.replace("_", " "))] = p
    return probs


def test_setting_comes_from_sky_cues_or_grouped_labels_and_says_why():
    sky = Cue("blue sky", "60% of the upper part is sky blue")
    outdoors = read_setting(_probs(), GROUPS, _features([sky]))
    assert outdoors.name == "outdoors" and "blue sky (60% of the upper part" in outdoors.evidence
    built = read_setting(_probs(palace=0.3, church=0.15), GROUPS, _features())
    assert built.name == "outdoors" and "building 45%" in built.evidence
    room = read_setting(_probs(studio_couch=0.3, dining_table=0.2), GROUPS, _features())
    assert room.name == "indoors" and "furniture 50%" in room.evidence
    assert read_setting(_probs(palace=0.2, tabby_cat=0.7), GROUPS, _features()) is None
    stars = Cue("stars", "90% of the picture is black")  # a telescope's view is no place
    assert read_setting(_probs(), GROUPS, _features([stars])) is None


def test_the_brief_quotes_the_setting_only_when_its_prompt_uses_it():
    setting = Cue("outdoors", "the pixels show blue sky (60% of the upper part is sky blue)")
    description = Description("a photo of a bus, in neutral, soft light with gentle colours",
                              (Label("bus", 0.7),), _features(), "t", setting=setting)
    brief = make_brief(description)
    assert brief.prompt.endswith(", outdoors")
    assert brief.reasons["setting"] == ("outdoors, as the pixels show blue sky (60% of the "
                                        "upper part is sky blue); the prompt says so")
    own = make_brief(description, prompt="calm piano")
    assert "setting" not in own.reasons and "outdoors" not in own.prompt
    unsure = make_brief(Description(description.caption, description.labels, _features(), "t"))
    assert "setting" not in unsure.reasons and "outdoors" not in unsure.prompt


@pytest.mark.parametrize("name", ["coffee", "chelsea"])
def test_real_photos_without_setting_evidence_get_none(name):
    from conftest import skimage_photo

    description = LabelCaptioner().describe(load_image(Image.fromarray(skimage_photo(name))))
    assert description.setting is None


@pytest.mark.parametrize("caption,word", [
    ("stained tissue under a microscope, in warm, soft light with gentle colours", "microscope"),
    ("glowing cells, in neutral, dark light with almost no colour", "cells"),
    ("stars in a black sky, in neutral, dark light with muted colours", "stars")])
def test_a_scene_reason_quotes_the_caption_word_as_written(caption, word):
    brief = make_brief(Description(caption, (), _features(), "t"))
    assert f"the caption says {word!r}" in brief.reasons["genre"]


def test_the_mood_picked_style_does_not_claim_nothing_was_named():
    brief = make_brief(Description("coins or similar metal discs, in neutral, dim light with "
                                   "almost no colour", (), _features(), "t"))
    assert brief.reasons["genre"].startswith("no word of the caption names a scene")
