from __future__ import annotations

import pytest
from conftest import skimage_photo
from PIL import Image

from vistune.captioning import Captioner, Label, LabelCaptioner, describe_scene
from vistune.features import Features
from vistune.image import load_image


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
    assert description.caption.startswith("a photo of a ")
    assert "cat" in description.caption and "light" in description.caption
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


def test_two_close_labels_are_both_named():
    caption = describe_scene((Label("seashore", 0.4), Label("lakeside", 0.35)), _features())
    assert "a seashore or a lakeside" in caption


def test_articles():
    assert "an espresso" in describe_scene((Label("espresso", 0.9),), _features())
