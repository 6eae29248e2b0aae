"""AceStepEngine: ACE-Step 1.5 through diffusers' ``AceStepPipeline`` (MIT-licensed weights).

The brief drives the pipeline's own conditioning: its prompt, ``bpm`` (the tempo), ``keyscale``
(key and mode) and ``timesignature`` (the meter), with no lyrics ("[Instrumental]"). Takes are
one batched call with one ``torch.Generator`` each (seed, seed + 1, ...), so every take can be
made again on its own. With a melody (``--melody image``: the composer's rendering of the
piece; ``--melody FILE``) the pipeline's ``cover`` task re-renders that audio, following it
as closely as ``cover_strength`` says.

ACE-Step makes 10 s to 10 min. A shorter piece is the start of a 10 s one, cut and faded out.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..brief import MusicBrief
from ..errors import ModelUnavailable
from ..runtime.models import (
    DEFAULT_ACE_STEP_MODEL,
    load_pretrained,
    pick_device,
    resolve_precision,
    torch_dtype,
)
from . import AudioCallback, Capabilities, Progress, Track

#: Shortest piece ACE-Step makes, in seconds; shorter ones are cut from a piece this long.
MIN_SECONDS = 10.0
#: Fade-out of a piece cut from a longer one (at most a quarter of the piece).
CUT_FADE = 0.5
#: No vocals: ACE-Step's own tag for an instrumental piece.
INSTRUMENTAL = "[Instrumental]"
#: GPU memory kept free beyond the weights (activations, the VAE decode); less means offload.
HEADROOM_GB = 2.0


class AceStepEngine:
    """Neural engine. The pipeline loads on first use and is shared within the process.

    ``steps`` and ``guidance_scale`` default to the checkpoint's (turbo: 8 steps without
    guidance; base and SFT: the pipeline's 8 steps at guidance 7); ``cover_strength`` (0..1,
    default 1) is how closely a cover follows its source.

    >>> engine = AceStepEngine("ACE-Step/acestep-v15-xl-turbo-diffusers")  # doctest: +SKIP
    >>> engine.render(brief, duration=30, seed=0)[0].sample_rate  # doctest: +SKIP
    48000
    """

    name = "ace-step"

    def __init__(self, model_name: str = DEFAULT_ACE_STEP_MODEL, *, device: str | None = None,
                 precision: str = "auto", steps: int | None = None,
                 guidance_scale: float | None = None,
                 cover_strength: float | None = None) -> None:
        self.model_name = model_name
        self.device = device
        self.precision = precision
        self.steps = steps
        self.guidance_scale = guidance_scale
        self.cover_strength = 1.0 if cover_strength is None else cover_strength
        self._lock = threading.Lock()

    @functools.cached_property
    def capabilities(self) -> Capabilities:
        """Batching always; melody (the ``cover`` task) when the checkpoint has the audio
        tokenizer and detokenizer it needs (read from model_index.json, no weights loaded)."""
        from diffusers import AceStepPipeline

        index = load_pretrained("music-config", self.model_name, self.model_name,
                                lambda: AceStepPipeline.load_config(self.model_name))
        cover = all(index.get(part, [None])[0] for part in ("audio_tokenizer",
                                                             "audio_token_detokenizer"))
        return Capabilities(melody=cover, batching=True)

    def render(self, brief: MusicBrief, *, duration: float, seed: int, count: int = 1,
               melody: tuple[np.ndarray, int] | None = None, stems: bool = False,
               loop: bool = False, progress: Progress | None = None,
               on_audio: AudioCallback | None = None) -> list[Track]:
        """``count`` takes of ``duration`` seconds for the brief, in one batched call; with
        ``melody`` (audio, rate) a cover of it. ACE-Step makes neither stems nor loops."""
        import torch

        pipe, device, offload = self._load()
        rate = pipe.sample_rate
        made = max(float(duration), MIN_SECONDS)
        request = self.request(brief, pipe, cover=melody is not None, made=made)
        steps = request["steps"]
        report = progress or (lambda done, total, stage: None)

        def on_step(pipeline, step: int, timestep: float, tensors: dict) -> dict:
            done = step + 1
            report(done, steps + 1, "ACE-Step: decoding the audio" if done >= steps
                   else f"ACE-Step: step {done} of {steps}")
            return tensors

        call: dict[str, Any] = dict(
            prompt=[brief.prompt] * count, lyrics=[request["lyrics"]] * count,
            audio_duration=made, bpm=request["bpm"], keyscale=request["keyscale"],
            timesignature=request["timesignature"], num_inference_steps=steps,
            guidance_scale=request["guidance_scale"], output_type="np",
            generator=[torch.Generator().manual_seed(seed + take) for take in range(count)],
            callback_on_step_end=on_step)
        if melody is not None:
            frames = math.ceil(made * pipe.latents_per_second)
            samples = int(round(frames * rate / pipe.latents_per_second))
            call.update(task_type="cover", audio_cover_strength=request["cover_strength"],
                        src_audio=source_audio(melody, rate=rate, samples=samples,
                                               channels=pipe.vae.config.audio_channels))
        report(0, steps + 1, "ACE-Step: reading the prompt")
        what = f"{count} x {duration:g} s" if count > 1 else f"{duration:g} s"
        with self._lock, torch.inference_mode(), out_of_memory(what, device, offload=offload):
            audio = pipe(**call).audios
        report(steps + 1, steps + 1, "ACE-Step done")
        audio = cut(audio, samples=int(round(duration * rate)), rate=rate)
        tracks = [Track(audio=np.ascontiguousarray(take, dtype=np.float32), sample_rate=rate,
                        engine=self.name, model=self.model_name, seed=seed + index,
                        settings=request)
                  for index, take in enumerate(audio)]
        if on_audio is not None:
            on_audio(tracks[0].audio, rate)
        return tracks

    def request(self, brief: MusicBrief, pipe, *, cover: bool, made: float) -> dict[str, Any]:
        """What the pipeline is asked for, as the sidecar records it: the task, the brief's
        bpm, key and meter, the steps and guidance (the checkpoint's unless set)."""
        turbo = bool(pipe.is_turbo)
        guidance = 1.0 if turbo else (7.0 if self.guidance_scale is None
                                      else self.guidance_scale)
        asked: dict[str, Any] = {
            "task": "cover" if cover else "text2music", "bpm": int(round(brief.tempo)),
            "keyscale": f"{brief.key} {brief.mode}", "timesignature": str(brief.meter),
            "lyrics": INSTRUMENTAL, "steps": self.steps or 8, "guidance_scale": guidance,
            "made_seconds": made}
        if cover:
            asked["cover_strength"] = self.cover_strength
        return asked

    def _load(self):
        """(pipeline, device, offloaded) for this checkpoint, device and precision."""
        import torch

        if self.precision == "int8":
            raise ModelUnavailable("ACE-Step runs in fp32 or bf16 (fp16 on CUDA), not int8; "
                                   "use --precision auto or bf16")
        device = pick_device(self.device)
        precision = resolve_precision(self.precision, device, kind="diffusion")
        if device.startswith("cuda") and self.precision == "auto" and (
                torch.cuda.is_bf16_supported()):
            precision = "bf16"  # what ACE-Step was trained in; fp16 only where bf16 is not

        def build():
            from diffusers import AceStepPipeline

            with warnings.catch_warnings():  # the VAE's weight_norm, deprecated in torch
                warnings.filterwarnings("ignore", ".*weight_norm", FutureWarning)
                pipe = AceStepPipeline.from_pretrained(self.model_name,
                                                       dtype=torch_dtype(precision))
            pipe.set_progress_bar_config(disable=True)
            offload = device.startswith("cuda") and not _fits(pipe, device)
            if offload:
                _offload(pipe, device)
            else:
                pipe.to(device)
            return pipe, device, offload

        return load_pretrained("music", (self.model_name, device, precision), self.model_name,
                               build)


def _fits(pipe, device: str) -> bool:
    """True when the pipeline's weights and some headroom fit in the GPU's free memory."""
    import torch

    weights = sum(t.numel() * t.element_size() for module in pipe.components.values()
                  if isinstance(module, torch.nn.Module)
                  for t in [*module.parameters(), *module.buffers()])
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return weights + HEADROOM_GB * 2**30 <= free


def _offload(pipe, device: str) -> None:
    """Keep the weights in CPU memory and move each model to the GPU only while it runs."""
    import importlib.util

    if importlib.util.find_spec("accelerate") is None:
        raise ModelUnavailable("ACE-Step does not fit in this GPU's free memory; install "
                               "accelerate (pip install accelerate) so it can be offloaded, "
                               "or use --device cpu")
    pipe.enable_model_cpu_offload(device=device)


@contextlib.contextmanager
def out_of_memory(what: str, device: str, *, offload: bool) -> Iterator[None]:
    """Running out of memory while making ``what`` becomes a one-line error naming the
    settings that need less."""
    try:
        yield
    except (MemoryError, RuntimeError) as exc:  # torch.OutOfMemoryError is a RuntimeError
        if isinstance(exc, RuntimeError) and "out of memory" not in str(exc).lower():
            raise
        less = "fewer --variations or a shorter --duration"
        if device.startswith("cuda"):
            less += ", --precision bf16" + ("" if offload else " (model offload starts by "
                                            "itself when the weights do not fit)")
            less += ", or --device cpu"
        raise ModelUnavailable(f"ACE-Step ran out of memory making {what} on {device}; try "
                               f"{less}") from None


def source_audio(melody: tuple[np.ndarray, int], *, rate: int, samples: int, channels: int):
    """The audio a cover re-renders, as the pipeline takes it: a (channels, samples) float32
    tensor at ``rate``, cut or padded with silence to ``samples``."""
    import torch
    from scipy.signal import resample_poly

    audio, source_rate = melody
    audio = np.asarray(audio, dtype=np.float32)
    audio = audio[None] if audio.ndim == 1 else audio
    if source_rate != rate:
        divisor = math.gcd(int(source_rate), int(rate))
        audio = resample_poly(audio, rate // divisor, int(source_rate) // divisor, axis=-1)
    if audio.shape[0] != channels:  # mono to stereo, or a mix down to what the VAE takes
        audio = np.repeat(audio.mean(axis=0, keepdims=True), channels, axis=0)
    audio = audio[:, :samples]
    audio = np.pad(audio, [(0, 0), (0, samples - audio.shape[-1])])
    return torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))


def cut(audio: np.ndarray, *, samples: int, rate: int) -> np.ndarray:
    """(takes, channels, samples) audio cut to exactly ``samples``; a piece cut well short of
    what was made (under ACE-Step's 10 s) fades out over its last ``CUT_FADE`` seconds.

    >>> cut(np.ones((1, 2, 48_000)), samples=24_000, rate=48_000)[0, 0, [0, -1]].round(3)
    array([1., 0.])
    """
    audio = audio[..., :samples]
    if samples < int(MIN_SECONDS * rate):
        fade = min(int(CUT_FADE * rate), samples // 4)
        audio = audio.copy()
        audio[..., samples - fade:] *= np.cos(np.linspace(0.0, np.pi / 2, fade)) ** 2
    return audio

