"""ACE-Step 1.5 through diffusers' AceStepPipeline, on a tiny pipeline built from configs
(tests/tiny_models.py): through the command line, the Python API and the HTTP API."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
import soundfile
from conftest import EXAMPLES
from tiny_models import build_ace_step

pytest.importorskip("diffusers", reason="ACE-Step needs vistune[ace-step]")

from diffusers import AceStepPipeline  # noqa: E402

from vistune import ImageToMusic, InputError, ModelUnavailable, registry  # noqa: E402
from vistune.cli.main import main  # noqa: E402
from vistune.engines import ace_step  # noqa: E402
from vistune.runtime.models import DEFAULT_ACE_STEP_MODEL  # noqa: E402

FOREST = EXAMPLES / "forest.jpg"
RATE = 48_000


@pytest.fixture(scope="module")
def ace_dir(tmp_path_factory):
    return build_ace_step(tmp_path_factory.mktemp("ace-step"))


@pytest.fixture(scope="module")
def ace_pipe(ace_dir):
    return ImageToMusic(engine="ace-step", captioner="labels", music_model=str(ace_dir),
                        offline=True, cover_strength=0.4)


@pytest.fixture
def calls(monkeypatch):
    """The keyword arguments of every AceStepPipeline call (the real call still runs)."""
    seen: list[dict] = []
    real = AceStepPipeline.__call__

    def spy(self, *args, **kwargs):
        seen.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(AceStepPipeline, "__call__", spy)
    return seen


def test_cli_writes_the_asked_length_as_48k_stereo_with_licence_and_brief(ace_dir, tmp_path,
                                                                          capsys):
    out = tmp_path / "x.wav"
    code = main(["compose", str(FOREST), "-o", str(out), "--engine", "ace-step",
                 "--music-model", str(ace_dir), "--duration", "3", "--tempo", "132", "--key",
                 "A minor", "--offline"])
    assert code == 0, capsys.readouterr().err
    info = soundfile.info(out)
    assert (info.samplerate, info.channels, info.frames) == (RATE, 2, 3 * RATE)
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["engine"] == "ace-step" and sidecar["licence"].startswith("MIT")
    asked = sidecar["engine_settings"]
    assert (asked["bpm"], asked["keyscale"]) == (132, "A minor")
    assert asked["timesignature"] == str(sidecar["brief"]["meter"])
    assert asked["task"] == "text2music" and asked["steps"] == 8
    assert asked["made_seconds"] == 10.0  # ACE-Step's shortest, cut to the 3 s asked for


def test_the_brief_reaches_the_pipeline(ace_pipe, forest_description, calls):
    result = ace_pipe(forest_description, duration=2, seed=4, tempo=75, key="F# minor")
    call = calls[-1]
    assert (call["bpm"], call["keyscale"]) == (75, "F# minor")
    assert call["timesignature"] == str(result.brief.meter)
    assert call["prompt"] == [result.brief.prompt] and call["lyrics"] == ["[Instrumental]"]
    assert call["num_inference_steps"] == 8 and call["guidance_scale"] == 1.0  # turbo
    assert "task_type" not in call  # text-to-music
    assert result.audio.shape == (2, 2 * RATE) and result.sample_rate == RATE


def test_same_seed_same_audio_and_variations_are_one_batch_of_different_takes(
        ace_pipe, forest_description, calls):
    engine = ace_pipe.engine
    brief = ace_pipe.brief(forest_description)
    first = engine.render(brief, duration=2, seed=7)[0]
    again = engine.render(brief, duration=2, seed=7)[0]
    np.testing.assert_array_equal(first.audio, again.audio)
    takes = engine.render(brief, duration=2, seed=7, count=3)
    assert len(calls[-1]["prompt"]) == 3 and len(calls) == 3  # one batched call
    assert [t.seed for t in takes] == [7, 8, 9]
    assert not np.allclose(takes[0].audio, takes[1].audio)
    # each take's seed makes it again on its own
    alone = engine.render(brief, duration=2, seed=8)[0]
    np.testing.assert_allclose(takes[1].audio, alone.audio, atol=1e-4)
    np.testing.assert_allclose(takes[0].audio, first.audio, atol=1e-4)


def test_melody_image_covers_the_composers_piece(ace_pipe, forest_description, calls):
    result = ace_pipe(forest_description, duration=3, seed=2, melody="image")
    call = calls[-1]
    assert call["task_type"] == "cover" and call["audio_cover_strength"] == 0.4
    source = call["src_audio"].numpy()
    # the composer's whole piece for this brief and seed (48 kHz stereo), then silence to 10 s
    piece = registry.get("engine", "composer").create("", ace_pipe.settings).render(
        result.brief, duration=3, seed=2)[0].audio
    assert source.shape == (2, 10 * RATE)
    np.testing.assert_allclose(source[:, :3 * RATE], piece, atol=1e-6)
    assert not source[:, 3 * RATE:].any()
    assert result.engine_settings["task"] == "cover"
    assert result.engine_settings["cover_strength"] == 0.4


def test_cli_covers_a_file_with_the_strength_asked(ace_dir, tmp_path, calls, capsys):
    tune = tmp_path / "tune.wav"
    t = np.arange(RATE * 2) / 22_050
    soundfile.write(tune, 0.3 * np.sin(2 * np.pi * 440 * t), 22_050)  # mono, another rate
    out = tmp_path / "cover.wav"
    code = main(["compose", str(FOREST), "-o", str(out), "--engine", "ace-step",
                 "--music-model", str(ace_dir), "--duration", "2", "--melody", str(tune),
                 "--cover-strength", "0.7", "--offline"])
    assert code == 0, capsys.readouterr().err
    call = calls[-1]
    assert call["task_type"] == "cover" and call["audio_cover_strength"] == 0.7
    source = call["src_audio"].numpy()
    assert source.shape == (2, 10 * RATE) and np.abs(source[:, :RATE]).max() > 0.25
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["engine_settings"]["cover_strength"] == 0.7


def test_progress_moves_through_every_step_then_decoding(ace_pipe, forest_description):
    seen = []
    ace_pipe.engine.render(ace_pipe.brief(forest_description), duration=2, seed=0,
                           progress=lambda done, total, stage: seen.append((done, total, stage)))
    assert [d for d, _, _ in seen] == list(range(10)) and {t for _, t, _ in seen} == {9}
    assert seen[-2][2] == "ACE-Step: decoding the audio" and seen[-1][2] == "ACE-Step done"


def test_a_missing_checkpoint_is_the_usual_one_line_error(tmp_path, capsys):
    out = tmp_path / "x.wav"
    code = main(["compose", str(FOREST), "-o", str(out), "--engine", "ace-step", "--captioner",
                 "labels", "--offline"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert f"vistune download {DEFAULT_ACE_STEP_MODEL}" in err and "--engine composer" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args, message", [
    (["--cover-strength", "1.5"], "--cover-strength 1.5 is outside 0-1"),
    (["--precision", "int8"], "ACE-Step runs in fp32 or bf16"),
])
def test_bad_settings_are_one_line_errors(ace_dir, tmp_path, capsys, args, message):
    code = main(["compose", str(FOREST), "-o", str(tmp_path / "x.wav"), "--engine", "ace-step",
                 "--music-model", str(ace_dir), "--duration", "2", "--captioner", "labels",
                 "--offline", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not list(tmp_path.iterdir())
    with pytest.raises(InputError, match="cover_strength"):
        ImageToMusic(engine="ace-step", cover_strength=-0.1)


def test_out_of_memory_names_the_settings_to_try():
    with pytest.raises(ModelUnavailable, match="fewer --variations.*--precision bf16"), \
            ace_step.out_of_memory("2 x 30 s", "cuda", offload=True):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    with pytest.raises(RuntimeError, match="shape"), ace_step.out_of_memory("30 s", "cpu",
                                                                              offload=False):
        raise RuntimeError("shape mismatch")


def test_models_lists_it_with_every_engines_licence(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "ace-step" in out and DEFAULT_ACE_STEP_MODEL in out
    for name, licence in (("composer", "yours to use"), ("musicgen", "CC-BY-NC 4.0"),
                          ("ace-step", "MIT")):
        assert registry.get("engine", name).licence.name == licence
        line = next(line for line in out.splitlines() if line.strip().startswith(name))
        assert licence in line


def test_docstring_examples():
    failed, attempted = doctest.testmod(ace_step)
    assert attempted > 0 and failed == 0


def test_the_http_api_offers_it_with_no_code_of_its_own(ace_dir, tmp_path):
    pytest.importorskip("fastapi", reason="the HTTP API needs vistune[serve]")
    from test_server import finished, running, submit

    from vistune.server.api import create_app

    def make(engine: str) -> ImageToMusic:
        return ImageToMusic(engine=engine, captioner="labels", music_model=str(ace_dir),
                            offline=True)

    with running(create_app(make("composer"), make_pipe=make, folder=tmp_path)) as base:
        job = submit(base, duration=2, seed=1, engine="ace-step").json()["id"]
        state = finished(base, job)
    assert state["status"] == "done", state
    assert state["result"]["engine"] == "ace-step"


def test_another_engines_checkpoint_is_refused_in_one_line(tmp_path, capsys):
    code = main(["compose", str(FOREST), "-o", str(tmp_path / "x.wav"), "--engine", "ace-step",
                 "--music-model", "facebook/musicgen-medium", "--captioner", "labels",
                 "--offline"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "facebook/musicgen-medium is a musicgen checkpoint" in err
    assert DEFAULT_ACE_STEP_MODEL in err and not list(tmp_path.iterdir())
