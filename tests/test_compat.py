"""When a private torch or transformers API that VisTune's fast paths use is gone, MusicGen
falls back to transformers' generate(): same audio, progress and stream, one warning. When a
transformers internal that an OpenVINO export reads is gone, the model keeps PyTorch: one
warning, nothing exported."""

from __future__ import annotations

import inspect
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_models import build_blip, build_musicgen

from vistune.brief import make_brief
from vistune.engines.musicgen.engine import MusicGenEngine
from vistune.runtime import compat
from vistune.runtime.models import release


@pytest.fixture(scope="module")
def musicgen_dir(tmp_path_factory):
    return build_musicgen(tmp_path_factory.mktemp("compat"), window_seconds=3.0)


@pytest.fixture
def fresh_checks():
    """Each test sees its own library state: the checks run (and warn) anew."""

    def clear():
        for cached in (compat._loop_gap, compat.warn_once, compat._growing_layer_class):
            cached.cache_clear()
        release("music")

    clear()
    yield clear
    clear()


def _render(folder, description, *, precision: str, seed: int = 4):
    reports, chunks = [], []
    engine = MusicGenEngine(str(folder), precision=precision)
    [track] = engine.render(make_brief(description), duration=4.0, seed=seed,  # two windows
                          progress=lambda done, total, stage: reports.append((done, total)),
                          on_audio=lambda chunk, rate: chunks.append(chunk))
    return track, reports, chunks


def _fallback_notes(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "vistune" and "generate() instead" in r.getMessage()]


def test_the_installed_libraries_run_every_fast_path(musicgen_dir, fresh_checks, caplog):
    """No silent slowdown: with the transformers and torch installed, nothing falls back."""
    import torch
    from transformers import MusicgenForConditionalGeneration

    from vistune.runtime.models import quantize_linear

    model = MusicgenForConditionalGeneration.from_pretrained(musicgen_dir).eval()
    assert compat.fast_loop(model)
    quantize_linear(model.decoder)
    assert compat.fast_loop(model)
    assert compat.growing_cache(model)  # a Cache under the name forward() takes
    assert isinstance(compat.native_bf16(), bool)
    assert not _fallback_notes(caplog)
    assert torch.ao.nn.quantized.dynamic.Linear in {type(m) for m in model.decoder.modules()}


@pytest.mark.parametrize("owner,api", [("torch", "_make_per_channel_quantized_tensor"),
                                       ("int8 Linear", "_weight_bias")])
def test_a_missing_private_api_falls_back_to_generate_and_warns_once(
        musicgen_dir, forest_description, fresh_checks, monkeypatch, caplog, owner, api):
    import torch

    fast, fast_reports, _ = _render(musicgen_dir, forest_description, precision="int8")
    assert not _fallback_notes(caplog)
    target = torch if owner == "torch" else torch.ao.nn.quantized.Linear  # dynamic's base
    monkeypatch.delattr(target, api)
    fresh_checks()  # as in a new process with the changed library
    caplog.set_level(logging.WARNING, logger="vistune")
    slow, reports, chunks = _render(musicgen_dir, forest_description, precision="int8")
    again, _, _ = _render(musicgen_dir, forest_description, precision="int8", seed=5)

    notes = _fallback_notes(caplog)
    assert len(notes) == 1 and api in notes[0] and "\n" not in notes[0]
    for track in (slow, again):
        assert track.sample_rate == 32_000 and track.audio.shape == (1, 4 * 32_000)
        assert np.isfinite(track.audio).all() and np.abs(track.audio).max() > 0
    # transformers' loop samples the same tokens as VisTune's from the same seed
    np.testing.assert_allclose(slow.audio, fast.audio, atol=1e-5)
    # progress still moves step by step as before, and the audio still streams
    assert reports == fast_reports and len(reports) > 20
    assert np.concatenate(chunks, axis=-1).shape == slow.audio.shape


def test_melody_models_keep_working_when_the_cache_argument_changes(
        tmp_path, forest_description, fresh_checks, monkeypatch, caplog):
    """If forward() stops naming its cache argument as VisTune expects, melody models use
    transformers' own cache: same audio, one warning."""
    from transformers import MusicgenMelodyForConditionalGeneration as Melody

    folder = build_musicgen(tmp_path, window_seconds=3.0, melody=True)
    tune = (np.sin(np.linspace(0, 400 * np.pi, 32_000)).astype(np.float32), 32_000)

    def render():
        engine = MusicGenEngine(str(folder), precision="fp32")
        return engine.render(make_brief(forest_description), duration=2.0, seed=2,
                             melody=tune)[0]

    fast = render()
    release("music")
    forward = Melody.forward

    def renamed(self, *args, kv_cache=None, **kwargs):  # forward() renames its cache argument
        return forward(self, *args, **kwargs)

    signature = inspect.signature(forward)
    renamed.__signature__ = signature.replace(parameters=[
        p.replace(name="kv_cache") if p.name in ("cache", "past_key_values") else p
        for p in signature.parameters.values()])
    monkeypatch.setattr(Melody, "forward", renamed)
    caplog.set_level(logging.WARNING, logger="vistune")
    slow, again = render(), render()
    notes = [r.getMessage() for r in caplog.records if "own key/value cache" in r.getMessage()]
    assert len(notes) == 1
    assert slow.audio.shape == again.audio.shape == fast.audio.shape == (1, 2 * 32_000)
    np.testing.assert_allclose(slow.audio, fast.audio, atol=1e-5)


# --- The OpenVINO exports: every transformers internal they read is listed and checked ----

LAYOUTS = {"musicgen": ["musicgen"], "blip": ["blip-vision", "blip-decoder"]}
ROWS = [(family, *row) for family in ("musicgen", "blip-vision", "blip-decoder")
        for row in compat.EXPORTS[family][0]]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny MusicGen and a tiny BLIP: (checkpoint folder, model) by family."""
    from transformers import BlipForConditionalGeneration, MusicgenForConditionalGeneration

    root = tmp_path_factory.mktemp("exports")
    musicgen, blip = build_musicgen(root / "musicgen"), build_blip(root / "blip")
    return {"musicgen": (musicgen, MusicgenForConditionalGeneration.from_pretrained(
                musicgen).eval()),
            "blip": (blip, BlipForConditionalGeneration.from_pretrained(blip).eval())}


def _owner(model, path: str):
    for step in filter(None, path.split(".")):
        model = getattr(model, step)
    return model


@pytest.mark.parametrize("family,owner_class,path,names", ROWS)
def test_a_missing_internal_is_named_by_the_export_check(
        models, fresh_checks, monkeypatch, family, owner_class, path, names):
    """Each listed internal is where the list says, and the check names it once it is gone
    (as a transformers release that renames it would)."""
    model = models[family.split("-")[0]][1]
    owner = _owner(model, path)
    assert type(owner).__name__ == owner_class
    assert compat.export_gap(model, family) is None
    for name in names:
        with monkeypatch.context() as patch:
            # a method goes from every class that defines it, any other attribute from owner
            for holder in [c for c in type(owner).__mro__ if name in vars(c)] or [owner]:
                patch.delattr(holder, name)
            assert compat.export_gap(model, family) == f"{owner_class}.{name}"


def _record_reads(model, runtime: str) -> set[tuple[str, str]]:
    """Make every transformers module of ``model`` note (its class, the name) of each
    attribute that code under ``runtime`` reads from it; returns the set it fills."""
    reads: set[tuple[str, str]] = set()
    for module in model.modules():
        kind = type(module)
        if not kind.__module__.startswith("transformers."):
            continue

        def getattribute(self, name, kind=kind):
            if sys._getframe(1).f_code.co_filename.startswith(runtime):
                reads.add((kind.__name__, name))
            return object.__getattribute__(self, name)  # then nn.Module's __getattr__

        module.__class__ = type(kind.__name__, (kind,), {"__getattribute__": getattribute})
    return reads


@pytest.mark.parametrize("family", ["musicgen", "blip"])
def test_compat_lists_every_internal_the_openvino_exports_read(family, tmp_path, monkeypatch):
    """Export and attach a model whose transformers modules note every attribute that the
    OpenVINO runtime's code (torch modules, exports, attach) reads: each one is listed in
    compat, so a transformers that lacks it is caught before an export starts."""
    pytest.importorskip("openvino")
    pytest.importorskip("nncf")
    from transformers import BlipForConditionalGeneration, MusicgenForConditionalGeneration

    import vistune.runtime.openvino as runtime
    from vistune.runtime.openvino import blip, step

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path / "cache"))
    folder = (build_musicgen if family == "musicgen" else build_blip)(tmp_path / family)
    kind = (MusicgenForConditionalGeneration if family == "musicgen"
            else BlipForConditionalGeneration)
    model = kind.from_pretrained(folder).eval()
    reads = _record_reads(model, str(Path(runtime.__file__).parent))
    if family == "musicgen":
        import torch

        assert step.attach(model, str(folder))
        states = torch.zeros(2, 3, model.decoder.config.hidden_size)  # a step's text input
        step.step_factory(model)(model, states, torch.ones(2, 3, dtype=torch.long), length=4)
    else:
        assert blip.attach(model, str(folder)) == ("vision", "decoder")
    listed = {(owner, name) for layout in LAYOUTS[family]
              for owner, _, names in compat.EXPORTS[layout][0] for name in names}
    # cache.export_key reads the checkpoint's folder with a default: nothing to check.
    assert reads - listed == {(kind.__name__, "name_or_path")}
    assert len(reads) > 20  # the recording saw the traced modules' reads



@pytest.mark.parametrize("family,path,name,attached", [
    ("musicgen", "decoder.model.decoder.embed_positions", "weights", False),
    ("blip", "vision_model", "embeddings", ()),
    ("blip", "text_decoder", "cls", ("vision",)),
])
def test_a_missing_internal_keeps_pytorch_with_one_warning(
        models, fresh_checks, tmp_path, monkeypatch, caplog, family, path, name, attached):
    """The check runs before any export: the part that would read the missing internal (and
    any after it) stays on PyTorch, one line says why, nothing half-exported is left, and
    ``vistune optimize`` names the internal in a one-line error."""
    pytest.importorskip("openvino")
    pytest.importorskip("nncf")
    from vistune.errors import ModelUnavailable
    from vistune.runtime.openvino import blip, step

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    folder, loaded = models[family]
    caplog.set_level(logging.WARNING, logger="vistune")
    runtime = step if family == "musicgen" else blip
    for _ in range(2):  # a second load of the checkpoint warns no more
        model = type(loaded).from_pretrained(folder).eval()
        owner = _owner(model, path)
        monkeypatch.delattr(owner, name)
        assert runtime.attach(model, str(folder)) == attached
    notes = [r.getMessage() for r in caplog.records if "stays on PyTorch" in r.getMessage()]
    assert len(notes) == 1 and "\n" not in notes[0]
    assert f"this transformers lacks {type(owner).__name__}.{name};" in notes[0]
    if family == "musicgen":
        assert len(model.decoder.model.decoder.layers) == 2 and not step.attached(model)
        exported = sorted(p.name for p in tmp_path.rglob("*.xml"))
        assert exported == []
    else:
        runs_on = type(model.vision_model).__name__, type(model.text_decoder).__name__
        assert runs_on == {(): ("BlipVisionModel", "BlipTextLMHeadModel"),
                           ("vision",): ("Vision", "BlipTextLMHeadModel")}[attached]
        exported = sorted(p.name for p in tmp_path.rglob("*.xml"))
        assert exported == (["vision.xml"] if attached else [])
    part = {} if family == "musicgen" else {"part": "decoder" if attached else "vision"}
    with pytest.raises(ModelUnavailable, match=rf"lacks {type(owner).__name__}\.{name}\b"):
        runtime.export(model, str(folder), **part)
    assert sorted(p.name for p in tmp_path.rglob("*.xml")) == exported
