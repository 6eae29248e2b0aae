"""Hostile and odd inputs through the CLI: valid ones compose, the rest fail in one line.

Every file is generated here; none is committed. The table in the issue's closing note comes
from this parametrisation.
"""

from __future__ import annotations

import io
import os
import zlib

import numpy as np
import pytest
from PIL import Image

from vistune.cli.main import main

OFFLINE = ["--engine", "composer", "--captioner", "labels", "--duration", "1", "--offline"]


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _bomb() -> bytes:
    png = _save(Image.new("1", (1, 1)), "PNG")
    header = b"IHDR" + (200_000).to_bytes(4, "big") * 2 + png[24:29]
    return png[:12] + header + zlib.crc32(header).to_bytes(4, "big") + png[33:]


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 8
    return _save(Image.new("RGB", (60, 30), "orange"), "JPEG", exif=exif.tobytes())


def _palette_transparent() -> bytes:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 30, 200, 90] + [0] * 762)
    image.putpixel((5, 5), 1)
    return _save(image, "PNG", transparency=0)


VALID = {
    "1x1 pixel": ("one.png", lambda: _save(Image.new("RGB", (1, 1), "red"), "PNG")),
    "8000x3 strip": ("strip.png", lambda: _save(Image.new("RGB", (8000, 3), "blue"), "PNG")),
    "16-bit grey": ("grey16.png", lambda: _save(
        Image.fromarray(np.full((20, 20), 40000, np.uint16)), "PNG")),
    "CMYK JPEG": ("cmyk.jpg", lambda: _save(Image.new("CMYK", (20, 20), (0, 90, 200, 10)),
                                            "JPEG")),
    "palette + transparency": ("palette.png", _palette_transparent),
    "RGBA": ("rgba.png", lambda: _save(Image.new("RGBA", (20, 20), (0, 0, 255, 100)), "PNG")),
    "LA": ("la.png", lambda: _save(Image.new("LA", (20, 20), (100, 50)), "PNG")),
    "animated GIF": ("anim.gif", _animated_gif),
    "EXIF-rotated JPEG": ("rotated.jpg", _exif_rotated),
    "WebP": ("pic.webp", lambda: _save(Image.new("RGB", (30, 20), "teal"), "WEBP")),
    "TIFF": ("pic.tiff", lambda: _save(Image.new("RGB", (30, 20), "navy"), "TIFF")),
    "all black": ("black.png", lambda: _save(Image.new("RGB", (64, 64), "black"), "PNG")),
    "all white": ("white.png", lambda: _save(Image.new("RGB", (64, 64), "white"), "PNG")),
    "PNG named .txt": ("really_png.txt", lambda: _save(Image.new("RGB", (9, 9), "red"), "PNG")),
}

INVALID = {
    "zero bytes": ("empty.png", lambda: b"", "empty"),
    "text renamed .png": ("notes.png", lambda: b"just some words\n" * 10, "not a readable"),
    "HTML renamed .png": ("page.png", lambda: b"<!doctype html><html></html>", "HTML"),
    "truncated JPEG": ("cut.jpg", lambda: _save(Image.new("RGB", (300, 300), "red"),
                                                "JPEG")[:400], "truncated|not a readable"),
    "truncated PNG": ("cut.png", lambda: _save(Image.fromarray(
        np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)), "PNG")[:2000],
        "truncated|not a readable"),
    "decompression bomb": ("bomb.png", _bomb, "pixels|too large"),
    "SVG": ("vector.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    "HEIC": ("phone.heic", lambda: b"\0\0\0\x18ftypheic" + b"\0" * 40, "HEIC"),
}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_odd_but_valid_images_compose(kind, tmp_path, capsys):
    name, make = VALID[kind]
    source = tmp_path / name
    source.write_bytes(make())
    out = tmp_path / "out.wav"
    assert main(["compose", str(source), "-o", str(out), *OFFLINE]) == 0, capsys.readouterr()
    assert out.exists() and out.with_suffix(".json").exists()


def _fails_cleanly(argv, tmp_path, capsys, match):
    before = set(tmp_path.rglob("*"))
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert __import__("re").search(match, lines[0]), lines[0]
    assert set(tmp_path.rglob("*")) == before  # nothing written, not even a temporary file


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_hostile_files_fail_in_one_line_with_no_output(kind, tmp_path, capsys):
    name, make, match = INVALID[kind]
    source = tmp_path / name
    source.write_bytes(make())
    _fails_cleanly(["compose", str(source), "-o", str(tmp_path / "o.wav"), *OFFLINE], tmp_path,
                   capsys, match)


def test_folder_missing_file_and_symlink_loop(tmp_path, capsys):
    loop = tmp_path / "loop.png"
    loop.symlink_to(tmp_path / "loop2.png")
    (tmp_path / "loop2.png").symlink_to(loop)
    for source, match in ((tmp_path, "folder"), (tmp_path / "nope.png", "does not exist"),
                          (loop, "cannot be read|does not exist")):
        _fails_cleanly(["compose", str(source), "-o", str(tmp_path / "o.wav"), *OFFLINE],
                       tmp_path, capsys, match)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its permissions")
def test_unreadable_file(tmp_path, capsys):
    source = tmp_path / "secret.png"
    source.write_bytes(_save(Image.new("RGB", (4, 4)), "PNG"))
    source.chmod(0)
    _fails_cleanly(["compose", str(source), "-o", str(tmp_path / "o.wav"), *OFFLINE], tmp_path,
                   capsys, "permission denied")


def test_unwritable_destination(tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    source = tmp_path / "ok.png"
    source.write_bytes(_save(Image.new("RGB", (8, 8), "red"), "PNG"))
    code = main(["compose", str(source), "-o", str(blocker / "out.wav"), *OFFLINE])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write" in err and "Traceback" not in err


@pytest.mark.parametrize("args,match", [
    (["--max-pixels", "50"], "over the limit of 50"),
    (["--max-duration", "0.5"], "below the 1 s minimum"),
    (["--max-duration", "10", "--duration", "11"], "outside 1-10 s"),
    (["--variations", "0"], "0 is outside 1-8"),
    (["--prompt", "\x00\x01"], "prompt is empty")])
def test_limits_are_configurable_and_reported(args, match, tmp_path, capsys):
    source = tmp_path / "ok.png"
    source.write_bytes(_save(Image.new("RGB", (10, 10), "red"), "PNG"))
    _fails_cleanly(["compose", str(source), "-o", str(tmp_path / "o.wav"), *OFFLINE, *args],
                   tmp_path, capsys, match)
