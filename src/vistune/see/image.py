"""load_image(): the only place that decodes user images.

Everything downstream works on a :class:`Picture`: an RGB image no larger than ``working_size``
on its longest side, plus where it came from and how big it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InputError

#: Largest image accepted, in pixels (width x height). A 12-megapixel photo is 1.2e7; this stops
#: decompression bombs (tiny files that claim enormous sizes) before any pixel is decoded.
DEFAULT_MAX_PIXELS = 100_000_000
#: Longest side of the working copy that analysis and captioning see (BLIP-large reads 384 px).
DEFAULT_WORKING_SIZE = 640

#: Pictures over this many pixels decode one at a time (see ``_decoding``).
LARGE_PIXELS = 16_000_000
_LARGE_DECODES = threading.Lock()
#: How far ``thumbnail`` may first shrink by a whole factor (Pillow's reducing_gap).
REDUCING_GAP = 3.0
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")

ImageSource = Union[str, os.PathLike, bytes, bytearray, BinaryIO, Image.Image, "Picture"]


@dataclass(frozen=True)
class Picture:
    """A decoded image ready for analysis: RGB, downscaled to the working size."""

    image: Image.Image
    source: str
    original_size: tuple[int, int]
    #: SHA-256 of the file's bytes ("" for a PIL image): tells two inputs of one name apart.
    digest: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the working copy."""
        return self.image.size


def load_image(
    source: ImageSource,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    working_size: int = DEFAULT_WORKING_SIZE,
) -> Picture:
    """Decode ``source`` (path, bytes, file object, PIL image or Picture) into a :class:`Picture`.

    The format is sniffed from the content, never from the file name. EXIF orientation is
    applied, every colour mode becomes RGB (transparent areas over white) and animated images
    give their first frame.

    >>> load_image("examples/forest.jpg").size
    (640, 427)

    Raises :class:`InputError` naming the file and the reason for anything that is not a
    readable image within ``max_pixels``.
    """
    if isinstance(source, Picture):
        return source
    if isinstance(source, Image.Image):
        return _from_pil(source, "image", max_pixels=max_pixels, working_size=working_size)
    name, data = _read(source)
    if not data:
        raise InputError(f"{name} is empty (0 bytes); choose an image file such as a JPEG or PNG")
    try:
        with _quiet_pillow():
            img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as exc:
        raise InputError(f"{name} is not a readable image ({_unreadable_reason(data, exc)}); "
                         f"use one of: {', '.join(SUPPORTED_FORMATS)}") from None
    if img.format not in SUPPORTED_FORMATS:
        raise InputError(f"{name} is a {img.format} image, which VisTune does not read; "
                         f"convert it to one of: {', '.join(SUPPORTED_FORMATS)}")
    with img:  # closed at once: a huge picture's memory is not held until the caller lets go
        picture = _from_pil(img, name, max_pixels=max_pixels, working_size=working_size)
    return dataclasses.replace(picture, digest=file_digest(data))


def file_digest(data: bytes) -> str:
    """The SHA-256 (hex) of an input file's bytes, as sidecars record it."""
    return hashlib.sha256(data).hexdigest()


def _read(source: str | os.PathLike | bytes | bytearray | BinaryIO) -> tuple[str, bytes]:
    """Return a display name and the raw bytes of ``source``."""
    if isinstance(source, (bytes, bytearray)):
        return "the uploaded data", bytes(source)
    if hasattr(source, "read"):
        name = str(getattr(source, "name", "the uploaded file"))
        try:
            return name, source.read()
        except OSError as exc:
            raise InputError(f"{name} cannot be read ({exc.strerror or exc})") from None
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"cannot read an image from a {type(source).__name__}; "
                         "pass a file path, bytes, a file object or a PIL image")
    path = Path(source).expanduser()
    try:
        if path.is_dir():
            raise InputError(f"{path} is a folder, not an image; pass an image file inside it")
        return str(path), path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path} does not exist; check the path") from None
    except PermissionError:
        raise InputError(f"{path} cannot be read: permission denied; "
                         "check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc})") from None


@contextlib.contextmanager
def _quiet_pillow() -> Iterator[None]:
    """Silence Pillow's warnings while it reads: its global size warning (load_image() enforces
    its own max_pixels) and its notes on damaged metadata such as a truncated EXIF block (the
    picture is still read; damaged pixels raise, and load_image() says so in one line)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        yield


def _unreadable_reason(data: bytes, exc: Exception) -> str:
    """Say what the bytes look like, for formats people often try by mistake."""
    head = data[:512].lstrip().lower()
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftypavif"):
        return "HEIC/AVIF is not supported"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG is a vector format and is not supported"
    if head.startswith((b"<!doctype html", b"<html")):
        return "it is an HTML page"
    if isinstance(exc, Image.DecompressionBombError):
        return "its dimensions are far too large to decode safely"
    return "unknown or damaged format"


def _from_pil(img: Image.Image, name: str, *, max_pixels: int, working_size: int) -> Picture:
    width, height = img.size
    if width < 1 or height < 1:
        raise InputError(f"{name} has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise InputError(f"{name} is {width}x{height} = {width * height:,} pixels, over the limit "
                         f"of {max_pixels:,}; shrink it or raise max_pixels (--max-pixels)")
    try:
        with _decoding(width * height), _quiet_pillow():
            img.seek(0)  # animated GIF/WebP/TIFF: first frame
            if img.format == "JPEG":
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale: a 12 MP photo then costs a few ms.
                # The box has the picture's shape (rounded up), so the decoded long side still
                # reaches working_size: a 4000x3000 photo decodes at 2000x1500 for 1920.
                side = max(width, height)
                img.draft("RGB", (-(-width * working_size // side),
                                  -(-height * working_size // side)))
            img.load()
            rgb = _to_rgb(ImageOps.exif_transpose(_reduced(img, working_size)))
            if max(rgb.size) > working_size:
                rgb.thumbnail((working_size, working_size), Image.Resampling.LANCZOS,
                              reducing_gap=REDUCING_GAP)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise InputError(f"{name} is truncated or corrupt ({exc}); re-export or re-download it"
                         ) from None
    return Picture(image=rgb, source=name, original_size=(width, height))


@contextlib.contextmanager
def _decoding(pixels: int) -> Iterator[None]:
    """Decodes of large pictures take turns, process-wide: a 97 KB PNG of 10000x10000 pixels
    costs about 630 MB while it decodes, so eight uploads at once would cost eight times that."""
    if pixels <= LARGE_PIXELS:
        yield
        return
    with _LARGE_DECODES:
        yield


def _reduced(img: Image.Image, working_size: int) -> Image.Image:
    """A whole-factor box shrink of a decoded picture far larger than ``working_size``, before
    any full-size copy (rotation, colour conversion) is made. ``thumbnail`` starts with the same
    shrink (``reducing_gap``); done first, it keeps a huge picture from being copied whole."""
    factor = int(max(img.size) / working_size / REDUCING_GAP)
    if factor < 2 or img.mode not in ("L", "RGB"):
        return img
    return img.reduce(factor)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is composited over white."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # Pillow clips 16-bit and float grey to 0..255 instead of scaling; scale it ourselves.
        values = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") else max(float(values.max()), 1.0)
        if img.mode == "F" and values.max() <= 1.0:
            top = 1.0
        grey = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    has_alpha = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")
