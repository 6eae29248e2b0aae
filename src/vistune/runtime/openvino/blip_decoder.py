"""BLIP's text decoder on OpenVINO: a stateful step with int8 weights, and our own search.

The decoder (BERT layers with self-attention and cross-attention over the image embeddings)
is exported as two graphs, as MusicGen's is (step.py): ``cross.xml`` makes every layer's
cross-attention keys and values once per picture, and ``step.xml`` feeds ids (rows, columns)
and gives the last column's logits, its self-attention cache kept in OpenVINO states with a
``beam_idx`` input that reorders it (``passes.make_stateful``). Beams of one picture share
that picture's cross keys and values inside the step (read once per step).

The torch modules (traced, and the text decoder that answers BLIP's calls once attached) are
in torch_modules/blip.py; the search over the step is beam_search.py's (why our own: see
there).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...errors import ModelUnavailable
from .beam_search import unsupported
from .core import tracing
from .passes import compress_weights, make_stateful, name_ports

#: Progress stages of the decoder's export: two traces, compress, save.
EXPORT_STAGES = 4


def export_into(model, folder: Path, weights: str, report: Callable[[str], None]) -> None:
    """Trace ``model``'s text decoder into ``folder`` (cross.xml, step.xml) with ``weights``
    (int8: NNCF INT8_ASYM; f16; fp32). Only rows, columns and the cache length vary."""
    import nncf
    import openvino as ov
    import torch

    from .torch_modules.blip import Cross, Step

    decoder, config = model.text_decoder, model.config
    text = config.text_config
    layers, heads = text.num_hidden_layers, text.num_attention_heads
    head_dim = text.hidden_size // heads
    vision = config.vision_config
    patches = (vision.image_size // vision.patch_size) ** 2 + 1
    pictures, beams, columns, past = 2, 3, 2, 4
    with tracing():
        report("tracing the text decoder's cross-attention")
        cross = ov.convert_model(Cross(decoder), example_input=(
            torch.randn(pictures, patches, vision.hidden_size),),
            input=[(ov.PartialShape([-1, patches, vision.hidden_size]), ov.Type.f32)])
        name_ports(cross.inputs, ["image_embeds"])
        name_ports(cross.outputs, ["cross_keys", "cross_values"])
        report("tracing the text decoder step")
        example = (torch.zeros(pictures * beams, columns, dtype=torch.long),
                   torch.randn(layers, pictures, heads, head_dim, patches),
                   torch.randn(layers, pictures, heads, patches, head_dim),
                   *[torch.randn(pictures * beams, heads, past, head_dim)
                     for _ in range(2 * layers)])
        shapes = [[-1, -1], [layers, -1, heads, head_dim, patches],
                  [layers, -1, heads, patches, head_dim],
                  *[[-1, heads, -1, head_dim]] * (2 * layers)]
        step = ov.convert_model(Step(decoder), example_input=example, input=[
            (ov.PartialShape(shape), tensor.dtype) for shape, tensor in zip(
                shapes, example, strict=True)])
    cache_in = [f"past.{i}" for i in range(2 * layers)]
    cache_out = [f"present.{i}" for i in range(2 * layers)]
    name_ports(step.inputs, ["input_ids", "cross_keys", "cross_values", *cache_in])
    name_ports(step.outputs, ["logits", *cache_out])
    make_stateful(step, cache_in, cache_out)
    report(f"compressing the text decoder to {weights}")
    if weights == "int8":
        mode = nncf.CompressWeightsMode.INT8_ASYM
        cross, step = (compress_weights(g, mode=mode) for g in (cross, step))
    report("saving the text decoder")
    for graph, file in ((cross, "cross.xml"), (step, "step.xml")):
        ov.save_model(graph, folder / file, compress_to_fp16=weights == "f16")


def attach(model, export: Callable[[], Path]) -> None:
    """Replace ``model``'s PyTorch text decoder (its memory returned) by the compiled export in
    the folder ``export()`` gives, which answers BLIP's ``text_decoder.generate(...)`` call
    with ``search``. Raises ModelUnavailable first if the decoder's generation settings need
    transformers' own search."""
    reasons = unsupported(model.text_decoder.generation_config)
    if reasons:
        raise ModelUnavailable(f"generation settings {', '.join(reasons)} need transformers' "
                               "generate()")
    from .torch_modules.blip import TextDecoder

    model.text_decoder = TextDecoder(export(), model.text_decoder.generation_config)

