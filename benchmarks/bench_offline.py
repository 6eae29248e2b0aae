"""Offline engine speed: 30 s of music from a 12-megapixel photo.

    python benchmarks/bench_offline.py [--runs 5]

Prints the median wall time of (1) ImageToMusic(...)(photo, duration=30) in-process after a
first warm-up call, and (2) `vistune compose` as a new process, including Python start-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def twelve_megapixel_photo(folder: Path) -> Path:
    """The sunset example enlarged to 4000 x 3000 with sensor-like noise, saved as JPEG."""
    base = Image.open(ROOT / "examples" / "sunset.jpg").convert("RGB").resize((4000, 3000))
    noise = np.random.default_rng(0).normal(0, 6, (3000, 4000, 3))
    pixels = np.clip(np.asarray(base, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    path = folder / "photo_12mp.jpg"
    Image.fromarray(pixels).save(path, quality=92)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from vistune import ImageToMusic

    with tempfile.TemporaryDirectory() as tmp:
        photo = twelve_megapixel_photo(Path(tmp))
        pipe = ImageToMusic(engine="composer", captioner="labels", offline=True)
        pipe(photo, duration=30, seed=0)  # warm-up: loads the classifier
        times = []
        for run in range(args.runs):
            start = time.perf_counter()
            pipe(photo, duration=30, seed=run)
            times.append(time.perf_counter() - start)
        print(f"in-process, 30 s from a 12 MP JPEG: median {statistics.median(times):.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in times)})")

        walls = []
        for run in range(3):
            out = Path(tmp) / f"cli{run}.wav"
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "vistune.cli", "compose", str(photo), "-o",
                            str(out), "--offline"], check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
        print(f"new process `vistune compose --offline`, 30 s: median "
              f"{statistics.median(walls):.2f} s (runs: {', '.join(f'{t:.2f}' for t in walls)})")


if __name__ == "__main__":
    main()
