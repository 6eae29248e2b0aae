"""Time the offline captioner per picture, after loading: the classifier plus the features.

    python benchmarks/bench_caption_speed.py [--rounds 3] [--threads N] [--variant lite0]

Issue 13's budget is 300 ms per image on this machine's 2 cores. The captioner is loaded and
warmed up first (not timed); then every picture of benchmarks/bench_seeing.py (34) is described
``--rounds`` times. Each ``describe`` call is timed whole (wall clock and this process's CPU
time), and its two parts apart: the ImageNet classifier (``probabilities``) and the pixel
measurements (``analyze``: light, colour, palette, scene cues). Prints the median and mean of
each, the slowest, and the load average before and after: on a shared machine the wall clock
counts time spent waiting for a core, so compare it with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from bench_seeing import pictures


def _timed(call: Callable[[], object]) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - start, time.process_time() - start_cpu


def _line(title: str, times: list[tuple[float, float]]) -> str:
    wall = [w * 1000 for w, _ in times]
    cpu = [c * 1000 for _, c in times]
    return (f"{title:<22} wall median {statistics.median(wall):6.0f} ms, mean "
            f"{statistics.mean(wall):6.0f} ms, slowest {max(wall):6.0f} ms | CPU median "
            f"{statistics.median(cpu):6.0f} ms, mean {statistics.mean(cpu):6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="describe calls per picture")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--variant", default="lite0", help="EfficientNet-Lite checkpoint")
    args = parser.parse_args()
    import torch

    from vistune import load_image
    from vistune.see.features import analyze
    from vistune.see.labels import LabelCaptioner

    if args.threads:
        torch.set_num_threads(args.threads)
    captioner = LabelCaptioner(**({"variant": args.variant} if args.variant != "lite0" else {}))
    loaded = [load_image(image) for image, _ in pictures().values()]
    for picture in loaded[:2]:  # load the network and warm up
        captioner.describe(picture)
    before = os.getloadavg()
    whole, classifier, features = [], [], []
    for _ in range(args.rounds):
        for picture in loaded:
            whole.append(_timed(lambda p=picture: captioner.describe(p)))
            classifier.append(_timed(lambda p=picture: captioner.probabilities(p)))
            features.append(_timed(lambda p=picture: analyze(p)))
    after = os.getloadavg()
    print(f"{captioner.model_name}, {len(loaded)} pictures x {args.rounds} rounds, torch on "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} cores; load average "
          f"{before[0]:.1f} before, {after[0]:.1f} after")
    print(_line("describe (both)", whole))
    print(_line("  classifier", classifier))
    print(_line("  features + cues", features))
    median = statistics.median(w for w, _ in whole) * 1000
    print(f"budget 300 ms per image: median describe {median:.0f} ms wall -> "
          f"{'within' if median <= 300 else 'over'} the budget at this load")


if __name__ == "__main__":
    main()
