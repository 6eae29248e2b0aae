"""How fast is the composer's render against 9f2cc21's serial one? Interleaved in one run.

What is timed, on each side, is what turns a finished score into the audio a user gets: the
MIDI -> final audio part of the pipeline, i.e. ``ComposerEngine.play(score, brief,
duration=30)`` (every part played by midirenderer and equalised, the melody's fader, the
room) followed by ``master`` (fades, -14 LUFS, limiter, true peak), as the pipeline masters
every track. Composing the score is not timed; nor is writing a file.

- old: the code of commit 9f2cc21 (every part played one after another in one process), run
  in a subprocess from a worktree of that commit (``--old``; made with ``git worktree add
  /tmp/old9f 9f2cc21``), which times its own ``play`` + ``master`` and reports the seconds;
- new: this tree's code, in this process, with its default render workers;
- new serial: the same with every part played in this process (``workers=0``): what the new
  code gains without a second core, e.g. where other processes keep every core busy.

The scores are the same for both: one 30 s score per style (seed 0, the forest example's
description), composed by this tree's code and handed to the old side as a MIDI file (both
sides play the file as read back). Each side makes one warm-up render per style first (the
SoundFont cut, imports, worker processes started); then the two take turns, old, new, old,
new..., so all meet the same machine load. Prints wall seconds (median and mean) per side,
the old/new ratio, the CPU seconds each side used (in every process: on a busy machine
wall time measures the load as much as the code), how far the new mastered audio is from
the old (max abs difference, correlation), and whether the new code's parallel render
equals its serial one (``workers=0``) bit for bit, before and after mastering.

    PYTHONPATH=src python benchmarks/bench_render.py --old /tmp/old9f [--rounds 3]
        [--duration 30] [--styles cinematic electronic jazz rock]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pretty_midi
from PIL import Image

import vistune
from vistune.engines.composer import ComposerEngine
from vistune.output.audio import master

FOREST = Path(__file__).parent.parent / "examples" / "forest.jpg"
#: The old side: reads one JSON request a line ({"midi", "reverb", "duration", "save"}), plays
#: and masters it with 9f2cc21's code, answers with the seconds that took.
OLD_SIDE = """
import json, sys, time
from types import SimpleNamespace
import numpy as np, pretty_midi
from vistune.audio import master
from vistune.engines.composer import ComposerEngine
engine = ComposerEngine()
for line in sys.stdin:
    ask = json.loads(line)
    midi = pretty_midi.PrettyMIDI(ask["midi"])
    brief = SimpleNamespace(style=SimpleNamespace(reverb=ask["reverb"]))
    started, cpu = time.perf_counter(), time.process_time()
    audio = master(engine.play(midi, brief, duration=ask["duration"]).audio, 48000)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if ask["save"]:
        np.save(ask["save"], audio)
    print(json.dumps([seconds, cpu]), flush=True)
"""


class OldSide:
    """9f2cc21's render in a subprocess running from its worktree."""

    def __init__(self, tree: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(tree / "src")}
        self.process = subprocess.Popen([sys.executable, "-c", OLD_SIDE], cwd=tree, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)

    def render(self, midi: Path, reverb: float, duration: float, save: str = ""
               ) -> tuple[float, float]:
        """(wall, CPU) seconds the old code took to play and master ``midi`` (its audio to
        ``save``); it plays in one process."""
        ask = {"midi": str(midi), "reverb": reverb, "duration": duration, "save": save}
        self.process.stdin.write(json.dumps(ask) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise SystemExit("the old side stopped; is --old a worktree of 9f2cc21?")
        wall, cpu = json.loads(answer)
        return wall, cpu

    def close(self) -> None:
        """Stop the subprocess (forked render workers hold its stdin open too)."""
        self.process.terminate()
        self.process.wait()


def new_render(engine: ComposerEngine, midi: pretty_midi.PrettyMIDI, brief,
               duration: float) -> np.ndarray:
    """This tree's play + master, as timed."""
    return master(engine.play(midi, brief, duration=duration).audio, 48000)


def children_cpu() -> float:
    """CPU seconds used so far by this process's children (the render workers), from Linux's
    /proc in clock ticks (10 ms each: a sum over many renders is what means something);
    0 where there is no /proc."""
    total = 0
    for listing in Path("/proc/self/task").glob("*/children"):
        for pid in listing.read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def timed_new(engine: ComposerEngine, midi: pretty_midi.PrettyMIDI, brief, duration: float
              ) -> tuple[np.ndarray, float, float]:
    """(audio, wall seconds, CPU seconds of this process and its workers) of a new render."""
    started, cpu, workers = time.perf_counter(), time.process_time(), children_cpu()
    audio = new_render(engine, midi, brief, duration)
    wall = time.perf_counter() - started
    return audio, wall, time.process_time() - cpu + children_cpu() - workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True,
                        help="a worktree of commit 9f2cc21 (git worktree add /tmp/old9f 9f2cc21)")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--styles", nargs="*",
                        default=["cinematic", "electronic", "jazz", "rock"])
    args = parser.parse_args()
    pipe = vistune.ImageToMusic(engine="composer", captioner="labels", offline=True)
    description = pipe.describe(Image.open(FOREST).convert("RGB"))
    new, serial = ComposerEngine(), ComposerEngine(workers=0)
    old = OldSide(args.old.resolve())
    times: dict[str, list[float]] = {"old": [], "new": [], "new serial": []}
    cpu: dict[str, list[float]] = {side: [] for side in times}
    same = True
    print(f"{new.model_name}; {args.duration:.0f} s scores ({', '.join(args.styles)}), "
          f"{args.rounds} rounds, old, new and new serial in turn; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        for style in args.styles:
            brief = pipe.brief(description, style=style)
            path = Path(folder) / f"{style}.mid"
            new.score(brief, duration=args.duration, seed=0).write(str(path))
            midi = pretty_midi.PrettyMIDI(str(path))
            saved = str(Path(folder) / f"{style}.npy")
            old.render(path, brief.style.reverb, args.duration, save=saved)  # warm-up
            heard = new_render(new, midi, brief, args.duration)  # warm-up: workers started
            alone = serial.play(midi, brief, duration=args.duration).audio
            same &= bool(np.array_equal(alone, new.play(midi, brief,
                                                         duration=args.duration).audio))
            same &= bool(np.array_equal(heard, master(alone, 48000)))
            before = np.load(saved)
            print(f"{style:11s} new vs old audio: max abs difference "
                  f"{np.abs(heard - before).max():.2e}, correlation "
                  f"{np.corrcoef(heard.ravel(), before.ravel())[0, 1]:.9f}")
            for _ in range(args.rounds):
                wall, used = old.render(path, brief.style.reverb, args.duration)
                times["old"].append(wall)
                cpu["old"].append(used)
                for side, engine in (("new", new), ("new serial", serial)):
                    audio, wall, used = timed_new(engine, midi, brief, args.duration)
                    times[side].append(wall)
                    cpu[side].append(used)
                    same &= bool(np.array_equal(audio, heard))
            print(f"{'':11s} medians: " + ", ".join(
                f"{side} {statistics.median(seconds[-args.rounds:]):.3f} s"
                for side, seconds in times.items()))
    old.close()
    print(f"load average now {os.getloadavg()[0]:.1f}")
    for side, seconds in times.items():
        print(f"{side:10s} median {statistics.median(seconds):.3f} s, "
              f"mean {statistics.mean(seconds):.3f} s over {len(seconds)} renders; CPU "
              f"(every process) median {statistics.median(cpu[side]):.3f} s, "
              f"mean {statistics.mean(cpu[side]):.3f} s")
    median = statistics.median(times["old"]) / statistics.median(times["new"])
    mean = statistics.mean(times["old"]) / statistics.mean(times["new"])
    alone = statistics.median(times["old"]) / statistics.median(times["new serial"])
    print(f"speed-up over 9f2cc21: median x{median:.2f}, mean x{mean:.2f} (new serial: median "
          f"x{alone:.2f}); new parallel equals new serial bit for bit: {same}")


if __name__ == "__main__":
    main()
