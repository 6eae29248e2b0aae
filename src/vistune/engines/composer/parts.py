"""Each part played and equalised on its own, in parallel: the composer's rendering.

``midirenderer`` holds the GIL while it synthesises, so threads would take turns; the parts go
to a small pool of worker processes instead, kept between pieces (each keeps its own cut-down
SoundFonts, see sf2.py), while this process plays parts too. A part is played by the same
function wherever it runs, so the parallel render equals the serial one bit for bit.

The workers are forked (started in no time, and a script without an ``if __name__ ==
"__main__"`` guard is not run again in them, as it would be with "spawn"), so the pool starts
only where forking is safe: where fork exists and this process runs no other Python thread
(a web server's workers, say). Elsewhere every part is played here, one after another.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from .mix import equalise
from .synth import SAMPLE_RATE, render_midi

_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0


@dataclass(frozen=True)
class PartJob:
    """One part to play: a MIDI file holding only it, and what its EQ needs."""

    midi: pretty_midi.PrettyMIDI
    samples: int
    soundfont: Path
    role: str
    lowest_hz: float
    melody_hz: float


def play_part(job: PartJob) -> np.ndarray:
    """The part's dry audio, equalised for its role (see mix.equalise)."""
    audio = render_midi(job.midi, samples=job.samples, soundfont=job.soundfont)
    return equalise(audio, SAMPLE_RATE, role=job.role, lowest_hz=job.lowest_hz,
                    melody_hz=job.melody_hz)


def default_workers() -> int:
    """Worker processes besides this one: one per further CPU core, at most 4;
    $VISTUNE_RENDER_WORKERS overrides (0 plays every part here, one after another)."""
    named = os.environ.get("VISTUNE_RENDER_WORKERS", "").strip()
    if named.isdigit():
        return int(named)
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def play_parts(jobs: list[PartJob], *, workers: int | None = None) -> list[np.ndarray]:
    """Every job's audio, in order: ``workers`` processes (default :func:`default_workers`)
    play parts from the start of the list while this one plays from its end."""
    count = default_workers() if workers is None else workers
    count = min(count, len(jobs) - 1)
    if count < 1 or (_POOL is None and not _can_fork()):
        return [play_part(job) for job in jobs]
    pool = _pool(count)
    futures: list[Future] = [pool.submit(play_part, job) for job in jobs]
    done: dict[int, np.ndarray] = {}
    for index in reversed(range(len(jobs))):  # take back what no worker has started yet
        if futures[index].cancel():
            done[index] = play_part(jobs[index])
    return [done[i] if i in done else futures[i].result() for i in range(len(jobs))]


def _can_fork() -> bool:
    """Whether worker processes can be forked safely here."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _pool(size: int) -> ProcessPoolExecutor:
    """The shared pool of at least ``size`` forked workers, started once."""
    global _POOL, _POOL_SIZE
    if _POOL is None or size > _POOL_SIZE:
        if _POOL is not None:
            _POOL.shutdown(cancel_futures=True)
        _POOL = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("fork"))
        _POOL_SIZE = size
    return _POOL


@atexit.register
def _close() -> None:
    if _POOL is not None:
        _POOL.shutdown(cancel_futures=True)
