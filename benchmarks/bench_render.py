"""How fast does the composer play a score? Serial against parallel, interleaved in one run.

One 30 s score per style (seed 0, the forest example's description) is played by
``ComposerEngine.play`` with every part in this process one after another (``workers=0``, the
render before issue 24) and with the parts spread over worker processes (the default), the two
taking turns so both meet the same machine load. Prints wall seconds (median and mean) per
mode, the speed-up, and whether the two renders are equal bit for bit. The workers are started
(and have read the SoundFont) before timing; a first render in a fresh process also pays that.

    PYTHONPATH=src python benchmarks/bench_render.py [--duration 30] [--rounds 3] [--styles ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

import vistune
from vistune.engines.composer import ComposerEngine

FOREST = Path(__file__).parent.parent / "examples" / "forest.jpg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--styles", nargs="*", default=["cinematic", "electronic", "jazz"])
    args = parser.parse_args()
    pipe = vistune.ImageToMusic(engine="composer", captioner="labels", offline=True)
    description = pipe.describe(Image.open(FOREST).convert("RGB"))
    engines = {"serial": ComposerEngine(workers=0), "parallel": ComposerEngine()}
    print(f"{engines['serial'].model_name}; {args.duration:.0f} s scores, "
          f"{args.rounds} rounds, serial and parallel in turn")
    times: dict[str, list[float]] = {mode: [] for mode in engines}
    same = True
    for style in args.styles:
        brief = pipe.brief(description, style=style)
        score = engines["serial"].score(brief, duration=args.duration, seed=0)
        heard = {mode: engine.play(score, brief, duration=args.duration).audio
                 for mode, engine in engines.items()}  # warm: SoundFont cut, workers started
        same &= bool(np.array_equal(heard["serial"], heard["parallel"]))
        for _ in range(args.rounds):
            for mode, engine in engines.items():
                started = time.perf_counter()
                audio = engine.play(score, brief, duration=args.duration).audio
                times[mode].append(time.perf_counter() - started)
                same &= bool(np.array_equal(audio, heard["serial"]))
    for mode, seconds in times.items():
        print(f"{mode:9s} median {statistics.median(seconds):.2f} s, "
              f"mean {statistics.mean(seconds):.2f} s over {len(seconds)} renders")
    median = statistics.median(times["serial"]) / statistics.median(times["parallel"])
    mean = statistics.mean(times["serial"]) / statistics.mean(times["parallel"])
    print(f"speed-up: median x{median:.2f}, mean x{mean:.2f}; "
          f"parallel equals serial bit for bit: {same}")


if __name__ == "__main__":
    main()
