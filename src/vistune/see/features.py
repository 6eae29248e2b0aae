"""analyze(): what an image looks like, in numbers a musician can use (numpy only, no model)."""

from __future__ import annotations

import colorsys
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from .image import Picture
from .scenery import Cue, scene_cues

#: Side of the thumbnail every measurement is taken on; small enough for < 10 ms.
ANALYSIS_SIZE = 256
#: Number of vertical strips in the brightness and horizon profiles.
PROFILE_POINTS = 16


@dataclass(frozen=True)
class Swatch:
    """One colour of the dominant palette."""

    hex: str
    name: str
    share: float


@dataclass(frozen=True)
class Features:
    """Visual measurements, each on a 0..1 scale unless stated.

    ``warmth`` runs from -1 (cool, blue) to +1 (warm, red/orange). ``profile`` is the mean
    brightness of each vertical strip, left to right; ``horizon`` the height (0 bottom, 1 top)
    of the strongest light/dark boundary in each strip, a rough skyline. ``cues`` are the scenes
    the pixels alone show (:func:`vistune.see.scenery.scene_cues`).
    """

    brightness: float
    contrast: float
    saturation: float
    colourfulness: float
    warmth: float
    edge_density: float
    palette: tuple[Swatch, ...]
    profile: tuple[float, ...]
    horizon: tuple[float, ...]
    cues: tuple[Cue, ...] = ()

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return asdict(self)

    def summary(self) -> str:
        """Words for what the picture looks like: "warm, soft light with muted colours"."""
        temperature = "warm" if self.warmth > 0.06 else "cool" if self.warmth < -0.06 else "neutral"
        if self.brightness > 0.7:
            light = "bright"
        elif self.brightness > 0.45:
            light = "soft" if self.contrast < 0.45 else "clear"
        elif self.brightness > 0.22:
            light = "dim"
        else:
            light = "dark"
        if self.colourfulness > 0.55:
            colours = "vivid colours"
        elif self.colourfulness > 0.25:
            colours = "gentle colours"
        elif self.saturation < 0.08:
            colours = "almost no colour"
        else:
            colours = "muted colours"
        return f"{temperature}, {light} light with {colours}"


def analyze(picture: Picture) -> Features:
    """Measure ``picture``: light, colour, contrast, texture, palette and profiles.

    >>> analyze(load_image("examples/sunset.jpg")).warmth > 0
    True
    """
    thumb = picture.image.copy()
    thumb.thumbnail((ANALYSIS_SIZE, ANALYSIS_SIZE), Image.Resampling.BILINEAR)
    if min(thumb.size) < PROFILE_POINTS:  # 1x1 pixels, 8000x3 strips: stretch to measure
        thumb = thumb.resize((max(thumb.width, PROFILE_POINTS), max(thumb.height, PROFILE_POINTS)),
                             Image.Resampling.NEAREST)
    rgb = np.asarray(thumb, dtype=np.float32) / 255.0
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    high, low = rgb.max(axis=2), rgb.min(axis=2)
    saturation = np.where(high > 0, (high - low) / np.maximum(high, 1e-6), 0.0)
    edges = _edges(luma)
    return Features(
        brightness=_round(luma.mean()),
        # RMS contrast: standard deviation of luminance; 0.5 is the largest possible.
        contrast=_round(min(luma.std() * 2.0, 1.0)),
        saturation=_round(saturation.mean()),
        colourfulness=_round(_colourfulness(rgb)),
        warmth=_round(np.clip((rgb[..., 0].mean() - rgb[..., 2].mean()) * 2.5, -1.0, 1.0)),
        edge_density=_round(edges.mean()),
        palette=_palette(thumb),
        profile=tuple(_round(v) for v in _strips(luma).mean(axis=0)),
        horizon=_horizon(luma),
        cues=scene_cues(rgb, luma, edges),
    )


def _round(value: float) -> float:
    return round(float(value), 4)


def _colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness M, scaled so 1.0 is their "extremely colourful".

    M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2) on 0..255 values; the paper puts
    "extremely colourful" at about M = 109.
    """
    r, g, b = (rgb[..., i] * 255.0 for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    m = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    return min(float(m) / 109.0, 1.0)


def _edges(luma: np.ndarray) -> np.ndarray:
    """Pixels on an edge: a gradient above 8% of the picture's own bright end (99th percentile).

    Measured relative to the bright end so that exposure does not change it: brightening or
    darkening a photo scales gradients and the bright end alike, and busy scenes stay busy.
    """
    gy, gx = np.gradient(luma / max(float(np.percentile(luma, 99)), 0.1))
    return np.hypot(gx, gy) > 0.08


def _strips(values: np.ndarray) -> np.ndarray:
    """(rows, PROFILE_POINTS) column-strip means of a 2-D array."""
    strips = np.array_split(values, PROFILE_POINTS, axis=1)
    return np.stack([strip.mean(axis=1) for strip in strips], axis=1)


def _horizon(luma: np.ndarray) -> tuple[float, ...]:
    """Height (0 = bottom, 1 = top) of the strongest vertical light change in each strip."""
    rows = _strips(luma)
    if rows.shape[0] < 3:
        return (0.5,) * PROFILE_POINTS
    kernel = np.ones(3) / 3.0
    smooth = np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, rows)
    step = np.abs(np.diff(smooth[1:-1], axis=0))
    row = step.argmax(axis=0) + 1.5
    return tuple(_round(1.0 - r / (luma.shape[0] - 1)) for r in row)


def _palette(thumb: Image.Image, colours: int = 5) -> tuple[Swatch, ...]:
    """Dominant colours by median-cut quantisation, most common first."""
    quantised = thumb.quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    counts = sorted(quantised.getcolors() or [], reverse=True)
    table = quantised.getpalette() or []
    total = sum(count for count, _ in counts) or 1
    swatches = []
    for count, index in counts:
        r, g, b = table[index * 3:index * 3 + 3]
        swatches.append(Swatch(hex=f"#{r:02x}{g:02x}{b:02x}", name=colour_name((r, g, b)),
                               share=_round(count / total)))
    return tuple(swatches)


_HUES = ((15, "red"), (40, "orange"), (65, "yellow"), (165, "green"), (190, "teal"),
         (250, "blue"), (290, "purple"), (345, "pink"), (360, "red"))


def colour_name(rgb: tuple[int, int, int]) -> str:
    """A plain English name for an sRGB colour.

    >>> colour_name((200, 30, 30)), colour_name((20, 40, 90)), colour_name((240, 240, 240))
    ('red', 'dark blue', 'white')
    """
    hue, sat, val = colorsys.rgb_to_hsv(*(c / 255.0 for c in rgb))
    if val < 0.13:
        return "black"
    if sat < 0.15:
        for limit, name in ((0.35, "dark grey"), (0.65, "grey"), (0.88, "light grey")):
            if val < limit:
                return name
        return "white"
    degrees = hue * 360.0
    name = next(n for limit, n in _HUES if degrees < limit)
    if name in ("orange", "red", "yellow") and val < 0.6 and sat > 0.3:
        return "brown" if name != "yellow" else "olive"
    if val < 0.4:
        return f"dark {name}"
    if sat < 0.35 and val > 0.75:
        return f"pale {name}"
    return name
