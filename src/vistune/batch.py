"""Batch rules: many pictures into one folder, the same for every front end.

- **Names.** Each image's file is named after the image (cleaned, so no input can write
  outside the folder); where several inputs share a name, each gets a tag from its content
  (``x-1a2b3c4d``), so adding ``b/x.jpg`` beside ``a/x.jpg`` never renames either by order.
  Takes are ``NAME-1``, ``NAME-2``...
- **Skip existing.** With ``skip_existing`` and several images, an image whose every file
  exists, with a sidecar recording this very image (its SHA-256), is not made again.
- **Resuming.** A resumed batch keeps an existing name only for the image its sidecar records
  (another image of that name gets its tag), and completes an image's own unfinished set
  (say, its MIDI) over its old files.
- **Failures.** An image that fails, for a bad input or for a bug (logged with its
  traceback), is recorded in :attr:`Batch.failed`; the others are written.

The CLI, the HTTP server and the Ray path (:mod:`vistune.distributed`) use this module.

>>> batch = Batch.plan(["a/x.jpg", "b/y.png"], "songs/", fmt="flac")
>>> [item.paths[0].name for item in batch.items]
['x.flac', 'y.flac']
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .callbacks import Progress
from .engines import AudioCallback
from .errors import InputError, OutputError, VisTuneError
from .pipeline import ImageToMusic
from .result import Result, check_save, saved_sidecar
from .see.image import ImageSource, file_digest
from .see.labels import Description

LOG = logging.getLogger("vistune.batch")
#: Images captioned together.
CHUNK = 8
#: What making one image gives: its takes, or the error that stopped it.
Outcome = list[Result] | VisTuneError
#: A context manager per image that gives its ``on_audio`` callback (or None).
Listener = Callable[[], contextlib.AbstractContextManager[AudioCallback | None]]


@dataclass(frozen=True)
class Item:
    """One image of a batch: the file of each take, and the SHA-256 of the image ("" when it
    cannot be read: loading it says why)."""

    image: str
    paths: tuple[Path, ...]
    digest: str


@dataclass(frozen=True)
class Made:
    """What became of one image: the files saved from its takes, or the error."""

    item: Item
    results: list[Result]
    saved: list[Path]
    error: VisTuneError | None = None


@dataclass
class Batch:
    """The images of a batch, where each one goes, and how the files are written.

    Build it with :meth:`plan`; :meth:`check` refuses bad or existing outputs before any
    work; :attr:`todo` is what is left to make; :meth:`make` makes it here (or
    :func:`vistune.distributed.make_on_ray` on Ray) and :meth:`run` saves each image as it
    comes, recording failures in :attr:`failed`.
    """

    items: list[Item]
    takes: int = 1
    resume: bool = False
    midi: bool = False
    overwrite: bool = False
    video_style: str = "still"
    size: str | None = None
    failed: list[tuple[str, VisTuneError]] = field(default_factory=list)

    @classmethod
    def plan(cls, images: Sequence[str], output: str | os.PathLike, *, fmt: str | None = None,
             takes: int = 1, skip_existing: bool = False, **saving: Any) -> Batch:
        """Where each image's takes go: OUT itself for one image with an extension, else files
        in the folder OUT named after the images (see :func:`names`).

        ``skip_existing`` resumes a batch of several images. ``saving`` are the fields
        ``midi``, ``overwrite``, ``video_style`` and ``size``. Raises InputError when OUT
        cannot mean what was asked: a file name for several images, or a file whose extension
        contradicts ``fmt``.
        """
        resume = skip_existing and len(images) > 1
        digests = {image: input_digest(image) for image in images}  # each file read once
        bases = _bases(images, str(output), fmt=fmt, takes=takes, digests=digests,
                       resume=resume)
        items = [Item(image, tuple(take_files(base, takes)), digests[image])
                 for image, base in zip(images, bases, strict=True)]
        return cls(items, takes=takes, resume=resume, **saving)

    @property
    def paths(self) -> list[Path]:
        """Every file of every take, in order."""
        return [path for item in self.items for path in item.paths]

    def check(self) -> None:
        """Refuse a bad or existing output (and a bad video size), and a folder that cannot be
        written, before any work; a resumed batch decides per image on existing files."""
        if not self.resume:
            for path in self.paths:
                check_save(path, midi=self.midi, overwrite=self.overwrite, size=self.size)
        for folder in dict.fromkeys(path.parent for path in self.paths):
            check_writable(folder)

    @property
    def todo(self) -> list[Item]:
        """The images left to make: all, less those a resumed batch finished already."""
        return [item for item in self.items if not (self.resume and self._finished(item))]

    def _finished(self, item: Item) -> bool:
        """Whether every take is complete: the file, its sidecar recording this very image,
        and its MIDI when asked."""
        for path in item.paths:
            if recorded(path) != item.digest:
                return False
            if self.midi and not any(p.exists() for p in (path.with_suffix(".mid"),
                                                          Path(f"{path}.mid"))):
                return False
        return True

    def make(self, pipe: ImageToMusic, options: dict[str, Any], *,
             progress: Progress | None = None, listen: Listener | None = None
             ) -> Iterator[tuple[Item, Outcome]]:
        """Each image of :attr:`todo` with its takes (``pipe.variations(**options)``, ``count``
        set to :attr:`takes`) or its error, made in this process, captioned :data:`CHUNK` at a
        time. ``listen`` gives each image's ``on_audio`` callback as a context manager."""
        options = {**options, "count": self.takes}
        todo = self.todo
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            for item, description in zip(chunk, describe_each(pipe, [i.image for i in chunk]),
                                         strict=True):
                yield item, _variations(pipe, description, options, progress, listen)

    def run(self, made: Iterable[tuple[Item, Outcome]], *,
            progress: Callable[[], Progress] | None = None) -> Iterator[Made]:
        """Save each image's takes as they come; a failure is recorded in :attr:`failed`
        and the batch goes on. ``progress()`` makes a video's progress callback."""
        for item, outcome in made:
            try:
                if isinstance(outcome, VisTuneError):
                    raise outcome
                # A resumed batch completes an image's own unfinished set (say, its MIDI).
                mine = self.resume and recorded(item.paths[0]) == item.digest
                saved = save_takes(outcome, item.paths, pictures=[item.image], midi=self.midi,
                                   overwrite=self.overwrite or mine,
                                   video_style=self.video_style, size=self.size,
                                   progress=progress)
            except Exception as exc:  # one image's bug fails that image only
                error = failure(exc, item.image)
                self.failed.append((item.image, error))
                yield Made(item, [], [], error)
            else:
                yield Made(item, outcome, saved)


def check_writable(folder: Path) -> None:
    """OutputError unless a file can be made in ``folder`` (or, when it does not exist yet,
    in the nearest folder above it that does, where it will be made)."""
    existing = next((f for f in (folder, *folder.parents) if f.is_dir()), Path.cwd())
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write in {existing} ({exc.strerror or exc}); choose an "
                          "output folder you can write to with -o") from None


def _variations(pipe: ImageToMusic, description: Description | VisTuneError,
                options: dict[str, Any], progress: Progress | None,
                listen: Listener | None) -> Outcome:
    if isinstance(description, VisTuneError):
        return description
    try:
        with listen() if listen else contextlib.nullcontext() as on_audio:
            return pipe.variations(description, progress=progress, on_audio=on_audio,
                                   **options)
    except Exception as exc:  # one image's bug fails that image only
        return failure(exc, description.source)


def save_takes(results: Sequence[Result], paths: Sequence[Path], *,
               pictures: Sequence[ImageSource] | None = None, midi: bool = False,
               overwrite: bool = False, video_style: str = "still", size: str | None = None,
               progress: Callable[[], Progress] | None = None) -> list[Path]:
    """Save take ``i`` to ``paths[i]`` (audio, or a video of ``pictures`` for ``.mp4``,
    by default each result's own picture, with the sidecar and MIDI if asked); returns the
    paths written. ``progress()`` makes each
    video's progress callback."""
    return [result.save(path, midi=midi, overwrite=overwrite, pictures=pictures,
                        video_style=video_style, size=size,
                        progress=progress() if progress and path.suffix.lower() == ".mp4"
                        else None)
            for result, path in zip(results, paths, strict=True)]


def describe_each(pipe: ImageToMusic, images: Sequence[ImageSource]
                  ) -> list[Description | VisTuneError]:
    """A Description, or the error, per image; captioned in one batch when all of them load."""
    try:
        return list(pipe.describe_many(images))
    except Exception:  # one of them is bad: describe each alone
        results: list[Description | VisTuneError] = []
        for image in images:
            try:
                results.append(pipe.describe(image))
            except Exception as exc:
                results.append(failure(exc, image))
        return results


def failure(exc: Exception, image: ImageSource) -> VisTuneError:
    """``exc`` as the error recorded for ``image``: itself for a VisTuneError, else a bug
    as an error that says so (its traceback logged when ``VISTUNE_DEBUG`` is set)."""
    if isinstance(exc, VisTuneError):
        return exc
    if os.environ.get("VISTUNE_DEBUG"):
        LOG.error("making music for %s failed", getattr(image, "name", image), exc_info=exc)
    return VisTuneError(internal_error(exc, "set VISTUNE_DEBUG=1 to see the traceback"))


def internal_error(exc: BaseException, details: str) -> str:
    """A bug as one line: what was raised, and where ``details`` are."""
    return f"internal error: {type(exc).__name__}: {exc} (please report it; {details})"


def _bases(images: Sequence[str], output: str, *, fmt: str | None, takes: int,
           digests: dict[str, str], resume: bool) -> list[Path]:
    """The file of each image (before take numbers); see :meth:`Batch.plan`."""
    out = Path(output).expanduser()
    folder = out.is_dir() or output.endswith(("/", os.sep))
    if len(images) == 1 and out.suffix and not folder:
        if fmt and out.suffix.lower() != f".{fmt}":
            raise InputError(f"-o {output} is a {out.suffix} file but --format says {fmt}; "
                             f"leave out --format (the extension picks it) or write "
                             f"-o {out.with_suffix('.' + fmt)}")
        return [out]  # a file; saving checks that its extension is a format
    if len(images) > 1 and not folder and (out.suffix or out.exists()):
        kind = "an existing file" if out.exists() else "a file name"
        raise InputError(f"-o {output} is {kind}, but OUT must be a folder for "
                         f"{len(images)} images; give a folder such as -o "
                         f"{out.with_suffix('')}/ (--format picks the audio format)")
    fmt = fmt or "wav"
    return [out / f"{name}.{fmt}" for name in names(images, out, fmt=fmt, takes=takes,
                                                    digests=digests, resume=resume)]


def take_files(base: Path, takes: int) -> list[Path]:
    """The file of each take: ``base`` itself for one, else NAME-1, NAME-2, ...

    >>> [p.name for p in take_files(Path("x.wav"), 2)]
    ['x-1.wav', 'x-2.wav']
    """
    if takes == 1:
        return [base]
    return [base.with_name(f"{base.stem}-{k}{base.suffix}") for k in range(1, takes + 1)]


def names(images: Sequence[str], out: Path, *, fmt: str, takes: int, digests: dict[str, str],
          resume: bool) -> list[str]:
    """File names (without extension) in the folder ``out``, stable for each input.

    An image is named after its file; where several readable inputs share that name, each
    gets a tag from its content. When a batch is resumed, an existing file keeps its name
    only for the image its sidecar records; another image of that name gets its tag.
    Unreadable inputs claim no name. ``digests`` maps each image to its SHA-256
    (:func:`input_digest`).
    """
    stems = [re.sub(r"[^\w.-]+", "_", Path(image).stem).strip("._") or "image"
             for image in images]
    sharing = Counter(stem for stem, image in zip(stems, images, strict=True) if digests[image])
    chosen, seen = [], set()
    for stem, image in zip(stems, images, strict=True):
        digest = digests[image]
        first = take_files(out / f"{stem}.{fmt}", takes)[0]
        owner = recorded(first) if resume else None
        name = stem
        if digest and owner != digest and (sharing[stem] > 1 or (resume and first.exists())):
            name = f"{stem}-{digest[:8]}"
        unique, n = name, 1
        while unique in seen:  # the same picture given twice
            n += 1
            unique = f"{name}-{n}"
        seen.add(unique)
        chosen.append(unique)
    return chosen


def input_digest(image: str) -> str:
    """The SHA-256 an image's sidecar records (empty when unreadable: loading says why)."""
    try:
        return file_digest(Path(image).expanduser().read_bytes())
    except OSError:
        return ""


def recorded(path: Path) -> str | None:
    """The SHA-256 of the image that an existing output's sidecar records."""
    return (saved_sidecar(path) or {}).get("source_sha256")
