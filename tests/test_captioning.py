from __future__ import annotations

import numpy as np
import pytest
from conftest import skimage_photo
from PIL import Image, ImageDraw, ImageFont

from vistune.errors import InputError
from vistune.see.features import Features, analyze
from vistune.see.image import load_image
from vistune.see.labels import (
    CLEAR_SCORE,
    MIN_LABEL_SCORE,
    Captioner,
    Label,
    LabelCaptioner,
    describe_scene,
    group_labels,
    imagenet_groups,
)
from vistune.see.scenery import Cue


@pytest.fixture(scope="module")
def captioner():
    return LabelCaptioner()


# Real photographs shipped with scikit-image, and ImageNet classes that are right for them.
PHOTOS = {
    "chelsea": {"tabby cat", "tiger cat", "Egyptian cat"},
    "coffee": {"espresso", "cup", "coffee mug"},
    "rocket": {"missile", "projectile", "space shuttle"},
}


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_recognises_real_photographs(captioner, name):
    labels = captioner.classify(load_image(Image.fromarray(skimage_photo(name))))
    assert labels[0].name in PHOTOS[name], labels
    assert labels[0].score > 0.25
    assert [lb.score for lb in labels] == sorted([lb.score for lb in labels], reverse=True)


def test_caption_names_the_thing_and_the_light(captioner):
    description = captioner.describe(load_image(Image.fromarray(skimage_photo("chelsea"))))
    assert description.caption.startswith("a photo of a cat, in ")
    assert description.labels[0].name == "cat" and description.labels[0].score > 0.8
    assert description.captioner == "labels"
    assert isinstance(captioner, Captioner)


def test_class_names_are_readable(captioner):
    names = captioner.class_names
    assert len(names) == 1000
    assert names[281] == "tabby cat" and names[0] == "tench"
    assert not any(n.startswith("n0") for n in names)


def _features(**changes) -> Features:
    base = dict(brightness=0.6, contrast=0.3, saturation=0.2, colourfulness=0.2, warmth=0.3,
                edge_density=0.1, palette=(), profile=(0.5,) * 16, horizon=(0.5,) * 16)
    return Features(**{**base, **changes})


def test_unsure_classifier_names_nothing():
    caption = describe_scene((Label("candle", 0.08),), _features())
    assert caption.startswith("a picture in") and "candle" not in caption


def test_grey_pictures_need_a_surer_classifier():
    grey = _features(saturation=0.01)
    assert describe_scene((Label("animal", 0.6),), grey, {"animal": "an animal"}).startswith(
        "a picture in")
    assert "an animal" in describe_scene((Label("animal", 0.6),), _features(),
                                         {"animal": "an animal"})


GROUPS = imagenet_groups()
NAMES = LabelCaptioner().class_names


def _group_of(class_name: str) -> str | None:
    index = NAMES.index(class_name)
    return next((g.name for g in GROUPS if index in g.classes), None)


@pytest.mark.parametrize("class_name,group", [
    ("golden retriever", "dog"), ("Chihuahua", "dog"), ("Bernese mountain dog", "dog"),
    ("tabby cat", "cat"), ("goldfinch", "bird"), ("sports car", "car"), ("espresso", "drink"),
    ("violin", "musical instrument"), ("church", "building"), ("jersey", "clothing"),
    ("seashore", "landscape"), ("volcano", "landscape"), ("pizza", "food"), ("daisy", "flower")])
def test_wordnet_groups_gather_fine_classes(class_name, group):
    assert _group_of(class_name) == group


def test_groups_do_not_overlap_and_hold_the_dog_breeds():
    members = [i for g in GROUPS for i in g.classes]
    assert len(members) == len(set(members))
    dogs = next(g for g in GROUPS if g.name == "dog").classes
    assert len(dogs) >= 110 and NAMES.index("beagle") in dogs
    assert NAMES.index("tabby cat") not in dogs


def test_dog_breeds_sum_to_a_dog():
    probs = np.zeros(1000)
    for breed, p in (("beagle", 0.2), ("basset", 0.15), ("bloodhound", 0.1), ("tabby cat", 0.2)):
        probs[NAMES.index(breed)] = p
    labels = group_labels(probs, NAMES, GROUPS)
    assert labels[0] == Label("dog", 0.45) and labels[1] == Label("cat", 0.2)
    caption = describe_scene(labels, _features(), {g.name: g.phrase for g in GROUPS})
    assert caption.startswith("a photo of a dog, in ")


def test_two_likely_things_are_a_guess_and_name_neither():
    labels = (Label("insect", 0.45), Label("flower", 0.3))
    caption = describe_scene(labels, _features(), {"insect": "an insect", "flower": "a flower"})
    assert caption.startswith("a picture in ")
    sure = (Label("insect", 0.85), Label("flower", 0.1))
    assert "an insect" in describe_scene(sure, _features(), {"insect": "an insect"})


def test_a_confident_class_keeps_its_own_name_unless_the_group_adds_mass():
    probs = np.zeros(1000)
    probs[NAMES.index("espresso")], probs[NAMES.index("cup")] = 0.9, 0.02
    assert group_labels(probs, NAMES, GROUPS)[0] == Label("espresso", 0.92)  # "cup" is a drink
    probs = np.zeros(1000)
    for breed, p in (("beagle", 0.45), ("basset", 0.3)):
        probs[NAMES.index(breed)] = p
    assert group_labels(probs, NAMES, GROUPS)[0] == Label("dog", 0.75)  # neither is sure alone
    probs = np.zeros(1000)
    probs[NAMES.index("beagle")], probs[NAMES.index("basset")] = 0.62, 0.3
    assert group_labels(probs, NAMES, GROUPS)[0] == Label("dog", 0.92)  # the breeds add mass


def test_a_class_named_alone_is_judged_as_its_group(captioner):
    labels = (Label("espresso", 0.45), Label("plate", 0.1))
    assert "an espresso" in describe_scene(labels, _features(), captioner.phrases)


def test_a_landscape_keeps_its_own_name_when_one_class_leads():
    probs = np.zeros(1000)
    probs[NAMES.index("seashore")], probs[NAMES.index("sandbar")] = 0.5, 0.1
    assert group_labels(probs, NAMES, GROUPS)[0] == Label("seashore", 0.6)


def test_unknown_variant_is_a_clear_error():
    with pytest.raises(InputError, match="lite0, lite1, lite2"):
        LabelCaptioner(variant="lite9")


def _cues(image: Image.Image) -> list[str]:
    return [c.name for c in analyze(load_image(image)).cues]


def test_sunset_gradient_reads_as_a_sunset_sky():
    h, w = 240, 320
    fade = 1 - 0.4 * np.linspace(0, 1, h // 2)[:, None, None]
    sky = np.broadcast_to(np.array([250.0, 150.0, 60.0]) * fade, (h // 2, w, 3))
    pixels = np.concatenate([sky, np.full((h - h // 2, w, 3), 40.0)]).astype(np.uint8)
    assert _cues(Image.fromarray(pixels)) == ["sunset sky"]


def test_printed_page_reads_as_text():
    page = Image.new("RGB", (480, 360), (235, 232, 225))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=22)
    for row in range(9):
        draw.text((24, 20 + 36 * row), "The quick brown fox jumps over the lazy dog",
                  fill=(30, 30, 30), font=font)
    assert _cues(page) == ["page of text"]
    caption = describe_scene((Label("crossword puzzle", 0.9),), analyze(load_image(page)))
    assert caption.startswith("a page of text, in ")  # the pixels overrule the label


def test_scattered_points_on_black_are_stars_and_flat_grey_is_nothing():
    pixels = np.zeros((240, 320, 3), np.uint8)
    rng = np.random.default_rng(0)
    pixels[rng.integers(0, 240, 300), rng.integers(0, 320, 300)] = 255
    assert _cues(Image.fromarray(pixels)) == ["stars"]
    assert _cues(Image.new("RGB", (200, 150), (128, 128, 128))) == []


@pytest.mark.parametrize("name,cue", [("page", "page of text"), ("hubble_deep_field", "stars"),
                                      ("astronaut", "portrait")])
def test_cues_on_real_photographs(name, cue):
    assert cue in _cues(Image.fromarray(skimage_photo(name)))


def test_a_cue_and_a_thing_make_one_caption():
    night = _features(cues=(Cue("night sky", "80% of the upper part is dark blue"),))
    caption = describe_scene((Label("rocket", 0.6),), night, {"rocket": "a rocket"})
    assert caption.startswith("a photo of a rocket under a night sky, in ")


def test_labels_below_the_threshold_name_only_a_clear_leader():
    for score in (0.01, CLEAR_SCORE - 0.01):
        caption = describe_scene((Label("dog", score),), _features(), {"dog": "a dog"})
        assert "dog" not in caption
    leader = (Label("flower", MIN_LABEL_SCORE - 0.05), Label("insect", 0.1))
    assert "a flower" in describe_scene(leader, _features(), {"flower": "a flower"})
    rival = (Label("flower", MIN_LABEL_SCORE - 0.05), Label("insect", 0.2))
    assert "flower" not in describe_scene(rival, _features(), {"flower": "a flower"})
    assert "flower" not in describe_scene(leader, _features(saturation=0.01),
                                          {"flower": "a flower"})  # not in a grey picture


def test_articles():
    assert "an espresso" in describe_scene((Label("espresso", 0.9),), _features())
