"""Batch throughput of the composer: a plain `vistune compose` against `--ray` on a local Ray.

    python benchmarks/bench_batch.py [--images 8] [--duration 30]

Both runs make the same tracks (the example photos, repeated) in-process through the CLI and
print wall time and seconds per track; the Ray run also prints its start-up (Ray and one
actor per CPU, each loading its models), which a large batch pays once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    args = parser.parse_args()
    import ray

    from vistune.cli.main import main as vistune

    examples = sorted((ROOT / "examples").glob("*.jpg"))
    offline = ["--engine", "composer", "--captioner", "labels", "--offline",
               "--duration", str(args.duration)]
    with tempfile.TemporaryDirectory() as tmp:
        images = [str(shutil.copy(examples[i % len(examples)], Path(tmp) / f"p{i}.jpg"))
                  for i in range(args.images)]
        print(f"{args.images} tracks of {args.duration:g} s, {os.cpu_count()} CPUs, "
              f"load average before: {os.getloadavg()[0]:.1f}")
        start = time.perf_counter()
        vistune(["compose", *images, "-o", f"{tmp}/plain", *offline])
        plain = time.perf_counter() - start
        start = time.perf_counter()
        ray.init(include_dashboard=False, log_to_driver=False)
        ready = time.perf_counter() - start
        vistune(["compose", images[0], "-o", f"{tmp}/warm.wav", *offline, "--ray"])
        warm = time.perf_counter() - start
        start = time.perf_counter()
        vistune(["compose", *images, "-o", f"{tmp}/ray", *offline, "--ray"])
        on_ray = time.perf_counter() - start
        ray.shutdown()
    print(f"plain run: {plain:.1f} s, {plain / args.images:.2f} s per track (one process; "
          "includes loading the classifier once)")
    print(f"ray: start {ready:.1f} s, first track with actor start-up {warm - ready:.1f} s")
    print(f"ray, {args.images} tracks: {on_ray:.1f} s, {on_ray / args.images:.2f} s per track "
          f"(includes starting {os.cpu_count()} actors)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
