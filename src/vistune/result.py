"""Result: the finished piece and everything that explains it, with save()."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from .brief import MusicBrief
from .callbacks import Progress
from .engines import PlayedSection
from .errors import OutputError
from .output.audio import FORMATS, write_audio
from .output.files import all_or_nothing, atomic_write, check_targets
from .output.video import FPS, MAX_SIDE, parse_size, video_files, write_video
from .see.image import ImageSource, Picture, load_image
from .see.labels import Description

if TYPE_CHECKING:
    import pretty_midi


@dataclass(frozen=True)
class Result:
    """One piece of music made from one picture.

    ``audio`` is float32 shaped (channels, samples) at ``sample_rate``, already mastered.
    ``picture`` is the image it was made from, as given (None when made from a
    Description): ``save("x.mp4")`` shows it. ``request`` is what was asked beyond the brief
    (loop, stems, loudness, SoundFont), recorded in the sidecar.
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
    stems: dict | None = None
    picture: ImageSource | None = field(default=None, repr=False, compare=False)
    #: What users may do with the music (the engine's licence, its reason and link).
    licence: str | None = None
    #: What the engine asked its model for beyond the brief (ACE-Step: task, bpm, steps...).
    engine_settings: Mapping[str, Any] | None = None
    request: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The sections as played (the composer's form and energy arc; a slideshow's on its
    #: timeline, picture after picture); None: the engine plans none.
    sections: tuple[PlayedSection, ...] | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.audio.shape[-1] / self.sample_rate

    def to_dict(self, *, audio: str | None = None,
                saved: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What the JSON sidecar holds: caption, features, brief, prompt, engine, model, seed,
        the request (loop, stems, loudness, SoundFont...), the sections as played...

        ``audio`` is the name of the audio file it describes, recorded when given; ``saved``
        is how it was saved: the request's ``midi`` and video settings, and ``files``, the
        names of the files written together.
        """
        saved = dict(saved or {})
        files = saved.pop("files", None)
        from . import __version__

        return {
            "vistune_version": __version__,
            **({"audio": audio} if audio else {}),
            # The image's name only: the sidecar travels with the audio, its owner's folders not.
            "source": PurePath(self.source).name or self.source,
            "source_sha256": self.description.digest or None,
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
            **({"licence": self.licence} if self.licence else {}),
            **({"engine_settings": dict(self.engine_settings)} if self.engine_settings else {}),
            **({"sections": [s.to_dict() for s in self.sections]}
               if self.sections is not None else {}),
            **({"request": {**self.request, **saved}} if self.request or saved else {}),
            **({"files": files} if files else {}),
        }

    def save(self, path: str | Path, *, midi: bool = False, overwrite: bool = False,
             pictures: Sequence[ImageSource | Picture] | None = None,
             video_style: str = "still", size: str | tuple[int, int] | None = None,
             progress: Progress | None = None) -> Path:
        """Write the file ``path``'s extension asks for, a ``.json`` sidecar, and ``.mid`` if
        asked: audio (``.wav .flac .ogg .mp3``, with each stem, when the result has them, as
        ``NAME.PART.ext``) or a video (``.mp4``) of the picture with its music.

        A video shows ``pictures`` (default: the result's own ``picture``) in ``video_style``
        ("still", "zoom" or "wave") at ``size`` ("1080x1920"; default: the picture's shape),
        reporting to ``progress``. All files are written completely or not at all; existing
        files are kept unless ``overwrite``. Returns the audio or video file's path.

        >>> pipe("forest.jpg").save("forest.mp4")  # doctest: +SKIP
        """
        if Path(path).suffix.lower() == ".mp4":
            if pictures is None and self.picture is None:
                raise OutputError(f"{Path(path).name}: this result was made from a "
                                  "Description, so it has no picture to show; pass "
                                  "pictures=[IMAGE], or save audio (.wav)")
            return save_video(self, path, pictures=pictures or [self.picture], style=video_style,
                              size=size, midi=midi, overwrite=overwrite, progress=progress)
        if midi and self.midi is None:
            raise OutputError(f"the {self.engine} engine makes no MIDI; leave out --midi or use "
                              "--engine composer")
        path, sidecar, *midi_path = output_files(path, midi=midi, overwrite=overwrite,
                                                 stems=self.stems or ())
        with all_or_nothing() as written:
            written.append(write_audio(path, self.audio, self.sample_rate, overwrite=overwrite))
            for name, audio in (self.stems or {}).items():  # unmastered: they sum to the mix
                written.append(write_audio(stem_file(path, name), audio, self.sample_rate,
                                           overwrite=overwrite))
            if midi:
                written.append(atomic_write(midi_path[0], self._write_midi, overwrite=overwrite))
            saved = {"midi": midi, "files": [f.name for f in (*written, sidecar)]}
            text = json.dumps(self.to_dict(audio=path.name, saved=saved), indent=2,
                              ensure_ascii=False)
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


def stem_file(path: Path, part: str) -> Path:
    """Where the stem of ``part`` (melody, bass...) of the audio file ``path`` goes."""
    clean = re.sub(r"[^\w-]+", "_", part).strip("_") or "part"
    return path.with_name(f"{path.stem}.{clean}{path.suffix}")


def output_files(path: str | Path, *, midi: bool = False, overwrite: bool = False,
                 stems: Iterable[str] = ()) -> list[Path]:
    """The files ``Result.save(path)`` writes: audio, JSON sidecar, MIDI if asked, stems.

    The sidecar of ``x.wav`` is ``x.json`` (and its MIDI ``x.mid``), unless ``x.json`` already
    describes another audio file, say ``x.flac``: then they are ``x.wav.json`` and
    ``x.wav.mid``, so pieces that differ only in format keep one sidecar each.

    Raises OutputError for a path without an audio extension, or when a file exists and
    ``overwrite`` is false, so callers can check before any work is done.
    """
    path = Path(path).expanduser()
    if path.suffix.lower() not in FORMATS:
        raise OutputError(f"{path.name!r} needs an audio extension, one of "
                          f"{', '.join(FORMATS)}, or .mp4 for a video (e.g. "
                          f"{path.with_suffix('.wav').name})")
    base = path.with_suffix("")
    if _sidecar_owner(base.with_suffix(".json")) not in (None, path.name):
        base = path
    files = [path, Path(f"{base}.json")] + ([Path(f"{base}.mid")] if midi else [])
    check_targets(files + [stem_file(path, part) for part in stems], overwrite=overwrite)
    return files


def check_save(path: str | Path, *, midi: bool = False, overwrite: bool = False,
               size: str | tuple[int, int] | None = None) -> list[Path]:
    """The files ``Result.save(path)`` writes, for audio or (``.mp4``) video; raises before
    any work for a bad name or ``size``, or a file that exists (unless ``overwrite``)."""
    if Path(path).suffix.lower() != ".mp4":
        return output_files(path, midi=midi, overwrite=overwrite)
    if not isinstance(size, tuple):
        parse_size(size)
    return video_files(path, midi=midi, overwrite=overwrite)


def _read_sidecar(sidecar: Path) -> dict | None:
    """An existing sidecar's content; None when it is missing, unreadable or not ours."""
    try:
        data = json.loads(sidecar.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def saved_files(path: str | Path) -> list[Path]:
    """Every file saved with the output ``path`` (audio or video, stems, MIDI, sidecar), as
    its sidecar lists them; ``[path]`` when it lists none.

    >>> saved_files("nowhere.wav")
    [PosixPath('nowhere.wav')]
    """
    path = Path(path)
    names = (saved_sidecar(path) or {}).get("files")
    return [path.with_name(name) for name in names] if names else [path]


def saved_sidecar(path: str | Path) -> dict | None:
    """The sidecar of an existing output ``path`` (``x.json`` or ``x.wav.json``), read."""
    path = Path(path)
    for sidecar in (path.with_suffix(".json"), Path(f"{path}.json")):
        if path.exists() and _sidecar_owner(sidecar) in (path.name, ""):
            return _read_sidecar(sidecar)
    return None


def _sidecar_owner(sidecar: Path) -> str | None:
    """The name of the audio file an existing sidecar describes (None: no such sidecar; "":
    one that names no audio file, such as a video's).

    A sidecar without an ``audio`` entry (written before it was recorded) belongs to the one
    audio file of its name beside it.
    """
    data = _read_sidecar(sidecar)
    if data is None:
        return None  # missing, unreadable or not ours: check_targets decides about it
    if isinstance(data.get("audio"), str):
        return data["audio"]
    if sidecar.with_suffix(".mp4").exists():
        return ""
    audio = [f"{sidecar.stem}{ext}" for ext in FORMATS
             if sidecar.with_suffix(ext).exists()]
    return audio[0] if len(audio) == 1 else None


def save_video(result: Result, path: str | Path, *, pictures: Sequence[ImageSource | Picture],
               starts: Sequence[float] = (0.0,), style: str = "still",
               size: str | tuple[int, int] | None = None, midi: bool = False,
               overwrite: bool = False, progress: Progress | None = None) -> Path:
    """Write ``result`` as an MP4 of ``pictures`` (shown from ``starts`` seconds), with the
    JSON sidecar (and ``.mid`` if asked) beside it, all or nothing. Returns the video's path.
    """
    midi_data = result.midi_bytes() if midi else None  # no MIDI: say so before encoding
    path, sidecar, *midi_path = video_files(path, midi=midi, overwrite=overwrite)
    with all_or_nothing() as written:
        frames = [_frame(p) for p in pictures]
        frame = write_video(path, frames, result.audio, result.sample_rate, starts=starts,
                            style=style, size=size, overwrite=overwrite, progress=progress)
        written.append(path)
        if midi_data is not None:
            written.append(atomic_write(midi_path[0], lambda temp: temp.write_bytes(midi_data),
                                        overwrite=overwrite))
        asked = size if size is None or isinstance(size, str) else "x".join(map(str, size))
        saved = {"midi": midi, "video_style": style, "size": asked,
                 "files": [f.name for f in (*written, sidecar)]}
        info = {**result.to_dict(saved=saved), "video": {"style": style, "width": frame[0],
                                                         "height": frame[1], "fps": FPS}}
        text = json.dumps(info, indent=2, ensure_ascii=False)
        written.append(atomic_write(sidecar, lambda temp: temp.write_text(text, "utf-8"),
                                    overwrite=overwrite))
    return path


def _frame(picture: ImageSource | Picture) -> Picture:
    """``picture`` decoded at video size (a file object is read again from its start)."""
    if isinstance(picture, Picture):
        return picture
    if hasattr(picture, "seek"):
        try:
            picture.seek(0)
        except (OSError, ValueError):  # closed, or a pipe
            raise OutputError("the picture's file cannot be read again; pass "
                              "pictures=[IMAGE] to save()") from None
    return load_image(picture, working_size=MAX_SIDE)
