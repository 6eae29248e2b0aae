"""BLIP on the CPU: PyTorch (today's default) against the vision encoder on OpenVINO, one run.

    python benchmarks/bench_blip.py [--runs 5] [--weights int8,f16,fp32] [--size large]
        [--skip-memory] [--folder saved-model]

The exact blip-image-captioning-large architecture with random weights at realistic scale
(benchmarks/real_size.py), loaded through ``BlipCaptioner``. Each figure is seconds per
caption at the default settings (3 beams), 15 new tokens (random weights never stop early;
15 is about a real caption's length), image processing included. The variants take turns, in
alternating order; medians and means are printed with the load average (the machine may be
shared). Then the peak resident memory of a fresh process that loads each variant and makes
one caption.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from real_size import blip_model  # noqa: E402

PICTURE = HERE.parent / "examples" / "forest.jpg"


def _figures(values: list[float]) -> str:
    return (f"median {statistics.median(values):.3f}, mean {statistics.mean(values):.3f} "
            f"(runs: {', '.join(f'{v:.3f}' for v in values)})")


def _load(folder: Path, variant: str):
    """A captioner for ``variant`` ("torch" or "openvino-WEIGHTS"), held outside the shared
    model slot (which keeps one captioner per process) so that all stay loaded."""
    from vistune import blip_openvino
    from vistune.blip import BlipCaptioner
    from vistune.models import release

    backend, _, weights = variant.partition("-")
    blip_openvino.DEFAULT_WEIGHTS = weights or blip_openvino.DEFAULT_WEIGHTS
    captioner = BlipCaptioner(str(folder), backend=backend, max_new_tokens=15)
    loaded = captioner._load()
    if type(loaded[0].vision_model).__name__ != {"torch": "BlipVisionModel",
                                                 "openvino": "Vision"}[backend]:
        raise SystemExit(f"{variant}: the vision encoder did not load on {backend}")
    captioner._load = lambda: loaded
    release("captioner")
    return captioner


def _memory(folder: Path, variant: str) -> float:
    """Peak RSS in MB of a fresh process that loads ``variant`` and makes one caption."""
    backend, _, weights = variant.partition("-")
    code = ("from vistune import blip_openvino; from vistune.blip import "
            "BlipCaptioner; from vistune.image import load_image\n"
            f"blip_openvino.DEFAULT_WEIGHTS = {weights or 'int8'!r}\n"
            f"c = BlipCaptioner({str(folder)!r}, backend={backend!r}, max_new_tokens=15)\n"
            f"c.caption([load_image({str(PICTURE)!r}).image])\n"
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=os.environ)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def _load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(folder: Path, args) -> None:
    from vistune.image import load_image

    image = load_image(PICTURE).image
    variants = ["torch"] + [f"openvino-{w}" for w in args.weights.split(",") if w]
    captioners = {}
    for variant in variants:
        start = time.perf_counter()
        captioners[variant] = _load(folder, variant)
        print(f"{variant}: loaded (export included when not cached) in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    captions = {name: c.caption([image]) for name, c in captioners.items()}  # warm-up
    for name, caption in captions.items():
        same = "same as torch" if caption == captions["torch"] else "DIFFERS from torch"
        print(f"{name}: caption {same}")
    times: dict[str, list[float]] = {name: [] for name in variants}
    print(f"before: {_load_average()}", flush=True)
    for run_index in range(args.runs):
        for name in (variants if run_index % 2 == 0 else variants[::-1]):
            start = time.perf_counter()
            captioners[name].caption([image])
            times[name].append(time.perf_counter() - start)
    print(f"after: {_load_average()}")
    for name, values in times.items():
        print(f"{name}, 3 beams, 15 tokens: {_figures(values)} s per caption")
    if not args.skip_memory:
        captioners.clear()
        for name in variants:
            print(f"{name}: peak memory {_memory(folder, name):.0f} MB (load, one caption; "
                  f"{_load_average()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--weights", default="int8,f16,fp32",
                        help="OpenVINO vision-encoder weight formats to measure")
    parser.add_argument("--size", choices=("large", "base"), default="large")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--folder", type=Path, default=None,
                        help="use (or make once) the random-weight model in this folder")
    args = parser.parse_args()
    import openvino
    import torch

    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads, "
          f"{torch.backends.cpu.get_cpu_capability()}), openvino {openvino.__version__}; "
          f"BLIP-{args.size}, random weights, std 0.02")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("VISTUNE_CACHE", str(Path(tmp) / "cache"))
        folder = args.folder or Path(tmp) / "blip"
        if not (folder / "config.json").is_file():
            blip_model(folder, size=args.size)
        run(folder, args)


if __name__ == "__main__":
    main()
