"""VisTune's MusicGen loop against transformers' generate(), on tiny local checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import build_musicgen

from vistune.engines.musicgen.decoding import decode_audio, generate_codes
from vistune.engines.musicgen.engine import MusicGenEngine

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
    track, = engine.render(make_brief(forest_description), duration=4.0, seed=1,
                          progress=lambda done, total, stage: reports.append((done, total)))
    assert track.audio.shape[-1] == 4 * 32_000
    done = [d for d, _ in reports]
    assert done == sorted(done) and reports[-1][0] == reports[-1][1] > 200


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_decoder_logits_match_transformers_at_every_position(checkpoint, precision):
    """The lean stack (with int8's joint q/k/v kernel call) computes what transformers'
    decoder computes, fed all at once or one column at a time."""
    import torch

    from vistune.engines.musicgen.decoding import _JOINT, Stepper, text_states
    from vistune.runtime.models import quantize_linear

    folder, _, processor = checkpoint
    from transformers import MusicgenForConditionalGeneration

    model = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    if precision == "int8":
        quantize_linear(model.decoder)
    batch = processor(text=["calm piano", "loud fast drums"], padding=True, return_tensors="pt")
    rows = 2 * model.decoder.num_codebooks
    ids = torch.randint(0, 2048, (rows, 20), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        states, mask = text_states(model, batch)
        expected = model.decoder(input_ids=ids, encoder_hidden_states=states,
                                 encoder_attention_mask=mask).logits
        whole = Stepper(model, states, mask, length=20).logits(ids)
        stepper = Stepper(model, states, mask, length=20)
        steps = torch.stack([stepper(ids[:, i:i + 1]) for i in range(20)], dim=1)
    torch.testing.assert_close(whole, expected, atol=1e-4, rtol=1e-4)
    # int8 runs q/k/v as one kernel call on stacked weights
    assert all((_JOINT.get(layer.self_attn) is not None) == (precision == "int8")
               for layer in model.decoder.model.decoder.layers)
    # int8 quantises each call's activations with that call's own range, so one column at a
    # time rounds a little differently from all twenty at once.
    tolerance = 1e-4 if precision == "fp32" else 2e-2
    torch.testing.assert_close(steps, expected, atol=tolerance, rtol=tolerance)


def test_streamed_audio_is_the_decoded_piece_in_chunks(checkpoint):
    import torch

    from vistune.engines.musicgen.decoding import AudioStream

    _, model, processor = checkpoint
    chunks = []
    stream = AudioStream(model, chunks.append, every=5, most=20)
    with torch.inference_mode():
        codes = generate_codes(model, _batch(processor, model, ["calm"], False), new_tokens=80,
                               sampling={}, on_step=stream)
        whole = decode_audio(model, codes).numpy()
    assert len(chunks) >= 4 and all(c.dtype == np.float32 for c in chunks)
    sizes = [c.shape[-1] // 640 for c in chunks]  # frames per chunk: soon, then longer
    assert sizes[0] < sizes[1] < sizes[2] and max(sizes[:-1]) <= 20 + 5
    streamed = np.concatenate(chunks, axis=-1)
    assert streamed.shape == whole.shape == (1, model.decoder.config.audio_channels, 77 * 640)
    # Each chunk is decoded with a second of context, so it differs from decoding the whole
    # piece at once only where the codec has not settled.
    assert np.abs(streamed - whole).max() < 0.1 * np.abs(whole).max()


def test_engine_streams_before_it_finishes(checkpoint, forest_description):
    from vistune.brief import make_brief

    folder, _, _ = checkpoint
    events = []
    engine = MusicGenEngine(str(folder), precision="fp32")
    track, = engine.render(make_brief(forest_description), duration=5.0, seed=3,  # two windows
                          progress=lambda done, total, stage: events.append(("progress", done,
                                                                              total)),
                          on_audio=lambda chunk, rate: events.append(("audio", chunk, rate)))
    audio = [e for e in events if e[0] == "audio"]
    first = events.index(audio[0])
    assert any(e[0] == "progress" and e[1] < e[2] for e in events[first:])  # still working
    assert {rate for _, _, rate in audio} == {track.sample_rate}
    streamed = np.concatenate([chunk for _, chunk, _ in audio], axis=-1)
    assert streamed.shape == track.audio.shape == (track.audio.shape[0], 5 * 32_000)
