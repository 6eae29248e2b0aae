"""Music engines: anything with ``render(brief, *, duration, seed) -> Track``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import pretty_midi

    from ..brief import MusicBrief


Progress = Callable[[int, int, str], None]
"""Progress callback: ``progress(done, total, stage)``."""

AudioCallback = Callable[[np.ndarray, int], None]
"""Streamed audio: ``on_audio(chunk, sample_rate)`` with (channels, samples) float32 chunks."""


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do beyond ``render(brief, duration=, seed=)``."""

    melody: bool = False  # follows a melody given as audio
    streaming: bool = False  # on_audio receives chunks while the music is made
    batching: bool = False  # several takes come from one batched call
    midi: bool = False  # Track.midi is set
    stems: bool = False  # Track.stems is set when asked
    loop: bool = False  # can make a seamless loop of whole bars


@dataclass(frozen=True)
class Track:
    """Raw engine output: float32 audio shaped (channels, samples) at ``sample_rate``."""

    audio: np.ndarray
    sample_rate: int
    engine: str
    model: str
    midi: pretty_midi.PrettyMIDI | None = None
    stems: dict[str, np.ndarray] | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.audio.shape[-1] / self.sample_rate


@runtime_checkable
class Engine(Protocol):
    """Turns a brief into audio."""

    name: str
    model_name: str

    def render(self, brief: MusicBrief, *, duration: float, seed: int,
               progress: Progress | None = None) -> Track:
        """Make ``duration`` seconds of music for ``brief``; the same seed gives the same audio."""
        ...
