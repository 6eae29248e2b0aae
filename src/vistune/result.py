"""Result: the finished piece and everything that explains it, with save()."""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .audio import FORMATS, write_audio
from .brief import MusicBrief
from .captioning import Description
from .errors import OutputError
from .files import all_or_nothing, atomic_write, check_targets

if TYPE_CHECKING:
    import pretty_midi


@dataclass(frozen=True)
class Result:
    """One piece of music made from one picture.

    ``audio`` is float32 shaped (channels, samples) at ``sample_rate``, already mastered.
    """

    audio: np.ndarray
    sample_rate: int
    caption: str
    brief: MusicBrief
    prompt: str
    engine: str
    seed: int
    description: Description
    music_model: str
    source: str
    midi: pretty_midi.PrettyMIDI | None = None
    take: int = 0

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.audio.shape[-1] / self.sample_rate

    def to_dict(self) -> dict[str, Any]:
        """What the JSON sidecar holds: caption, features, brief, prompt, engine, model, seed..."""
        from . import __version__

        return {
            "vistune_version": __version__,
            "source": self.source,
            "caption": self.caption,
            "captioner": self.description.captioner,
            "labels": [dataclasses.asdict(label) for label in self.description.labels],
            "features": self.description.features.to_dict(),
            "brief": self.brief.to_dict(),
            "prompt": self.prompt,
            "engine": self.engine,
            "music_model": self.music_model,
            "seed": self.seed,
            "take": self.take,
            "duration": round(self.duration, 3),
            "sample_rate": self.sample_rate,
            "channels": int(self.audio.shape[0]),
        }

    def save(self, path: str | Path, *, midi: bool = False, overwrite: bool = False) -> Path:
        """Write the audio (format from the extension), a ``.json`` sidecar, and ``.mid`` if asked.

        All files are written completely or not at all; existing files are kept unless
        ``overwrite``. Returns the audio file's path.
        """
        if midi and self.midi is None:
            raise OutputError(f"the {self.engine} engine makes no MIDI; leave out --midi or use "
                              "--engine composer")
        path, sidecar, *midi_path = output_files(path, midi=midi, overwrite=overwrite)
        with all_or_nothing() as written:
            written.append(write_audio(path, self.audio, self.sample_rate, overwrite=overwrite))
            if midi:
                written.append(atomic_write(midi_path[0], self._write_midi, overwrite=overwrite))
            text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
            written.append(atomic_write(sidecar, lambda temp: temp.write_text(text, "utf-8"),
                                        overwrite=overwrite))
        return path

    def midi_bytes(self) -> bytes:
        """The MIDI file as bytes (for downloads); raises OutputError when there is none."""
        if self.midi is None:
            raise OutputError(f"the {self.engine} engine makes no MIDI")
        buffer = io.BytesIO()
        self.midi.write(buffer)
        return buffer.getvalue()

    def _write_midi(self, temp: Path) -> None:
        temp.write_bytes(self.midi_bytes())


def output_files(path: str | Path, *, midi: bool = False, overwrite: bool = False) -> list[Path]:
    """The files ``Result.save(path)`` writes: audio, JSON sidecar, and MIDI if asked.

    Raises OutputError for a path without an audio extension, or when a file exists and
    ``overwrite`` is false, so callers can check before any work is done.
    """
    path = Path(path).expanduser()
    if path.suffix.lower() not in FORMATS:
        raise OutputError(f"{path.name!r} needs an audio extension: one of "
                          f"{', '.join(FORMATS)} (e.g. {path.with_suffix('.wav').name})")
    files = [path, path.with_suffix(".json")] + ([path.with_suffix(".mid")] if midi else [])
    check_targets(files, overwrite=overwrite)
    return files
