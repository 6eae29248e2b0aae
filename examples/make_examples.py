"""Paint the example pictures procedurally (numpy + Pillow), so the project owns them.

    python examples/make_examples.py      # writes sunset.jpg, city_night.jpg, forest.jpg here
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 960, 640
HERE = Path(__file__).resolve().parent


def _vertical_gradient(top: tuple[int, int, int], bottom: tuple[int, int, int],
                       height: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    column = (1 - t) * np.array(top) + t * np.array(bottom)
    return np.repeat(column, WIDTH, axis=1)


def sunset(rng: np.random.Generator) -> Image.Image:
    """A sun sinking into a calm sea under an orange and violet sky."""
    horizon = int(HEIGHT * 0.58)
    sky = _vertical_gradient((70, 40, 110), (255, 150, 60), horizon)
    sea = _vertical_gradient((200, 90, 60), (30, 30, 70), HEIGHT - horizon)
    pixels = np.concatenate([sky, sea], axis=0)
    image = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    cx, r = WIDTH // 2, 70
    draw.ellipse((cx - r, horizon - r, cx + r, horizon + r), fill=(255, 210, 120))
    draw.rectangle((0, horizon, WIDTH, HEIGHT), fill=None)
    image.paste(Image.fromarray(sea.astype(np.uint8)), (0, horizon))
    for _ in range(260):  # glitter on the water
        y = int(rng.uniform(horizon + 4, HEIGHT))
        spread = 40 + (y - horizon) * 0.9
        x = int(cx + rng.normal(0, spread / 2))
        length = int(rng.uniform(6, 30))
        draw.line((x - length, y, x + length, y), fill=(255, 190, 110), width=2)
    return image.filter(ImageFilter.GaussianBlur(1.2))


def city_night(rng: np.random.Generator) -> Image.Image:
    """Dark towers with lit windows under a deep blue night sky."""
    image = Image.fromarray(_vertical_gradient((8, 10, 35), (30, 30, 80), HEIGHT)
                            .astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(120):
        x, y = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT * 0.4)
        draw.point((x, y), fill=(230, 230, 255))
    x = 0
    while x < WIDTH:
        width = int(rng.uniform(50, 120))
        top = int(rng.uniform(HEIGHT * 0.2, HEIGHT * 0.65))
        shade = int(rng.uniform(15, 40))
        draw.rectangle((x, top, x + width, HEIGHT), fill=(shade, shade, shade + 10))
        for wy in range(top + 10, HEIGHT - 10, 18):
            for wx in range(x + 8, x + width - 8, 14):
                if rng.random() < 0.45:
                    colour = (255, 210, 120) if rng.random() < 0.8 else (120, 220, 255)
                    draw.rectangle((wx, wy, wx + 6, wy + 9), fill=colour)
        x += width + int(rng.uniform(0, 12))
    draw.rectangle((0, HEIGHT - 40, WIDTH, HEIGHT), fill=(20, 20, 25))
    for k in range(0, WIDTH, 60):  # car lights on the street
        draw.ellipse((k, HEIGHT - 28, k + 10, HEIGHT - 20), fill=(255, 60, 50))
    return image


def forest(rng: np.random.Generator) -> Image.Image:
    """Layers of pine trees in morning mist, darker towards the front."""
    image = Image.fromarray(_vertical_gradient((200, 220, 210), (150, 180, 150), HEIGHT)
                            .astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for layer, (base, shade) in enumerate([(0.55, (120, 150, 125)), (0.7, (70, 110, 80)),
                                           (0.85, (35, 75, 45)), (1.0, (15, 45, 25))]):
        for _ in range(18 + 6 * layer):
            x = rng.uniform(-40, WIDTH + 40)
            h = rng.uniform(0.25, 0.45) * HEIGHT * (0.6 + 0.25 * layer)
            w = h * rng.uniform(0.28, 0.38)
            bottom = HEIGHT * base
            draw.polygon([(x, bottom - h), (x - w / 2, bottom), (x + w / 2, bottom)], fill=shade)
            draw.rectangle((x - 3, bottom, x + 3, min(HEIGHT, bottom + 20)), fill=(50, 35, 25))
        draw.rectangle((0, HEIGHT * base, WIDTH, HEIGHT), fill=shade)
    return image.filter(ImageFilter.GaussianBlur(0.8))


def main() -> None:
    """Write every example next to this script."""
    for name, paint in (("sunset", sunset), ("city_night", city_night), ("forest", forest)):
        path = HERE / f"{name}.jpg"
        paint(np.random.default_rng(7)).save(path, quality=88, optimize=True)
        print(path)


if __name__ == "__main__":
    main()
