"""BLIP's vision encoder on OpenVINO: the same captions as PyTorch fp32, caching, fallback."""

from __future__ import annotations

import builtins

import pytest
from conftest import EXAMPLES
from tiny_models import build_blip

pytest.importorskip("openvino", reason="BLIP on OpenVINO needs the openvino package")
pytest.importorskip("nncf", reason="the OpenVINO export compresses weights with nncf")

from vistune import blip_openvino  # noqa: E402
from vistune.blip import BlipCaptioner  # noqa: E402
from vistune.image import load_image  # noqa: E402
from vistune.models import release  # noqa: E402

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
    runs_on = type(captioner._load()[0].vision_model).__name__
    assert runs_on == {"torch": "BlipVisionModel", "openvino": "Vision"}[backend]
    return captioner.caption(_pictures())


def test_openvino_captions_match_torch_fp32(blip):
    """The int8 vision encoder gives the captions PyTorch fp32 gives, on three pictures that
    get three different captions (so the encoder's output matters)."""
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


def test_export_is_cached_and_reused(blip, tmp_path, monkeypatch):
    from transformers import BlipForConditionalGeneration

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    model = BlipForConditionalGeneration.from_pretrained(blip).eval()
    made = blip_openvino.export(model, str(blip))
    stamp = (made / "vision.xml").stat().st_mtime_ns
    assert made.is_relative_to(tmp_path / "openvino")
    assert blip_openvino.export(model, str(blip)) == made
    assert (made / "vision.xml").stat().st_mtime_ns == stamp
    assert [p.name for p in made.parent.iterdir()] == [made.name]  # no half-written export
    other = blip_openvino.export_folder(model, str(blip), weights="f16")
    assert other != made and not other.exists()


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


def test_same_picture_same_caption_across_runs(blip):
    captioner = BlipCaptioner(str(blip), backend="openvino", max_new_tokens=12)
    first = captioner.caption(_pictures()[:1])
    release("captioner")
    again = BlipCaptioner(str(blip), backend="openvino", max_new_tokens=12)
    assert type(again._load()[0].vision_model).__name__ == "Vision"
    assert again.caption(_pictures()[:1]) == first
    assert again.caption(_pictures()[:1]) == first


def test_vistune_optimize_exports_a_blip_checkpoint(blip, tmp_path, monkeypatch, capsys):
    """`vistune optimize FOLDER` recognises BLIP, exports its vision encoder, and the captioner
    then finds the export instead of making it."""
    from vistune.cli import main

    monkeypatch.setenv("VISTUNE_CACHE", str(tmp_path))
    assert main(["optimize", str(blip)]) == 0
    printed = capsys.readouterr()
    [made] = list((tmp_path / "openvino" / "blip").iterdir())
    assert printed.out.strip().splitlines()[-1] == f"{blip}: {made}"
    assert "vision encoder" in printed.err
    release("optimize")
    captioner = BlipCaptioner(str(blip), backend="openvino", max_new_tokens=12)
    captioner.caption(_pictures()[:1])
    assert "optimising" not in capsys.readouterr().err
    assert list((tmp_path / "openvino" / "blip").iterdir()) == [made]
