"""Where one MusicGen-small decoding step's time goes, for whoever works on its speed next.

    python benchmarks/profile_step.py [--position 250] [--steps 20] [--folder saved-model]

Runs VisTune's int8 step (engines/musicgen/decoding.py, one prompt with guidance: 2 rows) on
the real architecture with random weights and prints, per step at ``--position`` (the middle of
a 10 s piece by default): the time in the int8 matrix products, in self-attention over the key/value
cache and in cross-attention over the text (torch profiler), and the step's wall time with and
without attention. Then it shows the cost of one small op (a layer norm of 2 x 1024 values)
with warm CPU caches and right after streaming as many bytes as the int8 weights, as every
step does: the per-op overhead between the matrix products grows with cold caches.
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

from bench_neural import PROMPT  # noqa: E402
from real_size import musicgen_small  # noqa: E402


def profile(folder: Path, position: int, steps: int) -> None:
    import torch
    from torch.profiler import ProfilerActivity, record_function
    from torch.profiler import profile as torch_profile
    from transformers import AutoProcessor

    from vistune.engines.musicgen.decoding import Stepper, text_states
    from vistune.engines.musicgen.engine import MusicGenEngine

    model = MusicGenEngine(str(folder), precision="int8")._load()[0]
    batch = AutoProcessor.from_pretrained(folder)(text=[PROMPT], return_tensors="pt")
    attention = torch.nn.functional.scaled_dot_product_attention

    def labelled(query, key, value, **options):
        with record_function("cross-attention" if "attn_mask" in options else "self-attention"):
            return attention(query, key, value, **options)

    def skipped(query, key, value, **options):
        return query  # same shapes, no attention: only for timing

    def stepper(sdpa) -> tuple[Stepper, torch.Tensor]:
        step = Stepper(model, *text_states(model, batch, guided=True),
                       length=position + steps + 1)
        step._sdpa = sdpa
        ids = torch.full((2 * model.decoder.num_codebooks, 1),
                         model.generation_config.decoder_start_token_id)
        for _ in range(position):
            step(ids)
        return step, ids

    def wall(sdpa) -> float:
        step, ids = stepper(sdpa)
        start = time.perf_counter()
        for _ in range(steps):
            step(ids)
        return (time.perf_counter() - start) / steps * 1e3

    with torch.inference_mode():
        step, ids = stepper(labelled)
        with torch_profile(activities=[ProfilerActivity.CPU]) as run:
            for _ in range(steps):
                step(ids)
        parts = {e.key: e.cpu_time_total / steps / 1e3 for e in run.key_averages()}
        print(f"at position {position}, per step (profiled):")
        for key in ("quantized::linear_dynamic", "self-attention", "cross-attention",
                    "aten::gelu", "aten::native_layer_norm"):
            print(f"  {key}: {parts.get(key, 0.0):.2f} ms")
        print(f"wall, per step: {wall(attention):.2f} ms; with attention skipped "
              f"{wall(skipped):.2f} ms")

        x = torch.randn(2, 1, 1024)
        norm = model.decoder.model.decoder.layers[0].final_layer_norm
        weights = torch.empty(340_000_000, dtype=torch.int8).fill_(1)

        def small_op(cold: bool) -> float:
            times = []
            for _ in range(15):
                if cold:
                    weights.max()  # stream the int8 weights' bytes through the caches
                start = time.perf_counter()
                norm(x)
                times.append(time.perf_counter() - start)
            return statistics.median(times) * 1e6

        print(f"one layer norm of 2 x 1024: {small_op(False):.0f} us with warm caches, "
              f"{small_op(True):.0f} us right after streaming 340 MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--position", type=int, default=250)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--folder", type=Path, help="a saved real-size model (else built)")
    args = parser.parse_args()
    if args.folder:
        profile(args.folder, args.position, args.steps)
        return
    with tempfile.TemporaryDirectory() as tmp:
        profile(musicgen_small(Path(tmp) / "musicgen"), args.position, args.steps)


if __name__ == "__main__":
    main()
