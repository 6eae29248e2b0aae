"""VisTune's MusicGen loop against transformers' generate(), on tiny local checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import build_musicgen

from vistune.engines.decoding import decode_audio, generate_codes
from vistune.engines.musicgen import MusicGenEngine

CASES = [
    (["calm piano"], False, {}),
    (["calm piano", "fast loud drums and bass"], False, {"guidance_scale": 3.0, "top_k": 50}),
    (["a", "slow strings, c minor"], True, {"guidance_scale": 2.0, "temperature": 0.7,
                                           "top_p": 0.9}),
]


@pytest.fixture(scope="module", params=["mono", "stereo"])
def checkpoint(request, tmp_path_factory):
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    folder = build_musicgen(tmp_path_factory.mktemp(request.param), window_seconds=3.0,
                            stereo=request.param == "stereo", text_size=12)
    model = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    return folder, model, AutoProcessor.from_pretrained(folder)


def _batch(processor, model, prompts, with_audio):
    inputs = {"text": prompts, "padding": True, "return_tensors": "pt"}
    if with_audio:  # continue from one second of audio, as later windows do
        channels = model.decoder.config.audio_channels
        noise = np.random.default_rng(0).standard_normal((len(prompts), channels, 32_000))
        inputs["audio"] = [(a[0] if channels == 1 else a).astype(np.float32) for a in noise]
        inputs["sampling_rate"] = 32_000
    return processor(**inputs)


@pytest.mark.parametrize(("prompts", "with_audio", "sampling"), CASES)
def test_same_seed_same_codes_and_audio_as_transformers_generate(checkpoint, prompts,
                                                                 with_audio, sampling):
    import torch

    _, model, processor = checkpoint
    batch = _batch(processor, model, prompts, with_audio)
    with torch.inference_mode():
        torch.manual_seed(7)
        expected = model.generate(**batch, do_sample=True, max_new_tokens=30, **sampling)
        torch.manual_seed(7)
        codes = generate_codes(model, batch, new_tokens=30, sampling=sampling)
        audio = decode_audio(model, codes)
    frames = 30 - 3 + (50 if with_audio else 0)  # the last codebook lags the first by 3
    assert codes.shape == (len(prompts), model.decoder.num_codebooks, frames)
    assert audio.shape == expected.shape
    torch.testing.assert_close(audio, expected)


def test_every_step_is_reported_with_the_frames_so_far(checkpoint):
    import torch

    _, model, processor = checkpoint
    seen = []

    def on_step(done, total, frames):
        seen.append((done, total, frames().shape[-1]))

    with torch.inference_mode():
        codes = generate_codes(model, _batch(processor, model, ["calm"], False), new_tokens=12,
                               sampling={}, on_step=on_step)
    assert [s[0] for s in seen] == list(range(1, 13)) and {s[1] for s in seen} == {12}
    assert [s[2] for s in seen] == [max(0, n - 3) for n in range(1, 13)]
    assert seen[-1][2] == codes.shape[-1]


def test_engine_reports_steps_up_to_the_total(checkpoint, forest_description):
    from vistune.brief import make_brief

    folder, _, _ = checkpoint
    reports = []
    engine = MusicGenEngine(str(folder), precision="fp32")
    track = engine.render(make_brief(forest_description), duration=4.0, seed=1,
                          progress=lambda done, total, stage: reports.append((done, total)))
    assert track.audio.shape[-1] == 4 * 32_000
    done = [d for d, _ in reports]
    assert done == sorted(done) and reports[-1][0] == reports[-1][1] > 200
