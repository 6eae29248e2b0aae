"""What every ``vistune`` command shares: building the pipeline from the flags, printing
safely, the progress bar, and errors written with the flags the user typed."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from .. import registry
from ..callbacks import Progress
from ..errors import InputError
from ..pipeline import ImageToMusic
from ..runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL, is_cached

EXIT_BAD_INPUT = 2
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it
#: API arguments the command line calls by another name.
CLI_NAMES = {"count": "variations"}

def pipeline(args: argparse.Namespace, *, makes_music: bool = True) -> ImageToMusic:
    """The ImageToMusic the model flags ask for, each chosen model checked before any loads.

    Its notes go to standard error once it is built (an error while building prints none).
    What ``auto`` chose is said only when it may surprise, and only for commands that make
    music (``makes_music``): never under --offline, where the choice is what was asked.
    """
    notes = _Notes()
    settings = {"engine": args.engine, "captioner": args.captioner,
                # The default names no model: each piece then uses its own default.
                "caption_model": None if args.caption_model == DEFAULT_CAPTION_MODEL
                else args.caption_model,
                "music_model": None if args.music_model == DEFAULT_MUSIC_MODEL
                else args.music_model,
                "device": args.device, "precision": args.precision, "offline": args.offline,
                "backend": args.backend,
                "low_memory": args.low_memory,
                "caption_prefix": args.caption_prefix, "num_beams": args.num_beams,
                "soundfont": args.soundfont and str(Path(args.soundfont).expanduser()),
                "notify": notes}
    for name in ("guidance_scale", "temperature", "top_k", "top_p", "cover_strength"):
        settings[name] = getattr(args, name, None)
    if args.max_pixels:
        settings["max_pixels"] = args.max_pixels
    if getattr(args, "max_duration", None) is not None:
        settings["max_duration"] = args.max_duration
    pipe = ImageToMusic(**settings)
    pipe.check_models(*(("captioner", "engine") if makes_music else ("captioner",)))
    notes.release(skip=pipe.auto_note)
    if makes_music and not args.offline:
        _say_auto(pipe, args)
    return pipe


class _Notes:
    """The pipeline's ``notify``: holds its notes until it is built and checked, then prints
    them (but ``skip``) and every later one to standard error."""

    def __init__(self) -> None:
        self.held: list[str] | None = []

    def __call__(self, line: str) -> None:
        if self.held is None:
            say(f"vistune: {line}", sys.stderr)
        else:
            self.held.append(line)

    def release(self, *, skip: str | None) -> None:
        """Print the held notes but ``skip``; print later ones as they come."""
        held, self.held = self.held or [], None
        for line in held:
            if line != skip:
                self(line)


def _say_auto(pipe: ImageToMusic, args: argparse.Namespace) -> None:
    """One short line when ``auto`` chose what a user may not expect: the offline pieces
    because no neural model is here, or a neural model that it will download first."""
    fell_back, fetches = [], []
    for kind, name, model in (("engine", pipe.engine_name, pipe.music_model),
                              ("captioner", pipe.captioner_name, pipe.caption_model)):
        if getattr(args, kind) != "auto":
            continue
        if registry.get(kind, name).neural:
            if not is_cached(model):
                fetches.append(model)
        else:
            fell_back.append(f"the offline {name} {kind}")
    if fell_back:
        say(f"vistune: using {' and '.join(fell_back)} (no neural model downloaded; "
            "`vistune models` says how to get one)", sys.stderr)
    if fetches:
        say(f"vistune: auto: downloading {' and '.join(fetches)} first (once; --offline "
            "keeps to what is here)", sys.stderr)


def check_outputs(paths: list[Path], args: argparse.Namespace) -> None:
    """Refuse, before any work, an option that the output files cannot honour: stems in a
    video, a video's size or style in an audio file."""
    videos = [path for path in paths if path.suffix.lower() == ".mp4"]
    if videos and getattr(args, "stems", False):
        raise InputError(f"--stems writes audio files, one per part, but {videos[0].name} is a "
                         "video; leave out --stems or write audio (e.g. -o "
                         f"{videos[0].with_suffix('.wav').name})")
    if len(videos) < len(paths):
        given = [flag for flag, value in (("--size", args.size),
                                          ("--video-style", args.video_style)) if value]
        if given:
            audio = next(path for path in paths if path.suffix.lower() != ".mp4")
            flags = " and ".join(given)
            raise InputError(f"{flags} {'shape' if len(given) > 1 else 'shapes'} a video, but "
                             f"{audio.name} is audio; leave out {flags} or write a video "
                             f"(e.g. -o {audio.with_suffix('.mp4').name})")


def brief_options(args: argparse.Namespace) -> dict:
    """The brief's overrides: --style, --tempo, --key, --prompt."""
    return {"style": args.style, "tempo": args.tempo, "key": args.key, "prompt": args.prompt}


def stage_printer() -> Progress:
    """The ``progress(done, total, stage)`` callback of one image: a bar on a terminal showing
    the stage and how far the whole piece is."""
    from tqdm import tqdm

    bar = tqdm(total=1, bar_format="{desc:<34} {bar} {percentage:3.0f}%", file=sys.stderr,
               leave=False, disable=None)  # None: only on a terminal

    def report(done: int, total: int, stage: str) -> None:
        bar.total = max(total, 1)
        bar.n = min(max(done, 0), bar.total)
        bar.set_description_str(stage, refresh=False)
        bar.refresh()
        if done >= total:
            bar.close()

    return report


def in_flags(message: str, exc: Exception, args: argparse.Namespace) -> str:
    """``message`` with the API's argument names (max_duration) written as the flags the user
    typed (--max-duration): names with an underscore (never ordinary words), the one the
    error's ``argument`` attribute names, and the one the message opens with."""
    usage = args.parsers[args.command].format_usage()
    options = {flag[2:].replace("-", "_") for flag in re.findall(r"--[a-z][\w-]*", usage)}
    names = {name for name in options if "_" in name}
    names |= {name for name in (getattr(exc, "argument", None), message.split(" ", 1)[0])
              if CLI_NAMES.get(name, name) in options}
    for name in sorted(names, key=len, reverse=True):
        flag = "--" + CLI_NAMES.get(name, name).replace("_", "-")
        message = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", flag, message)
    return message


def shown(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences in a file name could
    erase or fake earlier lines) are written as Python escapes, new lines kept."""
    return "\n".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
                     for line in str(text).split("\n"))


def say(text: str, file=None) -> None:
    """Print ``text`` safely; a closed pipe (``| head``) stops the printing, never the work."""
    file = file or sys.stdout
    try:
        print(shown(text), file=file, flush=True)
    except BrokenPipeError:
        _to_nowhere(file)


def _to_nowhere(file) -> None:
    """Send later writes to ``file``, and Python's own flush at exit, nowhere: its reader
    has gone (a closed pipe)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), file.fileno())


class _Quiet:
    """A text stream whose reader may go away (``| head -1``): then writing stops quietly,
    and whatever writes to it (messages, progress bars) goes on with its work."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            _to_nowhere(self._stream)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            _to_nowhere(self._stream)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def quiet_pipes() -> Iterator[None]:
    """While running a command, standard output and error that close (``| head``,
    ``2>&1 | head -1``) stop the printing, never the work."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Quiet(sys.stdout), _Quiet(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # here, where a closed pipe is quiet, not at exit
        sys.stdout, sys.stderr = streams

