"""BLIP's text decoder on OpenVINO: a stateful step with int8 weights, and our own search.

The decoder (BERT layers with self-attention and cross-attention over the image embeddings)
is exported as two graphs, as MusicGen's is (engines/openvino_step.py): ``cross.xml`` makes
every layer's cross-attention keys and values once per picture, and ``step.xml`` feeds ids
(rows, columns) and gives the last column's logits, its self-attention cache kept in OpenVINO
states with a ``beam_idx`` input that reorders it (``openvino_step.make_stateful``). Beams of
one picture share that picture's cross keys and values inside the step (read once per step).

The search over the step is beam_search.py's (why our own: see there).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path

from ...errors import ModelUnavailable
from .beam_search import search, settings, unsupported
from .core import COMPILE, F32, compile_file
from .step import compress_weights, make_stateful, name_ports

#: Progress stages of the decoder's export: two traces, compress, save.
EXPORT_STAGES = 4
#: The step's compile settings: MusicGen's, with an f32 cache (a caption's cache is small).
STEP_COMPILE = {**COMPILE, "KV_CACHE_PRECISION": "f32"}


def export_into(model, folder: Path, weights: str, report: Callable[[str], None]) -> None:
    """Trace ``model``'s text decoder into ``folder`` (cross.xml, step.xml) with ``weights``
    (int8: NNCF INT8_ASYM; f16; fp32). Only rows, columns and the cache length vary."""
    import nncf
    import openvino as ov
    import torch

    decoder, config = model.text_decoder, model.config
    text = config.text_config
    layers, heads = text.num_hidden_layers, text.num_attention_heads
    head_dim = text.hidden_size // heads
    vision = config.vision_config
    patches = (vision.image_size // vision.patch_size) ** 2 + 1
    pictures, beams, columns, past = 2, 3, 2, 4
    cross_class, step_class = _modules()[:2]
    with torch.inference_mode(False), torch.no_grad():
        report("tracing the text decoder's cross-attention")
        cross = ov.convert_model(cross_class(decoder), example_input=(
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
        step = ov.convert_model(step_class(decoder), example_input=example, input=[
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
    model.text_decoder = _modules()[2](export(), model.text_decoder.generation_config)


@functools.cache
def _modules():
    """The torch modules (Cross, Step, TextDecoder), built on first use so that importing
    VisTune does not import torch."""
    import torch

    class Cross(torch.nn.Module):
        """Image embeddings (pictures, patches, width) -> every layer's cross-attention keys,
        transposed and scaled for the step's product (layers, pictures, heads, head_dim,
        patches), and values (layers, pictures, heads, patches, head_dim)."""

        def __init__(self, decoder) -> None:
            super().__init__()
            self.layers = decoder.bert.encoder.layer
            self.heads = decoder.config.num_attention_heads

        def forward(self, image_embeds):
            pictures, patches, _ = image_embeds.shape

            def split(x):
                return x.view(pictures, patches, self.heads, -1).transpose(1, 2)

            attentions = [layer.crossattention.self for layer in self.layers]
            keys = torch.stack([split(a.key(image_embeds)).transpose(2, 3) for a in attentions])
            values = torch.stack([split(a.value(image_embeds)) for a in attentions])
            return keys * keys.shape[-2] ** -0.5, values

    class Step(torch.nn.Module):
        """BLIP's text decoder for export: ids (rows, columns), the cross keys and values of
        each picture (rows are pictures x beams, beams of a picture adjacent) and each layer's
        past keys and values -> the last column's logits and the extended keys and values.
        BlipTextLMHeadModel's arithmetic (post-norm BERT layers), positions and causal mask
        taken from the past's length."""

        def __init__(self, decoder) -> None:
            super().__init__()
            self.bert, self.head = decoder.bert, decoder.cls
            self.heads = decoder.config.num_attention_heads

        def forward(self, ids, cross_keys, cross_values, *past):
            from torch.nn.functional import scaled_dot_product_attention as sdpa

            rows, columns = ids.shape
            pictures, start = cross_keys.shape[1], past[0].shape[2]
            positions = torch.arange(columns) + start
            embeddings = self.bert.embeddings
            x = embeddings.LayerNorm(embeddings.word_embeddings(ids)
                                     + embeddings.position_embeddings(positions))
            causal = torch.arange(start + columns)[None, :] <= positions[:, None]

            def split(t):
                return t.view(rows, columns, self.heads, -1).transpose(1, 2)

            def merge(t):
                return t.transpose(1, 2).reshape(rows, columns, -1)

            # (rows, heads, columns, d) <-> (pictures, heads, beams x columns, d)
            def by_picture(t):
                grouped = t.reshape(pictures, -1, self.heads, columns, t.shape[-1])
                return grouped.transpose(1, 2).reshape(pictures, self.heads, -1, t.shape[-1])

            def by_row(t):
                grouped = t.reshape(pictures, self.heads, -1, columns, t.shape[-1])
                return grouped.transpose(1, 2).reshape(rows, self.heads, columns, t.shape[-1])

            presents = []
            for index, layer in enumerate(self.bert.encoder.layer):
                attention, out = layer.attention.self, layer.attention.output
                key = torch.cat([past[2 * index], split(attention.key(x))], dim=2)
                value = torch.cat([past[2 * index + 1], split(attention.value(x))], dim=2)
                presents += [key, value]
                seen = sdpa(split(attention.query(x)), key, value, attn_mask=causal)
                x = out.LayerNorm(out.dense(merge(seen)) + x)
                cross, out = layer.crossattention.self, layer.crossattention.output
                query = by_picture(split(cross.query(x)))
                seen = (query @ cross_keys[index]).softmax(-1) @ cross_values[index]
                x = out.LayerNorm(out.dense(merge(by_row(seen))) + x)
                x = layer.output.LayerNorm(layer.output.dense(layer.intermediate(x)) + x)
            return (self.head(x[:, -1]), *presents)

    class TextDecoder(torch.nn.Module):
        """Answers BLIP's ``text_decoder.generate(...)`` from the compiled export in
        ``folder`` with ``search``; holds no PyTorch weights."""

        def __init__(self, folder: Path, generation_config) -> None:

            super().__init__()
            self.generation_config = copy.deepcopy(generation_config)
            self.cross = compile_file(folder / "cross.xml", F32)
            self.step = compile_file(folder / "step.xml", STEP_COMPILE)

        def generate(self, input_ids, encoder_hidden_states, eos_token_id: int,
                     pad_token_id: int, attention_mask=None, encoder_attention_mask=None,
                     **options):
            import numpy as np
            import openvino as ov

            config = copy.deepcopy(self.generation_config)
            unused = config.update(**options)
            if unused or unsupported(config):
                raise ModelUnavailable(f"the OpenVINO text decoder does not take "
                                       f"{sorted(unused) or unsupported(config)}; use "
                                       "--backend torch")
            for mask in (attention_mask, encoder_attention_mask):
                if mask is not None and not bool(mask.all()):
                    raise ModelUnavailable("the OpenVINO text decoder takes unpadded prompts "
                                           "only; use --backend torch")
            cross = self.cross(encoder_hidden_states.detach().float().cpu().numpy())
            request = self.step.create_infer_request()
            for name in ("cross_keys", "cross_values"):
                # Shared, not copied: ``cross`` (ours, 40 MB for BLIP-large) outlives the search.
                request.set_tensor(name, ov.Tensor(np.ascontiguousarray(cross[name]),
                                                   shared_memory=True))
            request.reset_state()

            def step(ids, beam_idx):
                request.set_tensor("input_ids", ov.Tensor(np.ascontiguousarray(ids.numpy())))
                request.set_tensor("beam_idx", ov.Tensor(beam_idx.numpy().astype(np.int32)))
                request.infer()
                return torch.from_numpy(request.get_tensor("logits").data.copy())

            chosen = settings(config)
            if chosen["max_new_tokens"] is None:
                raise ModelUnavailable("the OpenVINO text decoder needs max_new_tokens")
            # min_length counts the prompt, min_new_tokens does not; generate() applies both.
            chosen["min_new_tokens"] = max(chosen["min_new_tokens"],
                                           chosen.pop("min_length") - input_ids.shape[1])
            return search(step, input_ids.cpu(), eos=eos_token_id, pad=pad_token_id, **chosen)

    return Cross, Step, TextDecoder
