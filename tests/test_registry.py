"""The registry of engines and captioners, and plug-ins installed through entry points.

The plug-in is the README's "Writing an engine" example, installed the way pip leaves a package:
a module and a ``dist-info`` folder with ``entry_points.txt`` on the import path.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import soundfile
from conftest import EXAMPLES, ROOT

from vistune import ImageToMusic, InputError, registry
from vistune.pipeline import CAPTIONERS, ENGINES, STEPS

FOREST = str(EXAMPLES / "forest.jpg")
README = (ROOT / "README.md").read_text()
SINE = next(block for block in re.findall(r"```python\n(.*?)```", README, flags=re.S)
            if "class SineEngine" in block)

#: An engine that reports many steps, to see progress move through the whole bar.
STEPPER = '''
import numpy as np

from vistune.engines import Capabilities, Track
from vistune.registry import Entry


class StepEngine:
    name, model_name = "stepper", "fifty steps of noise"
    capabilities = Capabilities(batching=True)

    def render(self, brief, *, duration, seed, count=1, melody=None, stems=False, loop=False,
               progress=None, on_audio=None):
        rng = np.random.default_rng(seed)
        audio = np.zeros((count, 1, round(duration * 8000)), dtype=np.float32)
        for step in range(51):
            if progress:
                progress(step, 50, f"step {step}")
            audio[..., step * audio.shape[-1] // 51:] += 0.01 * rng.standard_normal()
        return [Track(audio=a, sample_rate=8000, engine=self.name, model=self.model_name)
                for a in audio]


ENTRY = Entry(name="stepper", kind="engine", description="offline: steps",
              load=lambda model, settings: StepEngine())


class LayerEngine:
    """A chord in layers: stems and seamless loops when asked."""

    name, model_name = "layers", "three sines"
    capabilities = Capabilities(stems=True, loop=True)

    def render(self, brief, *, duration, seed, count=1, melody=None, stems=False, loop=False,
               progress=None, on_audio=None):
        rate = 8000
        time = np.arange(round(duration * rate)) / rate
        # Whole cycles only when looping, so the end meets the start.
        parts = {f"{hz} Hz": 0.2 * np.cos(2 * np.pi * hz * time)[None].astype(np.float32)
                 for hz in ((200, 250, 300) if loop else (201.3, 252.1, 299.7))}
        mix = sum(parts.values())
        return [Track(audio=mix, sample_rate=rate, engine=self.name, model=self.model_name,
                      stems=parts if stems else None)] * count


LAYERS = Entry(name="layers", kind="engine", description="offline: layers",
               load=lambda model, settings: LayerEngine())
NOT_AN_ENTRY = "a string"
TAKEN = Entry(name="composer", kind="engine", description="impostor", load=lambda m, s: None)
'''


def _install(folder, dist: str, module: str, source: str | None, points: str) -> None:
    """What pip leaves behind: the module and a dist-info folder naming its entry points."""
    if source is not None:
        (folder / f"{module}.py").write_text(source)
    info = folder / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(points)


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    """A folder holding the sine plug-in, the stepper, and a broken plug-in."""
    folder = tmp_path_factory.mktemp("site")
    _install(folder, "vistune-sine", "vistune_sine", SINE,
             "[vistune.engines]\nsine = vistune_sine:ENTRY\n")
    _install(folder, "vistune-stepper", "vistune_stepper", STEPPER,
             "[vistune.engines]\nstepper = vistune_stepper:ENTRY\n"
             "layers = vistune_stepper:LAYERS\n"
             "odd = vistune_stepper:NOT_AN_ENTRY\nimpostor = vistune_stepper:TAKEN\n")
    _install(folder, "vistune-broken", "vistune_broken", None,
             "[vistune.captioners]\nbroken = vistune_missing_module:ENTRY\n")
    return folder


@pytest.fixture
def installed(plugins, monkeypatch):
    """The plug-ins on this process's import path, found by a fresh look at entry points."""
    monkeypatch.syspath_prepend(str(plugins))
    importlib.invalidate_caches()
    registry.reload()
    yield plugins
    monkeypatch.undo()
    registry.reload()


def _cli(plugins, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "vistune.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env)


def test_builtins_and_the_names_front_ends_read():
    assert [e.name for e in registry.entries("engine")][:2] == ["composer", "musicgen"]
    assert [e.name for e in registry.entries("captioner")][:2] == ["labels", "blip"]
    assert ENGINES[:3] == ("auto", "composer", "musicgen")
    assert CAPTIONERS[:3] == ("auto", "labels", "blip")
    musicgen = registry.get("engine", "musicgen")
    assert musicgen.neural and "facebook/musicgen-melody" in [m.name for m in musicgen.models]
    with pytest.raises(InputError, match="unknown engine 'magic'; choose one of: auto, "
                                         "composer, musicgen") as error:
        registry.get("engine", "magic")
    assert error.value.argument == "engine"


def test_auto_picks_neural_when_the_model_is_here_else_offline(tmp_path):
    (tmp_path / "config.json").write_text("{}")  # a local folder counts as downloaded
    assert registry.pick("engine", "auto", str(tmp_path), offline=True).name == "musicgen"
    assert registry.pick("captioner", "auto", str(tmp_path), offline=True).name == "blip"
    missing = str(tmp_path / "nothing")
    assert registry.pick("engine", "auto", missing, offline=True).name == "composer"
    assert registry.pick("captioner", "auto", None, offline=True).name == "labels"
    assert registry.pick("engine", "composer", str(tmp_path)).name == "composer"


def test_from_pretrained_names_pieces_or_checkpoints():
    assert registry.for_model("engine", "composer") == ("composer", None)
    assert registry.for_model("engine", "facebook/musicgen-melody") == (
        "musicgen", "facebook/musicgen-melody")
    assert registry.for_model("captioner", "/some/folder") == ("blip", "/some/folder")


def test_plugins_are_listed_and_broken_ones_skipped_in_one_line_each(installed):
    assert "sine" in registry.names("engine") and "stepper" in registry.names("engine")
    sine = registry.get("engine", "sine")
    assert sine.origin == "plug-in from vistune-sine" and not sine.neural and not sine.auto
    assert registry.get("engine", "composer").origin == "built in"  # the impostor was refused
    problems = registry.problems()
    assert len(problems) == 3 and all("\n" not in line for line in problems)
    assert any("broken" in p and "ModuleNotFoundError" in p for p in problems)
    assert any("odd" in p and "not a vistune.registry.Entry" in p for p in problems)
    assert any("impostor" in p and "'composer' is taken" in p for p in problems)
    notes = []
    ImageToMusic(engine="composer", captioner="labels", notify=notes.append)
    assert notes == [f"{p}" for p in problems]


def test_sine_plugin_from_the_api(installed, forest_description):
    pipe = ImageToMusic(engine="sine", captioner="labels", offline=True)
    first, second = pipe.variations(forest_description, count=2, duration=3, seed=4)
    assert first.engine == "sine" and first.sample_rate == 32_000
    assert first.audio.shape == (1, 3 * 32_000) and first.seed == 4 and second.seed == 5
    assert np.array_equal(pipe(forest_description, duration=3, seed=5).audio, second.audio)
    assert not np.array_equal(first.audio, second.audio)


def test_sine_plugin_from_the_command_line(plugins, tmp_path):
    out = tmp_path / "x.wav"
    done = _cli(plugins, "compose", FOREST, "-o", str(out), "--engine", "sine", "--captioner",
                "labels", "--duration", "2", "--offline")
    assert done.returncode == 0, done.stderr
    audio, rate = soundfile.read(out)
    assert rate == 32_000 and audio.shape == (2 * 32_000,) and np.abs(audio).max() > 0.05
    assert json.loads(out.with_suffix(".json").read_text())["engine"] == "sine"
    skipped = [line for line in done.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 3 and any("vistune_missing_module" in line for line in skipped)


def test_models_lists_plugins(plugins):
    done = _cli(plugins, "models")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^  sine +offline: a sine tone .*plug-in from vistune-sine", done.stdout,
                     flags=re.M)
    assert "facebook/musicgen-small" in done.stdout and "blip" in done.stdout
    assert "vistune_missing_module" in done.stderr


FEATURES = [({"melody": "image"}, "melody", "follow a tune"),
            ({"stems": True}, "stems", "make stems"),
            ({"loop": True}, "loop", "make a seamless loop")]


@pytest.mark.parametrize("request_,argument,words", FEATURES)
def test_a_request_an_engine_cannot_serve_is_the_same_error_for_every_engine(
        installed, forest_description, request_, argument, words):
    messages = set()
    # The composer makes stems and loops, so only a melody is beyond it.
    for engine in ("composer", "sine", "stepper") if argument == "melody" else ("sine", "stepper"):
        pipe = ImageToMusic(engine=engine, captioner="labels", offline=True)
        with pytest.raises(InputError, match=f"cannot {words}") as error:
            pipe(forest_description, duration=2, **request_)
        assert error.value.argument == argument
        messages.add(str(error.value).replace(engine, "ENGINE"))
    assert len(messages) == 1, messages


def test_stems_and_loops_reach_the_result_where_the_engine_makes_them(installed,
                                                                     forest_description):
    pipe = ImageToMusic(engine="layers", captioner="labels", offline=True)
    plain = pipe(forest_description, duration=2)
    assert plain.stems is None and plain.audio[0, 0] == 0.0  # faded in
    looped = pipe(forest_description, duration=2, stems=True, loop=True)
    assert sorted(looped.stems) == ["200 Hz", "250 Hz", "300 Hz"]
    assert looped.audio[0, 0] > 0.1  # no fades: the loop's ends meet at full level
    assert abs(looped.audio[0, 0] - looped.audio[0, -1]) < 0.05


def test_progress_moves_through_the_bar_inside_the_engine(installed, forest_description):
    seen = []
    pipe = ImageToMusic(engine="stepper", captioner="labels", offline=True)
    pipe(forest_description, duration=2, progress=lambda *report: seen.append(report))
    assert {total for _, total, _ in seen} == {STEPS}
    done = [d for d, _, _ in seen]
    assert done[0] == 0 and done[-1] == STEPS
    assert done == sorted(done)
    inside = [d for d, _, stage in seen if stage.startswith("step ")]
    assert len(inside) == 51 and all(b > a for a, b in zip(inside, inside[1:], strict=False))
    assert inside[0] < 0.2 * STEPS and inside[-1] > 0.9 * STEPS


def test_settings_an_engine_does_not_use_are_reported_as_ignored():
    notes = []
    ImageToMusic(engine="composer", captioner="labels", temperature=0.7, top_k=50,
                 notify=notes.append)
    assert notes == ["ignored temperature, top_k: the composer engine and the labels "
                     "captioner do not use them"]
    notes.clear()
    ImageToMusic(engine="musicgen", captioner="labels", temperature=0.7, num_beams=5,
                 caption_prefix="an image of", notify=notes.append)
    assert notes == ["ignored caption_prefix, num_beams: the musicgen engine and the labels "
                     "captioner do not use them"]
    notes.clear()
    ImageToMusic(engine="musicgen", captioner="blip", temperature=0.7, num_beams=5,
                 device="cpu", notify=notes.append)
    assert notes == []
