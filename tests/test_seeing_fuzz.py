"""The seeing code under synthetic pictures: constant, gradients, stripes, checkerboards, noise,
1 px high or wide, transparent. Every picture is measured and described, or refused with a
VisTuneError; none raises anything else."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from vistune import VisTuneError, load_image, make_brief
from vistune.see.features import analyze
from vistune.see.labels import Description

MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pattern(kind: str, width: int, height: int, period: int, colours: tuple) -> np.ndarray:
    """A (height, width, 3) uint8 picture of one kind."""
    y, x = np.mgrid[0:height, 0:width]
    a, b = (np.array(c, dtype=np.float32) for c in colours)
    share = {
        "constant": np.zeros((height, width)),
        "vertical gradient": y / max(height - 1, 1),
        "horizontal gradient": x / max(width - 1, 1),
        "diagonal gradient": (x + y) / max(width + height - 2, 1),
        "horizontal stripes": (y // period) % 2,
        "vertical stripes": (x // period) % 2,
        "checkerboard": ((x // period) + (y // period)) % 2,
        "noise": np.random.default_rng(period).random((height, width)),
    }[kind].astype(np.float32)
    return (a + (b - a) * share[..., None]).round().clip(0, 255).astype(np.uint8)


KINDS = ["constant", "vertical gradient", "horizontal gradient", "diagonal gradient",
         "horizontal stripes", "vertical stripes", "checkerboard", "noise"]
colour = st.tuples(*[st.integers(0, 255)] * 3)


def _png(array: np.ndarray, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


@MANY
@given(kind=st.sampled_from(KINDS), width=st.integers(1, 400), height=st.integers(1, 400),
       period=st.integers(1, 64), colours=st.tuples(colour, colour),
       mode=st.sampled_from(["RGB", "L", "RGBA", "P", "1"]))
def test_every_synthetic_picture_is_measured_and_briefed(kind, width, height, period, colours,
                                                         mode):
    picture = load_image(_png(_pattern(kind, width, height, period, colours), mode))
    features = analyze(picture)
    assert 0 <= features.brightness <= 1 and len(features.profile) == 16
    brief = make_brief(Description("a test picture", (), features, "test"))
    assert 30 <= brief.tempo <= 240


@pytest.mark.parametrize("size", [(640, 400), (1, 300), (300, 1), (1, 1), (2, 2), (8000, 3)])
@pytest.mark.parametrize("kind", KINDS)
def test_named_patterns_at_awkward_sizes(kind, size):
    picture = load_image(_png(_pattern(kind, *size, period=3, colours=((0, 0, 0),
                                                                         (255, 255, 255)))))
    assert analyze(picture).brightness >= 0


def test_a_plain_gradient_is_not_water():
    """The issue's reproduction: a horizontal band gradient divided by zero in scenery."""
    gradient = Image.linear_gradient("L").resize((640, 400))
    buffer = io.BytesIO()
    gradient.save(buffer, format="PNG")
    features = analyze(load_image(buffer.getvalue()))
    assert "water" not in [cue.name for cue in features.cues]


def test_a_transparent_picture_is_measured_or_refused():
    clear = np.zeros((50, 80, 4), np.uint8)  # alpha only: every pixel transparent
    try:
        features = analyze(load_image(_png(clear, "RGBA")))
    except VisTuneError as error:
        assert "\n" not in str(error)
    else:
        assert 0 <= features.brightness <= 1
