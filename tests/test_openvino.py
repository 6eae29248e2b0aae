"""The OpenVINO decoder backend: quality against fp32, seeds, prefill, caching and fallback."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import build_musicgen

pytest.importorskip("openvino", reason="the OpenVINO backend needs the openvino package")
pytest.importorskip("nncf", reason="the OpenVINO export compresses weights with nncf")

from vistune.engines.musicgen.engine import MusicGenEngine  # noqa: E402
from vistune.errors import ModelUnavailable  # noqa: E402
from vistune.runtime.openvino import cache, core  # noqa: E402
from vistune.runtime.openvino import step as openvino_step  # noqa: E402


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path_factory.getbasetemp() / "vistune-cache"))


@pytest.fixture(scope="module")
def confident(tmp_path_factory):
    """A tiny MusicGen whose heads are scaled up to give confident predictions, as trained
    MusicGen's are (fresh heads give nearly flat distributions, where rounding flips the
    arg-max): the guard then measures the backend, not coin flips."""
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    folder = build_musicgen(tmp_path_factory.mktemp("confident"), window_seconds=10.0)
    model = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    with torch.no_grad():
        for head in model.decoder.lm_heads:
            head.weight.mul_(8.0)
    model.save_pretrained(folder)
    return folder, model, AutoProcessor.from_pretrained(folder)


def test_openvino_decoder_stays_close_to_fp32(confident, tmp_path, monkeypatch):
    """Quality guard: teacher-forced top-1 agreement >= 95% with the fp32 decoder."""
    from vistune.engines.musicgen.decoding import decoder_agreement

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    folder, model, processor = confident
    decoder = openvino_step.OpenVINODecoder(openvino_step.export(model, str(folder)))
    top1, kl = decoder_agreement(model, model, processor, "calm piano", steps=120,
                                 other_step=decoder.stepper)
    print(f"OpenVINO int8 vs fp32: top-1 agreement {top1:.1%}, mean KL {kl:.5f} nats")
    assert top1 >= 0.95, (top1, kl)
    assert kl < 0.05


def test_prefill_then_steps_match_the_torch_decoder(confident):
    """An audio prompt is fed in one call (causal over itself), then single columns follow;
    both give the logits PyTorch's fp32 stack gives, up to int8 weight rounding."""
    import torch

    from vistune.engines.musicgen.decoding import Stepper, text_states

    folder, model, processor = confident
    decoder = openvino_step.OpenVINODecoder(openvino_step.export(model, str(folder)))
    batch = processor(text=["calm piano", "loud fast drums"], padding=True, return_tensors="pt")
    ids = torch.randint(0, 2048, (4 * 4, 24), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        states, mask = text_states(model, batch, guided=True)
        expected = Stepper(model, states, mask, length=24).logits(ids)
        step = decoder.stepper(model, states, mask, length=24)
        prefill = step.logits(ids[:, :10])
        columns = torch.stack([step(ids[:, i:i + 1]) for i in range(10, 24)], dim=1)
    got = torch.cat([prefill, columns], dim=1)
    assert got.shape == expected.shape == (16, 24, 2048)
    scale = expected.abs().max()
    assert (got - expected).abs().max() < 0.05 * scale
    assert (got.argmax(-1) == expected.argmax(-1)).float().mean() >= 0.95


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_musicgen(tmp_path_factory.mktemp("ov-engine"), window_seconds=3.0)


def test_same_seed_same_audio_on_openvino_across_windows(small, forest_description):
    """Two windows (the second continues from an audio prompt); the same seed gives the same
    audio, another seed other audio."""
    from vistune.brief import make_brief

    brief = make_brief(forest_description)
    engine = MusicGenEngine(str(small), backend="openvino")
    model = engine._load()[0]
    assert openvino_step.step_factory(model).__self__.__class__ is openvino_step.OpenVINODecoder
    [first] = engine.render(brief, duration=4.0, seed=5)
    [again] = engine.render(brief, duration=4.0, seed=5)
    [other] = engine.render(brief, duration=4.0, seed=6)
    assert first.audio.shape == (1, 4 * 32_000)
    assert np.isfinite(first.audio).all() and np.abs(first.audio).max() > 0
    np.testing.assert_array_equal(first.audio, again.audio)
    assert not np.array_equal(first.audio, other.audio)


def test_export_is_cached_and_keyed_by_the_weights(confident, tmp_path, monkeypatch, capfd):
    import torch

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    folder, model, _ = confident
    capfd.readouterr()
    made = openvino_step.export(model, str(folder))
    assert capfd.readouterr().out == ""  # stdout may carry streamed audio
    stamp = (made / "step.xml").stat().st_mtime_ns
    assert openvino_step.export(model, str(folder)) == made
    assert (made / "step.xml").stat().st_mtime_ns == stamp
    assert [p.name for p in made.parent.iterdir()] == [made.name]  # no half-written export
    changed = tmp_path / "changed"
    model.save_pretrained(changed)
    with torch.no_grad():
        copy = type(model).from_pretrained(changed)
        copy.decoder.lm_heads[0].weight.add_(1.0)
    copy.save_pretrained(changed)
    assert cache.export_key(copy, str(changed)) != cache.export_key(model, str(folder))
    keys = {cache.export_key(model, str(folder), weights) for weights in cache.WEIGHT_FORMATS}
    assert len(keys) == len(cache.WEIGHT_FORMATS)
    assert cache.export_key(model, str(folder)) == cache.export_key(
        model, str(folder), cache.WEIGHTS)
    with pytest.raises(ModelUnavailable, match="int8_sym"):
        cache.export_key(model, str(folder), "int3")


def test_failing_openvino_falls_back_to_torch_with_one_line(small, forest_description,
                                                             monkeypatch, capsys):
    from vistune.brief import make_brief
    from vistune.runtime.models import release

    def broken(*args, **kwargs):
        raise RuntimeError("no CPU plugin\nsecond line")

    release("music")
    monkeypatch.setattr(openvino_step, "export", broken)
    engine = MusicGenEngine(str(small), backend="openvino")
    [track] = engine.render(make_brief(forest_description), duration=1.0, seed=0)
    assert track.audio.shape == (1, 32_000)
    assert openvino_step.step_factory(engine._load()[0]) is None
    lines = [line for line in capsys.readouterr().err.splitlines() if "OpenVINO" in line]
    assert lines == ["vistune: OpenVINO backend unavailable (RuntimeError: no CPU plugin); "
                     "using PyTorch"]
    release("music")


def test_backend_choice(monkeypatch):
    monkeypatch.delenv("VISTUNE_BACKEND", raising=False)
    assert core.resolve_backend("auto", "cpu") == "openvino"
    assert core.resolve_backend("auto", "cuda") == "torch"
    assert core.resolve_backend("auto", "mps") == "torch"
    assert core.resolve_backend("torch", "cpu") == "torch"
    monkeypatch.setenv("VISTUNE_BACKEND", "torch")  # the user's override of auto
    assert core.resolve_backend("auto", "cpu") == "torch"
    with pytest.raises(ModelUnavailable, match="--device cpu"):
        core.resolve_backend("openvino", "cuda")
    with pytest.raises(ModelUnavailable, match="auto, torch, openvino"):
        core.resolve_backend("onnx", "cpu")


@pytest.mark.parametrize("stereo", [False, True])
def test_encodec_on_openvino_gives_pytorchs_audio(tmp_path, monkeypatch, stereo):
    """The exported EnCodec decoder gives PyTorch's audio at every length the engine decodes
    (streamed chunks and whole pieces), mono and stereo; under SHORTEST frames PyTorch runs."""
    import torch
    from transformers import MusicgenForConditionalGeneration

    from vistune.engines.musicgen.decoding import decode_audio
    from vistune.runtime.openvino import codec as openvino_codec

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path / "cache"))
    folder = build_musicgen(tmp_path / "model", stereo=stereo)
    model = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    reference = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    assert openvino_step.attach(model, str(folder))
    assert openvino_step.codec_for(model) is not None
    generator = torch.Generator().manual_seed(0)
    pytorch_decodes = []
    decode = model.audio_encoder.decode
    monkeypatch.setattr(model.audio_encoder, "decode", lambda codes, **kwargs: (
        pytorch_decodes.append(codes.shape[-1]), decode(codes, **kwargs))[1])
    for frames in (1, openvino_codec.SHORTEST - 1, openvino_codec.SHORTEST, 37, 150):
        codes = torch.randint(0, 2048, (2, model.decoder.num_codebooks, frames),
                              generator=generator)
        with torch.inference_mode():
            expected = decode_audio(reference, codes)
            got = decode_audio(model, codes)
        assert got.shape == expected.shape == (2, 2 if stereo else 1, frames * 640)
        assert got.dtype == torch.float32
        assert (got - expected).abs().max() <= 1e-5 * max(expected.abs().max(), 1e-3)
    assert set(pytorch_decodes) == {1, openvino_codec.SHORTEST - 1}


def test_openvino_loop_runs_pytorch_on_one_thread_and_restores_it(small):
    """While OpenVINO steps run, PyTorch's own work in the loop uses one thread (a second
    OpenMP thread would compete with OpenVINO's); the count comes back afterwards, also
    when loops nest or overlap."""
    import torch
    from transformers import AutoProcessor

    from vistune.engines.musicgen.decoding import generate_codes, torch_threads

    engine = MusicGenEngine(str(small), backend="openvino")
    model = engine._load()[0]
    processor = AutoProcessor.from_pretrained(small)
    before = torch.get_num_threads()
    seen = []
    with torch.inference_mode():
        batch = processor(text=["calm piano"], return_tensors="pt")
        generate_codes(model, batch, new_tokens=6, sampling={},
                       on_step=lambda *args: seen.append(torch.get_num_threads()),
                       make_step=openvino_step.step_factory(model))
    assert seen == [1] * 6
    assert torch.get_num_threads() == before
    with torch_threads(1):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_compiled_models_dropped_then_a_signal_does_not_crash(confident, tmp_path, monkeypatch):
    """Two decoders compiled and dropped, then SIGTERM: the process handles it. (With one
    OpenVINO Core per compiled model, the signal crashed the process with a segmentation
    fault once the Cores were gone; every model now shares ``core.runtime()``.)"""
    import os
    import subprocess
    import sys
    from pathlib import Path

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    folder = openvino_step.export(confident[1], str(confident[0]))
    code = ("import gc, os, pathlib, signal, time\n"
            "from vistune.runtime.openvino.step import OpenVINODecoder\n"
            f"folder = pathlib.Path({str(folder)!r})\n"
            "first, second = OpenVINODecoder(folder), OpenVINODecoder(folder)\n"
            "del first, second\n"
            "gc.collect()\n"
            "signal.signal(signal.SIGTERM, lambda *args: print('handled', flush=True))\n"
            "os.kill(os.getpid(), signal.SIGTERM)\n"
            "time.sleep(0.5)\n")
    source = str(Path(openvino_step.__file__).parents[2])  # this checkout's vistune
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": source})
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert done.stdout.strip() == "handled"
