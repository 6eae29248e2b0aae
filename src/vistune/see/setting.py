"""Indoors or outdoors: the setting read from pixel cues and the classifier's grouped things."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .classifier import Group
from .features import Features
from .naming import MIN_LABEL_SCORE
from .scenery import Cue

#: Pixel cues that put a picture outdoors (stars are left out: a telescope's picture is no
#: place one stands in).
OUTDOOR_CUES = ("blue sky", "sunset sky", "night sky", "foliage", "snow", "water")
#: Groups of things that stand outdoors, and of things seen indoors; their summed probability
#: must reach MIN_LABEL_SCORE. Cars and motorcycles are left out: showrooms and studios.
OUTDOOR_GROUPS = ("landscape", "building", "bridge", "tower", "fence", "bus", "train", "boat")
INDOOR_GROUPS = ("furniture", "shop", "room")
#: Pixel cues of things that are never indoors. When the classifier gives indoor things
#: (INDOOR_GROUPS) at least MIN_LABEL_SCORE, the pixels that look like them are a striped rug
#: ("water"), a painted wall or a white bedspread: the cues are dropped. (Foliage stays:
#: rooms have plants.)
NEVER_INDOORS = ("blue sky", "sunset sky", "night sky", "snow", "water")


def _group_sums(probs: np.ndarray, groups: tuple[Group, ...],
                names: tuple[str, ...]) -> dict[str, float]:
    """Each of the groups ``names`` with its summed probability."""
    return {g.name: float(probs[list(g.classes)].sum()) for g in groups if g.name in names}


def drop_outdoor_cues(probs: np.ndarray, groups: tuple[Group, ...],
                      features: Features) -> Features:
    """``features`` without its NEVER_INDOORS cues when the classifier sees a room."""
    if sum(_group_sums(probs, groups, INDOOR_GROUPS).values()) < MIN_LABEL_SCORE:
        return features
    return replace(features, cues=tuple(c for c in features.cues
                                        if c.name not in NEVER_INDOORS))


def read_setting(probs: np.ndarray, groups: tuple[Group, ...],
                 features: Features) -> Cue | None:
    """"outdoors" or "indoors" with the evidence, or None when neither is clear.

    Outdoors: a sky, foliage, snow or water in the pixels, or things that stand outside
    (buildings, landscapes, bridges, boats...) at least MIN_LABEL_SCORE likely together.
    Indoors: furniture or a shop's interior at least that likely. No pixel rule tells a room
    from a street well enough, so most pictures without these get no setting.
    """
    for cue in features.cues:
        if cue.name in OUTDOOR_CUES:
            return Cue("outdoors", f"the pixels show {cue.name} ({cue.evidence})")
    totals = {kind: _group_sums(probs, groups, names)
              for kind, names in (("outdoors", OUTDOOR_GROUPS), ("indoors", INDOOR_GROUPS))}
    kind, parts = max(totals.items(), key=lambda item: sum(item[1].values()))
    total = sum(parts.values())
    if total < MIN_LABEL_SCORE:
        return None
    named = " + ".join(f"{name} {score:.0%}" for name, score in
                       sorted(parts.items(), key=lambda item: -item[1]) if score >= 0.01)
    return Cue(kind, f"the classifier gives things seen {kind} {total:.0%} ({named})")
