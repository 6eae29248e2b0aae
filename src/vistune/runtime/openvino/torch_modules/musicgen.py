"""MusicGen's parts as traced for OpenVINO (step.py, codec.py): the cross-attention
projections, the decoder step, and EnCodec's decoder.

Changing what these compute changes the exported graphs: bump ``cache.EXPORT_VERSION``.
"""

from __future__ import annotations

import torch
from torch.nn.functional import scaled_dot_product_attention as sdpa


class Cross(torch.nn.Module):
    """Text states (batch, text, width) and mask -> every layer's cross-attention keys,
    transposed and scaled for the step's product (layers, batch, heads, head_dim, text),
    and values (layers, batch, heads, text, head_dim); padded positions' values are zero.
    (Given plain keys, the compiled step transposed and scaled them again at every step:
    per-node profiling showed that as a tenth of its time.)"""

    def __init__(self, model) -> None:
        super().__init__()
        self.layers = model.decoder.model.decoder.layers
        self.heads = self.layers[0].encoder_attn.num_heads

    def forward(self, states, mask):
        batch, text, _ = states.shape
        keep = mask[:, None, :, None].to(states.dtype)

        def split(x):
            return x.view(batch, text, self.heads, -1).transpose(1, 2)

        scale = split(states).shape[-1] ** -0.5
        keys = torch.stack([split(layer.encoder_attn.k_proj(states)).transpose(2, 3)
                            for layer in self.layers])
        values = torch.stack([split(layer.encoder_attn.v_proj(states)) * keep
                              for layer in self.layers])
        return keys * scale, values


class Step(torch.nn.Module):
    """The decoder stack for export: ids (batch, codebooks, columns), cross keys/values, the
    cross-attention bias (batch, text) and each layer's past keys and values -> logits
    (batch, codebooks, columns, vocabulary) and the extended keys and values. The same
    arithmetic as ``decoding.Stepper``, with positions and the causal mask taken from the
    past's length."""

    def __init__(self, model) -> None:
        super().__init__()
        self.stack = model.decoder.model.decoder
        self.lm_heads = model.decoder.lm_heads
        self.heads = self.stack.layers[0].self_attn.num_heads

    def forward(self, ids, cross_keys, cross_values, cross_bias, *past):
        batch, _, columns = ids.shape
        start = past[0].shape[2]
        x = sum(embed(ids[:, k]) for k, embed in enumerate(self.stack.embed_tokens))
        positions = torch.arange(columns) + start
        x = x + self.stack.embed_positions.weights.index_select(0, positions)
        causal = torch.arange(start + columns)[None, :] <= positions[:, None]
        bias = cross_bias[:, None, None, :]

        def split(t):
            return t.view(batch, t.shape[1], self.heads, -1).transpose(1, 2)

        def merge(t):
            return t.transpose(1, 2).reshape(batch, t.shape[2], -1)

        presents = []
        for index, layer in enumerate(self.stack.layers):
            attention = layer.self_attn
            h = layer.self_attn_layer_norm(x)
            key = torch.cat([past[2 * index], split(attention.k_proj(h))], dim=2)
            value = torch.cat([past[2 * index + 1], split(attention.v_proj(h))], dim=2)
            presents += [key, value]
            seen = sdpa(split(attention.q_proj(h)), key, value, attn_mask=causal)
            x = x + attention.out_proj(merge(seen))
            h = layer.encoder_attn_layer_norm(x)
            scores = split(layer.encoder_attn.q_proj(h)) @ cross_keys[index] + bias
            seen = scores.softmax(-1) @ cross_values[index]
            x = x + layer.encoder_attn.out_proj(merge(seen))
            h = layer.final_layer_norm(x)
            x = x + layer.fc2(layer.activation_fn(layer.fc1(h)))
        x = self.stack.layer_norm(x)
        return (torch.stack([head(x) for head in self.lm_heads], dim=1), *presents)


class Codec(torch.nn.Module):
    """One channel's codes -> its audio, as ``EncodecModel.decode`` computes it."""

    def __init__(self, encodec) -> None:
        super().__init__()
        self.encodec = encodec

    def forward(self, codes):
        return self.encodec.decode(codes[None], audio_scales=[None]).audio_values
