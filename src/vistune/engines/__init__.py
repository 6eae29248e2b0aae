"""Music engines: anything with ``render(brief, *, duration, seed, ...) -> list[Track]``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..callbacks import AudioCallback, Progress

if TYPE_CHECKING:
    import pretty_midi

    from ..brief import MusicBrief


__all__ = ["AudioCallback", "Capabilities", "Engine", "PlayedSection", "Progress", "Track"]


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do beyond ``render(brief, duration=, seed=)``."""

    melody: bool = False  # follows a melody given as audio
    streaming: bool = False  # on_audio receives chunks while the music is made
    batching: bool = False  # several takes come from one batched call
    midi: bool = False  # Track.midi is set
    stems: bool = False  # Track.stems is set when asked
    loop: bool = False  # can make a seamless loop of whole bars
    #: score(brief, *, duration, seed, after=None, before=None) -> PrettyMIDI writes the piece
    #: without playing it (as one section of a slideshow: leading into the brief ``after``,
    #: following the score ``before``), and play(midi, brief, *, duration) -> Track plays
    #: (edited) MIDI as render() would, with the sections of a score this engine wrote.
    scores: bool = False
    #: render_sections(briefs, *, starts, duration, seed) -> Track: one piece whose part from
    #: starts[i] follows briefs[i], each part continuing from the audio before it.
    sections: bool = False


@dataclass(frozen=True)
class PlayedSection:
    """One section of a piece as it was played: its ``label`` (intro, A, B, breakdown...),
    its place in the energy ``arc`` (intro, established, sparse, lift, breakdown, build,
    climax, rise, outro; level in a loop), ``start`` and ``end`` in seconds, its ``bars``,
    its ``energy`` (0..1, the mean over its bars) and the ``parts`` (roles) that play notes
    in it."""

    label: str
    arc: str
    start: float
    end: float
    bars: int
    energy: float
    parts: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The sidecar's entry: times to the millisecond, energy to two decimals."""
        return {"label": self.label, "arc": self.arc, "start": round(self.start, 3),
                "end": round(self.end, 3), "bars": self.bars,
                "energy": round(self.energy, 2), "parts": list(self.parts)}


@dataclass(frozen=True)
class Track:
    """Raw engine output: float32 audio shaped (channels, samples) at ``sample_rate``."""

    audio: np.ndarray
    sample_rate: int
    engine: str
    model: str
    midi: pretty_midi.PrettyMIDI | None = None
    stems: dict[str, np.ndarray] | None = None
    #: The seed that makes this take on its own (a take of several may have its own seed);
    #: None: the seed of the call.
    seed: int | None = None
    #: What the engine asked its model for, in the model's terms (task, bpm, steps...);
    #: recorded in the sidecar. None: nothing beyond the brief.
    settings: Mapping[str, Any] | None = None
    #: The sections as played, in order, covering the piece (engines that plan a form: the
    #: composer); recorded in the sidecar. None: the engine plans none.
    sections: tuple[PlayedSection, ...] | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.audio.shape[-1] / self.sample_rate


@runtime_checkable
class Engine(Protocol):
    """Turns a brief into audio: one protocol for every engine, built in or plug-in."""

    name: str
    model_name: str
    capabilities: Capabilities

    def render(self, brief: MusicBrief, *, duration: float, seed: int, count: int = 1,
               melody: tuple[np.ndarray, int] | None = None, stems: bool = False,
               loop: bool = False, progress: Progress | None = None,
               on_audio: AudioCallback | None = None) -> list[Track]:
        """``count`` takes of ``duration`` seconds for ``brief``; the same seed gives the same
        audio.

        ``melody`` is (audio, rate) to follow, ``stems`` asks for ``Track.stems`` and ``loop``
        for a seamless loop: the caller asks only for what ``capabilities`` offers.
        ``progress(done, total, stage)`` reports steps with ``total`` fixed up front;
        ``on_audio(chunk, rate)`` receives the first take (in chunks while it is made when
        ``capabilities.streaming``, else whole).
        """
        ...
