"""BLIP on OpenVINO (vision encoder and text decoder): the same tokens and captions as PyTorch
fp32, caching, fallback."""

from __future__ import annotations

import builtins

import pytest
from conftest import EXAMPLES
from tiny_models import build_blip

pytest.importorskip("openvino", reason="BLIP on OpenVINO needs the openvino package")
pytest.importorskip("nncf", reason="the OpenVINO export compresses weights with nncf")

from vistune.runtime.models import release  # noqa: E402
from vistune.runtime.openvino import beam_search, blip_decoder  # noqa: E402
from vistune.runtime.openvino import blip as blip_openvino  # noqa: E402
from vistune.see.blip import BlipCaptioner  # noqa: E402
from vistune.see.image import load_image  # noqa: E402

IMAGES = ("forest.jpg", "sunset.jpg", "city_night.jpg")


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path_factory.getbasetemp() / "vistune-cache"))
    yield
    release("captioner")


@pytest.fixture(scope="module")
def blip(tmp_path_factory):
    """A tiny BLIP at realistic weight scale (std 0.02 in the vision encoder too, whose own
    initialiser draws 1e-10 and would make every picture look alike), with its cross-attention
    and head sharpened as training makes them: captions then depend on the picture, and
    rounding does not flip near-ties."""
    import torch
    from transformers import BlipForConditionalGeneration

    folder = build_blip(tmp_path_factory.mktemp("blip-ov"))
    model = BlipForConditionalGeneration.from_pretrained(folder)
    torch.manual_seed(1)
    with torch.no_grad():
        for name, weight in model.vision_model.named_parameters():
            if weight.dim() > 1 or "bias" in name:
                weight.normal_(0.0, 0.02)
        model.text_decoder.cls.predictions.decoder.weight.mul_(8.0)
        for layer in model.text_decoder.bert.encoder.layer:
            layer.crossattention.self.value.weight.mul_(10.0)
            layer.crossattention.output.dense.weight.mul_(10.0)
    model.save_pretrained(folder)
    return folder


def _pictures():
    return [load_image(EXAMPLES / name).image for name in IMAGES]


def _captions(folder, backend: str) -> list[str]:
    captioner = BlipCaptioner(str(folder), precision="fp32", backend=backend,
                              max_new_tokens=12)
    model = captioner._load()[0]
    runs_on = type(model.vision_model).__name__, type(model.text_decoder).__name__
    assert runs_on == {"torch": ("BlipVisionModel", "BlipTextLMHeadModel"),
                       "openvino": ("Vision", "TextDecoder")}[backend]
    return captioner.caption(_pictures())


def test_openvino_captions_match_torch_fp32(blip):
    """The int8 vision encoder and text decoder give the captions PyTorch fp32 gives, on three
    pictures that get three different captions (so the encoder's output matters)."""
    expected = _captions(blip, "torch")
    assert len(set(expected)) == len(IMAGES), expected
    got = _captions(blip, "openvino")
    assert got == expected


def test_embeddings_stay_close_to_fp32(blip):
    """Agreement measure behind the captions: the image embeddings' largest error is a small
    fraction of their range."""
    import torch
    from transformers import BlipForConditionalGeneration, BlipImageProcessorPil

    model = BlipForConditionalGeneration.from_pretrained(blip).eval()
    pixels = BlipImageProcessorPil.from_pretrained(blip)(
        _pictures(), return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        expected = model.vision_model(pixel_values=pixels)[0]
        assert blip_openvino.attach(model, str(blip))
        got = model.vision_model(pixel_values=pixels)[0]
    assert got.shape == expected.shape == (3, 5, 32)
    assert (got - expected).abs().max() < 0.02 * expected.abs().max()


@pytest.mark.parametrize("prefix", [None, "an image of"])
@pytest.mark.parametrize("options", [
    {"num_beams": 3}, {"num_beams": 4, "min_new_tokens": 12}, {"num_beams": 1},
    {"num_beams": 3, "length_penalty": 0.5, "early_stopping": True},
    {"num_beams": 2, "length_penalty": 2.0, "early_stopping": "never"}])
def test_our_search_gives_generate_tokens(blip, prefix, options):
    """Our search over an fp32 export gives exactly the token ids transformers' generate()
    gives on PyTorch fp32: beam search (and greedy for one beam) with BLIP's settings and
    others transformers takes, unconditional and prefixed, for a batch of three pictures and
    for one."""
    import torch
    from transformers import BlipForConditionalGeneration, BlipProcessor

    processor = BlipProcessor.from_pretrained(blip)
    expected_model = BlipForConditionalGeneration.from_pretrained(blip).eval()
    model = BlipForConditionalGeneration.from_pretrained(blip).eval()
    assert blip_openvino.attach(model, str(blip), weights="fp32") == ("vision", "decoder")
    assert not list(model.text_decoder.parameters())  # PyTorch's decoder is gone
    for pictures in (_pictures(), _pictures()[1:2]):
        batch = {"images": pictures, "return_tensors": "pt"}
        if prefix:
            batch["text"] = [prefix] * len(pictures)
        inputs = processor(**batch)
        with torch.inference_mode():
            expected = expected_model.generate(**{k: v.clone() for k, v in inputs.items()},
                                               max_new_tokens=12, **options)
            got = model.generate(**{k: v.clone() for k, v in inputs.items()},
                                 max_new_tokens=12, **options)
        assert got.tolist() == expected.tolist()


def test_settings_the_search_does_not_follow_are_named():
    from transformers import GenerationConfig

    assert beam_search.unsupported(GenerationConfig(
        num_beams=3, length_penalty=2.0, repetition_penalty=1.0, top_k=5)) == []
    assert beam_search.unsupported(GenerationConfig(
        repetition_penalty=1.3, no_repeat_ngram_size=3)) == ["no_repeat_ngram_size",
                                                             "repetition_penalty"]


def test_unsupported_generation_settings_keep_the_pytorch_decoder(blip, tmp_path, monkeypatch,
                                                                  capsys):
    """A decoder whose generation settings our search does not follow (here a repetition
    penalty) stays in PyTorch, with one line naming the setting; nothing is exported for it."""
    from transformers import BlipForConditionalGeneration

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    model = BlipForConditionalGeneration.from_pretrained(blip).eval()
    model.text_decoder.generation_config.repetition_penalty = 1.3
    assert blip_openvino.attach(model, str(blip)) == ("vision",)
    assert type(model.text_decoder).__name__ == "BlipTextLMHeadModel"
    lines = [line for line in capsys.readouterr().err.splitlines() if "unavailable" in line]
    assert len(lines) == 1 and "repetition_penalty" in lines[0], lines
    assert not blip_openvino.is_exported(model, str(blip), part="decoder")


def test_export_is_cached_and_reused(blip, tmp_path, monkeypatch):
    from transformers import BlipForConditionalGeneration

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    model = BlipForConditionalGeneration.from_pretrained(blip).eval()
    made = {part: blip_openvino.export(model, str(blip), part=part)
            for part in ("vision", "decoder")}
    stamps = {p: p.stat().st_mtime_ns for folder in made.values() for p in folder.iterdir()}
    assert sorted(p.name for p in stamps if p.suffix == ".xml") == ["cross.xml", "step.xml",
                                                                   "vision.xml"]
    assert all(folder.is_relative_to(tmp_path / "openvino") for folder in made.values())
    for part, folder in made.items():
        assert blip_openvino.export(model, str(blip), part=part) == folder
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    # no half-written export
    assert sorted(p.name for p in (tmp_path / "openvino" / "blip").iterdir()) == sorted(
        folder.name for folder in made.values())
    other = blip_openvino.export_folder(model, str(blip), weights="f16", part="decoder")
    assert other not in made.values() and not other.exists()


def test_openvino_missing_falls_back_to_torch_with_one_line(blip, monkeypatch, capsys):
    expected = _captions(blip, "torch")
    release("captioner")
    real_import = builtins.__import__

    def no_openvino(name, *args, **kwargs):
        if name.split(".")[0] == "openvino":
            raise ImportError("No module named 'openvino'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openvino)
    captioner = BlipCaptioner(str(blip), precision="fp32", backend="openvino",
                              max_new_tokens=12)
    assert type(captioner._load()[0].vision_model).__name__ == "BlipVisionModel"
    assert captioner.caption(_pictures()) == expected
    lines = [line for line in capsys.readouterr().err.splitlines() if "OpenVINO" in line]
    assert len(lines) == 1 and "using PyTorch" in lines[0], lines


def test_decoder_export_failing_keeps_pytorch_decoder_with_one_line(blip, tmp_path,
                                                                    monkeypatch, capsys):
    """When only the text decoder's export fails, the vision encoder stays on OpenVINO, the
    decoder in PyTorch, the captions unchanged, and one line says so."""
    expected = _captions(blip, "torch")
    release("captioner")
    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))

    def broken(*args):
        raise RuntimeError("conversion failed")

    monkeypatch.setattr(blip_decoder, "export_into", broken)
    captioner = BlipCaptioner(str(blip), precision="fp32", backend="openvino",
                              max_new_tokens=12)
    model = captioner._load()[0]
    assert type(model.vision_model).__name__ == "Vision"
    assert type(model.text_decoder).__name__ == "BlipTextLMHeadModel"
    assert captioner.caption(_pictures()) == expected
    lines = [line for line in capsys.readouterr().err.splitlines() if "unavailable" in line]
    assert lines == ["vistune: OpenVINO unavailable for BLIP's decoder (RuntimeError: "
                     "conversion failed); using PyTorch"]


def test_same_picture_same_caption_across_runs(blip):
    captioner = BlipCaptioner(str(blip), backend="openvino", max_new_tokens=12)
    first = captioner.caption(_pictures()[:1])
    release("captioner")
    again = BlipCaptioner(str(blip), backend="openvino", max_new_tokens=12)
    assert type(again._load()[0].text_decoder).__name__ == "TextDecoder"
    assert again.caption(_pictures()[:1]) == first
    assert again.caption(_pictures()[:1]) == first


def test_vistune_optimize_exports_a_blip_checkpoint(blip, tmp_path, monkeypatch, capsys):
    """`vistune optimize FOLDER` recognises BLIP, exports its vision encoder and text decoder,
    and the captioner then finds the exports instead of making them."""
    from vistune.cli.main import main

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    assert main(["optimize", str(blip)]) == 0
    printed = capsys.readouterr()
    made = sorted((tmp_path / "openvino" / "blip").iterdir())
    assert len(made) == 2
    vision = next(folder for folder in made if (folder / "vision.xml").is_file())
    assert printed.out.strip().splitlines()[-1] == f"{blip}: {vision}"
    assert "vision encoder" in printed.err and "text decoder" in printed.err
    release("optimize")
    captioner = BlipCaptioner(str(blip), backend="openvino", max_new_tokens=12)
    captioner.caption(_pictures()[:1])
    assert "optimising" not in capsys.readouterr().err
    assert sorted((tmp_path / "openvino" / "blip").iterdir()) == made
