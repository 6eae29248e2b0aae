"""ACE-Step 1.5 on this CPU: load time, seconds per diffusion step and per second of audio at
10 s and 30 s, and peak memory, through VisTune's own engine (AceStepEngine).

The weights are random (matrices ~ N(0, 0.02), norms 1, biases 0) in the released
architecture, so the audio is noise but every matrix product is the real one. Sizes:
  turbo (2B DiT): ACE-Step 1.5's AceStepConfig defaults, which are diffusers 0.42's
      AceStepTransformer1DModel / AceStepConditionEncoder defaults (2048 wide, 24 layers,
      16 query / 8 key-value heads of 128, MLP 6144; lyric encoder 8 layers, timbre 4);
  xl-turbo (4B DiT, the default checkpoint ACE-Step/acestep-v15-xl-turbo-diffusers): 2560
      wide, 32 layers, 32 / 8 heads, MLP 9728, condition encoder as turbo (its model card:
      "hidden_size=2560, 32 layers, 32 heads; encoder_hidden_size=2048");
  both: AutoencoderOobleck 48 kHz stereo (128 channels, ratios 2 4 4 6 10, multiples
      1 2 4 8 16, 64 latent channels: 25 frames a second) and Qwen3-Embedding-0.6B's geometry.
The tokenizer is the tests' WordLevel one (tests/tiny_models.py): prompts of a few dozen tokens
either way.

    python benchmarks/bench_ace_step.py --variant turbo           # build once, then 10 s, 30 s
    python benchmarks/bench_ace_step.py --variant turbo --duration 10 --precision fp32

Each length runs in a fresh process so its peak resident memory is its own. The folder is
kept (about 6 GB in bf16 for turbo, 11 GB for xl-turbo) in --folder.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

ENCODER = dict(hidden_size=2048, intermediate_size=6144, num_attention_heads=16,
               num_key_value_heads=8)
SIZES = {
    "turbo": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=24,
                  num_attention_heads=16, num_key_value_heads=8),
    "xl-turbo": dict(hidden_size=2560, intermediate_size=9728, num_hidden_layers=32,
                     num_attention_heads=32, num_key_value_heads=8),
}
ATTENTION = dict(head_dim=128, rope_theta=1_000_000.0, sliding_window=128)
VAE = dict(encoder_hidden_size=128, downsampling_ratios=[2, 4, 4, 6, 10],
           channel_multiples=[1, 2, 4, 8, 16], decoder_channels=128, decoder_input_channels=64,
           audio_channels=2, sampling_rate=48000)
QWEN3_EMBEDDING_06B = dict(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                           num_attention_heads=16, num_key_value_heads=8, head_dim=128,
                           vocab_size=151669, max_position_embeddings=32768,
                           rope_theta=1_000_000.0, tie_word_embeddings=True)


def build(variant: str, folder: Path) -> Path:
    """Save a randomly initialised ACE-Step 1.5 ``variant`` pipeline in bf16 to ``folder``."""
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.modeling_utils import no_init_weights
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step import (
        AceStepAudioTokenDetokenizer,
        AceStepAudioTokenizer,
        AceStepConditionEncoder,
    )
    from tiny_models import _ace_tokenizer
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(0)
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # allocate in bf16: XL in fp32 is 23 GB
    try:
        with no_init_weights():
            codes = dict(**ENCODER, **ATTENTION, audio_acoustic_hidden_dim=64,
                         pool_window_size=5, num_attention_pooler_hidden_layers=2)
            parts = dict(
                transformer=AceStepTransformer1DModel(
                    **SIZES[variant], **ATTENTION, encoder_hidden_size=2048, in_channels=192,
                    audio_acoustic_hidden_dim=64, patch_size=2, is_turbo=True,
                    model_version="turbo"),
                condition_encoder=AceStepConditionEncoder(
                    **ENCODER, **ATTENTION, text_hidden_dim=1024, timbre_hidden_dim=64,
                    num_lyric_encoder_hidden_layers=8, num_timbre_encoder_hidden_layers=4),
                audio_tokenizer=AceStepAudioTokenizer(**codes, fsq_dim=2048,
                                                      fsq_input_levels=[8, 8, 8, 5, 5, 5]),
                audio_token_detokenizer=AceStepAudioTokenDetokenizer(**codes),
                vae=AutoencoderOobleck(**VAE),
                text_encoder=Qwen3Model(Qwen3Config(**QWEN3_EMBEDDING_06B)))
    finally:
        torch.set_default_dtype(before)
    with torch.no_grad():
        for module in parts.values():
            for name, weight in module.named_parameters():
                leaf = name.rsplit(".", 1)[-1]
                if leaf == "bias":
                    weight.zero_()
                elif weight.dim() == 1 or leaf in ("weight_g", "original0"):
                    weight.fill_(1.0)  # norms, and weight_norm's magnitudes
                else:
                    weight.normal_(0.0, 0.02)
            for name, buffer in module.named_buffers():
                if name.endswith("silence_latent"):
                    buffer.normal_(0.0, 1.0)
    pipe = AceStepPipeline(**parts, tokenizer=_ace_tokenizer(),
                           scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1,
                                                                     shift=1.0))
    pipe.save_pretrained(folder)
    return folder


def run(folder: Path, duration: float, precision: str) -> dict:
    """Load through VisTune and make ``duration`` seconds once, timing each stage."""
    from vistune.brief import make_brief
    from vistune.engines.ace_step import AceStepEngine
    from vistune.see.image import load_image
    from vistune.see.labels import LabelCaptioner

    description = LabelCaptioner().describe(load_image(HERE.parent / "examples" / "forest.jpg"))
    brief = make_brief(description)
    engine = AceStepEngine(str(folder), device="cpu", precision=precision)
    start, cpu = time.perf_counter(), _cpu()
    engine._load()  # the load on its own
    load, load_cpu = time.perf_counter() - start, _cpu() - cpu
    marks: list[tuple[float, str]] = []
    start, cpu = time.perf_counter(), _cpu()
    track = engine.render(brief, duration=duration, seed=0,
                          progress=lambda done, total, stage: marks.append(
                              (time.perf_counter(), stage)))[0]
    total, total_cpu = time.perf_counter() - start, _cpu() - cpu
    steps = [t for t, stage in marks if stage.startswith("ACE-Step: step")
             or stage == "ACE-Step: decoding the audio"]
    return {"duration_s": duration, "precision": precision, "threads": _threads(),
            "loadavg_1m": round(os.getloadavg()[0], 1), "load_s": round(load, 1),
            "load_cpu_s": round(load_cpu, 1),
            # the prompt's encoding and the first step, then the mean of the others
            "first_step_s": round(steps[0] - marks[0][0], 1),
            "step_s": round((steps[-1] - steps[0]) / (len(steps) - 1), 2),
            "decode_s": round(marks[-1][0] - steps[-1], 1), "total_s": round(total, 1),
            # CPU seconds of this process: what the run costs when the cores are shared
            "total_cpu_s": round(total_cpu, 1),
            "s_per_audio_s": round(total / duration, 2),
            "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 1),
            "out": [track.audio.shape[0], track.audio.shape[1], track.sample_rate]}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(SIZES), default="turbo")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where the random checkpoint is (built there if missing)")
    parser.add_argument("--duration", type=float, action="append",
                        help="seconds to make (repeat; default 10 and 30)")
    parser.add_argument("--precision", default="auto", help="auto (bf16 where the CPU has it)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.gettempdir()) / f"vistune-ace-step-{args.variant}"
    if args.one:
        print(json.dumps(run(folder, args.duration[0], args.precision)), flush=True)
        return
    if not (folder / "model_index.json").exists():
        start = time.perf_counter()
        build(args.variant, folder)
        print(f"built {args.variant} in {folder} in {time.perf_counter() - start:.0f} s",
              flush=True)
    for seconds in args.duration or [10.0, 30.0]:
        subprocess.run([sys.executable, __file__, "--one", "--folder", str(folder),
                        "--duration", str(seconds), "--precision", args.precision],
                       check=True)


if __name__ == "__main__":
    main()
