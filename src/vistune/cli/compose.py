"""``vistune compose``: music (or a video) for one image or a batch of them.

The batch's rules (names, skip-existing, resuming, failures) are :mod:`vistune.batch`'s; this
command parses, calls it, prints and chooses the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from ..batch import Batch, names, take_files
from ..errors import InputError, OutputError
from ..output.audio import WavStream
from ..output.files import check_targets
from ..pipeline import check_duration
from ..result import check_save, saved_files
from ..settings import check_max_duration
from .common import (
    EXIT_BAD_INPUT,
    brief_options,
    check_outputs,
    in_flags,
    pipeline,
    say,
    stage_printer,
)


def compose(args: argparse.Namespace) -> int:
    """Run ``vistune compose``; 2 when an image of a batch failed (the others are written)."""
    from tqdm import tqdm

    several = len(args.images) > 1
    output = _default_output(args) if args.output is None else args.output
    batch = Batch.plan(args.images, output, fmt=args.format, takes=args.variations,
                       skip_existing=args.skip_existing, midi=args.midi,
                       overwrite=args.overwrite, video_style=args.video_style or "still",
                       size=args.size)
    if args.stream is not None and several:
        raise InputError("--stream takes one image; compose the others without it")
    check_outputs(batch.paths, args)
    batch.check()  # refuse before any work
    if args.stream not in (None, "-"):
        stream = Path(args.stream).expanduser()
        if any(stream.resolve() == path.resolve() for path in batch.items[0].paths):
            raise InputError(f"--stream {args.stream} is also the output; stream to another "
                             "file or to - (standard output)")
        check_targets([stream], overwrite=args.overwrite)
    seconds = check_duration(args.duration,
                             max_duration=check_max_duration(args.max_duration))
    pipe = pipeline(args)  # checks every model setting before any work (also for --ray)
    report = sys.stderr if args.stream == "-" else sys.stdout  # stdout may carry the audio
    options = {**brief_options(args), "duration": seconds, "seed": args.seed,
               "melody": args.melody, "stems": args.stems, "loop": args.loop,
               "loudness": args.loudness}
    todo = len(batch.todo)
    if args.ray is not None:
        if args.stream is not None:
            raise InputError("--stream does not work with --ray; leave one of them out")
        from ..distributed import make_on_ray

        made = make_on_ray(batch, functools.partial(pipeline, args), options,
                           address=None if args.ray == "local" else args.ray)
    else:
        listen = functools.partial(_streaming, args.stream, seconds, overwrite=args.overwrite)
        made = batch.make(pipe, options, progress=None if several else stage_printer(),
                          listen=listen)
    bar = tqdm(total=args.variations * todo, unit="track", disable=not several,
               file=sys.stderr)
    for done in batch.run(made, progress=stage_printer):
        if done.error is not None:
            if not several:
                raise done.error
            with bar.external_write_mode(file=sys.stderr):
                say(f"vistune: skipped {done.item.image}: "
                    f"{in_flags(str(done.error), done.error, args)}", sys.stderr)
        else:
            first = done.results[0]
            files = [str(f) for path in done.saved for f in saved_files(path)]
            with bar.external_write_mode(file=report):
                say(f"{', '.join(map(str, done.saved))}  [{first.engine}, "
                    f"{first.duration:.1f} s]\n  caption: {first.caption}\n"
                    f"  prompt:  {first.prompt}\n  wrote:   {', '.join(files)}", report)
        bar.update(len(done.item.paths))
    bar.close()
    if batch.failed:
        say(f"vistune: {len(batch.failed)} of {todo} images failed; the others were written",
            sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _default_output(args: argparse.Namespace) -> str:
    """OUT when -o is not given: the current folder for several images; for one, the
    image's name (cleaned as a batch cleans it) with --format's extension (.wav), made
    NAME-1, NAME-2... until no file it would write exists."""
    if len(args.images) > 1:
        return os.curdir
    image, ext = args.images[0], args.format or "wav"
    stem = names([image], Path(), fmt=ext, takes=1, digests={image: ""}, resume=False)[0]
    name, n = f"{stem}.{ext}", 0
    while True:
        try:
            for path in take_files(Path(name), args.variations):
                check_save(path, midi=args.midi)
        except OutputError:
            n += 1
            name = f"{stem}-{n}.{ext}"
            continue
        return name


@contextlib.contextmanager
def _streaming(target: str | None, seconds: float, *,
               overwrite: bool = False) -> Iterator[WavStream | None]:
    """``--stream``'s on_audio callback: WAV to standard output ("-") or a file, which is
    removed if the music is not finished."""
    if target is None:
        yield None
    elif target == "-":
        yield WavStream(sys.stdout.buffer, seconds)
    else:
        path = Path(target).expanduser()
        with _open_stream(path, overwrite=overwrite) as file:
            try:
                yield WavStream(file, seconds)
            except BaseException:
                path.unlink(missing_ok=True)
                raise


def _open_stream(path: Path, *, overwrite: bool):
    """``--stream``'s file, opened for writing without following a symbolic link (a dangling
    one would write outside the chosen folder) and, without ``overwrite``, only if it is new."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.fdopen(os.open(path, flags | (0 if overwrite else os.O_EXCL), 0o644), "wb")
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise OutputError(f"--stream {path} is a symbolic link; stream to a plain file "
                              "or to - (standard output)") from None
        if isinstance(exc, FileExistsError):
            raise OutputError(f"{path} already exists; choose another name or pass "
                              "--overwrite") from None
        raise OutputError(f"cannot write {path} ({exc.strerror}); choose another file") from None
