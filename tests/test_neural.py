"""BLIP and MusicGen through the same from_pretrained code users run, on tiny local checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from conftest import EXAMPLES
from tiny_models import build_blip, build_musicgen

from vistune import ImageToMusic, InputError, ModelUnavailable
from vistune.cli.main import main
from vistune.engines.musicgen.engine import _windows
from vistune.runtime.models import is_cached, load_pretrained
from vistune.see.blip import BlipCaptioner, is_degenerate
from vistune.see.image import load_image

FOREST = EXAMPLES / "forest.jpg"


@pytest.fixture(scope="session")
def blip_dir(tmp_path_factory):
    return build_blip(tmp_path_factory.mktemp("blip"))


@pytest.fixture(scope="session")
def musicgen_dir(tmp_path_factory):
    return build_musicgen(tmp_path_factory.mktemp("musicgen"), window_seconds=10.0)


@pytest.fixture(scope="session")
def melody_dir(tmp_path_factory):
    return build_musicgen(tmp_path_factory.mktemp("melody"), window_seconds=6.0, melody=True)


@pytest.fixture(scope="session")
def neural_pipe(blip_dir, musicgen_dir):
    return ImageToMusic(captioner="blip", engine="musicgen", caption_model=str(blip_dir),
                        music_model=str(musicgen_dir), offline=True)


# --- captions ---------------------------------------------------------------------------

def test_blip_unconditional_and_conditional(blip_dir):
    pictures = [load_image(EXAMPLES / n) for n in ("forest.jpg", "sunset.jpg")]
    plain = BlipCaptioner(str(blip_dir), max_new_tokens=8).caption([p.image for p in pictures])
    assert len(plain) == 2 and all(isinstance(c, str) and c for c in plain)
    prefixed = BlipCaptioner(str(blip_dir), prefix="an image of", max_new_tokens=8)
    for caption in prefixed.caption([p.image for p in pictures]):
        assert caption.startswith("an image of")


def test_blip_batch_matches_single_calls(blip_dir):
    captioner = BlipCaptioner(str(blip_dir), max_new_tokens=8)
    images = [load_image(EXAMPLES / n).image for n in ("forest.jpg", "sunset.jpg",
                                                       "city_night.jpg")]
    assert captioner.caption(images) == [captioner.caption([im])[0] for im in images]


def test_degenerate_caption_falls_back_to_the_offline_description(blip_dir):
    captioner = BlipCaptioner(str(blip_dir), max_new_tokens=1)  # one word at most
    description = captioner.describe(load_image(FOREST))
    assert description.captioner == "labels" and description.caption


@pytest.mark.parametrize("caption,bad", [("", True), ("arafed", True), ("a a a a", True),
                                         ("sea sea sea and", True),
                                         ("a cat sitting on a sofa", False)])
def test_degenerate_rule(caption, bad):
    assert is_degenerate(caption) is bad


def test_pipeline_with_blip_uses_its_caption_in_the_prompt(neural_pipe):
    description = neural_pipe.describe(FOREST)
    assert description.captioner == "blip" and description.features.palette
    brief = neural_pipe.brief(description)
    assert brief.prompt.endswith("evoking " + " ".join(description.caption.split()[:24]))


# --- music ------------------------------------------------------------------------------

def test_musicgen_mono_32khz_exact_length_and_seeded(neural_pipe, forest_description):
    a = neural_pipe(forest_description, duration=2.5, seed=5)
    b = neural_pipe(forest_description, duration=2.5, seed=5)
    c = neural_pipe(forest_description, duration=2.5, seed=6)
    assert a.sample_rate == 32_000 and a.audio.shape == (1, 80_000)
    assert a.engine == "musicgen" and a.midi is None
    assert np.array_equal(a.audio, b.audio) and not np.array_equal(a.audio, c.audio)


def test_sampling_settings_reach_generate(musicgen_dir, forest_description):
    greedy = ImageToMusic(captioner="labels", engine="musicgen", music_model=str(musicgen_dir),
                          top_k=1, guidance_scale=1.0)
    one = greedy(forest_description, duration=1.5, seed=1).audio
    two = greedy(forest_description, duration=1.5, seed=2).audio
    assert np.array_equal(one, two)  # top-k 1 leaves nothing to chance


def test_variations_are_one_batch_of_different_takes(neural_pipe, forest_description):
    takes = neural_pipe.variations(forest_description, count=3, duration=1.5, seed=0)
    assert [t.take for t in takes] == [0, 1, 2]
    assert all(t.audio.shape == (1, 48_000) for t in takes)
    assert not np.array_equal(takes[0].audio, takes[1].audio)


def test_windows_plan():
    assert _windows(40, window=30, overlap=10) == [(0.0, 30), (30, 10)]
    assert _windows(5, window=30, overlap=10) == [(0.0, 5)]
    plan = _windows(40, window=10, overlap=10 / 3)
    assert sum(seconds for _, seconds in plan) == pytest.approx(40)


def test_forty_seconds_from_a_ten_second_window(neural_pipe, forest_description):
    stages = []
    result = neural_pipe(forest_description, duration=40, seed=0,
                         progress=lambda d, t, stage: stages.append(stage))
    assert result.audio.shape == (1, 40 * 32_000)
    seconds = [float(s.split()[1]) for s in stages if s.startswith("MusicGen:")]
    assert seconds == sorted(seconds) and seconds[-1] == 40.0 and len(set(seconds)) > 100
    assert np.abs(result.audio[:, -32_000 * 5: -32_000 * 2]).max() > 0  # the end has sound


def test_melody_model_follows_the_image_melody_and_a_file(melody_dir, forest_description,
                                                          tmp_path):
    pipe = ImageToMusic(captioner="labels", engine="musicgen", music_model=str(melody_dir))
    from_image = pipe(forest_description, duration=8, seed=0, melody="image")
    assert from_image.audio.shape == (1, 8 * 32_000)
    t = np.arange(48_000 * 3) / 48_000
    tune = tmp_path / "tune.wav"
    soundfile.write(tune, 0.3 * np.sin(2 * np.pi * 440 * t), 48_000)
    from_file = pipe(forest_description, duration=3, seed=0, melody=tune)
    assert from_file.audio.shape == (1, 3 * 32_000)
    with pytest.raises(InputError, match="not a readable audio file"):
        pipe(forest_description, duration=3, melody=tmp_path / "none.wav")


def test_plain_musicgen_refuses_a_melody(neural_pipe, forest_description):
    with pytest.raises(InputError, match="cannot follow a tune"):
        neural_pipe(forest_description, duration=2, melody="image")


def test_stereo_checkpoint(tmp_path_factory, forest_description):
    folder = build_musicgen(tmp_path_factory.mktemp("stereo"), window_seconds=3.0, stereo=True)
    pipe = ImageToMusic(captioner="labels", engine="musicgen", music_model=str(folder))
    result = pipe(forest_description, duration=4, seed=0)  # two windows
    assert result.audio.shape == (2, 4 * 32_000)


# --- model management -------------------------------------------------------------------

def test_local_folders_count_as_cached_and_auto_picks_them(blip_dir, musicgen_dir):
    assert is_cached(str(blip_dir)) and is_cached(str(musicgen_dir))
    notes = []
    pipe = ImageToMusic(caption_model=str(blip_dir), music_model=str(musicgen_dir),
                        offline=True, notify=notes.append)
    assert (pipe.captioner_name, pipe.engine_name) == ("blip", "musicgen")
    assert notes == [f"auto: using blip ({blip_dir}) and musicgen ({musicgen_dir})"]


def test_models_load_once_and_switching_frees_the_old_one():
    built = []

    def build(tag):
        built.append(tag)
        return object()

    first = load_pretrained("test-kind", "a", "a", lambda: build("a"))
    assert load_pretrained("test-kind", "a", "a", lambda: build("again")) is first
    load_pretrained("test-kind", "b", "b", lambda: build("b"))
    assert built == ["a", "b"]


def test_broken_folder_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    pipe = ImageToMusic(captioner="labels", engine="musicgen", music_model=str(tmp_path))
    with pytest.raises(ModelUnavailable, match="cannot load"):
        pipe(FOREST, duration=2)


def test_cli_neural_run_and_one_line_error(blip_dir, musicgen_dir, tmp_path, capsys):
    out = tmp_path / "n.wav"
    code = main(["compose", str(FOREST), "-o", str(out), "--duration", "2", "--engine",
                 "musicgen", "--music-model", str(musicgen_dir), "--captioner", "blip",
                 "--caption-model", str(blip_dir), "--caption-prefix", "an image of",
                 "--guidance-scale", "2.5", "--variations", "2"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["n-1.wav", "n-2.wav"]
    assert soundfile.info(tmp_path / "n-1.wav").samplerate == 32_000
    code = main(["compose", str(FOREST), "-o", str(tmp_path / "x.wav"), "--engine", "musicgen",
                 "--music-model", "facebook/musicgen-nonexistent", "--offline"])
    err = capsys.readouterr().err
    assert code == 2 and "vistune download facebook/musicgen-nonexistent" in err
    assert not (tmp_path / "x.wav").exists()


def test_cli_streams_wav_to_stdout_while_composing(musicgen_dir, tmp_path, capsysbinary):
    import io

    import numpy as np

    out = tmp_path / "n.wav"
    code = main(["compose", str(FOREST), "-o", str(out), "--duration", "3", "--engine",
                 "musicgen", "--music-model", str(musicgen_dir), "--captioner", "labels",
                 "--stream", "-"])
    captured = capsysbinary.readouterr()
    assert code == 0, captured.err
    assert str(out).encode() in captured.err  # the report moved off stdout
    streamed, rate = soundfile.read(io.BytesIO(captured.out), always_2d=True)
    saved, saved_rate = soundfile.read(out, always_2d=True)
    assert rate == saved_rate == 32_000 and streamed.shape == saved.shape == (3 * 32_000, 1)
    assert np.abs(streamed).max() > 0


# --- precision --------------------------------------------------------------------------

@pytest.mark.parametrize("precision", ["int8", "bf16", "fp32"])
def test_precisions_are_really_taken_and_make_audio(musicgen_dir, forest_description, precision):
    import torch

    pipe = ImageToMusic(captioner="labels", engine="musicgen", music_model=str(musicgen_dir),
                        precision=precision)
    result = pipe(forest_description, duration=1.5, seed=0)
    assert result.audio.shape == (1, 48_000) and np.isfinite(result.audio).all()
    model = pipe.engine._load()[0]
    layer = model.decoder.model.decoder.layers[0].fc1
    if precision == "int8":
        assert isinstance(layer, torch.ao.nn.quantized.dynamic.Linear)
        assert model.text_encoder.dtype == torch.float32  # runs once; stays exact
    else:
        assert type(layer) is torch.nn.Linear
        assert layer.weight.dtype == {"bf16": torch.bfloat16, "fp32": torch.float32}[precision]


def test_auto_precision_by_device():
    from vistune.runtime.models import resolve_precision

    assert resolve_precision("auto", "cpu") == "int8"
    assert resolve_precision("auto", "cpu", kind="captioner") in ("bf16", "fp32")
    assert resolve_precision("auto", "cuda") == "fp16"
    assert resolve_precision("auto", "mps") == "fp32"
    with pytest.raises(ModelUnavailable, match="CPU only"):
        resolve_precision("int8", "cuda")
    with pytest.raises(InputError, match="unknown precision"):
        ImageToMusic(precision="int4")


def test_a_torch_without_int8_kernels_falls_back_to_fp32(monkeypatch):
    """Some PyTorch builds ship no quantized engine; auto must not pick int8 there, and asking
    for int8 names the fix."""
    import torch

    from vistune.runtime.models import resolve_precision

    monkeypatch.setattr(torch._C, "_supported_qengines", lambda: [0])  # 0: "none"
    assert torch.backends.quantized.supported_engines == ["none"]
    assert resolve_precision("auto", "cpu") == "fp32"
    with pytest.raises(ModelUnavailable, match="no int8 kernels.*fp32"):
        resolve_precision("int8", "cpu")


def test_low_memory_frees_the_captioner_before_music(blip_dir, musicgen_dir):
    from vistune.runtime.models import _LOADED

    pipe = ImageToMusic(captioner="blip", engine="musicgen", caption_model=str(blip_dir),
                        music_model=str(musicgen_dir), low_memory=True)
    result = pipe(FOREST, duration=1, seed=0)
    assert result.audio.shape == (1, 32_000)
    assert "captioner" not in _LOADED and "music" in _LOADED


def test_int8_decoder_stays_close_to_fp32(tmp_path_factory):
    """Quality guard: teacher-forced top-1 agreement >= 95% and a small KL.

    Freshly initialised heads give nearly flat distributions, where any rounding flips the
    argmax; trained MusicGen is confident. The heads are scaled up to give the tiny model
    confident predictions, so the guard measures the quantisation, not coin flips.
    """
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    from vistune.engines.musicgen.decoding import decoder_agreement
    from vistune.runtime.models import quantize_linear

    folder = build_musicgen(tmp_path_factory.mktemp("confident"), window_seconds=10.0)
    reference = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    with torch.no_grad():
        for head in reference.decoder.lm_heads:
            head.weight.mul_(8.0)
    fast = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    fast.load_state_dict(reference.state_dict())
    quantize_linear(fast.decoder)
    processor = AutoProcessor.from_pretrained(folder)
    top1, kl = decoder_agreement(reference, fast, processor, "calm piano", steps=120)
    assert top1 >= 0.95, (top1, kl)
    assert kl < 0.05


def test_growing_cache_layer_matches_concatenation():
    import torch
    from transformers.cache_utils import DynamicLayer

    from vistune.runtime.compat import _growing_layer_class

    growing, plain = _growing_layer_class()(), DynamicLayer()
    torch.manual_seed(0)
    for step in range(300):  # crosses the first 256-slot buffer
        k, v = torch.randn(2, 3, 1 if step else 5, 4), torch.randn(2, 3, 1 if step else 5, 4)
        got, want = growing.update(k, v), plain.update(k, v)
        assert all(torch.equal(g, w) for g, w in zip(got, want, strict=True))
    assert growing.get_seq_length() == plain.get_seq_length() == 304



@pytest.mark.parametrize("setting", [{"top_p": 0.0}, {"temperature": 0.0},
                                     {"guidance_scale": -1.0}, {"top_k": -5}])
def test_bad_sampling_settings_are_input_errors(setting):
    with pytest.raises(InputError, match="is outside"):
        ImageToMusic(engine="composer", captioner="labels", **setting)
