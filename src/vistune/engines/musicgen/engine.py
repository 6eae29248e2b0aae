"""MusicGenEngine: Meta's MusicGen through Hugging Face transformers.

Every MusicGen checkpoint works (small, medium, large, stereo; hub id or local folder), and
musicgen-melody checkpoints follow a melody given as audio. Pieces longer than the model's
window continue from the tail of what was generated (windowed continuation, as audiocraft's demo
does): the last seconds become the audio prompt of the next window, and the seams are
cross-faded over a few milliseconds.
"""

from __future__ import annotations

import bisect
import functools
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ...brief import MusicBrief
from ...errors import InputError
from ...runtime import compat
from ...runtime.models import (
    DEFAULT_MUSIC_MODEL,
    load_pretrained,
    pick_device,
    quantize_linear,
    resolve_precision,
    torch_dtype,
)
from ...runtime.openvino.core import resolve_backend
from ...runtime.openvino.step import attach, attached, step_factory
from ...settings import Sampling
from .. import AudioCallback, Capabilities, Progress, Track
from .decoding import AudioStream, decode_audio, generate_codes

if TYPE_CHECKING:
    import torch

#: Longest window MusicGen was trained on; the checkpoint's generation config may say less.
MAX_WINDOW = 30.0
#: Seconds of generated audio carried into the next window as its prompt.
CONTEXT = 10.0
CROSSFADE = 0.05
#: Steps between progress reports (50 steps are a second of audio).
REPORT_EVERY = 10


class MusicGenEngine:
    """Neural engine. The model loads on first use and is shared within the process.

    >>> engine = MusicGenEngine("facebook/musicgen-small")  # doctest: +SKIP
    >>> engine.render(brief, duration=10, seed=0)[0].sample_rate  # doctest: +SKIP
    32000
    """

    name = "musicgen"

    def __init__(self, model_name: str = DEFAULT_MUSIC_MODEL, *, device: str | None = None,
                 precision: str = "auto", sampling: Sampling | None = None,
                 backend: str = "auto") -> None:
        self.model_name = model_name
        self.device = device
        self.precision = precision
        self.backend = backend  # "auto", "torch" or "openvino": who runs the decoder steps
        self.sampling = sampling or Sampling()
        self._lock = threading.Lock()

    @functools.cached_property
    def capabilities(self) -> Capabilities:
        """Streaming and batching always; melody for musicgen-melody checkpoints (read from
        the checkpoint's config, without loading the weights)."""
        from transformers import AutoConfig

        config = load_pretrained("music-config", self.model_name, self.model_name,
                                 lambda: AutoConfig.from_pretrained(self.model_name))
        return Capabilities(melody=config.model_type == "musicgen_melody", streaming=True,
                            batching=True, sections=True)

    def render(self, brief: MusicBrief, *, duration: float, seed: int, count: int = 1,
               melody: tuple[np.ndarray, int] | None = None, stems: bool = False,
               loop: bool = False, progress: Progress | None = None,
               on_audio: AudioCallback | None = None) -> list[Track]:
        """``count`` takes of ``duration`` seconds for the brief's prompt, made together in
        batched calls from one seed; ``melody`` is (audio, rate) to follow. MusicGen makes
        neither stems nor loops (see ``capabilities``).

        ``on_audio(chunk, rate)`` receives the first take while it is made, as (channels,
        samples) float32 chunks (before mastering): the first half second, then chunks
        growing to two seconds."""
        return self.render_prompts([brief.prompt] * count, duration=duration, seed=seed,
                                   progress=progress, melody=melody, on_audio=on_audio)

    def render_sections(self, briefs: Sequence[MusicBrief], *, starts: Sequence[float],
                        duration: float, seed: int,
                        progress: Progress | None = None) -> Track:
        """One piece whose part from ``starts[i]`` seconds follows ``briefs[i]``'s prompt
        (``capabilities.sections``: a slideshow's pictures). Each part is made in windows
        that continue from the audio before them, the first one from the previous part's."""
        return self.render_prompts([brief.prompt for brief in briefs], duration=duration,
                                   seed=seed, progress=progress, starts=starts)[0]

    def render_prompts(self, prompts: Sequence[str], *, duration: float, seed: int,
                       progress: Progress | None = None,
                       melody: tuple[np.ndarray, int] | None = None,
                       on_audio: AudioCallback | None = None,
                       starts: Sequence[float] | None = None) -> list[Track]:
        """One track per prompt, generated together in batched calls (``--variations``).

        With ``starts`` (seconds, one per prompt, rising from 0) the prompts make ONE track
        instead: prompt ``i`` leads the windows from ``starts[i]`` on, and no window spans
        two prompts. ``on_audio(chunk, rate)`` streams the first track's audio as it is made.
        """
        import torch

        model, processor, settings, device = self._load()
        config = model.config.audio_encoder
        rate, frame_rate = config.sampling_rate, config.frame_rate
        hop = rate // frame_rate
        is_melody = model.config.model_type == "musicgen_melody"
        if melody is not None and not is_melody:
            raise InputError(f"{self.model_name} cannot follow a tune; use a musicgen-melody "
                             "checkpoint (--music-model facebook/musicgen-melody)")
        window = min(MAX_WINDOW, model.generation_config.max_length / frame_rate)
        # Samples shared by consecutive windows: the audio prompt (a whole number of frames)
        # or, for melody models that cannot continue audio, one second to cross-fade.
        overlap = rate if is_melody else int(min(CONTEXT, window / 3) * frame_rate) * hop
        plan = _windows(duration, window=window, overlap=overlap / rate,
                        cuts=_check_starts(starts, len(prompts), duration)[1:])
        # Prompts of each window: all of them (one track each), or the part's own.
        asked = [list(prompts) if starts is None else
                 [prompts[bisect.bisect_right(starts, start + 1e-6) - 1]]
                 for start, _ in plan]
        news = [int(round(seconds * rate)) for _, seconds in plan]
        # Samples of the past each window starts from: the overlap, or all there is so far.
        keeps = [min(overlap, sum(news[:i]) // hop * hop) for i in range(len(plan))]
        report = progress or (lambda done, total, stage: None)
        emit = _Emitter(on_audio, rate=rate, samples=int(round(duration * rate)))
        # Steps per window: its new frames (melody windows remake their overlap) + the delays.
        steps = [math.ceil((seconds + (keep / rate if is_melody else 0.0)) * frame_rate)
                 + model.decoder.num_codebooks for keep, (_, seconds) in zip(keeps, plan,
                                                                              strict=True)]
        all_steps = sum(steps)
        audio: np.ndarray | None = None
        # Melody checkpoints condition through a prefix, which only transformers' loop does.
        # With OpenVINO attached, only VisTune's loop can run it (no PyTorch layers are left).
        own_loop = not is_melody and (attached(model) or compat.fast_loop(model))
        with self._lock, torch.inference_mode():
            torch.manual_seed(seed)
            for index, (start, seconds) in enumerate(plan):
                keep = keeps[index]
                batch = self._inputs(processor, asked[index], audio, keep, rate,
                                     None if melody is None else chroma(
                                         _segment(melody, rate, start - keep / rate,
                                                  seconds + keep / rate), **settings))
                batch = batch.to(device)
                for name in ("input_values", "input_features"):
                    if name in batch:
                        batch[name] = batch[name].to(model.text_encoder.dtype)
                before = sum(steps[:index])

                def step(done: int, total: int, frames, start=start, seconds=seconds,
                         before=before) -> None:
                    if done % REPORT_EVERY == 0 or done == total:
                        report(before + done, all_steps, f"MusicGen: "
                               f"{start + seconds * done / total:.1f} of {duration:.0f} s")

                report(before, all_steps, f"MusicGen: {start:.1f} of {duration:.0f} s")
                new = news[index]
                if not own_loop:
                    from transformers import StoppingCriteriaList

                    cache = compat.growing_cache(model) if is_melody else {}
                    counter = StoppingCriteriaList([_StepCounter(step, steps[index])])
                    chunk = model.generate(**batch, max_new_tokens=steps[index], do_sample=True,
                                           stopping_criteria=counter, **cache,
                                           **self.sampling.kwargs()).float().cpu().numpy()
                    emit(chunk[:, :, keep:keep + new])
                else:
                    stream = emit.stream(model, first=keep // hop, last=(keep + new) // hop)
                    codes = generate_codes(model, batch, new_tokens=steps[index],
                                           sampling=self.sampling.kwargs(),
                                           on_step=_both(step, stream),
                                           make_step=step_factory(model))
                    chunk = decode_audio(model, codes).float().cpu().numpy()
                fade = keep if melody is not None else min(keep, int(CROSSFADE * rate))
                audio = chunk[:, :, :new] if audio is None else _continue(
                    audio, chunk, keep=keep, new=new, fade=fade)
            report(all_steps, all_steps, "MusicGen done")
        audio = _fit(audio, int(round(duration * rate)))
        emit(audio[:, :, emit.sent:])  # whatever the stream held back
        return [Track(audio=np.ascontiguousarray(a, dtype=np.float32), sample_rate=rate,
                      engine=self.name, model=self.model_name) for a in audio]

    @staticmethod
    def _inputs(processor, prompts: Sequence[str], audio: np.ndarray | None, keep: int,
                rate: int, melody_chroma: torch.Tensor | None):
        """The processor's batch for one window: prompts, plus the tail of the audio so far
        to continue from, or the melody's chroma."""
        if melody_chroma is not None:
            batch = processor(list(prompts), padding=True, return_tensors="pt")
            batch["input_features"] = melody_chroma.expand(len(prompts), -1, -1)
            return batch
        inputs: dict = {"text": list(prompts), "padding": True, "return_tensors": "pt"}
        if keep:  # continue from the tail of what we have
            inputs["audio"] = [a[0] if a.shape[0] == 1 else a for a in audio[:, :, -keep:]]
            inputs["sampling_rate"] = rate
        return processor(**inputs)

    def _load(self):
        device = pick_device(self.device)
        precision = resolve_precision(self.precision, device)
        # OpenVINO runs the decoder in int8: for the CPU default, or when asked for by name.
        backend = resolve_backend(self.backend, device)
        openvino = backend == "openvino" and (self.backend == "openvino" or precision == "int8")

        def build():
            from transformers import (
                AutoConfig,
                AutoProcessor,
                AutoTokenizer,
                MusicgenForConditionalGeneration,
                MusicgenMelodyForConditionalGeneration,
            )
            from transformers.feature_extraction_utils import FeatureExtractionMixin

            config = AutoConfig.from_pretrained(self.model_name)
            dtype = torch_dtype(precision)
            if config.model_type == "musicgen_melody":
                model = MusicgenMelodyForConditionalGeneration.from_pretrained(
                    self.model_name, dtype=dtype)
                # transformers' melody feature extractor needs torchaudio, which has no release
                # for current torch; chroma() computes the same features from its settings.
                extractor, _ = FeatureExtractionMixin.get_feature_extractor_dict(self.model_name)
                settings = {k: extractor[k] for k in ("n_fft", "hop_length", "num_chroma")}
                settings["rate"] = extractor["sampling_rate"]
                processor = AutoTokenizer.from_pretrained(self.model_name)
            else:
                model = MusicgenForConditionalGeneration.from_pretrained(self.model_name,
                                                                         dtype=dtype)
                processor, settings = AutoProcessor.from_pretrained(self.model_name), {}
            model = model.to(device).eval()
            if openvino and config.model_type != "musicgen_melody" and attach(
                    model, self.model_name):
                pass  # the decoder steps run on OpenVINO; the encoders stay in PyTorch
            elif precision == "int8":  # the decoder runs every step; encoders run once
                quantize_linear(model.decoder)
            return model, processor, settings, device

        return load_pretrained("music", (self.model_name, device, precision, openvino),
                               self.model_name, build)


class _Emitter:
    """Passes the first prompt's streamed (channels, samples) chunks on, never beyond the
    piece's length, and counts what was sent."""

    def __init__(self, on_audio: AudioCallback | None, *, rate: int, samples: int) -> None:
        self.on_audio, self.rate, self.samples, self.sent = on_audio, rate, samples, 0

    def __call__(self, chunk: np.ndarray) -> None:
        chunk = chunk[..., :self.samples - self.sent]
        if self.on_audio is not None and chunk.shape[-1]:
            self.sent += chunk.shape[-1]
            self.on_audio(np.ascontiguousarray(chunk[0], dtype=np.float32), self.rate)

    def stream(self, model, *, first: int, last: int):
        """A step callback decoding this window's frames first..last as they arrive."""
        return None if self.on_audio is None else AudioStream(model, self, first=first,
                                                              last=last)


class _StepCounter:
    """A ``generate()`` stopping criterion that never stops: it turns each step into a call of
    ``on_step(done, total, None)``. (transformers 5.24's MusicGen ignores ``streamer``.)"""

    def __init__(self, on_step, total: int) -> None:
        self.on_step, self.total, self.done = on_step, total, 0

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        self.done += 1
        self.on_step(self.done, self.total, None)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def _both(*callbacks):
    """One step callback calling each of ``callbacks`` that is not None."""
    active = [c for c in callbacks if c is not None]
    return lambda *args: [c(*args) for c in active]


def chroma(audio: np.ndarray, *, rate: int, n_fft: int, hop_length: int,
           num_chroma: int) -> torch.Tensor:
    """MusicGen-melody's condition: the dominant pitch class of each STFT frame, one-hot.

    The same computation as transformers' MusicgenMelodyFeatureExtractor (a normalised power
    spectrogram, librosa's chroma filters, argmax per frame), in plain torch.
    Returns (1, frames, num_chroma).
    """
    import torch
    from transformers.audio_utils import chroma_filter_bank

    wave = torch.from_numpy(np.asarray(audio, dtype=np.float32))[None]
    if wave.shape[-1] < n_fft:
        missing = n_fft - wave.shape[-1]
        wave = torch.nn.functional.pad(wave, (missing // 2, missing - missing // 2))
    window = torch.hann_window(n_fft)
    spec = torch.stft(wave, n_fft, hop_length=hop_length, window=window, center=True,
                      pad_mode="reflect", return_complex=True)
    power = (spec.abs() / window.pow(2).sum().sqrt()).pow(2)
    filters = torch.from_numpy(chroma_filter_bank(num_frequency_bins=n_fft,
                                                  num_chroma=num_chroma, sampling_rate=rate,
                                                  tuning=0)).float()
    raw = torch.einsum("cf,...ft->...ct", filters, power).transpose(1, 2)
    one_hot = torch.zeros_like(raw)
    return one_hot.scatter_(-1, raw.argmax(-1, keepdim=True), 1.0)


def _windows(duration: float, *, window: float, overlap: float,
             cuts: Sequence[float] = ()) -> list[tuple[float, float]]:
    """(start, new seconds) of each generation window.

    The first window makes up to ``window`` seconds; each later one reuses ``overlap``
    seconds of the past (or all of it, when there is less) and adds up to ``window`` minus
    that. No window spans one of ``cuts`` (seconds where another prompt takes over).

    >>> _windows(40, window=30, overlap=10)
    [(0.0, 30.0), (30.0, 10.0)]
    >>> _windows(16, window=8, overlap=4, cuts=[3, 10])
    [(0.0, 3.0), (3.0, 5.0), (8.0, 2.0), (10.0, 4.0), (14.0, 2.0)]
    """
    plan, start = [], 0.0
    for end in sorted({float(c) for c in cuts if 0 < c < duration} | {float(duration)}):
        while start < end - 1e-6:
            seconds = float(min(window - min(overlap, start), end - start))
            plan.append((start, seconds))
            start += seconds
    return plan


def _check_starts(starts: Sequence[float] | None, count: int, duration: float) -> list[float]:
    """``starts`` as floats (empty for None); InputError unless one per prompt, rising from 0
    within ``duration``."""
    if starts is None:
        return []
    found = [float(s) for s in starts]
    if len(found) != count or found[0] != 0 or any(
            b <= a for a, b in zip(found, found[1:], strict=False)) or found[-1] >= duration:
        raise InputError(f"section starts {found} need one time per prompt ({count}), rising "
                         f"from 0 and within the {duration:g} s piece")
    return found


def _segment(melody: tuple[np.ndarray, int], rate: int, start: float,
             seconds: float) -> np.ndarray:
    """The part of the melody audio under one window, resampled to ``rate``, mono."""
    from scipy.signal import resample_poly

    audio, source_rate = melody
    mono = np.asarray(audio, dtype=np.float32)
    mono = mono.mean(axis=0) if mono.ndim == 2 else mono
    if source_rate != rate:
        divisor = math.gcd(int(source_rate), int(rate))
        mono = resample_poly(mono, rate // divisor, int(source_rate) // divisor)
    piece = mono[int(start * rate): int((start + seconds) * rate)]
    if piece.size < rate // 10:
        piece = np.zeros(int(seconds * rate), dtype=np.float32)
    return piece.astype(np.float32)


def _continue(audio: np.ndarray, chunk: np.ndarray, *, keep: int, new: int,
              fade: int) -> np.ndarray:
    """Append a window to (batch, channels, samples) audio.

    ``chunk`` starts with its own rendition of the last ``keep`` samples of ``audio`` (MusicGen
    re-decodes its prompt; melody windows overlap): the seam is cross-faded over the last
    ``fade`` of those samples, then ``new`` samples follow.
    """
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    seam = (audio[:, :, audio.shape[-1] - fade:] * (1 - ramp)
            + chunk[:, :, keep - fade:keep] * ramp)
    return np.concatenate([audio[:, :, :audio.shape[-1] - fade], seam,
                           chunk[:, :, keep:keep + new]], axis=-1)


def _fit(audio: np.ndarray, samples: int) -> np.ndarray:
    """Trim or zero-pad the last axis to exactly ``samples``."""
    if audio.shape[-1] >= samples:
        return audio[..., :samples]
    return np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(0, samples - audio.shape[-1])])
