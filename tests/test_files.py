"""files.py against real file systems: full disk, read-only, long names, racing writers."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import EXAMPLES

from vistune.errors import OutputError
from vistune.output.audio import write_audio
from vistune.output.files import atomic_write, remove_stale_parts

RATE = 48_000


@contextlib.contextmanager
def _tmpfs(path, options: str):
    """Mount a small tmpfs at ``path`` (root only); skip the test where that is impossible."""
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk_is_a_one_line_output_error(tmp_path):
    with _tmpfs(tmp_path / "small", "size=256k") as disk:
        audio = np.zeros((2, 10 * RATE), np.float32)  # 3.8 MB as 16-bit WAV
        with pytest.raises(OutputError, match=r"cannot write .*out\.wav \(.+\); check free space"):
            write_audio(disk / "out.wav", audio, RATE)
        assert list(disk.iterdir()) == []  # neither the file nor its temporary part


def test_read_only_folder_reports_the_real_error(tmp_path):
    with _tmpfs(tmp_path / "ro", "ro,size=64k") as disk, \
            pytest.raises(OutputError, match="Read-only file system"):
        atomic_write(disk / "a.json", lambda temp: temp.write_text("{}"))


def test_long_names_work_up_to_the_file_system_limit(tmp_path):
    name = "n" * 250 + ".json"  # 255 bytes: the temporary name must be shorter than name + 20
    assert atomic_write(tmp_path / name, lambda temp: temp.write_text("{}")).read_text() == "{}"
    with pytest.raises(OutputError, match="name's length"):
        atomic_write(tmp_path / ("n" * 300 + ".json"), lambda temp: temp.write_text("{}"))
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_file_that_appears_meanwhile_is_never_replaced(tmp_path):
    target = tmp_path / "x.json"

    def slow_writer(temp):
        temp.write_text("mine")
        target.write_text("theirs")  # another process finishes first

    with pytest.raises(OutputError, match="appeared while it was being written"):
        atomic_write(target, slow_writer)
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    atomic_write(target, lambda temp: temp.write_text("mine"), overwrite=True)
    assert target.read_text() == "mine"


def test_stale_parts_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.wav.{dead}.abcdef.part"
    live = tmp_path / f".out.wav.{os.getppid()}.abcdef.part"  # a running process
    other = tmp_path / f".other.wav.{dead}.abcdef.part"
    for part in (stale, live, other):
        part.write_bytes(b"half")
    assert remove_stale_parts(tmp_path / "out.wav") == [stale]
    assert live.exists() and other.exists() and not stale.exists()


def test_a_half_downloaded_model_is_a_one_line_error(tmp_path):
    from tiny_models import build_blip

    from vistune import ImageToMusic
    from vistune.errors import ModelUnavailable

    folder = build_blip(tmp_path / "blip")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    pipe = ImageToMusic(captioner="blip", engine="composer", caption_model=str(folder),
                        offline=True)
    with pytest.raises(ModelUnavailable, match=r"damaged or incomplete .*vistune download"):
        pipe.describe(EXAMPLES / "forest.jpg")


def test_auto_falls_back_to_the_offline_piece_when_a_download_is_damaged(tmp_path):
    from tiny_models import build_blip

    from vistune import ImageToMusic

    folder = build_blip(tmp_path / "blip")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    notes = []
    pipe = ImageToMusic(captioner="auto", engine="composer", caption_model=str(folder),
                        offline=True, notify=notes.append)
    assert pipe.captioner_name == "blip"  # the folder is there, so auto chose it
    description = pipe.describe(EXAMPLES / "forest.jpg")
    assert description.captioner == "labels" and pipe.captioner_name == "labels"
    assert any("damaged or incomplete" in n and "offline labels captioner" in n for n in notes)
