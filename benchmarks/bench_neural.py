"""Neural speed and quality on this machine, plain transformers (baseline) beside VisTune.

    python benchmarks/bench_neural.py [--seconds 10] [--runs 3] [--skip-blip] [--skip-musicgen]

Models are randomly initialised in the exact real architectures (benchmarks/real_size.py) and
loaded through VisTune's own code. Prints medians of ``--runs`` runs:
- MusicGen-small: seconds of audio per wall second for one prompt, and for four prompts in one
  batch (total audio / wall time) against four sequential calls; per precision. With streaming:
  seconds until the first audio chunk.
- Teacher-forced agreement of the int8 / bf16 decoder's next-token choice with fp32's, and KL.
- BLIP-large: seconds per caption, greedy and 3 beams, per precision.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from real_size import blip_model, musicgen_small  # noqa: E402

PROMPT = "calm ambient with electric piano and warm synth pads, 70 bpm, D major"


def _median(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} (runs: {', '.join(f'{t:.3f}' for t in times)})"


def _timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def bench_musicgen(folder: Path, seconds: float, runs: int, precisions: list[str],
                   baseline: bool) -> None:
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    from vistune.engines.musicgen.engine import MusicGenEngine

    # Baseline: plain transformers, fp32, as its documentation shows.
    model = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    processor = AutoProcessor.from_pretrained(folder)
    tokens = int(seconds * 50) + 4

    def plain(prompts):
        inputs = processor(text=prompts, padding=True, return_tensors="pt")
        with torch.inference_mode():
            model.generate(**inputs, do_sample=True, guidance_scale=3.0, max_new_tokens=tokens)

    if baseline:
        plain([PROMPT])
        one = _timed(lambda: plain([PROMPT]), runs)
        four = _timed(lambda: plain([PROMPT] * 4), runs)
        print(f"baseline transformers fp32, 1 prompt: {_median([seconds / t for t in one])} "
              "s audio per s")
        print(f"baseline transformers fp32, 4 prompts batched: "
              f"{_median([4 * seconds / t for t in four])} s audio per s")
    reference = model
    for precision in precisions:
        engine = MusicGenEngine(str(folder), precision=precision)
        ours = engine._load()[0]
        engine.render_prompts([PROMPT], duration=1, seed=0)  # warm-up
        one = _timed(lambda e=engine: e.render_prompts([PROMPT], duration=seconds, seed=0), runs)
        four = _timed(lambda e=engine: e.render_prompts([PROMPT] * 4, duration=seconds, seed=0),
                      runs)
        print(f"vistune {precision}, 1 prompt: {_median([seconds / t for t in one])} "
              f"s audio per s")
        print(f"vistune {precision}, 4 prompts batched: "
              f"{_median([4 * seconds / t for t in four])} s audio per s; x"
              f"{statistics.median(one) * 4 / statistics.median(four):.2f} the throughput of "
              "4 sequential calls")
        first, whole = streaming(engine, seconds, runs)
        print(f"vistune {precision}, streaming 1 prompt: first audio after {_median(first)} s; "
              f"whole piece {_median([seconds / t for t in whole])} s audio per s")
        if precision != "fp32":
            agreement(reference, ours, processor, precision)


def streaming(engine, seconds: float, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from the call to the first streamed chunk, and to the end, per run."""
    first, whole = [], []
    for _ in range(runs):
        heard: list[float] = []

        def hear(chunk, rate, heard=heard) -> None:
            heard.append(time.perf_counter())

        start = time.perf_counter()
        engine.render_prompts([PROMPT], duration=seconds, seed=0, on_audio=hear)
        whole.append(time.perf_counter() - start)
        first.append(heard[0] - start)
    return first, whole


def agreement(reference, fast, processor, label: str, steps: int = 250) -> None:
    """Teacher-forced comparison of next-token choices over a sequence fp32 generated."""
    from vistune.engines.musicgen.decoding import decoder_agreement

    top1, kl = decoder_agreement(reference, fast, processor, PROMPT, steps=steps)
    print(f"  {label} vs fp32, teacher-forced over {steps} steps: top-1 agreement {top1:.1%}, "
          f"mean KL {kl:.4f} nats")


def bench_blip(folder: Path, runs: int, label: str = "BLIP-large") -> None:
    from vistune.see.blip import BlipCaptioner
    from vistune.see.image import load_image

    picture = load_image(HERE.parent / "examples" / "forest.jpg")
    # Random weights never emit the end token, so every caption runs to max_new_tokens; 15 is
    # about the length of a real BLIP-large caption.
    for precision in ("fp32", "bf16", "int8"):
        for beams in (1, 3):
            blip = BlipCaptioner(str(folder), precision=precision, num_beams=beams,
                                 max_new_tokens=15)
            blip.caption([picture.image])
            times = _timed(lambda b=blip: b.caption([picture.image]), runs)
            print(f"{label} {precision}, {beams} beam(s), 15 tokens: {_median(times)} "
                  "s per caption")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-blip", action="store_true")
    parser.add_argument("--blip-base", action="store_true",
                        help="also measure blip-image-captioning-base's architecture")
    parser.add_argument("--skip-musicgen", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="leave out plain transformers fp32 (slow: ~0.07x real time)")
    parser.add_argument("--precisions", default="int8,bf16",
                        help="VisTune precisions to measure, comma-separated")
    args = parser.parse_args()
    import torch
    import transformers

    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_blip:
            bench_blip(blip_model(Path(tmp) / "blip"), args.runs)
        if args.blip_base:
            bench_blip(blip_model(Path(tmp) / "blip-base", size="base"), args.runs,
                       "BLIP-base")
        if not args.skip_musicgen:
            bench_musicgen(musicgen_small(Path(tmp) / "musicgen"), args.seconds, args.runs,
                           args.precisions.split(","), baseline=not args.skip_baseline)


if __name__ == "__main__":
    main()
