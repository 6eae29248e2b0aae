"""Shared fixtures. The tests never reach a model hub: HF_HUB_OFFLINE is set for the session."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
# MusicGen's decoder runs in PyTorch unless a test asks for OpenVINO (tests/test_openvino.py):
# the parity tests compare it with transformers' own generate().
os.environ["VISTUNE_BACKEND"] = "torch"

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def offline_pipe():
    """One offline pipeline for the whole run: the classifier loads once."""
    from vistune import ImageToMusic

    return ImageToMusic(engine="composer", captioner="labels", offline=True)


@pytest.fixture(scope="session")
def forest_description(offline_pipe):
    return offline_pipe.describe(EXAMPLES / "forest.jpg")


@pytest.fixture(scope="session")
def short_result(offline_pipe):
    """A 6-second piece from the forest example, seed 3."""
    return offline_pipe(EXAMPLES / "forest.jpg", duration=6, seed=3)


def skimage_photo(name: str) -> np.ndarray:
    """A real photograph shipped inside scikit-image (used only in tests)."""
    from skimage import data

    return getattr(data, name)()
