"""BLIP's parts on OpenVINO (blip.py, blip_decoder.py): the vision encoder, the text decoder's
cross-attention projections and step as traced for export, and the modules that answer BLIP's
calls from the compiled exports once attached.

Changing what the traced ones compute changes the exported graphs: bump that part's version
in ``blip.PARTS``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from torch.nn.functional import scaled_dot_product_attention as sdpa

from ....errors import ModelUnavailable
from ..beam_search import search, settings, unsupported
from ..core import COMPILE_F32_CACHE, F32, F32_LATENCY, compile_file


class Encoder(torch.nn.Module):
    """pixel_values (batch, 3, size, size) -> the last hidden state, as BLIP's ``generate``
    reads it; traced for export."""

    def __init__(self, vision) -> None:
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values):
        return self.vision(pixel_values=pixel_values)[0]


class Vision(torch.nn.Module):
    """Answers BLIP's ``vision_model(pixel_values=...)`` call from the compiled export in
    ``folder``; its output's first item is the image embeddings in ``dtype``, which follows
    the model's ``.to(dtype)`` as the text decoder's does."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.register_buffer("like", torch.zeros(0), persistent=False)
        self.compiled = compile_file(folder / "vision.xml", F32_LATENCY)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the model was last moved to (the embeddings come out in it)."""
        return self.like.dtype

    def forward(self, pixel_values, interpolate_pos_encoding: bool = False):
        if interpolate_pos_encoding:
            raise ModelUnavailable("the OpenVINO vision encoder takes the checkpoint's "
                                   "own image size only; use --backend torch")
        embeds = self.compiled(pixel_values.detach().float().cpu().numpy())["image_embeds"]
        return (torch.from_numpy(embeds.copy()).to(self.dtype),)


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
    """Answers BLIP's ``text_decoder.generate(...)`` from the compiled export in ``folder``
    with ``search``; holds no PyTorch weights."""

    def __init__(self, folder: Path, generation_config) -> None:
        super().__init__()
        self.generation_config = copy.deepcopy(generation_config)
        self.cross = compile_file(folder / "cross.xml", F32)
        self.step = compile_file(folder / "step.xml", COMPILE_F32_CACHE)

    def generate(self, input_ids, encoder_hidden_states, eos_token_id: int,
                 pad_token_id: int, attention_mask=None, encoder_attention_mask=None,
                 **options):
        """The captions' ids (pictures, length), as BLIP's text decoder's ``generate``."""
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
