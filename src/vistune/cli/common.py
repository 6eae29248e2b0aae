"""What every ``vistune`` command shares: building the pipeline from the flags, printing
safely, the progress bar, and errors written with the flags the user typed."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ..callbacks import Progress
from ..pipeline import ImageToMusic
from ..runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL

EXIT_BAD_INPUT = 2
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it
#: API arguments the command line calls by another name.
CLI_NAMES = {"count": "variations"}

def pipeline(args: argparse.Namespace) -> ImageToMusic:
    """The ImageToMusic the model flags ask for (its notes printed to standard error)."""
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
                "notify": lambda line: say(f"vistune: {line}", sys.stderr)}
    for name in ("guidance_scale", "temperature", "top_k", "top_p", "cover_strength"):
        settings[name] = getattr(args, name, None)
    if args.max_pixels:
        settings["max_pixels"] = args.max_pixels
    if getattr(args, "max_duration", None) is not None:
        settings["max_duration"] = args.max_duration
    return ImageToMusic(**settings)


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
        # Later writes, and Python's own flush at exit, go nowhere instead of failing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), file.fileno())

