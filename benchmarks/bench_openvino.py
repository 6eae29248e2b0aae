"""MusicGen-small on the CPU: PyTorch int8 (the old default) against OpenVINO, in one run.

    python benchmarks/bench_openvino.py [--runs 3] [--seconds 10,30] [--skip-busy]
        [--skip-batch] [--skip-memory] [--agreement-steps 250] [--folder saved-model]

The exact musicgen-small architecture with random weights at realistic scale
(benchmarks/real_size.py). Each figure is seconds of audio per wall second, end to end after
loading: text encoding, generation with guidance (VisTune's token loop: the same calls
``MusicGenEngine`` makes for one window) and EnCodec. The two backends run interleaved, in
alternating order, and both medians and means are printed (stalls show in the mean):
- one prompt, for each ``--seconds``;
- one prompt of the first length while another process keeps one core busy;
- four prompts in one batch against four sequential calls;
- peak resident memory of a fresh process that loads the engine and makes 5 s;
- teacher-forced agreement of each decoder with the fp32 decoder (top-1, KL).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_neural import PROMPT  # noqa: E402
from real_size import musicgen_small  # noqa: E402

BACKENDS = ("torch", "openvino")


def _figures(values: list[float]) -> str:
    """Median, mean and every run, and the load average as the figure is printed (other
    processes' load slows both backends; the busy-core row adds its own on purpose)."""
    return (f"median {statistics.median(values):.3f}, mean {statistics.mean(values):.3f} "
            f"(runs: {', '.join(f'{v:.3f}' for v in values)}; "
            f"load average {os.getloadavg()[0]:.1f})")


def _load(folder: Path, backend: str):
    """The engine's model and processor for ``backend``, held outside the shared model slot
    (which keeps one music model per process) so that both stay loaded."""
    from vistune.engines.musicgen.engine import MusicGenEngine
    from vistune.runtime.models import release

    model, processor, _, _ = MusicGenEngine(str(folder), backend=backend)._load()
    release("music")
    return model, processor


def _piece(model, processor, prompts: list[str], seconds: float) -> None:
    """One window end to end, as MusicGenEngine.render_prompts makes it."""
    import torch

    from vistune.engines.musicgen.decoding import decode_audio, generate_codes
    from vistune.runtime.openvino.step import step_factory

    with torch.inference_mode():
        torch.manual_seed(0)
        batch = processor(text=prompts, padding=True, return_tensors="pt")
        codes = generate_codes(model, batch, new_tokens=int(seconds * 50) + 4, sampling={},
                               make_step=step_factory(model))
        decode_audio(model, codes).float().numpy()


def _interleaved(loaded: dict, prompts: list[str], seconds: float, runs: int) -> dict:
    """Wall seconds per run and backend, the backends taking turns in alternating order."""
    times: dict[str, list[float]] = {name: [] for name in loaded}
    for run in range(runs):
        for name in (BACKENDS if run % 2 == 0 else BACKENDS[::-1]):
            start = time.perf_counter()
            _piece(*loaded[name], prompts, seconds)
            times[name].append(time.perf_counter() - start)
    return times


def _busy() -> None:
    while True:
        pass


def _memory(folder: Path, backend: str) -> float:
    """Peak RSS in MB of a fresh process that loads the engine and makes 5 s of music."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    code = ("from vistune.engines.musicgen.engine import MusicGenEngine; "
            f"e = MusicGenEngine({str(folder)!r}, backend={backend!r}); "
            f"e.render_prompts([{PROMPT!r}], duration=5, seed=0); "
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=os.environ)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def run(folder: Path, args) -> None:
    import multiprocessing

    loaded = {name: _load(folder, name) for name in BACKENDS}
    for name in BACKENDS:  # warm-up: first-call set-up, compiled kernels
        _piece(*loaded[name], [PROMPT], 1.0)
    lengths = [float(s) for s in args.seconds.split(",")]
    for seconds in lengths:
        times = _interleaved(loaded, [PROMPT], seconds, args.runs)
        for name, values in times.items():
            print(f"{name}, 1 prompt, {seconds:g} s: {_figures([seconds / t for t in values])}"
                  " s of audio per wall s", flush=True)
    seconds = lengths[0]
    if not args.skip_busy:
        busy = multiprocessing.Process(target=_busy, daemon=True)
        busy.start()
        try:
            times = _interleaved(loaded, [PROMPT], seconds, args.runs)
        finally:
            busy.terminate()
            busy.join()
        for name, values in times.items():
            print(f"{name}, 1 prompt, {seconds:g} s, one core kept busy: "
                  f"{_figures([seconds / t for t in values])} s of audio per wall s", flush=True)
    if not args.skip_batch:
        one = _interleaved(loaded, [PROMPT], seconds, args.runs)
        four = _interleaved(loaded, [PROMPT] * 4, seconds, args.runs)
        for name in BACKENDS:
            ratio = 4 * statistics.median(one[name]) / statistics.median(four[name])
            print(f"{name}, 4 prompts batched, {seconds:g} s: "
                  f"{_figures([4 * seconds / t for t in four[name]])} s of audio per wall s; "
                  f"x{ratio:.2f} the throughput of 4 sequential calls", flush=True)
    if args.agreement_steps:
        agreement(folder, loaded, args.agreement_steps)
    if not args.skip_memory:
        for name in BACKENDS:
            print(f"{name}: peak RSS loading + 5 s of music, fresh process: "
                  f"{_memory(folder, name):.0f} MB", flush=True)
    print(f"this process's peak RSS (both backends loaded): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def agreement(folder: Path, loaded: dict, steps: int = 250) -> None:
    """Teacher-forced next-token agreement of each backend's decoder with fp32's."""
    from transformers import MusicgenForConditionalGeneration

    from vistune.engines.musicgen.decoding import decoder_agreement
    from vistune.runtime.openvino.step import step_factory

    reference = MusicgenForConditionalGeneration.from_pretrained(folder).eval()
    for name, (model, processor) in loaded.items():
        top1, kl = decoder_agreement(reference, model, processor, PROMPT, steps=steps,
                                     other_step=step_factory(model))
        print(f"{name} vs fp32, teacher-forced over {steps} steps: top-1 agreement "
              f"{top1:.1%}, mean KL {kl:.5f} nats", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", default="10,30", help="piece lengths, comma-separated")
    parser.add_argument("--skip-busy", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--agreement-steps", type=int, default=250,
                        help="teacher-forced steps compared with fp32 (0: skip)")
    parser.add_argument("--folder", type=Path, help="a saved real-size model (else built)")
    args = parser.parse_args()
    import openvino
    import torch

    print(f"torch {torch.__version__}, openvino {openvino.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.folder:
        run(args.folder, args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(musicgen_small(Path(tmp) / "musicgen"), args)


if __name__ == "__main__":
    main()
