from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vistune.see.features import PROFILE_POINTS, analyze, colour_name
from vistune.see.image import load_image


def _features(image: Image.Image):
    return analyze(load_image(image))


def _solid(rgb) -> Image.Image:
    return Image.new("RGB", (64, 48), rgb)


def test_brightness_orders_dark_to_light():
    values = [_features(_solid((v, v, v))).brightness for v in (10, 120, 240)]
    assert values == sorted(values) and values[0] < 0.1 and values[-1] > 0.9


def test_saturation_and_colourfulness_rise_with_colour():
    grey, vivid = _features(_solid((128, 128, 128))), _features(_solid((230, 40, 40)))
    assert grey.saturation < 0.01 < 0.7 < vivid.saturation
    stripes = np.zeros((48, 64, 3), np.uint8)
    stripes[:, ::2] = (255, 0, 0)
    stripes[:, 1::2] = (0, 0, 255)
    assert _features(Image.fromarray(stripes)).colourfulness > grey.colourfulness + 0.5


def test_warmth_sign():
    assert _features(_solid((230, 120, 40))).warmth > 0.3
    assert _features(_solid((40, 100, 220))).warmth < -0.3


def test_edge_density_rises_with_busy_texture():
    rng = np.random.default_rng(0)
    noise = Image.fromarray((rng.random((200, 200, 3)) * 255).astype(np.uint8))
    assert _features(noise).edge_density > 0.5 > _features(_solid((90, 90, 90))).edge_density


def test_contrast_of_black_and_white_halves():
    half = np.zeros((50, 100, 3), np.uint8)
    half[:, 50:] = 255
    assert _features(Image.fromarray(half)).contrast > 0.9


def test_profile_and_horizon_follow_the_picture():
    # Sky above a horizon that rises from left (low) to right (high).
    h, w = 200, 320
    rows = np.arange(h)[:, None]
    line = (0.8 * h - 0.6 * h * np.arange(w) / w)[None, :]
    pixels = np.where(rows < line, 230, 30).astype(np.uint8)
    features = _features(Image.fromarray(np.stack([pixels] * 3, -1)))
    assert len(features.horizon) == len(features.profile) == PROFILE_POINTS
    assert features.horizon[-1] > features.horizon[0] + 0.4
    assert features.profile[0] > features.profile[-1]  # more sky on the left


def test_palette_names_and_shares():
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, :30] = (20, 60, 200)
    image[:, 30:] = (250, 250, 250)
    palette = _features(Image.fromarray(image)).palette
    assert palette[0].name == "blue" and palette[0].share == pytest.approx(0.75, abs=0.02)
    assert "white" in [s.name for s in palette]
    assert sum(s.share for s in palette) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("rgb,name", [((200, 30, 30), "red"), ((20, 40, 90), "dark blue"),
                                      ((240, 240, 240), "white"), ((10, 10, 10), "black"),
                                      ((120, 70, 20), "brown"), ((30, 160, 60), "green"),
                                      ((250, 200, 220), "pale pink")])
def test_colour_names(rgb, name):
    assert colour_name(rgb) == name


@pytest.mark.parametrize("size", [(1, 1), (8000, 3), (3, 500)])
def test_odd_shapes_work(size):
    features = _features(Image.new("RGB", size, (100, 150, 200)))
    assert len(features.profile) == PROFILE_POINTS and 0 <= features.brightness <= 1


def test_summary_words():
    assert _features(_solid((240, 200, 150))).summary().startswith("warm, bright light")
