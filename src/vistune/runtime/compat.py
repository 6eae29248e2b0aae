"""The private transformers and torch APIs VisTune's fast paths use, each looked up once here.

VisTune's own MusicGen token loop (engines/musicgen/decoding.py), its in-place key/value cache
for melody checkpoints, its int8 kernel calls and the OpenVINO exports of MusicGen and BLIP
(runtime/openvino) lean on APIs and module layouts that transformers and torch do not promise
to keep. Each is checked here before use; when one is missing or has changed, the caller takes
the public path instead (transformers' ``generate()``: the same audio for the same seed, only
slower; PyTorch instead of OpenVINO) and one line on stderr says so. An upgrade may cost speed;
it must never cost a crash.

Nothing here imports torch or transformers at module level.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable

from ..errors import ModelUnavailable

logger = logging.getLogger("vistune")

#: What VisTune reads of a model's modules, as rows (owner's class, path to the owner from the
#: model, the attribute names read there); a path through a layer list names its first layer.
Layout = tuple[tuple[str, str, tuple[str, ...]], ...]

_LAYER = ("self_attn", "encoder_attn", "fc1", "fc2", "activation_fn", "self_attn_layer_norm",
          "encoder_attn_layer_norm", "final_layer_norm")
_ATTENTION = ("q_proj", "k_proj", "v_proj", "out_proj", "num_heads", "head_dim")
_STACK = "decoder.model.decoder"
#: What the token loop reads of a MusicgenForConditionalGeneration's decoder
#: (engines/musicgen/decoding.py, Stepper); the OpenVINO step reads all of it too.
MUSICGEN_DECODER: Layout = (
    ("MusicgenForCausalLM", "decoder",
     ("model", "lm_heads", "num_codebooks", "config", "build_delay_pattern_mask")),
    ("MusicgenModel", "decoder.model", ("decoder",)),
    ("MusicgenDecoder", _STACK, ("layers", "embed_tokens", "embed_positions", "layer_norm")),
    ("MusicgenDecoderLayer", f"{_STACK}.layers.0", _LAYER),
    ("MusicgenAttention", f"{_STACK}.layers.0.self_attn", _ATTENTION),
    ("MusicgenAttention", f"{_STACK}.layers.0.encoder_attn", _ATTENTION),
)
#: What MusicGen's OpenVINO export reads (runtime/openvino: step.py, codec.py and the torch
#: modules in torch_modules/musicgen.py).
MUSICGEN_EXPORT: Layout = (
    ("MusicgenForConditionalGeneration", "", ("decoder", "audio_encoder", "config")),
    *MUSICGEN_DECODER,
    ("MusicgenSinusoidalPositionalEmbedding", f"{_STACK}.embed_positions", ("weights",)),
    ("EncodecModel", "audio_encoder", ("decode",)),
)
_TEXT = "text_decoder.bert"
_OUTPUT = ("dense", "LayerNorm")
#: What BLIP's OpenVINO exports read of a BlipForConditionalGeneration (runtime/openvino:
#: blip.py, blip_decoder.py and the torch modules in torch_modules/blip.py), per part.
_BLIP = ("BlipForConditionalGeneration", "", ("vision_model", "text_decoder", "config"))
BLIP_VISION: Layout = (
    _BLIP,
    ("BlipVisionModel", "vision_model", ("embeddings",)),
    ("BlipVisionEmbeddings", "vision_model.embeddings", ("patch_embedding",)),
)
BLIP_DECODER: Layout = (
    _BLIP,
    ("BlipTextLMHeadModel", "text_decoder", ("bert", "cls", "config", "generation_config")),
    ("BlipTextModel", _TEXT, ("embeddings", "encoder")),
    ("BlipTextEmbeddings", f"{_TEXT}.embeddings",
     ("word_embeddings", "position_embeddings", "LayerNorm")),
    ("BlipTextEncoder", f"{_TEXT}.encoder", ("layer",)),
    ("BlipTextLayer", f"{_TEXT}.encoder.layer.0",
     ("attention", "crossattention", "intermediate", "output")),
    *((kind, f"{_TEXT}.encoder.layer.0.{attention}{part}", names)
      for attention in ("attention", "crossattention")
      for kind, part, names in (("BlipTextAttention", "", ("self", "output")),
                                ("BlipTextSelfAttention", ".self", ("query", "key", "value")),
                                ("BlipTextSelfOutput", ".output", _OUTPUT))),
    ("BlipTextOutput", f"{_TEXT}.encoder.layer.0.output", _OUTPUT),
)
#: Each OpenVINO export's layout, and what keeps PyTorch when this transformers lacks a part.
EXPORTS = {"musicgen": (MUSICGEN_EXPORT, "MusicGen's decoder"),
           "blip-vision": (BLIP_VISION, "BLIP's vision encoder"),
           "blip-decoder": (BLIP_DECODER, "BLIP's text decoder")}

@functools.cache
def warn_once(message: str) -> None:
    """Say ``message`` on stderr (through the ``vistune`` logger), once per process."""
    logger.warning("vistune: %s", message)


def fast_loop(model) -> bool:
    """True when VisTune's own token loop can run ``model`` (a MusicgenForConditionalGeneration
    whose decoder may be int8); else warns once and the caller uses ``generate()``."""
    missing = _loop_gap(type(model), _int8_layer(model.decoder))
    if missing is None:
        missing = _layout_gap(model)
    if missing is not None:
        warn_once(f"this transformers/torch lacks {missing}; MusicGen runs through "
                  "transformers' generate() instead (same audio, slower)")
    return missing is None


@functools.cache
def _loop_gap(model_class: type, int8_layer: type | None) -> str | None:
    """The first private API the loop needs that this install lacks, or None."""
    if not callable(getattr(model_class, "_prepare_audio_encoder_kwargs_for_generation", None)):
        return "MusicgenForConditionalGeneration._prepare_audio_encoder_kwargs_for_generation"
    if int8_layer is None:
        return None
    import torch

    needed = {"torch._make_per_channel_quantized_tensor":
              getattr(torch, "_make_per_channel_quantized_tensor", None),
              "torch.ops.quantized.linear_dynamic": _op("quantized", "linear_dynamic"),
              "torch.ops.quantized.linear_prepack": _op("quantized", "linear_prepack"),
              "quantized Linear._weight_bias": getattr(int8_layer, "_weight_bias", None)}
    return next((name for name, found in needed.items() if not callable(found)), None)


def _op(namespace: str, name: str):
    """``torch.ops.<namespace>.<name>``, or None when this torch has no such operator."""
    import torch

    try:
        return getattr(getattr(torch.ops, namespace), name)
    except (AttributeError, RuntimeError):
        return None


def _int8_layer(module) -> type | None:
    """The class of ``module``'s dynamically quantised Linear layers, None if it has none."""
    import torch

    return next((type(m) for m in module.modules()
                 if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)), None)


def _layout_gap(model) -> str | None:
    """The first decoder attribute the loop reads that ``model`` lacks, or None."""
    missing = layout_gap(model, MUSICGEN_DECODER)
    if missing is not None:
        return missing
    layer = _int8_layer(model.decoder)
    if layer is not None and packed_int8(next(
            m for m in model.decoder.modules() if isinstance(m, layer))) is None:
        return "quantized Linear._packed_params._packed_params"
    return None


def layout_gap(model, layout: Layout) -> str | None:
    """The first ``Owner.name`` of ``layout`` that ``model`` lacks, or None."""
    for owner_class, path, names in layout:
        owner = model
        for step in filter(None, path.split(".")):
            owner = getattr(owner, step, None)
        if owner is None:
            return f"{type(model).__name__}.{path}"
        missing = next((name for name in names if not hasattr(owner, name)), None)
        if missing is not None:
            return f"{owner_class}.{missing}"
    return None


def export_gap(model, family: str) -> str | None:
    """The first transformers internal that the OpenVINO export of ``model`` reads and this
    transformers lacks, or None; ``family`` names the export (an EXPORTS key)."""
    return layout_gap(model, EXPORTS[family][0])


def exportable(model, family: str) -> bool:
    """True when ``model`` has every internal its OpenVINO export (``family``) reads; else
    warns once, and the caller keeps PyTorch."""
    missing = export_gap(model, family)
    if missing is not None:
        warn_once(f"this transformers lacks {missing}; {EXPORTS[family][1]} stays on PyTorch "
                  "instead of OpenVINO (slower)")
    return missing is None


def require_exportable(model, family: str) -> None:
    """Raise ModelUnavailable, naming the missing internal, unless ``model`` can be exported
    to OpenVINO (``family``: an EXPORTS key)."""
    missing = export_gap(model, family)
    if missing is not None:
        raise ModelUnavailable(f"this transformers lacks {missing}, which the OpenVINO export "
                               "reads; use --backend torch")


def audio_prompt(model, input_values):
    """The audio prompt's codes as decoder input ids, (batch x codebooks, frames + 1)."""
    prompt = model._prepare_audio_encoder_kwargs_for_generation(input_values, {})
    return prompt["decoder_input_ids"]


def packed_int8(module):
    """The int8 kernel's packed weights of a dynamically quantised Linear, else None."""
    params = getattr(module, "_packed_params", None)
    return getattr(params, "_packed_params", None) if params is not None else None


def int8_linear(packed) -> Callable:
    """``x -> x @ W.T + b`` straight through the int8 kernel, skipping the module wrapper."""
    import torch

    return functools.partial(torch.ops.quantized.linear_dynamic, W_prepack=packed,
                             reduce_range=True)


def int8_weight_bias(module):
    """(int8 weight tensor, float bias or None) of a dynamically quantised Linear."""
    return module._weight_bias()


def pack_int8(int_repr, scales, zero_points):
    """The int8 kernel's packed weights for a per-output-channel int8 matrix, no bias."""
    import torch

    weight = torch._make_per_channel_quantized_tensor(int_repr, scales, zero_points, 0)
    return torch.ops.quantized.linear_prepack(weight, None)


def growing_cache(model) -> dict:
    """``generate()`` keyword arguments giving ``model`` a key/value cache that grows in place
    (see _growing_layer_class), or {} (transformers' own cache) if the cache API has changed."""
    parameters = inspect.signature(type(model).forward).parameters
    # ``cache`` in recent transformers (5.24), ``past_key_values`` in older ones.
    name = next((n for n in ("cache", "past_key_values") if n in parameters), None)
    layer = _growing_layer_class()
    if name is None or layer is None:
        missing = ("a cache argument named cache or past_key_values in forward()" if name is None
                   else "the Cache(layer_class_to_replicate=...) and DynamicLayer API")
        warn_once(f"this transformers lacks {missing}; melody models use transformers' own "
                  "key/value cache instead (same audio, slower)")
        return {}
    from transformers.cache_utils import Cache

    return {name: Cache(layer_class_to_replicate=layer)}


@functools.cache
def _growing_layer_class():
    """transformers' DynamicLayer concatenates the whole cache at every step, copying
    O(length) bytes per layer per step (hundreds of MB per step late in a 30 s window). This
    layer keeps a buffer with spare room, doubled when full, writes each step in place and
    hands out views: measured 112 -> 83 ms per step for four prompts, 57 -> 51 for one
    (BENCHMARKS.md). None when transformers' cache classes are not the ones it builds on."""
    try:
        from transformers.cache_utils import Cache, DynamicLayer
    except ImportError:
        return None
    if ("layer_class_to_replicate" not in inspect.signature(Cache).parameters
            or not callable(getattr(DynamicLayer, "lazy_initialization", None))):
        return None

    class GrowingLayer(DynamicLayer):
        def lazy_initialization(self, key_states, value_states) -> None:
            super().lazy_initialization(key_states, value_states)
            self._buffers, self._length = None, 0

        def update(self, key_states, value_states, *args, **kwargs):
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            end = self._length + key_states.shape[-2]
            if self._buffers is None or end > self._buffers[0].shape[-2]:
                shape = (*key_states.shape[:-2], max(256, 2 * end), key_states.shape[-1])
                grown = (key_states.new_empty(shape), value_states.new_empty(shape))
                if self._buffers is not None:
                    for new, old in zip(grown, self._buffers, strict=True):
                        new[..., :self._length, :] = old[..., :self._length, :]
                self._buffers = grown
            keys, values = self._buffers
            keys[..., self._length:end, :] = key_states
            values[..., self._length:end, :] = value_states
            self._length = end
            self.keys, self.values = keys[..., :end, :], values[..., :end, :]
            return self.keys, self.values

    return GrowingLayer


@functools.cache
def native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX), as oneDNN reports it."""
    check = _op("mkldnn", "_is_mkldnn_bf16_supported")
    if check is None:
        warn_once("this torch cannot say whether the CPU has native bf16; BLIP runs in fp32")
        return False
    return bool(check())
