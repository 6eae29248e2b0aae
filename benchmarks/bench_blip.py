"""BLIP on the CPU: PyTorch, the vision encoder on OpenVINO (the previous default), and the
vision encoder and text decoder on OpenVINO (today's default), one run.

    python benchmarks/bench_blip.py [--runs 5] [--variants openvino:int8:auto:vision,...]
        [--size large] [--skip-memory] [--folder saved-model]

The exact blip-image-captioning-large architecture with random weights at realistic scale
(benchmarks/real_size.py), loaded through ``BlipCaptioner``. A variant is
backend:weights:precision:parts (see --variants). Each figure is seconds per caption at the
default settings (3 beams), 15 new tokens (``max_new_tokens``; random weights never stop
early, so every variant makes all 15; 15 is about a real caption's length), image processing
included; then the vision encoder alone. The variants take
turns, in alternating order; medians and means are printed with the load average (the machine
may be shared). Then the peak resident memory of a fresh process that loads each variant and
makes one caption.
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
#: The previous default first (the others' captions are compared with its), then today's.
#: Others: openvino:f16:auto, openvino:fp32:auto (both parts in f16 or fp32 weights),
#: openvino:int8:int8:vision (PyTorch int8 decoder), torch::int8.
VARIANTS = ("openvino:int8:auto:vision", "openvino:int8:auto", "torch::auto")
#: Which class runs each part, by backend and parts.
RUNS_ON = {"torch": ("BlipVisionModel", "BlipTextLMHeadModel"),
           "vision": ("Vision", "BlipTextLMHeadModel"), "vision+decoder": ("Vision", "TextDecoder")}


def _figures(values: list[float]) -> str:
    return (f"median {statistics.median(values):.3f}, mean {statistics.mean(values):.3f} "
            f"(runs: {', '.join(f'{v:.3f}' for v in values)})")


def _settings(variant: str) -> tuple[str, str, str, str]:
    """"backend:weights:precision:parts" -> its fields; weights (OpenVINO's) defaults to int8,
    precision (BlipCaptioner's, for what runs in PyTorch) to auto, parts (what OpenVINO runs:
    vision, or vision+decoder) to vision+decoder."""
    backend, weights, precision, parts = (variant.split(":") + ["", "", ""])[:4]
    return backend, weights or "int8", precision or "auto", parts or "vision+decoder"


def _load(folder: Path, variant: str):
    """A captioner for ``variant``, held outside the shared model slot (which keeps one
    captioner per process) so that all stay loaded."""
    from vistune.runtime.models import release
    from vistune.runtime.openvino import blip as blip_openvino
    from vistune.see.blip import BlipCaptioner

    backend, weights, precision, parts = _settings(variant)
    blip_openvino.DEFAULT_WEIGHTS = weights
    blip_openvino.DEFAULT_PARTS = tuple(parts.split("+"))
    captioner = BlipCaptioner(str(folder), backend=backend, precision=precision,
                              max_new_tokens=15)
    loaded = captioner._load()
    runs_on = type(loaded[0].vision_model).__name__, type(loaded[0].text_decoder).__name__
    if runs_on != RUNS_ON["torch" if backend == "torch" else parts]:
        raise SystemExit(f"{variant}: did not load as asked ({runs_on})")
    captioner._load = lambda: loaded
    release("captioner")
    return captioner


def _memory(folder: Path, variant: str) -> float:
    """Peak RSS in MB of a fresh process that loads ``variant`` and makes one caption."""
    backend, weights, precision, parts = _settings(variant)
    code = ("from vistune.runtime.openvino import blip as blip_openvino; "
            "from vistune.see.blip import "
            "BlipCaptioner; from vistune.see.image import load_image\n"
            f"blip_openvino.DEFAULT_WEIGHTS = {weights!r}\n"
            f"blip_openvino.DEFAULT_PARTS = {tuple(parts.split('+'))!r}\n"
            f"c = BlipCaptioner({str(folder)!r}, backend={backend!r}, "
            f"precision={precision!r}, max_new_tokens=15)\n"
            f"c.caption([load_image({str(PICTURE)!r}).image])\n"
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=os.environ)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def _vision(captioner, image) -> None:
    """The vision encoder alone, on the caption's own pixels."""
    import torch

    model, processor, _ = captioner._load()
    pixels = processor(images=[image], return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        model.vision_model(pixel_values=pixels.to(model.vision_model.dtype))


def _load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(folder: Path, args) -> None:
    from vistune.see.image import load_image

    image = load_image(PICTURE).image
    variants = args.variants.split(",")
    captioners = {}
    for variant in variants:
        start = time.perf_counter()
        captioners[variant] = _load(folder, variant)
        print(f"{variant}: loaded (export included when not cached) in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    captions = {name: c.caption([image]) for name, c in captioners.items()}  # warm-up
    for name, caption in captions.items():
        # Random weights give flat distributions: near-ties everywhere, so captions that
        # differ between weight formats say nothing about accuracy (the tests check that).
        same = "same as" if caption == captions[variants[0]] else "differs from"
        print(f"{name}: caption of {len(caption[0].split())} words, {same} {variants[0]}'s")
    medians: dict[str, dict[str, float]] = {}
    for label, call in (("caption (3 beams, 15 tokens)", lambda c: c.caption([image])),
                        ("vision encoder alone", lambda c: _vision(c, image))):
        times: dict[str, list[float]] = {name: [] for name in variants}
        print(f"{label}, before: {_load_average()}", flush=True)
        for run_index in range(args.runs):
            for name in (variants if run_index % 2 == 0 else variants[::-1]):
                start = time.perf_counter()
                call(captioners[name])
                times[name].append(time.perf_counter() - start)
        print(f"{label}, after: {_load_average()}")
        for name, values in times.items():
            print(f"{name}, {label}: {_figures(values)} s", flush=True)
        medians[label] = {name: statistics.median(values) for name, values in times.items()}
    for name in variants:
        caption, vision = medians.values()
        print(f"{name}: text decoder and the rest (caption median - vision median) "
              f"{caption[name] - vision[name]:.3f} s")
    if not args.skip_memory:
        captioners.clear()
        for name in variants:
            print(f"{name}: peak memory {_memory(folder, name):.0f} MB (load, one caption; "
                  f"{_load_average()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="backend:weights:precision:parts, comma-separated; weights is "
                             "OpenVINO's (int8, f16, fp32), precision BlipCaptioner's for what "
                             "runs in PyTorch (auto, fp32, bf16, int8), parts what OpenVINO "
                             "runs (vision, or vision+decoder)")
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
