"""Known checkpoints, the local cache, the network, devices, and downloads.

Nothing here imports torch or transformers at module level: the offline path never pays for them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import socket
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

from ..errors import ModelUnavailable
from ..settings import PRECISIONS

T = TypeVar("T")

DEFAULT_CAPTION_MODEL = "Salesforce/blip-image-captioning-large"
DEFAULT_MUSIC_MODEL = "facebook/musicgen-small"
#: ACE-Step 1.5's turbo checkpoint in diffusers format, as diffusers' AceStepPipeline docs name
#: it (docs/source/en/api/pipelines/ace_step.md and the pipeline's example, diffusers 0.42).
DEFAULT_ACE_STEP_MODEL = "ACE-Step/acestep-v15-xl-turbo-diffusers"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
#: A diffusers pipeline folder: model_index.json, and each component in a subfolder.
PIPELINE_INDEX = "model_index.json"
PIPELINE_WEIGHTS = ("transformer/diffusion_pytorch_model.safetensors",
                    "transformer/diffusion_pytorch_model.safetensors.index.json")


@dataclass(frozen=True)
class ModelInfo:
    """A checkpoint VisTune knows; ``size_gb`` is the approximate download."""

    name: str
    kind: str  # "captioner", "music" (MusicGen) or "ace-step"
    size_gb: float
    note: str


KNOWN_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(DEFAULT_CAPTION_MODEL, "captioner", 1.9, "BLIP ViT-L, default captioner"),
    ModelInfo("Salesforce/blip-image-captioning-base", "captioner", 1.0, "BLIP ViT-B, faster"),
    ModelInfo(DEFAULT_MUSIC_MODEL, "music", 2.4, "300M decoder, mono 32 kHz, default"),
    ModelInfo("facebook/musicgen-medium", "music", 8.0, "1.5B decoder, mono"),
    ModelInfo("facebook/musicgen-large", "music", 13.0, "3.3B decoder, mono"),
    ModelInfo("facebook/musicgen-melody", "music", 6.5, "1.5B, follows a melody (--melody)"),
    ModelInfo("facebook/musicgen-stereo-small", "music", 2.4, "stereo"),
    ModelInfo("facebook/musicgen-stereo-medium", "music", 8.0, "stereo"),
    ModelInfo("facebook/musicgen-stereo-large", "music", 13.0, "stereo"),
    ModelInfo("facebook/musicgen-stereo-melody", "music", 6.5, "stereo, follows a melody"),
    ModelInfo(DEFAULT_ACE_STEP_MODEL, "ace-step", 11.5,
              "ACE-Step 1.5 XL turbo, 8 steps, 48 kHz stereo, default"),
    ModelInfo("ACE-Step/acestep-v15-xl-base-diffusers", "ace-step", 11.5,
              "ACE-Step 1.5 XL base: guidance (CFG), more steps for quality"),
)


@dataclass(frozen=True)
class Licence:
    """What users may do with an engine's music: the licence, why, and where it is written."""

    name: str
    says: str
    link: str

    def __str__(self) -> str:
        return f"{self.name} ({self.says}; {self.link})"


#: The licence of each built-in engine's music (README "Engines and their licences").
LICENCES = {
    "composer": Licence("yours to use", "VisTune writes the notes and a SoundFont plays them; "
                        "no trained model is involved", "README.md#engines-and-their-licences"),
    "musicgen": Licence("CC-BY-NC 4.0", "non-commercial use only, as Meta licenses MusicGen's "
                        "weights", "https://github.com/facebookresearch/audiocraft/blob/main/"
                        "LICENSE_weights"),
    "ace-step": Licence("MIT", "commercial use allowed: MIT weights trained on licensed and "
                        "royalty-free music",
                        "https://github.com/ace-step/ACE-Step-1.5/blob/main/LICENSE"),
}


def is_local_folder(name: str) -> bool:
    """True when ``name`` is a folder holding a saved model (config.json inside) or a saved
    diffusers pipeline (model_index.json)."""
    folder = Path(name).expanduser()
    return folder.joinpath("config.json").is_file() or folder.joinpath(PIPELINE_INDEX).is_file()


def is_cached(name: str) -> bool:
    """True when ``name`` is a local model folder or its config and weights are in the HF cache."""
    if is_local_folder(name):
        return True
    if "/" not in name or Path(name).expanduser().exists():
        return False
    from huggingface_hub import try_to_load_from_cache

    def cached(filename: str) -> bool:
        return isinstance(try_to_load_from_cache(name, filename), str)

    try:
        return (cached("config.json") and any(cached(f) for f in WEIGHT_FILES)) or (
            cached(PIPELINE_INDEX) and any(cached(f) for f in PIPELINE_WEIGHTS))
    except ValueError:  # not a valid repo id
        return False


def offline_forced() -> bool:
    """True when the user asked Hugging Face libraries to stay offline (HF_HUB_OFFLINE=1)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@functools.lru_cache(maxsize=1)
def hub_reachable(timeout: float = 2.0) -> bool:
    """True when the model hub answers a TCP connection within ``timeout`` seconds."""
    if offline_forced():
        return False
    parsed = urlparse(_endpoint())
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def can_load(name: str, *, offline: bool = False) -> bool:
    """True when ``name`` is local or cached, or (unless ``offline``) can be downloaded now."""
    return is_cached(name) or (not offline and "/" in name and not Path(name).exists()
                               and hub_reachable())


def unavailable(name: str, *, switch: str, fallback: str) -> ModelUnavailable:
    """The error for a model that cannot be had here, naming both ways out."""
    where = (f"folder has no config.json or {PIPELINE_INDEX}" if Path(name).expanduser().exists()
             else "is not downloaded and the model hub cannot be reached")
    return ModelUnavailable(f"{name} {where}; run `vistune download {name}` where there is "
                            f"network, or use the offline {fallback} ({switch} {fallback})")




def resolve_precision(precision: str, device: str, *, kind: str = "music") -> str:
    """What ``auto`` means for a model ``kind`` on ``device``: "music" (MusicGen), or a
    compute-bound one ("captioner", "diffusion").

    CUDA: fp16; MPS: fp32. On a CPU, MusicGen's steps are bound by reading the weights, so int8
    (a quarter of fp32's bytes) is fastest, and its effect on the predictions is measured
    (BENCHMARKS.md). BLIP and ACE-Step are compute-bound; on a CPU with native bf16
    (AVX512-BF16 or AMX) they run in bf16, about as fast as int8 and closer to fp32
    numerically, else in fp32.
    """
    if precision not in PRECISIONS:
        raise ModelUnavailable(f"unknown precision {precision!r}; choose one of: "
                               f"{', '.join(PRECISIONS)}")
    if precision != "auto":
        if precision == "int8" and not device.startswith("cpu"):
            raise ModelUnavailable(f"int8 runs on the CPU only, not on {device}; use "
                                   "--precision auto or --device cpu")
        if precision == "int8" and not int8_available():
            raise ModelUnavailable("this PyTorch build has no int8 kernels (no quantized "
                                   "engine); use --precision auto or fp32")
        return precision
    if device.startswith("cuda"):
        return "fp16"
    if device != "cpu":
        return "fp32"
    if kind == "music":
        return "int8" if int8_available() else "fp32"
    from .compat import native_bf16

    return "bf16" if native_bf16() else "fp32"


def int8_available() -> bool:
    """True when this PyTorch build has a quantized engine (fbgemm/x86 on Intel and AMD,
    qnnpack on ARM) to run dynamically quantised int8 Linear layers."""
    import torch

    return any(engine != "none" for engine in torch.backends.quantized.supported_engines)


def torch_dtype(precision: str):
    """The torch dtype to load weights in for ``precision`` (int8 loads fp32, then quantises)."""
    import torch

    return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision, torch.float32)


def quantize_linear(module):
    """Dynamic int8 quantisation of every Linear layer in ``module``: int8 weights with one
    scale per output channel (as fast as one per tensor here, and closer to fp32)."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its move to torchao
        return quantize_dynamic(module, {torch.nn.Linear: per_channel_dynamic_qconfig},
                                dtype=torch.qint8, inplace=True)


def pick_device(device: str | None = None) -> str:
    """``device`` if given, else "cuda" when available, then "mps", else "cpu"."""
    import torch

    if device:
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelUnavailable(f"device {device!r} asked for, but no CUDA GPU is visible; "
                                   "use --device cpu")
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def download(name: str) -> Path:
    """Fetch ``name`` into the Hugging Face cache (progress bars on stderr); return its folder.

    Only what loading needs is fetched: configs, tokenizer files and one copy of the weights
    (safetensors when the repository has them).
    """
    if is_local_folder(name):
        return Path(name).expanduser()
    if offline_forced():
        raise ModelUnavailable(f"cannot download {name}: HF_HUB_OFFLINE is set; unset it first")
    if not hub_reachable():  # huggingface_hub would retry for half a minute before giving up
        raise ModelUnavailable(f"cannot download {name}: the model hub ({_endpoint()}) cannot be "
                               "reached; check your connection (or HF_ENDPOINT)")
    from huggingface_hub import HfApi, snapshot_download

    try:
        files = HfApi().list_repo_files(name)
        weights = ("*.safetensors" if any(f.endswith(".safetensors") for f in files)
                   else "*.bin")
        folder = snapshot_download(name, allow_patterns=["*.json", "*.txt", "*.model", weights])
    except Exception as exc:  # hub, network and file-system errors all end the same way
        raise ModelUnavailable(f"cannot download {name} ({type(exc).__name__}); check the name "
                               "(vistune models lists known ones) and your connection") from None
    return Path(folder)


_LOADED: dict[str, tuple[Hashable, object]] = {}
_LOADING = threading.Lock()


def load_pretrained(kind: str, key: Hashable, name: str, build: Callable[[], T]) -> T:
    """Build a model once per process and share it; a new ``key`` for ``kind`` frees the old one.

    Loading errors become :class:`ModelUnavailable` with the fix: a missing download, or
    running out of memory (int8 weights or a smaller checkpoint).
    """
    with _LOADING:
        if kind in _LOADED and _LOADED[kind][0] == key:
            return _LOADED[kind][1]  # type: ignore[return-value]
        if _LOADED.pop(kind, None) is not None:  # switching models: free the old one first
            gc.collect()
            _empty_device_cache()
        try:
            with _quiet_loading():
                model = build()
        except Exception as exc:
            if not _loading_error(exc):
                raise
            if type(exc).__name__ == "SafetensorError":  # a truncated or corrupt download
                raise ModelUnavailable(f"the weights of {name} are damaged or incomplete "
                                       f"({_first_line(exc)}); download them again: vistune "
                                       f"download {name} (or re-save the folder)") from None
            if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
                raise ModelUnavailable(f"not enough memory to load {name}; close other programs, "
                                       "use --precision int8 or a smaller model (vistune models "
                                       "lists them)") from None
            raise ModelUnavailable(f"cannot load {name} ({_first_line(exc)}); run `vistune "
                                   f"download {name}` with network, or give a local folder"
                                   ) from None
        _LOADED[kind] = (key, model)
        return model


@contextlib.contextmanager
def _quiet_loading():
    """transformers' warnings (checkpoint notes that are no user's business) and its "Loading
    weights" bars off while a model loads, unless VISTUNE_DEBUG is set; restored afterwards."""
    if os.environ.get("VISTUNE_DEBUG"):
        yield
        return
    import importlib.util

    from transformers.utils import logging as hf_logging

    loggers = [hf_logging]
    if importlib.util.find_spec("diffusers") is not None:  # its pipelines log the same way
        from diffusers.utils import logging as diffusers_logging

        loggers.append(diffusers_logging)
    before = [(log.get_verbosity(), log.is_progress_bar_enabled()) for log in loggers]
    for log in loggers:
        log.set_verbosity_error()
        log.disable_progress_bar()
    try:
        yield
    finally:
        for log, (verbosity, bars) in zip(loggers, before, strict=True):
            log.set_verbosity(verbosity)
            if bars:
                log.enable_progress_bar()


def release(kind: str) -> None:
    """Forget the shared model of ``kind`` so its memory can be returned."""
    with _LOADING:
        if _LOADED.pop(kind, None) is not None:
            gc.collect()
            _empty_device_cache()


def _loading_error(exc: Exception) -> bool:
    """Errors that mean "this model cannot be loaded here" rather than a bug in VisTune."""
    return (isinstance(exc, (MemoryError, OSError, ValueError, RuntimeError))
            or type(exc).__name__ == "SafetensorError")  # safetensors' own, not an OSError


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _empty_device_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
