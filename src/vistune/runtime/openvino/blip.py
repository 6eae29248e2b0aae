"""BLIP on OpenVINO: the vision encoder and the text decoder, with int8 weights.

The vision encoder (ViT-L/16 at 384 px for blip-image-captioning-large) is most of a
caption's arithmetic; it runs once per picture. The text decoder runs once per token and beam,
as a stateful step with our own beam search (blip_decoder.py). See BENCHMARKS.md for each one's
share of a caption.

Why our own export: optimum-intel (``OVModelForVision2Seq``) does not cover BLIP, and it pins an
older transformers. The encoder is traced with ``openvino.convert_model`` (every dimension fixed
but the batch) and its weights compressed to int8 with NNCF, as the MusicGen decoder's are
(step.py), in the same cache (cache.py). The torch modules are in torch_modules/blip.py; every
transformers internal they read is checked first (``compat.export_gap``): when one is missing,
BLIP keeps PyTorch.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ...errors import ModelUnavailable
from .. import compat
from . import blip_decoder
from .cache import cache_root, export_key, write_atomically
from .core import openvino_available, tracing
from .passes import compress_weights

#: Each exported part's version, bumped whenever its graph changes so that old exports are not
#: reused, and the files it leaves in its folder.
PARTS = {"vision": (1, ("vision.xml",)), "decoder": (1, ("cross.xml", "step.xml"))}
#: The parts ``attach`` moves to OpenVINO (benchmarks/bench_blip.py measures the vision alone).
DEFAULT_PARTS = ("vision", "decoder")
#: Weight formats of the exports: int8 (NNCF, asymmetric, per channel), f16 or fp32.
WEIGHTS = ("int8", "f16", "fp32")
#: The format ``attach`` uses (benchmarks/bench_blip.py measures the others).
DEFAULT_WEIGHTS = "int8"
#: Progress stages of an export: the vision encoder's trace, compress and save, then the text
#: decoder's.
EXPORT_STAGES = 3 + blip_decoder.EXPORT_STAGES


def export_folder(model, name: str, *, weights: str = "int8", part: str = "vision") -> Path:
    """Where the export of ``model``'s ``part`` (a PARTS name) with ``weights`` is cached:
    beside MusicGen's exports, keyed the same way (checkpoint config, weight files, versions)
    plus this module's settings."""
    if weights not in WEIGHTS:
        raise ModelUnavailable(f"unknown weight format {weights!r}; choose one of: "
                               f"{', '.join(WEIGHTS)}")
    settings = json.dumps([f"blip-{part}", PARTS[part][0], weights]).encode()
    return (cache_root() / "blip"
            / f"{export_key(model, name)}-{hashlib.sha256(settings).hexdigest()[:8]}")


def is_exported(model, name: str, *, weights: str = "int8", part: str = "vision") -> bool:
    """True when the export of ``model``'s ``part`` is already in the cache."""
    folder = export_folder(model, name, weights=weights, part=part)
    return all((folder / file).is_file() for file in PARTS[part][1])


def export(model, name: str, *, weights: str = "int8", part: str = "vision",
           progress: Callable[[str], None] | None = None) -> Path:
    """The folder holding ``model``'s ``part`` (vision.xml, or the decoder's cross.xml and
    step.xml), exported now unless already cached; ``progress`` gets each stage's name."""
    folder = export_folder(model, name, weights=weights, part=part)
    if not is_exported(model, name, weights=weights, part=part):
        compat.require_exportable(model, f"blip-{part}")
        report = progress or (lambda stage: None)
        write = _export_into if part == "vision" else blip_decoder.export_into
        write_atomically(folder, lambda work: write(model, work, weights, report))
    return folder


def _export_into(model, folder: Path, weights: str, report: Callable[[str], None]) -> None:
    import nncf
    import openvino as ov
    import torch

    from .torch_modules.blip import Encoder

    vision = model.vision_model
    size = model.config.vision_config.image_size
    report("tracing the BLIP vision encoder")
    with tracing():
        graph = ov.convert_model(Encoder(vision), example_input=(
            torch.zeros(1, 3, size, size, dtype=vision.embeddings.patch_embedding.weight.dtype),),
            input=[(ov.PartialShape([-1, 3, size, size]), ov.Type.f32)])
    graph.inputs[0].get_tensor().set_names({"pixel_values"})
    graph.outputs[0].get_tensor().set_names({"image_embeds"})
    report(f"compressing the vision encoder to {weights}")
    if weights == "int8":
        graph = compress_weights(graph, mode=nncf.CompressWeightsMode.INT8_ASYM)
    report("saving the vision encoder")
    ov.save_model(graph, folder / "vision.xml", compress_to_fp16=weights == "f16")


def attach(model, name: str, *, weights: str | None = None,
           parts: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Run ``model``'s ``parts`` (default DEFAULT_PARTS: the vision encoder, then the text
    decoder) on OpenVINO with ``weights`` (default DEFAULT_WEIGHTS), exported now unless
    cached, dropping PyTorch's copy of each. Returns the parts attached: when this transformers
    lacks an internal the exports read, or on a failure, say so in one line and stop there
    (PyTorch keeps that part and the ones after it)."""
    weights, parts = weights or DEFAULT_WEIGHTS, parts or DEFAULT_PARTS
    done: tuple[str, ...] = ()
    ready = tuple(itertools.takewhile(lambda part: compat.exportable(model, f"blip-{part}"),
                                      parts))
    try:
        missing = [p for p in ready if not is_exported(model, name, weights=weights, part=p)]
        if missing:
            print(f"vistune: optimising {name} ({', '.join(missing)}) for this CPU with "
                  "OpenVINO, once (`vistune optimize` does it ahead of time)", file=sys.stderr)
        for part in ready:
            if part == "vision":
                from .torch_modules.blip import Vision

                model.vision_model = Vision(export(model, name, weights=weights))
            else:
                blip_decoder.attach(model, lambda: export(model, name, weights=weights,
                                                          part="decoder"))
            done += (part,)
    except Exception as exc:  # any OpenVINO/NNCF failure, a missing package included
        reason = (str(exc).strip().splitlines() or [""])[0][:160]
        what = "BLIP" if not done else f"BLIP's {', '.join(p for p in parts if p not in done)}"
        print(f"vistune: OpenVINO unavailable for {what} ({type(exc).__name__}: {reason}); "
              "using PyTorch", file=sys.stderr)
    return done


def optimize(name: str, *, weights: str = "int8",
             progress: Callable[[str], None] | None = None) -> Path:
    """``vistune optimize`` for a BLIP checkpoint (hub id or folder): export its vision
    encoder and text decoder now unless cached; returns the vision encoder's folder (the
    decoder's is beside it). ``progress`` gets "loading" first, then EXPORT_STAGES more."""
    from ..models import load_pretrained, release

    if not openvino_available():
        raise ModelUnavailable("OpenVINO is not installed; pip install openvino nncf")
    report = progress or (lambda stage: None)
    report(f"loading {name}")

    def build():
        from transformers import BlipForConditionalGeneration

        return BlipForConditionalGeneration.from_pretrained(name).eval()

    model = load_pretrained("optimize", name, name, build)
    try:
        vision = export(model, name, weights=weights, progress=report)
        export(model, name, weights=weights, part="decoder", progress=report)
        return vision
    finally:
        release("optimize")


def optimizer_for(name: str) -> tuple[int, Callable[..., Path]]:
    """``vistune optimize``'s work for checkpoint ``name``: (its number of export stages, the
    function that exports it), BLIP's here, else MusicGen's (which explains a bad name)."""
    from . import step as openvino_step

    try:
        from transformers import AutoConfig

        blip = AutoConfig.from_pretrained(name).model_type == "blip"
    except Exception:  # a missing or damaged checkpoint: MusicGen's loader says what to do
        blip = False
    return (EXPORT_STAGES, optimize) if blip else (openvino_step.EXPORT_STAGES,
                                                   openvino_step.optimize)
