"""vistune.batch: names, content tags, --skip-existing ownership, resuming, the failure list."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES

from vistune.batch import Batch, input_digest, take_files
from vistune.errors import InputError, OutputError


@pytest.fixture
def twins(tmp_path):
    """Two different pictures both called x.jpg, in folders a/ and b/."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(EXAMPLES / "forest.jpg", tmp_path / "a" / "x.jpg")
    shutil.copy(EXAMPLES / "sunset.jpg", tmp_path / "b" / "x.jpg")
    return [str(tmp_path / "a" / "x.jpg"), str(tmp_path / "b" / "x.jpg")]


def _names(batch: Batch) -> list[str]:
    return [path.name for path in batch.paths]


def test_one_image_writes_out_itself_and_several_go_into_a_folder(tmp_path):
    assert Batch.plan(["p.jpg"], tmp_path / "song.ogg").paths == [tmp_path / "song.ogg"]
    batch = Batch.plan(["in/a b!.jpg", "in/..c.png"], tmp_path / "out", fmt="mp3")
    assert batch.paths == [tmp_path / "out" / "a_b.mp3", tmp_path / "out" / "c.mp3"]


@pytest.mark.parametrize("takes, expected", [(1, ["x.wav"]), (3, ["x-1.wav", "x-2.wav",
                                                                   "x-3.wav"])])
def test_takes_are_numbered_from_one(tmp_path, takes, expected):
    assert [p.name for p in take_files(tmp_path / "x.wav", takes)] == expected
    assert _names(Batch.plan(["x.jpg", "y.jpg"], tmp_path, takes=takes))[:takes] == expected


@pytest.mark.parametrize("output, fmt, message", [
    ("two.mp3", None, "must be a folder for 2 images"),
    ("one.wav", "flac", "--format says flac"),
])
def test_outputs_that_cannot_mean_what_was_asked_are_refused(tmp_path, output, fmt, message):
    images = ["a.jpg", "b.jpg"] if output == "two.mp3" else ["a.jpg"]
    with pytest.raises(InputError, match=message):
        Batch.plan(images, tmp_path / output, fmt=fmt)


def test_inputs_sharing_a_name_get_a_tag_from_their_content(tmp_path, twins):
    batch = Batch.plan(twins, tmp_path / "out")
    tags = [input_digest(image)[:8] for image in twins]
    assert _names(batch) == [f"x-{tags[0]}.wav", f"x-{tags[1]}.wav"]
    # The tag comes from the content, not the order: a name never moves to another picture.
    assert _names(Batch.plan(twins[::-1], tmp_path / "out")) == _names(batch)[::-1]


def test_the_same_picture_twice_and_unreadable_inputs(tmp_path):
    forest = str(EXAMPLES / "forest.jpg")
    tag = input_digest(forest)[:8]
    assert _names(Batch.plan([forest, forest], tmp_path / "out")) == [
        f"forest-{tag}.wav", f"forest-{tag}-2.wav"]
    missing = str(tmp_path / "forest.png")  # unreadable: claims no name, loading says why
    assert _names(Batch.plan([forest, missing], tmp_path / "out")) == [
        "forest.wav", "forest-2.wav"]


def _made_by(path, image: str, *, audio: bool = True) -> None:
    """Leave ``path`` and a sidecar recording ``image``, as an earlier run would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if audio:
        path.write_bytes(b"RIFF")
    sidecar = {"audio": path.name, "source_sha256": input_digest(image)}
    path.with_suffix(".json").write_text(json.dumps(sidecar))


def test_skip_existing_skips_only_the_images_whose_files_record_them(tmp_path, twins):
    out = tmp_path / "out"
    forest, sunset = str(EXAMPLES / "forest.jpg"), str(EXAMPLES / "sunset.jpg")
    _made_by(out / "forest.wav", forest)
    _made_by(out / "sunset.wav", forest)  # sunset.wav was made from another picture
    batch = Batch.plan([forest, sunset], out, skip_existing=True)
    assert [item.image for item in batch.todo] == [sunset]
    # The other picture's file keeps its name; this one gets its tag.
    assert batch.todo[0].paths[0].name == f"sunset-{input_digest(sunset)[:8]}.wav"
    batch.check()  # a resumed batch decides per image: no "exists" error
    # Without --skip-existing (or with one image) nothing is skipped and existing files stop it.
    assert len(Batch.plan([forest, sunset], out).todo) == 2
    with pytest.raises(OutputError, match="--overwrite"):
        Batch.plan([forest, sunset], out).check()
    assert len(Batch.plan([forest], out / "forest.wav", skip_existing=True).todo) == 1


def test_resume_completes_an_unfinished_set_over_its_own_files(tmp_path, offline_pipe):
    out = tmp_path / "out"
    forest, sunset = str(EXAMPLES / "forest.jpg"), str(EXAMPLES / "sunset.jpg")
    _made_by(out / "forest.wav", forest)  # made earlier, without the MIDI now asked for
    _made_by(out / "sunset.wav", sunset)
    (out / "sunset.mid").write_bytes(b"MThd")
    batch = Batch.plan([forest, sunset], out, skip_existing=True, midi=True)
    assert [item.image for item in batch.todo] == [forest]
    [done] = batch.run(batch.make(offline_pipe, {"duration": 2}))
    assert done.error is None and done.saved == [out / "forest.wav"]
    assert (out / "forest.mid").read_bytes()[:4] == b"MThd"
    assert (out / "forest.wav").read_bytes()[:4] == b"RIFF" and (out / "forest.wav").stat(
        ).st_size > 1000  # replaced by the new take


def test_failures_are_listed_and_the_others_written(tmp_path, offline_pipe):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture")
    images = [str(EXAMPLES / "forest.jpg"), str(broken)]
    batch = Batch.plan(images, tmp_path / "out", takes=2)
    batch.check()
    made = list(batch.run(batch.make(offline_pipe, {"duration": 2})))
    assert [m.error is None for m in made] == [True, False]
    assert [p.name for p in made[0].saved] == ["forest-1.wav", "forest-2.wav"]
    assert [(image, type(error)) for image, error in batch.failed] == [(str(broken), InputError)]
    assert "not a readable image" in str(batch.failed[0][1])
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == ["forest-1.wav",
                                                                        "forest-2.wav"]


def test_a_batch_of_videos_shows_each_picture(tmp_path, offline_pipe):
    images = [str(EXAMPLES / "forest.jpg"), str(EXAMPLES / "sunset.jpg")]
    batch = Batch.plan(images, tmp_path / "out", fmt="mp4", video_style="still", size="64x64")
    batch.check()
    made = list(batch.run(batch.make(offline_pipe, {"duration": 2})))
    for done, image in zip(made, images, strict=True):
        [path] = done.saved
        assert path.suffix == ".mp4" and path.stat().st_size > 0
        sidecar = json.loads(path.with_suffix(".json").read_text())
        assert sidecar["source_sha256"] == input_digest(image)
        assert (sidecar["video"]["width"], sidecar["video"]["height"]) == (64, 64)


@pytest.mark.parametrize("stage", ["seeing", "making"])
def test_a_bug_with_one_picture_fails_that_picture_only(offline_pipe, tmp_path, monkeypatch,
                                                        stage):
    images = [str(EXAMPLES / name) for name in ("forest.jpg", "sunset.jpg", "city_night.jpg")]
    describe_many, variations = offline_pipe.describe_many, offline_pipe.variations

    def bug(image, what):
        if "sunset" in str(getattr(image, "source", image)):
            raise ZeroDivisionError("division by zero")
        return what(image)

    if stage == "seeing":  # the batch's captioning call fails, then that picture alone
        monkeypatch.setattr(offline_pipe, "describe_many", lambda images: [
            bug(image, lambda i: describe_many([i])[0]) for image in images])
    else:
        monkeypatch.setattr(offline_pipe, "variations", lambda description, **options: bug(
            description, lambda d: variations(d, **options)))
    batch = Batch.plan(images, tmp_path / "out")
    made = list(batch.run(batch.make(offline_pipe, {"duration": 1, "seed": 0})))
    assert [m.saved[0].name for m in made if not m.error] == ["forest.wav", "city_night.wav"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == ["city_night.wav",
                                                                       "forest.wav"]
    [(image, error)] = batch.failed
    assert image.endswith("sunset.jpg")
    assert str(error).startswith("internal error: ZeroDivisionError: division by zero")


def test_a_cli_batch_with_a_gradient_writes_every_picture(tmp_path):
    from PIL import Image

    from vistune.cli.main import main

    gradient = tmp_path / "gradient.png"
    Image.linear_gradient("L").resize((640, 400)).save(gradient)
    images = [EXAMPLES / "forest.jpg", gradient, EXAMPLES / "sunset.jpg"]
    code = main(["compose", *map(str, images), "-o", str(tmp_path / "out"), "--duration", "1",
                 "--engine", "composer", "--captioner", "labels", "--offline"])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == [
        "forest.wav", "gradient.wav", "sunset.wav"]


def test_a_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path):
    from vistune.cli.main import main

    if os.geteuid() == 0:  # root writes through permissions; /proc takes no new files
        out = Path("/proc/vistune-out")
    else:
        out = tmp_path / "locked" / "out"
        out.parent.mkdir()
        out.parent.chmod(0o500)
    started = time.monotonic()
    with pytest.raises(OutputError, match="cannot write in"):
        Batch.plan([str(EXAMPLES / "forest.jpg"), str(EXAMPLES / "sunset.jpg")], out).check()
    code = main(["compose", str(EXAMPLES / "forest.jpg"), str(EXAMPLES / "sunset.jpg"), "-o",
                 str(out), "--duration", "30", "--engine", "composer", "--captioner",
                 "labels", "--offline"])
    assert code != 0 and time.monotonic() - started < 5  # refused, not composed first
    assert not out.exists()
