"""Names the offline captioner gives only on evidence (issue 24, item 4): snow on the ground,
text in many small marks, one sure class for things read into close-ups (and the flower or leaf
that unsure insects are), a person from worn garments, a building from houses the classifier
cannot tell apart."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vistune.see.features import Features, analyze
from vistune.see.image import load_image
from vistune.see.labels import Label, LabelCaptioner, describe_scene, group_labels
from vistune.see.scenery import Cue

RNG = np.random.default_rng(24)


def _cues(image: Image.Image) -> list[str]:
    return [c.name for c in analyze(load_image(image)).cues]


def _snowfield() -> np.ndarray:
    """Dark trees over a white ground, shaded by sun and shadow (a gentle slope of light)."""
    pixels = np.zeros((300, 400, 3))
    pixels[:120] = (40, 50, 35)
    shade = 225 + 25 * np.linspace(0, 1, 400)[None, :] + RNG.normal(0, 2, (180, 400))
    pixels[120:] = np.clip(shade, 0, 255)[..., None]
    return pixels


def test_shaded_white_ground_under_something_darker_is_snow():
    assert "snow" in _cues(Image.fromarray(_snowfield().astype(np.uint8)))


def test_white_at_the_top_or_a_flat_white_drawing_is_not_snow():
    frost = _snowfield()[::-1]  # the same pixels upside down: white above, dark below
    assert "snow" not in _cues(Image.fromarray(frost.astype(np.uint8)))
    drawing = Image.new("RGB", (480, 400), (255, 255, 255))
    draw = ImageDraw.Draw(drawing)
    draw.rectangle((50, 50, 200, 160), fill=(230, 20, 20))
    draw.rectangle((150, 300, 330, 390), fill=(90, 60, 215))
    assert "snow" not in _cues(drawing)


def _rows_of_marks(blot: bool) -> Image.Image:
    """Rows of short dark dashes on grey (words in lines), with or without one large dark blot
    inside a row (a wood on an aerial photograph)."""
    page = Image.new("RGB", (480, 360), (200, 200, 200))
    draw = ImageDraw.Draw(page)
    for row in range(8):
        for x in range(20, 460, 40):
            draw.line((x, 20 + 44 * row, x + 25, 20 + 44 * row), fill=(60, 60, 60), width=3)
    if blot:
        draw.ellipse((140, 100, 380, 150), fill=(50, 50, 50))
    return page


def test_one_large_dark_blot_on_grey_is_not_a_page_of_text():
    assert "page of text" in _cues(_rows_of_marks(blot=False))
    assert "page of text" not in _cues(_rows_of_marks(blot=True))


@pytest.fixture(scope="module")
def captioner() -> LabelCaptioner:
    return LabelCaptioner()


def _caption(captioner: LabelCaptioner, **classes: float) -> str:
    probs = np.zeros(1000)
    for name, p in classes.items():
        probs[captioner.class_names.index(name.replace("_", " "))] = p
    labels = group_labels(probs, captioner.class_names, captioner.caption_groups)
    colour = Features(0.5, 0.3, 0.4, 0.4, 0.1, 0.1, (), (0.5,) * 16, (0.5,) * 16)
    return describe_scene(labels, colour, captioner.phrases)


def test_insects_spread_over_a_flower_close_up_name_the_flower_or_leaf(captioner):
    # heather read as butterflies and a bee: 0.67 for insects together, no species sure
    caption = _caption(captioner, cabbage_butterfly=0.41, bee=0.15, monarch=0.11)
    assert caption.startswith("a photo of a flower or leaf, close up, ")
    assert _caption(captioner, bee=0.9, daisy=0.05).startswith("a photo of a bee, ")
    assert _caption(captioner, bee=0.7).startswith("a picture in ")  # an insect needs 0.8


@pytest.mark.parametrize("classes", [{"stingray": 0.39, "wool": 0.08},
                                     {"coral_reef": 0.37, "brain_coral": 0.09}])
def test_textures_read_as_fish_or_reef_are_not_named_unless_sure(captioner, classes):
    assert _caption(captioner, **classes).startswith("a picture in ")
    sure = {name: 0.85 if p == max(classes.values()) else p for name, p in classes.items()}
    assert _caption(captioner, **sure).startswith("a photo of ")


def test_a_clear_daisy_keeps_its_name(captioner):
    assert _caption(captioner, daisy=0.33, mushroom=0.05, bee=0.05).startswith(
        "a photo of a flower, ")


def test_worn_garments_are_a_person_and_a_sock_is_not(captioner):
    # a portrait in uniform: gown, cap and uniform are each unsure, worn together sure
    worn = _caption(captioner, academic_gown=0.25, mortarboard=0.21, military_uniform=0.17)
    assert worn.startswith("a photo of a person, ")
    assert _caption(captioner, suit=0.9).startswith("a photo of a person, ")
    assert "person" not in _caption(captioner, sock=0.9)


def test_a_menu_needs_a_sure_classifier_and_is_no_food(captioner):
    # lit windows of tower blocks in rows read as a printed menu
    assert _caption(captioner, menu=0.45, steel_arch_bridge=0.1).startswith("a picture in ")
    assert _caption(captioner, menu=0.9).startswith("a photo of a menu, ")


def test_houses_the_classifier_cannot_tell_apart_are_a_building(captioner):
    caption = _caption(captioner, yurt=0.24, mobile_home=0.18, boathouse=0.12)
    assert caption.startswith("a photo of a building, ")
    assert "building" not in _caption(captioner, steel_arch_bridge=0.5, dam=0.2)


def test_skin_tones_yield_to_an_unsure_flower_and_edges_to_an_unsure_thing():
    def features(*names: str) -> Features:
        return Features(0.5, 0.3, 0.4, 0.4, 0.1, 0.1, (), (0.5,) * 16, (0.5,) * 16,
                        tuple(Cue(name, "") for name in names))

    pale_daisy = describe_scene((Label("flower", 0.29), Label("animal", 0.2)),
                                features("portrait"), {"flower": "a flower"})
    assert pale_daisy.startswith("a picture in ")  # petals, not a face
    face = describe_scene((Label("clothing", 0.29),), features("portrait"))
    assert face.startswith("a portrait of a person, ")
    street = describe_scene((Label("bus", 0.5), Label("truck", 0.3)), features("texture"))
    assert street.startswith("a picture in ")  # a busy street, not an abstract pattern
    brick = describe_scene((Label("maze", 0.2),), features("texture"))
    assert brick.startswith("an abstract texture, ")
