"""Scene cues read from the pixels alone: sky and its colours, stars, water, foliage, snow, a
portrait, a page of text, an abstract texture, and the pictures science and collections make:
a retina seen by a fundus camera, stained tissue and glowing cells under a microscope, coins.

Each cue is a plain rule on a small thumbnail (numpy only), and carries the measurement that fired
it, so a caption or a "why" can quote it. The rules are ours, tuned on real photographs (see
benchmarks/bench_seeing.py); they say less rather than guess: a cue fires only on clear evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class Cue:
    """One thing the pixels show, and the measurement behind it."""

    name: str
    evidence: str


def scene_cues(rgb: np.ndarray, luma: np.ndarray, edges: np.ndarray) -> tuple[Cue, ...]:
    """Cues for an (H, W, 3) 0..1 image, its luminance and its edge map (booleans).

    >>> sky = np.zeros((64, 64, 3), np.float32); sky[..., 0] = 1.0; sky[..., 1] = 0.5
    >>> sky[32:] = 0.1
    >>> [c.name for c in scene_cues(sky, sky @ [0.2126, 0.7152, 0.0722], np.zeros((64, 64), bool))]
    ['sunset sky']
    """
    hue, sat, val = _hsv(rgb)
    top = slice(0, max(1, rgb.shape[0] * 2 // 5))
    bottom = slice(rgb.shape[0] * 3 // 5, None)
    discs = _discs(luma, edges, sat)
    cues = [cue for cue in (_page(luma, sat), _retina(hue, sat, val), _cells(discs),
                            _coins(discs), _tissue(hue, sat, val, edges),
                            _portrait(rgb, sat), _stars(luma),
                            _sky(hue[top], sat[top], val[top], edges[top], hue[bottom],
                                 sat[bottom], val[bottom]),
                            _water(luma[bottom], luma[top], sat[bottom]),
                            _foliage(hue, sat, val), _snow(sat, val, edges, luma),
                            _texture(edges, rgb)) if cue]
    names = {c.name for c in cues}
    for cue, hides in _HIDES.items():
        if cue in names:
            cues = [c for c in cues if c.name not in hides]
    return tuple(cues)


#: A cue that explains the pixels others also match: paper and ink look like snow and texture,
#: glowing cells like stars, a fundus photo's black corners like a night sky, rows of coins like
#: ripples.
_HIDES = {"page of text": ("snow", "texture"), "stars": ("texture",),
          "cells": ("stars", "texture", "night sky"), "retina": ("sunset sky", "night sky"),
          "coins": ("texture", "stars", "water"), "stained tissue": ("texture", "portrait")}


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in degrees, saturation and value, all arrays shaped like the image."""
    high, low = rgb.max(axis=2), rgb.min(axis=2)
    span = np.maximum(high - low, 1e-6)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.select([high == r, high == g], [(g - b) / span % 6, (b - r) / span + 2],
                    (r - g) / span + 4) * 60.0
    sat = np.where(high > 0, (high - low) / np.maximum(high, 1e-6), 0.0)
    return hue, sat, high


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


#: Below this median saturation a part of the picture is grey: a road, a wall, a grey ground or
#: an overcast backdrop. Grey ripples are texture alone (asphalt, blur, streaks), not water.
GREY = 0.12


def _sky(hue, sat, val, edges, lower_hue, lower_sat, lower_val) -> Cue | None:
    """A smooth upper part: blue (day), warm (sunset or dawn) or dark blue/black (night). A blue
    sky stands above something else and is clearly blue: a picture that is one smooth colour
    all over (a backdrop, a grey ground under a close-up) shows none, nor does a greyish blue
    (median saturation under twice GREY)."""
    # A sky is smooth: wood, skin and leaves have edges, and streaks of motion blur change the
    # light by more than 1% of full scale per pixel from one row to the next.
    if _share(edges) > 0.04 or float(np.abs(np.diff(val, axis=0)).mean()) > 0.01:
        return None
    orange = ((hue < 50) | (hue > 320)) & (sat > 0.35) & (val > 0.35)
    warm = _share(orange)
    blue = _share(_blue_hue(hue, sat) & (val > 0.45))
    night = _share((val < 0.35) & (hue > 200) & (hue < 260) & (sat > 0.2))
    # A sky stretches from edge to edge above the horizon; a pink drink or a warm lamp held
    # close fills the middle of the frame with other colours beside it, so nearly every
    # column of the upper part must be warm too.
    wide = _share(orange.mean(axis=0) >= 0.25)
    if warm > 0.5 and wide >= 0.9:
        return Cue("sunset sky", f"{warm:.0%} of the upper part is orange, red or pink")
    one_colour = (abs(float(np.median(sat)) - float(np.median(lower_sat))) < 0.1
                  and abs(float(np.median(val)) - float(np.median(lower_val))) < 0.1)
    # A sky is at the top of a picture, above something of another colour: a picture blue
    # all over, darker or not below (a misty lake at twilight, a kite's sky filling the frame),
    # shows a blue light, not a sky over a place.
    blue_below = _share(_blue_hue(lower_hue, lower_sat))
    if (blue > 0.5 and not one_colour and float(np.median(sat)) >= 2 * GREY
            and blue_below < BLUE_BELOW):
        return Cue("blue sky", f"{blue:.0%} of the upper part is sky blue")
    if night > 0.6:
        return Cue("night sky", f"{night:.0%} of the upper part is dark blue")
    return None


#: A blue sky needs less than this share of blue (at any brightness) in the lower part.
BLUE_BELOW = 0.5


def _blue_hue(hue, sat) -> np.ndarray:
    """Where pixels have a sky's hue, light or dark."""
    return (hue > 190) & (hue < 250) & (sat > 0.2)


def _streaks(luma) -> tuple[float, float, float]:
    """Summed light changes from row to row (across streaks), from column to column, and the
    net change from top to bottom (as large as the first for a smooth gradient, small for
    streaks, whose changes cancel out)."""
    gy, gx = np.gradient(luma)
    return float(np.abs(gy).sum()), float(np.abs(gx).sum()), float(np.abs(gy.sum(axis=0)).sum())


def _water(luma, upper, sat) -> Cue | None:
    """Ripples and reflections: light changes in the lower part run across, not up and down;
    unless the upper part is streaked alike (motion blur streaks the whole picture) or the lower
    part is grey (water takes the sky's colour; grey streaks are a road or a blur)."""
    if float(np.median(sat)) < GREY:
        return None
    across, along, net = _streaks(luma)
    upper_across, upper_along, upper_net = _streaks(upper)
    blurred = (upper_across > 0.002 * upper.size and upper_across > 2.0 * upper_along
               and upper_net < 0.5 * upper_across)
    # Ripples go up and down and cancel out; a smooth gradient or a flat band changes one way
    # only, and rows that are each one flat colour (a striped flag) are drawn, not water.
    rippled = net < 0.5 * across and along > 0
    if across > 0.002 * luma.size and across > 2.0 * along and rippled and not blurred:
        return Cue("water", f"the lower part's light changes {across / along:.1f} times more "
                            "from top to bottom than across: ripples and reflections")
    return None


#: A star field shows at least this many separate points of light...
MIN_STARS = 20
#: ...none of which holds more than this share of the light: a black cat's eyes, a lamp or a
#: lit window in the dark are a few large patches, not many points.
MAX_STAR_SHARE = 0.25


def _stars(luma) -> Cue | None:
    """Many small, separate bright points scattered over a black background: not gathered in
    its lower part (the lit windows of a town at night are), and spread over at least three
    quarters of its upper half (a sky has stars everywhere; a dim room's lamps stand in a few
    places)."""
    dark = _share(luma < 0.15)
    bright = luma > 0.45
    points = _share(bright)
    lower = _share(bright[luma.shape[0] // 2:]) / max(points, 1e-9) / 2
    if not (dark > 0.75 and 0.0005 < points < 0.03 and lower < 0.7):
        return None
    marks, count = ndimage.label(bright)
    if count < MIN_STARS or np.bincount(marks.ravel())[1:].max() > MAX_STAR_SHARE * bright.sum():
        return None
    upper = bright[:bright.shape[0] // 2]
    spread = np.mean([part.any() for rows in np.array_split(upper, 2, axis=0)
                      for part in np.array_split(rows, 4, axis=1)])
    if spread < 0.75:
        return None
    return Cue("stars", f"{dark:.0%} of the picture is black, with {points:.1%} bright points")


def _foliage(hue, sat, val) -> Cue | None:
    green = _share((hue > 70) & (hue < 170) & (sat > 0.25) & (val > 0.15))
    if green > 0.4:
        return Cue("foliage", f"{green:.0%} of the picture is green")
    return None


def _snow(sat, val, edges, luma) -> Cue | None:
    """Snow on the ground: the lower part is mostly smooth white, at least as white as the upper
    part, and shaded rather than flat.

    Bright, colourless pixels alone are no snow: frost on a window, an overcast sky or a lit
    backdrop are white at the top (snow lies on the ground, so a real snowfield is whiter below
    than above), and paper, a drawing's empty ground or a blown-out sky are one flat fill,
    while sun and shadow give snow a gentle shading everywhere.
    """
    white = (sat < 0.1) & (val > 0.8)
    lower, upper = white[white.shape[0] * 3 // 5:], white[:white.shape[0] * 2 // 5]
    if _share(lower) < 0.5 or _share(upper) > _share(lower) or _share(edges) >= 0.06:
        return None
    # Flat: no change at all between neighbours (a 1/255 step is already shading).
    flat = _share(np.abs(ndimage.laplace(luma))[white] < 0.002)
    if flat > 0.5:
        return None
    return Cue("snow", f"{_share(lower):.0%} of the lower part is smooth, shaded white")


def _page(luma, sat) -> Cue | None:
    """Grey paper with dark ink in lines: ink is darker than the paper around it (so uneven
    lighting does not matter), falls into many small marks, and rows alternate between inked
    and blank."""
    paper = ndimage.uniform_filter(ndimage.maximum_filter(luma, size=9), size=9)
    ink = luma < paper - 0.2
    if (_share(paper > 0.35) < 0.9 or float(np.median(sat)) > 0.15
            or not 0.03 < _share(ink) < 0.25):
        return None
    # Text is many small marks (letters, words), none holding much of the ink; a road, a tree
    # line or a shadow on a grey photograph is one large dark blot.
    marks, count = ndimage.label(ink, structure=np.ones((3, 3)))
    if count == 0 or np.bincount(marks.ravel())[1:].max() > 0.25 * np.count_nonzero(ink):
        return None
    rows = ink.mean(axis=1)
    inked = rows > max(0.5 * rows.mean(), 0.01)
    lines = int(np.count_nonzero(np.diff(inked.astype(np.int8)) == 1))
    if lines >= 5:
        return Cue("page of text", f"dark marks on {_share(ink):.0%} of a pale, colourless "
                                   f"page, in {lines} lines")
    return None


def _portrait(rgb, sat) -> Cue | None:
    """Skin tones (YCbCr skin box of Chai & Ngan 1999, less saturated than petals or crema)
    gathered in the upper centre."""
    r, g, b = (rgb[..., i] * 255.0 for i in range(3))
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    skin = (cb > 77) & (cb < 127) & (cr > 133) & (cr < 173) & (r > 60) & (sat < 0.5)
    h, w = skin.shape
    face = skin[h // 10:h * 11 // 20, w // 4:w * 3 // 4]
    centre, overall = _share(face), _share(skin)
    if centre > 0.3 and overall < 0.3 and centre > 1.5 * overall:
        return Cue("portrait", f"skin tones fill {centre:.0%} of the upper centre "
                               f"and {overall:.0%} of the whole")
    return None


#: A surface or pattern is one material: the mean chromaticity of its sixteenths varies by less
#: than this (summed standard deviation of r, g, b shares). Frost, brick, gravel and grass stay
#: well under it; a busy scene (a café's pink walls and green ferns, people round a table)
#: has edges everywhere too, but areas of different colours.
MAX_TEXTURE_TINTS = 0.05


def _sixteenths(values: np.ndarray) -> list[np.ndarray]:
    """The picture cut into 4 x 4 parts."""
    return [block for rows in np.array_split(values, 4, axis=0)
            for block in np.array_split(rows, 4, axis=1)]


def _texture(edges, rgb) -> Cue | None:
    """Edges everywhere and evenly, in one colour: a surface or pattern rather than a subject
    or a busy scene."""
    blocks = np.array([block.mean() for block in _sixteenths(edges)])
    shares = rgb / np.maximum(rgb.sum(axis=2, keepdims=True), 1e-3)
    tints = float(np.array([part.reshape(-1, 3).mean(axis=0) for part in _sixteenths(shares)])
                  .std(axis=0).sum())
    if (blocks.min() > 0.15 and blocks.std() < 0.35 * blocks.mean()
            and tints < MAX_TEXTURE_TINTS):
        return Cue("texture", f"edges cover {blocks.mean():.0%} of the picture, evenly "
                              f"(every sixteenth has at least {blocks.min():.0%})")
    return None


def _retina(hue, sat, val) -> Cue | None:
    """A fundus camera's picture: a round red-orange field with black corners."""
    h, w = val.shape
    rows, cols = np.mgrid[:h, :w]
    radius = np.hypot((rows - h / 2) / (h / 2), (cols - w / 2) / (w / 2))
    corners = radius > 1.2
    field = radius < 0.8
    black = _share(val[corners] < 0.1)
    red = _share(((hue[field] < 45) | (hue[field] > 330)) & (sat[field] > 0.4)
                 & (val[field] > 0.25))
    if black > 0.9 and red > 0.8:
        return Cue("retina", f"a round field, {red:.0%} red-orange, with {black:.0%} black "
                             "corners: how a fundus camera sees the back of an eye")
    return None


@dataclass(frozen=True)
class _Discs:
    """Round patches lighter than the picture's median: their areas (shares of the picture),
    their share of all the lighter pixels, and the mean edge density and saturation inside."""

    areas: np.ndarray
    of_light: float
    inner_edges: float
    inner_saturation: float
    median_light: float


def _discs(luma, edges, sat) -> _Discs:
    """Round, separate patches lighter than the median by 0.04, each at least 0.1% of the
    picture: filled like a disc (60-95% of their box), nearly square boxes, clear of the border.
    """
    median = float(np.median(luma))
    light = ndimage.gaussian_filter(luma, 1.0) > median + 0.04
    labels, count = ndimage.label(light)
    h, w = luma.shape
    keep = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
        area = int(np.count_nonzero(labels[box] == index))
        if (area >= max(12, 0.001 * h * w) and 0.6 < area / (height * width) < 0.95
                and min(height, width) > 0.7 * max(height, width)
                and box[0].start > 0 and box[1].start > 0 and box[0].stop < h
                and box[1].stop < w):
            keep.append(index)
    inside = np.isin(labels, keep)
    core = ndimage.binary_erosion(inside, iterations=3)  # away from the rims' own edges
    areas = np.bincount(labels[inside], minlength=count + 1)[keep] / (h * w)
    return _Discs(areas=areas, of_light=_share(inside[light]) if light.any() else 0.0,
                  inner_edges=float(edges[core].mean()) if core.any() else 0.0,
                  inner_saturation=float(sat[inside].mean()) if inside.any() else 0.0,
                  median_light=median)


def _similar(areas: np.ndarray) -> bool:
    return areas.size > 0 and float(areas.std()) < 0.6 * float(areas.mean())


def _cells(discs: _Discs) -> Cue | None:
    """Fluorescence microscopy: many round glowing patches of one size on a dark field."""
    if (discs.median_light < 0.15 and discs.areas.size >= 15 and _similar(discs.areas)
            and discs.of_light > 0.4 and discs.areas.mean() >= 0.0015):
        return Cue("cells", f"{discs.areas.size} round glowing patches of similar size "
                            f"(about {discs.areas.mean():.1%} of the picture each) on a dark "
                            "field")
    return None


def _coins(discs: _Discs) -> Cue | None:
    """Several round grey discs of one size with relief inside (struck metal), apart on a
    plain ground."""
    big = discs.areas[discs.areas >= 0.004]
    if (big.size >= 4 and _similar(big) and big.sum() > 0.15
            and discs.inner_saturation < 0.25 and discs.inner_edges > 0.1):
        return Cue("coins", f"{big.size} round grey discs of similar size with relief inside "
                            f"({discs.inner_edges:.0%} edges), {big.sum():.0%} of the picture")
    return None


def _tissue(hue, sat, val, edges) -> Cue | None:
    """A stained microscope slide: a pale ground, a brown or pink stain and blue-violet nuclei
    (haematoxylin with DAB or eosin), with fine structure throughout."""
    val = val / max(float(np.percentile(val, 99)), 0.1)  # relative to the slide's white
    pale = _share((val > 0.75) & (sat < 0.2))
    stain = _share((((hue >= 10) & (hue < 50)) | (hue > 300)) & (sat > 0.3) & (val > 0.25)
                   & (val < 0.85))
    nuclei = _share((hue > 190) & (hue < 290) & (sat > 0.08) & (val > 0.4))
    green = _share((hue > 70) & (hue < 170) & (sat > 0.2))
    if pale > 0.2 and stain > 0.25 and nuclei > 0.03 and green < 0.02 and _share(edges) > 0.12:
        return Cue("stained tissue", f"a pale ground ({pale:.0%}) with a brown or pink stain "
                                     f"({stain:.0%}) and blue-violet marks ({nuclei:.0%}), "
                                     "finely structured: a stained microscope slide")
    return None
