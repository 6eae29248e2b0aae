"""MusicGen's decoder step on OpenVINO: int8 weights, u8 key/value cache, fused attention.

VisTune's token loop (engines/musicgen/decoding.py) keeps guidance, sampling, the delay
pattern, seeds and streaming; only the decoder step (``Stepper``'s interface: call with ids,
get the last column's logits; ``logits()`` gives every column's) runs here.

Why our own export: optimum-intel 2.2 does not export MusicGen to OpenVINO (it lists
``musicgen`` among the architectures whose support was removed, and its text-to-audio class
takes SpeechT5 and Kokoro only), and it pins transformers < 5.6. So the decoder stack
(torch_modules/musicgen.py) is traced here with ``openvino.convert_model`` and given the same
stateful form optimum-intel gives its decoders (passes.py). Only with that form does
OpenVINO's CPU plugin fuse attention with its own u8 key/value cache. Weights are compressed
to int8 with NNCF (asymmetric).

EnCodec's decoder is exported beside it (codec.py); the export is cached (cache.py). Every
transformers internal the export reads is checked first (``compat.export_gap``): when one is
missing, the model keeps PyTorch.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import ModelUnavailable
from .. import compat
from . import codec as openvino_codec
from .cache import WEIGHT_FORMATS, WEIGHTS, cache_root, export_key, write_atomically
from .core import COMPILE, F32, compile_file, openvino_available, tracing
from .passes import compress_weights, make_stateful, name_ports

if TYPE_CHECKING:
    import torch

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
    dropped (its memory returned). When this transformers lacks an internal the export reads,
    or on any other failure, say so in one line and return False: the caller keeps PyTorch."""
    import sys

    import torch

    if not compat.exportable(model, "musicgen"):
        return False
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


def export(model, name: str, *, weights: str = WEIGHTS,
           progress: Callable[[str], None] | None = None) -> Path:
    """The folder holding ``model``'s OpenVINO decoder (``step.xml``) and cross-attention
    projections (``cross.xml``), exported and compressed to ``weights`` (a WEIGHT_FORMATS
    name) now unless already cached."""
    folder = cache_root() / export_key(model, name, weights)
    if not is_exported(model, name, weights):
        compat.require_exportable(model, "musicgen")
        report = progress or (lambda stage: None)
        write_atomically(folder, lambda work: _export_into(model, work, weights, report))
    return folder


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

    from .torch_modules.musicgen import Cross, Step

    decoder = model.decoder
    layers = len(decoder.model.decoder.layers)
    attention = decoder.model.decoder.layers[0].self_attn
    heads, head_dim = attention.num_heads, attention.head_dim
    codebooks = decoder.num_codebooks
    width = decoder.model.decoder.layers[0].encoder_attn.k_proj.in_features
    batch, text, columns, past = 2, 5, 3, 4
    with tracing():
        report("tracing the cross-attention projections")
        cross = ov.convert_model(Cross(model), example_input=(
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
        step = ov.convert_model(Step(model), example_input=example, input=[
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
