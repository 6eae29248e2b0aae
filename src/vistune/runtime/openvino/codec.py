"""MusicGen's EnCodec decoder (codes -> audio) on OpenVINO.

EnCodec turns every piece's codes into audio once at the end, and again for each streamed
chunk. OpenVINO's f32 kernels do that in 0.98 s for 10 s of audio and 3.0 s for 30 s, where
PyTorch takes 1.42 and 5.2 s (benchmarks/LOG.md, issue 17), with the same audio up to float
rounding (about 1e-7). It is exported beside the decoder step (step.py, ``codec.xml``)
without weight compression: it runs once per piece, and its convolutions are small.

The trace fixes EnCodec's padding branch for inputs shorter than its first convolution's
padding, so codes under ``SHORTEST`` frames keep PyTorch (streaming chunks and pieces are longer).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

#: Fewer frames than this decode in PyTorch (the traced graph needs at least 4).
SHORTEST = 8


def trace(model):
    """``model``'s EnCodec decoder as an OpenVINO graph: codes (batch, codebooks, frames) ->
    audio (batch, 1, samples), one channel's codebooks at a time as ``decode_audio`` feeds it."""
    import openvino as ov
    import torch

    from .core import tracing
    from .torch_modules.musicgen import Codec

    codebooks = model.decoder.num_codebooks // model.decoder.config.audio_channels
    # The tracer's warnings on shapes: SHORTEST covers the branch that matters
    # (tests/test_openvino.py compares the audio at several lengths).
    with tracing():
        graph = ov.convert_model(Codec(model.audio_encoder), example_input=(
            torch.zeros(1, codebooks, 3 * SHORTEST, dtype=torch.long),),
            input=[(ov.PartialShape([-1, codebooks, -1]), ov.Type.i64)])
    graph.inputs[0].get_tensor().set_names({"codes"})
    graph.outputs[0].get_tensor().set_names({"audio"})
    return graph


def compile_codec(folder: Path) -> Callable[[torch.Tensor], torch.Tensor]:
    """The compiled ``codec.xml`` in ``folder`` as a function of one channel's codes
    (batch, codebooks, frames) -> float32 audio (batch, 1, samples)."""
    import torch

    from .core import F32_LATENCY, compile_file

    compiled = compile_file(folder / "codec.xml", F32_LATENCY)

    def decode(codes: torch.Tensor) -> torch.Tensor:
        audio = compiled(codes.cpu().numpy())["audio"]
        return torch.from_numpy(audio.copy())

    return decode

