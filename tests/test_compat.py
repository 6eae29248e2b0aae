"""When a private torch or transformers API that VisTune's fast paths use is gone, MusicGen
falls back to transformers' generate(): same audio, progress and stream, one warning."""

from __future__ import annotations

import inspect
import logging

import numpy as np
import pytest
from tiny_models import build_musicgen

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
