"""Neural speed on this machine: MusicGen-small audio per wall second, BLIP-large per caption.

    python benchmarks/bench_neural.py [--seconds 10] [--runs 3]

Uses randomly initialised models in the exact real architectures (benchmarks/real_size.py),
loaded through VisTune's own MusicGenEngine and BlipCaptioner. Prints medians.
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

from real_size import blip_large, musicgen_small  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import torch

    from vistune import ImageToMusic
    from vistune.blip import BlipCaptioner
    from vistune.image import load_image

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as tmp:
        blip = BlipCaptioner(str(blip_large(Path(tmp) / "blip")), num_beams=3)
        picture = load_image(HERE.parent / "examples" / "forest.jpg")
        blip.caption([picture.image])  # warm-up and load
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            blip.caption([picture.image])
            times.append(time.perf_counter() - start)
        print(f"BLIP-large caption (3 beams, fp32): median {statistics.median(times):.2f} s "
              f"per image (runs: {', '.join(f'{t:.2f}' for t in times)})")

        folder = musicgen_small(Path(tmp) / "musicgen")
        pipe = ImageToMusic(captioner="labels", engine="musicgen", music_model=str(folder))
        description = pipe.describe(HERE.parent / "examples" / "forest.jpg")
        pipe(description, duration=1, seed=0)  # warm-up and load
        rates = []
        for run in range(args.runs):
            start = time.perf_counter()
            pipe(description, duration=args.seconds, seed=run)
            rates.append(args.seconds / (time.perf_counter() - start))
        print(f"MusicGen-small {args.seconds:g} s (fp32, guidance 3): median "
              f"{statistics.median(rates):.3f} s of audio per wall second "
              f"(runs: {', '.join(f'{r:.3f}' for r in rates)})")


if __name__ == "__main__":
    main()
