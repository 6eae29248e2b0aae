"""Playing MusicGen's music while it is made, and waiting for another session's turn."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from vistune.output.audio import encode_audio


class Preview:
    """Plays MusicGen's music while it is made.

    Streamlit has no streaming audio element, so ``show(wav)`` puts up a player once
    ``FIRST`` seconds exist (MusicGen's first chunk); when the listener is within ``MARGIN``
    seconds of the end of what they have, and more has been made, a new player replaces it
    with everything from where they are on. Its audio starts at that very sample: Streamlit
    would round a ``start_time`` down to whole seconds and repeat up to a second at every
    swap. (Generation slower than playback pauses the music between swaps.) The pipeline's
    ``on_audio`` callback.
    """

    FIRST = 0.5
    MARGIN = 1.0

    def __init__(self, show: Callable[[bytes], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.show, self.clock = show, clock
        self.chunks: list[np.ndarray] = []
        self.shown_at: float | None = None
        self.shown_from = self.shown_length = 0.0

    def __call__(self, chunk: np.ndarray, rate: int) -> None:
        self.chunks.append(chunk)
        have = sum(c.shape[-1] for c in self.chunks) / rate
        now = self.clock()
        if self.shown_at is None:
            if have < self.FIRST:
                return
            position = 0.0
        else:
            position = min(self.shown_from + now - self.shown_at, self.shown_length)
            if self.shown_length - position > self.MARGIN:
                return  # still playing what it has
        rest = np.concatenate(self.chunks, axis=-1)[..., round(position * rate):]
        self.show(encode_audio(rest, rate))
        self.shown_at, self.shown_from, self.shown_length = now, position, have


@contextlib.contextmanager
def hold(lock: threading.Lock, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold ``lock``; call ``waiting()`` first only if another session holds it now."""
    if not lock.acquire(blocking=False):
        waiting()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
