"""How well the offline captioner sees real photographs, and what the brief makes of them.

    python benchmarks/bench_seeing.py [--variant lite0|lite1|lite2]

The set is every real photograph that scikit-image and scikit-learn ship on disk (no download),
plus the project's three examples, reported apart (they are drawings, not photographs). Each
photo carries the words a right caption may use, judged by a person looking at it. A caption is
"named right" when its subject (the part before ", in ... light") uses one of them, "plainly
wrong" when it names something else, and "unnamed" when it describes only light and colour.

Prints per photo: the caption's subject, the verdict, style and tempo; then the totals, the
share of the most common style, the exposure checks (brightening x1.3 should lower arousal,
darkening x0.7 should not move the tempo far), and the median captioning time per photo (wall
and CPU time: on a shared machine the CPU time is the steadier figure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

ROOT = Path(__file__).resolve().parents[1]


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from skimage import data

        return getattr(data, name)()
    return load


def _sklearn(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image

        return load_sample_image(name)
    return load


def _motorcycle() -> np.ndarray:
    from skimage import data

    return data.stereo_motorcycle()[0]


#: name -> (loader, words a right caption may use). Judged by looking at each photo.
PHOTOS: dict[str, tuple[Callable[[], np.ndarray], set[str]]] = {
    "astronaut": (_skimage("astronaut"), {"person", "portrait", "woman", "astronaut"}),
    "brick": (_skimage("brick"), {"texture", "brick", "wall"}),
    "camera": (_skimage("camera"), {"person", "man", "camera", "tripod", "photographer"}),
    "chelsea": (_skimage("chelsea"), {"cat"}),
    "clock": (_skimage("clock"), {"clock"}),
    "coffee": (_skimage("coffee"), {"coffee", "cup", "drink", "espresso"}),
    "coins": (_skimage("coins"), {"coin", "coins"}),
    "grass": (_skimage("grass"), {"grass", "texture", "foliage"}),
    "gravel": (_skimage("gravel"), {"gravel", "stones", "texture"}),
    "hubble_deep_field": (_skimage("hubble_deep_field"), {"stars", "galaxy", "space", "sky"}),
    "immunohistochemistry": (_skimage("immunohistochemistry"), {"tissue", "cells"}),
    "microaneurysms": (_skimage("microaneurysms"), {"retina", "blood vessel"}),
    "moon": (_skimage("moon"), {"moon", "crater"}),
    "page": (_skimage("page"), {"page", "text", "document"}),
    "retina": (_skimage("retina"), {"retina", "eye"}),
    "rocket": (_skimage("rocket"), {"rocket", "missile", "space shuttle", "launch"}),
    "text": (_skimage("text"), {"page", "text", "writing", "handwriting"}),
    "cell": (_skimage("cell"), {"cell"}),
    "motorcycle": (_motorcycle, {"motorcycle", "moped", "scooter", "motorbike"}),
    "china (sklearn)": (_sklearn("china.jpg"), {"building", "palace", "temple", "pagoda"}),
    "flower (sklearn)": (_sklearn("flower.jpg"), {"flower", "daisy", "dahlia"}),
}
EXAMPLES = {
    "examples/sunset.jpg": {"sunset", "sea", "water", "sky"},
    "examples/forest.jpg": {"forest", "trees", "foliage"},
    "examples/city_night.jpg": {"city", "building", "night", "skyline", "structure"},
}


def subject(caption: str) -> str | None:
    """The named part of a caption, or None when it describes only light and colour."""
    if caption.startswith("a picture in "):
        return None
    return caption.split(", in ")[0].removeprefix("a photo of ")


def verdict(caption: str, right: set[str]) -> str:
    """"right", "wrong" or "unnamed"."""
    named = subject(caption)
    if named is None:
        return "unnamed"
    return "right" if any(word in named for word in right) else "wrong"


def _rgb(pixels: np.ndarray) -> Image.Image:
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255
    return Image.fromarray(pixels).convert("RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", default="lite0", help="EfficientNet-Lite checkpoint")
    args = parser.parse_args()
    import torch

    from vistune import load_image, make_brief
    from vistune.captioning import LabelCaptioner

    captioner = LabelCaptioner(**({"variant": args.variant} if args.variant != "lite0" else {}))
    captioner.describe(load_image(ROOT / "examples" / "forest.jpg"))  # load the network
    images = {name: (_rgb(load()), right) for name, (load, right) in PHOTOS.items()}
    images |= {name: (Image.open(ROOT / name).convert("RGB"), right)
               for name, right in EXAMPLES.items()}

    verdicts: dict[str, str] = {}
    styles: Counter[str] = Counter()
    seconds, cpu, calmer, moves = [], [], [], []
    print(f"{'photo':<24} {'verdict':<8} {'style':<16} {'bpm':>4}  caption subject")
    for name, (image, right) in images.items():
        start, start_cpu = time.perf_counter(), time.process_time()
        description = captioner.describe(load_image(image))
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        brief = make_brief(description)
        verdicts[name] = verdict(description.caption, right)
        styles[brief.genre] += 1
        print(f"{name:<24} {verdicts[name]:<8} {brief.genre:<16} {brief.tempo:>4}  "
              f"{subject(description.caption) or '-'}")
        lighter, darker = (captioner.describe(load_image(
            ImageEnhance.Brightness(image).enhance(f))) for f in (1.3, 0.7))
        same = subject(lighter.caption) == subject(description.caption)
        calmer.append((same, make_brief(lighter).arousal < brief.arousal))
        moves.append(abs(make_brief(darker).tempo - brief.tempo))

    for title, names in (("real photographs", list(PHOTOS)), ("bundled examples", list(EXAMPLES))):
        counts = Counter(verdicts[n] for n in names)
        print(f"\n{title}: {len(names)}; named right {counts['right']} "
              f"({counts['right'] / len(names):.0%}), plainly wrong {counts['wrong']} "
              f"({counts['wrong'] / len(names):.0%}), unnamed {counts['unnamed']}")
    style, most = styles.most_common(1)[0]
    print(f"styles over all {len(images)}: " + ", ".join(f"{s} {n}" for s, n in
                                                      styles.most_common())
          + f"; largest share {style} {most / len(images):.0%}")
    kept = [lower for same, lower in calmer if same]
    print(f"brightening x1.3 lowers arousal in {sum(kept)} of the {len(kept)} photos whose "
          f"caption stays the same ({len(calmer) - len(kept)} captions change, and their reasons "
          f"quote the new words); darkening x0.7 moves the tempo by at most {max(moves)} bpm "
          f"(median {statistics.median(moves)})")
    print(f"captioning ({captioner.model_name}): median {statistics.median(seconds) * 1000:.0f} "
          f"ms per photo (CPU time {statistics.median(cpu) * 1000:.0f} ms on "
          f"{torch.get_num_threads()} threads), fastest {min(seconds) * 1000:.0f} ms, slowest "
          f"{max(seconds) * 1000:.0f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
