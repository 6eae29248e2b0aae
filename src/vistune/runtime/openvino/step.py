"""MusicGen's decoder step on OpenVINO: int8 weights, u8 key/value cache, fused attention.

VisTune's token loop (decoding.py) keeps guidance, sampling, the delay pattern, seeds and
streaming; only the decoder step (``Stepper``'s interface: call with ids, get the last
column's logits; ``logits()`` gives every column's) runs here.

Why our own export: optimum-intel 2.2 does not export MusicGen to OpenVINO (it lists
``musicgen`` among the architectures whose support was removed, and its text-to-audio class
takes SpeechT5 and Kokoro only), and it pins transformers < 5.6. So the decoder stack is traced
here with ``openvino.convert_model`` and given the same stateful form optimum-intel gives its
decoders: a ``beam_idx`` input with a Gather on every cache input, the cache moved into
zero-initialised states. Only with that form does OpenVINO's CPU plugin fuse attention with
its own u8 key/value cache. Weights are compressed to int8 with NNCF (asymmetric).

EnCodec's decoder is exported beside it (openvino_codec.py). The export is cached under
``~/.cache/vistune/openvino`` (``VISTUNE_CACHE`` overrides the root), keyed by the checkpoint's
config and weight files and the export settings.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import ModelUnavailable
from . import codec as openvino_codec
from .core import COMPILE, F32, compile_file, openvino_available

if TYPE_CHECKING:
    import torch

#: Bumped whenever the exported graph changes, so old exports are not reused.
EXPORT_VERSION = 3
#: NNCF weight compression of each export format: ``compress_weights`` arguments by name.
#: int4 formats keep the embeddings, heads and the most sensitive layers in int8 (``ratio``
#: is the share of the other layers' weights in int4; NNCF's default backup is int8_asym).
WEIGHT_FORMATS = {
    "int8_asym": {"mode": "INT8_ASYM"},
    "int8_sym": {"mode": "INT8_SYM"},
    "int4_asym": {"mode": "INT4_ASYM", "group_size": 128, "ratio": 1.0},
    "int4_mixed": {"mode": "INT4_ASYM", "group_size": 128, "ratio": 0.5},
}
#: The default weight format (BENCHMARKS.md, issue 17: speed and agreement of each).
WEIGHTS = "int8_asym"
#: A finite "never attend" bias: a row whose text is all padding (guidance's unconditional
#: half) then averages zeroed values and gets 0, as PyTorch's attention gives it.
_MASKED = -1e9

#: The compiled OpenVINODecoder attached to a loaded model (see ``attach``).
_ATTACHED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attached(model) -> bool:
    """Whether OpenVINO runs ``model``'s decoder steps (its PyTorch layers are then gone)."""
    return model in _ATTACHED


def step_factory(model) -> Callable | None:
    """OpenVINO's step class for ``model`` when attached; None: the PyTorch step."""
    return _ATTACHED[model].stepper if model in _ATTACHED else None


def codec_for(model) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """OpenVINO's EnCodec decoder for ``model`` (one channel's codes -> audio), if attached."""
    return _ATTACHED[model].codec if model in _ATTACHED else None


def attach(model, name: str) -> bool:
    """Export (or reuse the cached export of) ``model``'s decoder and attach it, so that
    ``step_factory(model)`` gives OpenVINO steps; PyTorch's copy of the decoder stack is then
    dropped (its memory returned). On failure print one line and return False: the caller
    keeps PyTorch."""
    import sys

    import torch

    try:
        if not is_exported(model, name):
            print(f"vistune: optimising {name} for this CPU with OpenVINO, once (about a "
                  "minute; `vistune optimize` does it ahead of time)", file=sys.stderr)
        _ATTACHED[model] = OpenVINODecoder(export(model, name))
    except Exception as exc:  # any OpenVINO/NNCF failure, a missing package included
        reason = (str(exc).strip().splitlines() or [""])[0][:160]
        print(f"vistune: OpenVINO backend unavailable ({type(exc).__name__}: {reason}); "
              "using PyTorch", file=sys.stderr)
        return False
    model.decoder.model.decoder.layers = torch.nn.ModuleList()
    model.decoder.lm_heads = torch.nn.ModuleList()
    return True


def is_exported(model, name: str, weights: str = WEIGHTS) -> bool:
    """True when ``model``'s decoder export in ``weights`` format is already in the cache."""
    folder = cache_root() / export_key(model, name, weights)
    return all((folder / file).is_file() for file in ("step.xml", "cross.xml", "codec.xml"))


def cache_root() -> Path:
    """Where exports are kept: ``$VISTUNE_CACHE/openvino`` or ``~/.cache/vistune/openvino``."""
    root = os.environ.get("VISTUNE_CACHE") or Path.home() / ".cache" / "vistune"
    return Path(root).expanduser() / "openvino"


def export_key(model, name: str, weights: str = WEIGHTS) -> str:
    """The cache folder name: the checkpoint's name, config and weight files (their names,
    sizes and times, or the hub snapshot's revision in its path) and the export settings
    (the weight format among them)."""
    import nncf
    import openvino

    digest = hashlib.sha256()
    digest.update(json.dumps(model.config.to_dict(), sort_keys=True, default=str).encode())
    if weights not in WEIGHT_FORMATS:
        raise ModelUnavailable(f"unknown OpenVINO weight format {weights!r}; choose one of: "
                               f"{', '.join(WEIGHT_FORMATS)}")
    digest.update(json.dumps([EXPORT_VERSION, weights, WEIGHT_FORMATS[weights],
                              openvino.__version__, nncf.__version__]).encode())
    folder = Path(getattr(model, "name_or_path", "") or name).expanduser()
    if folder.is_dir():
        for path in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
            stat = path.resolve().stat()
            digest.update(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name.strip("/"))[-60:]
    return f"{safe}-{digest.hexdigest()[:16]}"


def export(model, name: str, *, weights: str = WEIGHTS,
           progress: Callable[[str], None] | None = None) -> Path:
    """The folder holding ``model``'s OpenVINO decoder (``step.xml``) and cross-attention
    projections (``cross.xml``), exported and compressed to ``weights`` (a WEIGHT_FORMATS
    name) now unless already cached."""
    folder = cache_root() / export_key(model, name, weights)
    if not is_exported(model, name, weights):
        report = progress or (lambda stage: None)
        write_atomically(folder, lambda work: _export_into(model, work, weights, report))
    return folder


def write_atomically(folder: Path, write: Callable[[Path], None]) -> None:
    """``write(work)`` fills a fresh temporary folder beside ``folder``, which then becomes
    ``folder`` in one rename, so a half-written export is never picked up."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".export-"))
    try:
        write(work)
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


#: Progress stages of an export: two traces, then compress and save each of two graphs, then
#: trace and save EnCodec's decoder.
EXPORT_STAGES = 8


def optimize(name: str, *, progress: Callable[[str], None] | None = None) -> Path:
    """``vistune optimize``: load checkpoint ``name`` (hub id or folder) and export its
    decoder for the OpenVINO backend now, unless cached; returns the export's folder.
    ``progress`` gets each stage's name ("loading" first, then EXPORT_STAGES more)."""
    from ..models import load_pretrained

    if not openvino_available():
        raise ModelUnavailable("OpenVINO is not installed; pip install openvino nncf")
    report = progress or (lambda stage: None)
    report(f"loading {name}")

    def build():
        from transformers import AutoConfig, MusicgenForConditionalGeneration

        if AutoConfig.from_pretrained(name).model_type != "musicgen":
            raise ValueError("only text-conditioned MusicGen runs on OpenVINO; melody "
                             "checkpoints keep PyTorch")
        return MusicgenForConditionalGeneration.from_pretrained(name).eval()

    model = load_pretrained("optimize", name, name, build)
    try:
        return export(model, name, progress=report)
    finally:
        from ..models import release

        release("optimize")


def _export_into(model, folder: Path, weights: str, report: Callable[[str], None]) -> None:
    import nncf
    import openvino as ov
    import torch

    decoder = model.decoder
    layers = len(decoder.model.decoder.layers)
    attention = decoder.model.decoder.layers[0].self_attn
    heads, head_dim = attention.num_heads, attention.head_dim
    codebooks = decoder.num_codebooks
    width = decoder.model.decoder.layers[0].encoder_attn.k_proj.in_features
    batch, text, columns, past = 2, 5, 3, 4
    with torch.inference_mode(False), torch.no_grad():
        report("tracing the cross-attention projections")
        cross_class, step_class = _modules()
        cross = ov.convert_model(cross_class(model), example_input=(
            torch.randn(batch, text, width), torch.ones(batch, text, dtype=torch.long)))
        name_ports(cross.inputs, ["states", "mask"])
        name_ports(cross.outputs, ["cross_keys", "cross_values"])
        report("tracing the decoder step")
        example = (torch.zeros(batch, codebooks, columns, dtype=torch.long),
                   torch.randn(layers, batch, heads, head_dim, text),
                   torch.randn(layers, batch, heads, text, head_dim),
                   torch.zeros(batch, text),
                   *[torch.randn(batch, heads, past, head_dim) for _ in range(2 * layers)])
        # Only the batch, text and cache lengths and the columns vary; every other dimension
        # is fixed, so the cache states start as (batch, heads, 0, head_dim) zeros.
        shapes = [[-1, codebooks, -1], [layers, -1, heads, head_dim, -1],
                  [layers, -1, heads, -1, head_dim], [-1, -1],
                  *[[-1, heads, -1, head_dim]] * (2 * layers)]
        step = ov.convert_model(step_class(model), example_input=example, input=[
            (ov.PartialShape(shape), tensor.dtype) for shape, tensor in zip(
                shapes, example, strict=True)])
    cache_in = [f"past.{i}" for i in range(2 * layers)]
    cache_out = [f"present.{i}" for i in range(2 * layers)]
    name_ports(step.inputs, ["input_ids", "cross_keys", "cross_values", "cross_bias", *cache_in])
    name_ports(step.outputs, ["logits", *cache_out])
    make_stateful(step, cache_in, cache_out)
    for stage, graph, file in (("decoder step", step, "step.xml"),
                               ("cross-attention", cross, "cross.xml")):
        report(f"compressing the {stage} ({weights})")
        # The cross-attention projections run once per piece: int8 is plenty there.
        options = dict(WEIGHT_FORMATS[weights if graph is step else "int8_asym"])
        mode = getattr(nncf.CompressWeightsMode, options.pop("mode"))
        graph = compress_weights(graph, mode=mode, **options)
        report(f"saving the {stage}")
        ov.save_model(graph, folder / file, compress_to_fp16=False)
    report("tracing EnCodec's decoder")
    codec = openvino_codec.trace(model)
    report("saving EnCodec's decoder")
    ov.save_model(codec, folder / "codec.xml", compress_to_fp16=False)


def compress_weights(graph, **options):
    """``nncf.compress_weights(graph, **options)`` with NNCF's statistics table hidden and its
    progress bar sent to stderr: stdout may carry streamed audio (``-o -``)."""
    import contextlib
    import logging
    import sys

    import nncf

    nncf.set_log_level(logging.WARNING)
    with contextlib.redirect_stdout(sys.stderr):
        return nncf.compress_weights(graph, **options)


def name_ports(ports, names: list[str]) -> None:
    for port, name in zip(ports, names, strict=True):
        port.get_tensor().set_names({name})


def make_stateful(model, cache_in: list[str], cache_out: list[str]) -> None:
    """optimum-intel's stateful form (optimum/exporters/openvino/stateful.py, which we cannot
    import: the package pins an older transformers): a ``beam_idx`` Gather on every cache
    input, then the cache inputs/outputs turned into states that start as zeros of the batch's
    size. The CPU plugin recognises this pattern and fuses attention with its own cache."""
    import numpy as np
    import openvino as ov
    from openvino import opset13
    from openvino.passes import MakeStateful, Manager

    batch = model.input("input_ids").get_partial_shape()[0]
    beam = opset13.parameter(name="beam_idx", dtype=ov.Type.i32, shape=ov.PartialShape([batch]))
    beam.output(0).get_tensor().add_names({"beam_idx"})
    model.add_parameters([beam])
    for name in cache_in:
        port = model.input(name)
        consumers = port.get_target_inputs()
        gather = opset13.gather(port, beam, opset13.constant(0))
        for consumer in consumers:
            consumer.replace_source_output(gather.output(0))
    model.validate_nodes_and_infer_types()
    manager = Manager()
    manager.register_pass(MakeStateful(dict(zip(cache_in, cache_out, strict=True))))
    manager.run_passes(model)
    rows = opset13.gather(opset13.shape_of(model.input("input_ids"), output_type="i64"),
                          opset13.constant([0]), opset13.constant(0))
    for op in model.get_ops():
        if op.get_type_name() == "ReadValue":
            dims = [d.min_length for d in op.get_output_partial_shape(0)]
            parts = [rows if i == 0 else opset13.constant(np.array([d], dtype=np.int64))
                     for i, d in enumerate(dims)]
            op.set_arguments([opset13.broadcast(
                opset13.constant(0.0, dtype=op.get_output_element_type(0)),
                opset13.concat(parts, axis=0))])
    model.validate_nodes_and_infer_types()


@functools.cache
def _modules():
    """The two torch modules traced for export (Cross, Step), built on first use so that
    importing VisTune does not import torch."""
    import torch

    class _Cross(torch.nn.Module):
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

    class _Step(torch.nn.Module):
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
            from torch.nn.functional import scaled_dot_product_attention as sdpa

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

    return _Cross, _Step


class OpenVINODecoder:
    """A compiled export: ``stepper(model, states, mask, length=...)`` starts a piece."""

    def __init__(self, folder: Path) -> None:
        self.step = compile_file(folder / "step.xml", COMPILE)
        self.cross = compile_file(folder / "cross.xml", F32)
        self.codec = openvino_codec.compile_codec(folder)

    def stepper(self, model, states: torch.Tensor, mask: torch.Tensor, *,
                length: int) -> OpenVINOStepper:
        """A step callable for one piece (``length`` is the most columns it will see)."""
        return OpenVINOStepper(self, model.decoder.num_codebooks, states, mask)


class OpenVINOStepper:
    """``decoding.Stepper``'s interface on a compiled OpenVINO decoder; the key/value cache
    lives in the infer request's states (fresh, zero-length, per piece)."""

    #: PyTorch threads while the token loop runs these steps (decoding.torch_threads).
    torch_threads = 1

    def __init__(self, decoder: OpenVINODecoder, codebooks: int, states: torch.Tensor,
                 mask: torch.Tensor) -> None:
        import numpy as np
        import openvino as ov

        self.codebooks = codebooks
        states_np = states.detach().float().cpu().numpy()
        mask_np = mask.detach().cpu().numpy().astype(np.int64)
        cross = decoder.cross({"states": states_np, "mask": mask_np})
        self.request = decoder.step.create_infer_request()
        for name in ("cross_keys", "cross_values"):
            self.request.set_tensor(name, ov.Tensor(np.ascontiguousarray(cross[name])))
        bias = np.where(mask_np > 0, 0.0, _MASKED).astype(np.float32)
        self.request.set_tensor("cross_bias", ov.Tensor(bias))
        self.request.set_tensor("beam_idx", ov.Tensor(np.arange(len(bias), dtype=np.int32)))
        self.request.reset_state()

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        return self.logits(ids)[:, -1]

    def logits(self, ids: torch.Tensor, *, last: bool = False) -> torch.Tensor:
        """Feed (rows, columns) ids; (rows, columns, vocabulary) logits (``last`` is
        accepted for ``Stepper``'s interface; every column is computed)."""
        import numpy as np
        import openvino as ov
        import torch

        rows, columns = ids.shape
        grouped = ids.cpu().numpy().reshape(rows // self.codebooks, self.codebooks, columns)
        self.request.set_tensor("input_ids", ov.Tensor(np.ascontiguousarray(grouped)))
        self.request.infer()
        logits = self.request.get_tensor("logits").data
        return torch.from_numpy(logits.copy()).view(rows, columns, -1)
