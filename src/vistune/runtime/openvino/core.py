"""The process's one OpenVINO Core, the compile settings, and which backend runs where."""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from ...errors import ModelUnavailable
from ...settings import BACKENDS

#: Compile settings: f32 activations (this CPU's bf16 default moves the predictions further
#: from fp32), the plugin's u8 key/value cache, one stream for the lowest latency, and threads
#: not pinned to cores: pinned, a step waits for the thread whose core another process holds
#: (measured in benchmarks/LOG.md, issue 17: unpinned steps were 15-30% faster under load).
COMPILE = {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "u8",
           "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1", "ENABLE_CPU_PINNING": "NO"}
#: Graphs that run once per piece or picture (cross-attention projections): f32 activations.
F32 = {"INFERENCE_PRECISION_HINT": "f32"}
#: Whole models that run once per piece or picture (EnCodec, BLIP's vision encoder): f32
#: activations (a bf16 CPU would otherwise default to bf16), lowest latency.
F32_LATENCY = {**F32, "PERFORMANCE_HINT": "LATENCY"}
#: BLIP's text decoder step: COMPILE with an f32 key/value cache (a caption's cache is small).
COMPILE_F32_CACHE = {**COMPILE, "KV_CACHE_PRECISION": "f32"}


@contextlib.contextmanager
def tracing() -> Iterator[None]:
    """Where a PyTorch module is traced for ``openvino.convert_model``: gradients off, and
    the warnings every trace gives silenced here, and only here. OpenVINO's converter still
    calls ``torch.jit.trace`` (deprecated in PyTorch), reads transformers' deprecated
    ``is_gradient_checkpointing`` (a FutureWarning), and the tracer warns about every Python
    branch on a shape (the exports fix or test those shapes: tests/test_openvino.py)."""
    import torch

    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`torch\.jit\.trace(_method)?` is deprecated",
                                DeprecationWarning)
        warnings.filterwarnings("ignore", r"`is_gradient_checkpointing` is deprecated",
                                FutureWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        yield


def compile_file(path: Path, config: dict):
    """The exported graph ``path`` (.xml) compiled for the CPU with ``config``."""
    core = runtime()
    return core.compile_model(core.read_model(path), "CPU", config)


@functools.cache
def runtime():
    """The process's one ``openvino.Core``, shared by every compiled model (MusicGen's, BLIP's).
    With two Cores, once both were dropped the next signal the process got (SIGTERM) crashed it
    with a segmentation fault (OpenVINO 2026.4); one Core, as OpenVINO's guides use, does not."""
    import openvino as ov

    return ov.Core()


def openvino_available() -> bool:
    """True when the openvino package imports."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str, device: str) -> str:
    """What ``auto`` means on ``device``: OpenVINO on a CPU when it is installed, else torch;
    ``$VISTUNE_BACKEND`` (torch or openvino) overrides ``auto``."""
    if backend == "auto" and os.environ.get("VISTUNE_BACKEND"):
        backend = os.environ["VISTUNE_BACKEND"]
    if backend not in BACKENDS:
        raise ModelUnavailable(f"unknown backend {backend!r}; choose one of: "
                               f"{', '.join(BACKENDS)}")
    if backend == "openvino" and not device.startswith("cpu"):
        raise ModelUnavailable(f"the OpenVINO backend runs on the CPU only, not on {device}; "
                               "use --backend auto or --device cpu")
    if backend == "auto":
        return "openvino" if device.startswith("cpu") and openvino_available() else "torch"
    return backend
