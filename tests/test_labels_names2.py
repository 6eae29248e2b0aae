"""Names that stay true on photos the rules were not written against (issue 24, item 4, round
2): no person from skin colour alone, stars only as many scattered points, a sunset sky only
across the frame's width, no clear lead for a class no group holds, group words for classes
that stand for a family of look-alikes, and pixel patterns that yield to a confident thing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vistune.see.features import Features, analyze
from vistune.see.image import load_image
from vistune.see.labels import (
    Label,
    LabelCaptioner,
    describe_scene,
    drop_outdoor_cues,
    group_labels,
    read_setting,
)
from vistune.see.scenery import Cue

RNG = np.random.default_rng(242)


def _cues(pixels: np.ndarray) -> list[str]:
    return [c.name for c in analyze(load_image(Image.fromarray(pixels))).cues]


def _features(*cues: str) -> Features:
    return Features(0.5, 0.3, 0.4, 0.4, 0.1, 0.1, (), (0.5,) * 16, (0.5,) * 16,
                    tuple(Cue(name, "") for name in cues))


@pytest.fixture(scope="module")
def captioner() -> LabelCaptioner:
    return LabelCaptioner()


def _caption(captioner: LabelCaptioner, **classes: float) -> str:
    probs = np.zeros(1000)
    for name, p in classes.items():
        probs[captioner.class_names.index(name.replace("_", " "))] = p
    labels = group_labels(probs, captioner.class_names, captioner.caption_groups)
    return describe_scene(labels, _features(), captioner.phrases)


def test_skin_tones_name_a_person_only_when_the_classifier_sees_people():
    # a low sun in mist: warm hues in the upper centre, the classifier sees a landscape
    meadow = describe_scene((Label("landscape", 0.29), Label("building", 0.24)),
                            _features("portrait"), {"landscape": "a landscape"})
    assert meadow.startswith("a picture in ")
    suits = describe_scene((Label("person", 0.45), Label("musical instrument", 0.15)),
                           _features("portrait"), {"person": "a person"})
    assert suits.startswith("a portrait of a person, ")
    helmet = describe_scene((Label("vehicle", 0.19), Label("clothing", 0.18)),
                            _features("portrait"), {"clothing": "clothes"})
    assert helmet.startswith("a portrait of a person, ")  # an astronaut: worn gear


def _black(points: int, where: slice = slice(None)) -> np.ndarray:
    sky = np.zeros((400, 400, 3), np.uint8)
    columns = np.arange(400)[where]
    for y, x in zip(RNG.integers(0, 398, points), RNG.choice(columns[:-2], points),
                    strict=True):
        sky[y:y + 2, x:x + 2] = 255
    return sky


def test_stars_are_many_points_scattered_over_the_sky():
    assert "stars" in _cues(_black(200))
    eyes = np.zeros((400, 400, 3), np.uint8)
    eyes[150:175, 120:150] = eyes[150:175, 250:280] = (120, 230, 90)  # a black cat's eyes
    assert "stars" not in _cues(eyes)
    assert "stars" not in _cues(_black(60, slice(0, 100)))  # lamps along one side of a room


def _warm_upper(width_share: float) -> np.ndarray:
    """A smooth warm upper half over a dark lower half; outside the middle ``width_share`` of
    the frame the upper half is turquoise (a pink drink held close against a blurred room)."""
    pixels = np.zeros((300, 400, 3), np.uint8)
    pixels[:150] = (60, 180, 170)
    side = int(400 * (1 - width_share) / 2)
    pixels[:150, side:400 - side] = (240, 120, 150)
    pixels[150:] = (30, 25, 30)
    return pixels


def test_a_sunset_sky_spans_the_width_of_the_frame():
    assert "sunset sky" in _cues(_warm_upper(1.0))
    assert "sunset sky" not in _cues(_warm_upper(0.7))


def test_a_clear_lead_names_only_a_grouped_thing(captioner):
    # a close-up glass: "pop bottle" leads the ungrouped "beer glass", but is a weak 37%
    assert _caption(captioner, pop_bottle=0.37, beer_glass=0.14).startswith("a picture in ")
    assert _caption(captioner, pop_bottle=0.65, beer_glass=0.14).startswith(
        "a photo of a pop bottle, ")


def test_a_sofa_bed_is_furniture_and_a_restaurant_a_room(captioner):
    assert _caption(captioner, studio_couch=0.69, quilt=0.21).startswith("a photo of furniture, ")
    # ImageNet photographs restaurants, libraries, home theaters from inside: a room, indoors
    assert _caption(captioner, restaurant=0.5, church=0.05).startswith("a photo of a room, ")
    assert _caption(captioner, restaurant=0.7).startswith("a photo of a restaurant, ")
    probs = np.zeros(1000)
    probs[captioner.class_names.index("restaurant")] = 0.5
    assert read_setting(probs, captioner.caption_groups, _features()).name == "indoors"


def test_a_shop_and_a_building_do_not_compete(captioner):
    cafe = _caption(captioner, bakery=0.17, tobacco_shop=0.16, bookshop=0.06, cinema=0.16,
                    church=0.09)
    assert cafe.startswith("a photo of a shop, ")
    assert _caption(captioner, bakery=0.17, tobacco_shop=0.16, bookshop=0.06,
                    soup_bowl=0.16).startswith("a picture in ")


def test_a_page_of_text_yields_to_a_confident_thing():
    quilt = describe_scene((Label("furniture", 0.76), Label("quilt", 0.2)),
                           _features("page of text"), {"furniture": "furniture"})
    assert quilt.startswith("a photo of furniture, ")
    page = describe_scene((Label("maze", 0.48), Label("crossword puzzle", 0.1)),
                          _features("page of text"))
    assert page.startswith("a page of text, ")


def test_sky_water_and_snow_are_dropped_in_a_room(captioner):
    probs = np.zeros(1000)
    names = captioner.class_names
    rug = _features("water", "foliage")
    probs[names.index("studio couch")] = 0.5  # a sofa on a striped rug, a plant beside it
    kept = drop_outdoor_cues(probs, captioner.groups, rug)
    assert [c.name for c in kept.cues] == ["foliage"]
    probs[names.index("studio couch")], probs[names.index("canoe")] = 0.1, 0.5
    assert drop_outdoor_cues(probs, captioner.groups, rug) == rug


def test_edges_everywhere_in_one_colour_are_a_texture_and_in_several_a_busy_scene():
    grain = RNG.uniform(0.4, 1.0, (300, 400, 1))
    assert "texture" in _cues((grain * (200, 190, 170)).astype(np.uint8))  # gravel
    scene = grain * np.where(np.arange(400)[None, :, None] < 200, (230, 120, 160), (60, 170, 70))
    assert "texture" not in _cues(scene.astype(np.uint8))  # pink walls beside green ferns


def test_a_clear_lead_of_a_catch_all_group_is_not_enough(captioner):
    # an astronaut in the dark: bobsled, golf cart and forklift add up to "vehicle"
    gear = _caption(captioner, bobsled=0.2, golfcart=0.1, forklift=0.06, football_helmet=0.1)
    assert gear.startswith("a picture in ")
    assert _caption(captioner, bobsled=0.3, golfcart=0.15, forklift=0.06).startswith(
        "a photo of a vehicle, ")
