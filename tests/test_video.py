"""Videos and slideshows, checked by decoding what was written with imageio-ffmpeg's ffmpeg."""

from __future__ import annotations

import doctest
import json
import re
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import EXAMPLES
from PIL import Image

from vistune.cli.main import main
from vistune.errors import InputError, OutputError
from vistune.output import video
from vistune.output.video import FPS, MAX_SIDE, parse_size, write_video
from vistune.see.image import load_image
from vistune.slideshow import slideshow
from vistune.theory import key_plan

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
OFFLINE = ["--engine", "composer", "--captioner", "labels"]
COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}


def _pictures(*paths):
    """Pictures as the flow hands them to the video writer."""
    return [load_image(p, working_size=MAX_SIDE) for p in paths]


def _music(seconds: float, rate: int = 48_000, channels: int = 2) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 330 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t))
    return np.tile(tone.astype(np.float32), (channels, 1))


def _solid(tmp_path, name: str, size=(320, 200)):
    path = tmp_path / f"{name}.png"
    Image.new("RGB", size, COLOURS[name]).save(path)
    return path


def _inspect(path) -> dict:
    """Streams, frame count and audio length of a video, decoding every frame and sample."""
    info = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True).stderr
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info).groups()
    video_line = next(line for line in info.splitlines() if "Video:" in line)
    audio_line = next(line for line in info.splitlines() if "Audio:" in line)
    width, height = map(int, re.search(r", (\d+)x(\d+)", video_line).groups())
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader]
    pcm = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-map", "0:a", "-f", "f32le",
                          "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True)
    decoded = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "null", "-"],
                             capture_output=True, check=True)  # every packet, errors shown
    return {"duration": int(hours) * 3600 + int(minutes) * 60 + float(seconds),
            "video": video_line, "audio": audio_line, "size": (width, height),
            "fps": meta["fps"], "frames": frames, "audio_seconds": len(pcm.stdout) / 4 / 48000,
            "errors": pcm.stderr + decoded.stderr}


def _check_playable(found: dict, seconds: float) -> None:
    assert "h264 (High)" in found["video"] and "yuv420p" in found["video"]
    assert "aac" in found["audio"]
    assert all(side % 2 == 0 for side in found["size"])
    assert abs(found["duration"] - seconds) <= 0.1
    assert abs(found["audio_seconds"] - seconds) <= 0.1
    assert abs(len(found["frames"]) / found["fps"] - seconds) <= 0.1  # every frame decoded
    assert not found["errors"]


def _mean(frame: np.ndarray) -> np.ndarray:
    return frame.reshape(-1, 3).mean(axis=0)


def _nearest(frame: np.ndarray) -> str:
    return min(COLOURS, key=lambda name: np.abs(_mean(frame) - COLOURS[name]).sum())


@pytest.mark.parametrize("style", ["still", "zoom", "wave"])
def test_each_style_makes_a_playable_video_of_the_musics_length(tmp_path, style):
    target = tmp_path / f"{style}.mp4"
    frame = write_video(target, _pictures(EXAMPLES / "forest.jpg"), _music(2.5), 48_000,
                        style=style, size="320x240")
    found = _inspect(target)
    _check_playable(found, 2.5)
    assert frame == found["size"] == (320, 240)


def _frame_times(path, *, keyframes: bool = False) -> list[float]:
    """Presentation times of the video's frames (or only its keyframes), from showinfo."""
    skip = ["-skip_frame", "nokey"] if keyframes else []
    info = subprocess.run([FFMPEG, "-hide_banner", *skip, "-i", str(path), "-map", "0:v",
                           "-vf", "showinfo", "-f", "null", "-"], capture_output=True,
                          text=True).stderr
    return [float(t) for t in re.findall(r"pts_time:([\d.]+)", info)]


def test_a_still_video_repeats_one_gop_at_a_constant_frame_rate(tmp_path):
    seconds = 4.3  # 103 frames: the 48-frame GOP twice, then 7 frames on their own
    target = tmp_path / "still.mp4"
    write_video(target, _pictures(EXAMPLES / "forest.jpg"), _music(seconds), 48_000, size="320x240")
    found = _inspect(target)
    _check_playable(found, seconds)
    assert len(found["frames"]) == round(seconds * FPS) == 103
    times = _frame_times(target)
    assert np.allclose(times, np.arange(103) / FPS, atol=1e-4)  # constant frame rate
    assert _frame_times(target, keyframes=True) == pytest.approx(
        [0, video.SEGMENT / FPS, 2 * video.SEGMENT / FPS], abs=1e-4)
    first = found["frames"][0].astype(int)  # the same picture throughout
    assert all(np.abs(frame.astype(int) - first).mean() < 2 for frame in found["frames"])


def test_default_frame_is_the_pictures_shape_at_most_1920_long(tmp_path):
    wide = tmp_path / "wide.png"
    Image.new("RGB", (2501, 1001), (90, 120, 150)).save(wide)
    target = tmp_path / "wide.mp4"
    write_video(target, _pictures(wide), _music(1.2, rate=32_000, channels=1), 32_000)
    found = _inspect(target)
    assert found["size"] == (1920, 768)
    _check_playable(found, 1.2)


def test_a_vertical_frame_fits_the_picture_over_a_blurred_fill(tmp_path):
    picture = tmp_path / "halves.png"
    halves = np.zeros((200, 400, 3), np.uint8)
    halves[:, :200], halves[:, 200:] = COLOURS["red"], COLOURS["blue"]
    Image.fromarray(halves).save(picture)
    target = tmp_path / "vertical.mp4"
    write_video(target, _pictures(picture), _music(1.0), 48_000, size="240x480")
    first = _inspect(target)["frames"][0].astype(float)
    band = first[200:280]  # the fitted picture: 240x120 in the middle, not stretched
    assert _nearest(band[:, :100]) == "red" and _nearest(band[:, 140:]) == "blue"
    # Above and below: a darker, blurred fill, not the picture stretched to the frame.
    assert first[:150].mean() < 0.75 * band.mean() and first[-150:].mean() < 0.75 * band.mean()


def test_progress_reaches_every_frame(tmp_path):
    seen = []
    write_video(tmp_path / "p.mp4", _pictures(EXAMPLES / "forest.jpg"), _music(1.5), 48_000,
                style="wave", size="160x120", progress=lambda d, t, s: seen.append((d, t, s)))
    assert seen[0][0] == 0 and seen[-1][:2] == (36, 36) and seen[-1][2] == "encoding video"
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)


@pytest.mark.parametrize("text", ["big", "1080x", "1081x1920", "10x10", "0x0", "1080*1920"])
def test_bad_sizes_are_one_line_input_errors(text):
    with pytest.raises(InputError, match="size") as error:
        parse_size(text)
    assert "\n" not in str(error.value)


def test_bad_video_inputs_name_the_problem(tmp_path):
    [forest] = _pictures(EXAMPLES / "forest.jpg")
    with pytest.raises(InputError, match="video style"):
        write_video(tmp_path / "a.mp4", [forest], _music(1), 48_000, style="spin")
    with pytest.raises(InputError, match="start time"):
        write_video(tmp_path / "a.mp4", [forest, forest], _music(1), 48_000)
    with pytest.raises(InputError, match="rise"):
        write_video(tmp_path / "a.mp4", [forest, forest], _music(1), 48_000, starts=[0, 0.99])
    with pytest.raises(InputError, match="0.00 s of music"):
        write_video(tmp_path / "a.mp4", [forest], np.zeros((2, 0)), 48_000)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_encode_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(video, "_video_codecs", lambda style: ["-c:v", "no-such-encoder"])
    with pytest.raises(OutputError, match="ffmpeg could not make the video"):
        write_video(tmp_path / "broken.mp4", _pictures(EXAMPLES / "forest.jpg"), _music(1), 48_000)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def colour_images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("colours")
    return [_solid(folder, name) for name in COLOURS]


@pytest.fixture(scope="module")
def colour_show(offline_pipe, colour_images):
    """Three pictures, 2 s each, seed 4."""
    return slideshow(offline_pipe, colour_images, seconds_per_image=2.0, seed=4)


def test_slideshow_changes_picture_at_the_planned_times(tmp_path, colour_show):
    result = colour_show
    assert [s.start for s in result.slides] == [0.0, 2.0, 4.0]
    assert result.duration == pytest.approx(6.0, abs=1e-3)
    target = result.save(tmp_path / "show.mp4", video_style="zoom", size="160x120")
    found = _inspect(target)
    _check_playable(found, 6.0)
    frames = found["frames"]
    for slide, name in zip(result.slides, COLOURS, strict=True):
        middle = round((slide.start + 1.0) * FPS)
        assert _nearest(frames[middle]) == name
    for cut, (before, after) in ((2.0, ("red", "green")), (4.0, ("green", "blue"))):
        assert _nearest(frames[round((cut - 0.6) * FPS)]) == before
        assert _nearest(frames[round((cut + 0.6) * FPS)]) == after
        mid = _mean(frames[round(cut * FPS)])  # a dissolve: half of each
        assert np.abs(mid - (np.add(COLOURS[before], COLOURS[after]) / 2)).max() < 40
    sidecar = json.loads(target.with_suffix(".json").read_text())
    assert [s["start"] for s in sidecar["slides"]] == [0.0, 2.0, 4.0]
    assert all(s["brief"]["prompt"] and s["source"].endswith(".png") for s in sidecar["slides"])
    assert sidecar["video"] == {"style": "zoom", "width": 160, "height": 120, "fps": FPS}


def test_slideshow_sections_follow_the_plan_and_same_seed_same_audio(offline_pipe,
                                                                     colour_images, colour_show):
    again = slideshow(offline_pipe, colour_images, duration=6, seed=4)
    np.testing.assert_array_equal(again.audio, colour_show.audio)
    assert colour_show.slides[0].plan.endswith("the first picture's own tempo")
    planned = key_plan([(s.brief.key, s.brief.mode) for s in colour_show.slides])
    assert [(s.brief.key, s.brief.mode) for s in colour_show.slides] == [k[:2] for k in planned]
    assert colour_show.midi is not None and colour_show.midi.get_end_time() <= 6.0 + 1e-6


def test_an_engine_that_only_renders_whole_pieces_gets_crossfaded_sections(
        offline_pipe, colour_images, colour_show, monkeypatch):
    from vistune.engines import Capabilities
    from vistune.engines.composer import ComposerEngine

    monkeypatch.setattr(ComposerEngine, "capabilities", Capabilities(midi=True))
    show = slideshow(offline_pipe, colour_images, seconds_per_image=2.0, seed=4)
    assert show.audio.shape == colour_show.audio.shape and show.engine == "composer"
    assert not np.array_equal(show.audio, colour_show.audio)  # made the other way
    assert [s.brief for s in show.slides] == [s.brief for s in colour_show.slides]
    assert show.midi is not None and show.midi.get_end_time() <= 6.0 + 1e-6
    again = slideshow(offline_pipe, colour_images, seconds_per_image=2.0, seed=4)
    np.testing.assert_array_equal(again.audio, show.audio)


def test_slideshow_rejects_too_little_time(offline_pipe):
    for options in ({"seconds_per_image": 0}, {"seconds_per_image": -3}, {"duration": 3},
                    {"seconds_per_image": 4, "duration": 8}):
        with pytest.raises(InputError) as error:
            slideshow(offline_pipe, [EXAMPLES / "forest.jpg"] * 2, **options)
        assert "\n" not in str(error.value)


def _run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_compose_writes_a_video_with_sidecar_and_midi(tmp_path, capsys):
    target = tmp_path / "forest.mp4"
    code, out, err = _run(capsys, "compose", str(EXAMPLES / "forest.jpg"), "-o", str(target),
                          "--duration", "2", "--midi", "--video-style", "wave", "--size",
                          "square", *OFFLINE)
    assert code == 0, err
    found = _inspect(target)
    _check_playable(found, 2.0)
    assert found["size"] == (1080, 1080)
    assert json.loads(target.with_suffix(".json").read_text())["video"]["style"] == "wave"
    assert target.with_suffix(".mid").stat().st_size > 0


@pytest.mark.parametrize("argv, message", [
    (["compose", str(EXAMPLES / "forest.jpg"), "-o", "{out}/a.mp4", "--size", "huge"],
     "unknown size 'huge'"),
    (["slideshow", str(EXAMPLES / "forest.jpg"), "-o", "{out}/a.mp4",
      "--seconds-per-image", "0"], "too short"),
    (["slideshow", str(EXAMPLES / "forest.jpg"), "-o", "{out}/a.wav"], "--audio-only"),
])
def test_cli_bad_video_input_is_one_line_and_writes_nothing(tmp_path, capsys, argv, message):
    code, _, err = _run(capsys, *[a.replace("{out}", str(tmp_path)) for a in argv], *OFFLINE)
    assert code == 2 and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_slideshow_audio_only(tmp_path, capsys):
    target = tmp_path / "show.flac"
    code, out, err = _run(capsys, "slideshow", str(EXAMPLES / "forest.jpg"), "-o", str(target),
                          "--duration", "3", "--audio-only", *OFFLINE)
    assert code == 0, err
    assert "1 picture]" in out and target.exists() and not target.with_suffix(".mp4").exists()
    assert len(json.loads(target.with_suffix(".json").read_text())["slides"]) == 1


@pytest.mark.parametrize("module", ["vistune.output.video", "vistune.slideshow"])
def test_docstring_examples(module):
    import importlib

    failed, attempted = doctest.testmod(importlib.import_module(module))
    assert attempted > 0 and failed == 0


@pytest.fixture(scope="module")
def tiny_musicgen(tmp_path_factory):
    """A tiny MusicGen with a 4 s window."""
    from tiny_models import build_musicgen

    return str(build_musicgen(tmp_path_factory.mktemp("musicgen")))


def test_slideshow_with_musicgen_prompts_each_section_with_its_plan(tmp_path, colour_images,
                                                                   tiny_musicgen):
    from vistune import ImageToMusic

    pipe = ImageToMusic(captioner="labels", engine="musicgen", offline=True,
                        music_model=tiny_musicgen)
    show = pipe.slideshow(colour_images[:2], seconds_per_image=2.0, seed=1)  # the API method
    assert show.engine == "musicgen" and show.sample_rate == 32_000 and show.midi is None
    assert show.audio.shape == (1, 4 * 32_000)
    for slide in show.slides:  # MusicGen is asked for the planned key and tempo
        assert f"{slide.brief.tempo} bpm, {slide.brief.key} {slide.brief.mode}" in (
            slide.brief.prompt)
    _check_playable(_inspect(show.save(tmp_path / "neural.mp4", video_style="wave",
                                       size="128x96")), 4.0)


def test_musicgen_sections_continue_one_piece_each_from_its_own_prompt(
        tiny_musicgen, forest_description, offline_pipe, monkeypatch):
    from vistune.engines.musicgen.engine import MusicGenEngine

    engine = MusicGenEngine(tiny_musicgen)
    calm = offline_pipe.brief(forest_description, style="ambient")
    loud = offline_pipe.brief(forest_description, style="rock")
    windows = []
    inputs = MusicGenEngine._inputs

    def spy(processor, prompts, audio, keep, *rest):  # records each window, then goes on
        windows.append((list(prompts), keep, None if audio is None else audio.shape[-1]))
        return inputs(processor, prompts, audio, keep, *rest)

    monkeypatch.setattr(MusicGenEngine, "_inputs", staticmethod(spy))
    track = engine.render_sections([calm, loud], starts=[0, 3], duration=5, seed=2)
    # Window 1 makes the first 3 s from the calm prompt; window 2 continues from its last
    # third of a window (the audio prompt) with the rock prompt, and adds the last 2 s.
    assert windows == [([calm.prompt], 0, None), ([loud.prompt], 42_240, 3 * 32_000)]
    assert track.audio.shape == (1, 5 * 32_000) and track.sample_rate == 32_000
    again = engine.render_sections([calm, loud], starts=[0, 3], duration=5, seed=2)
    np.testing.assert_array_equal(again.audio, track.audio)
    same = engine.render_sections([calm, calm], starts=[0, 3], duration=5, seed=2)
    seam = int((3 - 0.05) * 32_000)  # the windows are cross-faded over the last 50 ms
    np.testing.assert_array_equal(same.audio[:, :seam], track.audio[:, :seam])
    assert not np.array_equal(same.audio[:, 3 * 32_000:], track.audio[:, 3 * 32_000:])
    with pytest.raises(InputError, match="section starts"):
        engine.render_sections([calm, loud], starts=[0, 6], duration=5, seed=2)


def test_a_result_saves_its_own_picture_as_a_video(tmp_path, offline_pipe):
    red = _solid(tmp_path, "red")
    result = offline_pipe(red, duration=2, seed=1)
    saved = result.save(tmp_path / "red.mp4", size="64x64", midi=True)
    found = _inspect(saved)
    _check_playable(found, 2.0)
    assert found["size"] == (64, 64)
    assert _nearest(found["frames"][24]) == "red"
    sidecar = json.loads(saved.with_suffix(".json").read_text())
    assert sidecar["source"] == "red.png" and sidecar["video"]["style"] == "still"
    assert saved.with_suffix(".mid").read_bytes()[:4] == b"MThd"


def test_a_result_from_a_file_object_or_a_description_saves_a_video(tmp_path, offline_pipe):
    blue, green = _solid(tmp_path, "blue"), _solid(tmp_path, "green")
    with blue.open("rb") as file:
        result = offline_pipe(file, duration=2)
        saved = result.save(tmp_path / "blue.mp4", size="64x64")  # read again from its start
    assert _nearest(_inspect(saved)["frames"][24]) == "blue"
    with pytest.raises(OutputError, match=r"pictures=\[IMAGE\]"):  # the file is closed now
        result.save(tmp_path / "closed.mp4")
    described = offline_pipe(offline_pipe.describe(green), duration=2)
    with pytest.raises(OutputError, match=r"made from a Description.*pictures=\[IMAGE\]"):
        described.save(tmp_path / "green.mp4")
    shown = described.save(tmp_path / "green.mp4", pictures=[green], size="64x64")
    assert _nearest(_inspect(shown)["frames"][24]) == "green"
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == ["blue.mp4", "green.mp4"]
