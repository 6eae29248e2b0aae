"""Each part played and equalised on its own, in parallel: the composer's rendering.

``midirenderer`` holds the GIL while it synthesises, so threads would take turns; the parts go
to a small pool of worker processes instead, kept between pieces (each keeps its own cut-down
SoundFonts, see sf2.py), while this process plays parts too; every process takes the costliest
part left, and the workers write theirs into an array they all map (see :func:`play_parts`).
A part is played by the same function wherever it runs, so the parallel render equals the
serial one bit for bit.

The workers are forked (started in no time, and a script without an ``if __name__ ==
"__main__"`` guard is not run again in them, as it would be with "spawn"), so the pool starts
only where forking is safe: where fork exists and this process runs no other Python thread
(a web server's workers, say). Elsewhere every part is played here, one after another.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from .mix import equalise
from .sf2 import load
from .synth import LATE, SAMPLE_RATE, render_entry

_POOL: ProcessPoolExecutor | None = None
#: Where the parts' shared array lives when it has room: memory (Linux's tmpfs).
SHARED = Path("/dev/shm")
_POOL_SIZE = 0
#: Note-seconds a second of synthesis costs as much as (measured for issue 24 on 30 s parts:
#: about 3.3 ms a second, plus 0.4-2.3 ms a note-second depending on the preset).
SECOND_COST = 3.0


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
    audio, silent = render_entry(job.midi, samples=job.samples, soundfont=job.soundfont)
    return equalise(audio, SAMPLE_RATE, role=job.role, lowest_hz=job.lowest_hz,
                    melody_hz=job.melody_hz, silent=silent)


def default_workers() -> int:
    """Worker processes besides this one: one per further CPU core that is idle (the cores
    less the load average, rounded), at most 4; $VISTUNE_RENDER_WORKERS overrides (0 plays
    every part here, one after another). A worker helps only on a core nothing else wants:
    where other work keeps every core busy (Linux shares the CPU between sessions, not
    processes), it adds only its overhead (measured at load 6 on 2 cores: x1.11 over
    9f2cc21 with a worker, x1.33 without)."""
    named = os.environ.get("VISTUNE_RENDER_WORKERS", "").strip()
    if named.isdigit():
        return int(named)
    cores = os.cpu_count() or 1
    try:
        idle = round(cores - os.getloadavg()[0])
    except OSError:  # no load average to read
        idle = cores - 1
    return max(0, min(4, cores - 1, idle))


def play_parts(jobs: list[PartJob], *, workers: int | None = None) -> list[np.ndarray]:
    """Every job's audio, in order (jobs of one piece: the same length). ``workers``
    processes (default :func:`default_workers`) and this one each play the costliest part no
    process has taken yet (see :func:`_cost`), until none is left.

    Each process claims its next part itself (creating a claim file is atomic); a worker
    writes the audio into one array mapped from a shared file, so no worker waits on this
    process (which keeps its own parts in its memory):
    results sent back through the pool would wait for its feeder thread, which cannot run
    while this process synthesises (midirenderer holds the GIL)."""
    count = default_workers() if workers is None else workers
    count = min(count, len(jobs) - 1)
    if count < 1 or (_POOL is None and not _can_fork()):
        return [play_part(job) for job in jobs]
    if _POOL is None:  # what every process needs, loaded once here before forking
        import pedalboard  # noqa: F401

        load(jobs[0].soundfont)
    pool = _pool(count)
    shape = (len(jobs), 2, jobs[0].samples)
    with tempfile.TemporaryDirectory(dir=_room_for(4 * int(np.prod(shape)))) as folder:
        shared = Path(folder) / "parts.npy"
        np.lib.format.open_memmap(shared, mode="w+", dtype=np.float32, shape=shape)
        order = sorted(range(len(jobs)), key=lambda i: -_cost(jobs[i].midi))
        futures = [pool.submit(_play_share, jobs, order, shared) for _ in range(count)]
        here: dict[int, np.ndarray] = {}  # this process's parts stay in its memory
        try:
            _handed_over(shared.with_name(f"{order[0]}.claim"))
            _play_share(jobs, order, shared, here)
        finally:
            for future in futures:
                future.exception()  # wait: the file stays until every worker is done
        for future in futures:
            future.result()  # a worker's error (a SoundFont it cannot play) is raised here
        mapped = np.load(shared, mmap_mode="c")  # the workers' parts, not copied
        return [here[i] if i in here else np.asarray(mapped[i]) for i in range(len(jobs))]


def _room_for(size: int) -> str | None:
    """SHARED if it has room for ``size`` bytes (twice over: a container's is often 64 MB),
    else None: the system's temporary folder."""
    try:
        free = os.statvfs(SHARED)
    except OSError:
        return None
    return str(SHARED) if free.f_bavail * free.f_frsize > 2 * size else None


def _cost(midi: pretty_midi.PrettyMIDI) -> float:
    """What playing ``midi`` costs, in note-seconds: each second the synthesiser runs (from a
    late entry on, see synth.py) costs about as much as SECOND_COST seconds of one note (its
    reverb and chorus run on every sample), and the notes add up."""
    notes = [note for part in midi.instruments for note in part.notes]
    if not notes:
        return 0.0
    start = min(note.start for note in notes)
    end = max(note.end for note in notes)
    runs = end - (start if start >= LATE else 0.0)
    return SECOND_COST * runs + sum(note.end - note.start for note in notes)


def _handed_over(claim: Path, *, wait: float = 0.01) -> None:
    """Sleep until a worker has claimed the longest part (at most ``wait`` seconds): the
    pool's threads here need the GIL to hand the work over, and midirenderer would hold it."""
    deadline = time.monotonic() + wait
    while not claim.exists() and time.monotonic() < deadline:
        time.sleep(0.001)


def _play_share(jobs: list[PartJob], order: list[int], shared: Path,
                here: dict[int, np.ndarray] | None = None) -> None:
    """Play each job in ``order`` that no other process has claimed, into ``here`` (this
    process's own) or else ``shared`` (a worker's: copied into the file)."""
    out = np.load(shared, mmap_mode="r+") if here is None else here
    for index in order:
        try:
            os.close(os.open(shared.with_name(f"{index}.claim"), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            continue
        out[index] = play_part(jobs[index])  # in the file: seen by every process mapping it


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
