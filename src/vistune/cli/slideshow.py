"""``vistune slideshow``: one piece, and one video, for several images."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..result import check_save, saved_files
from .common import check_outputs, pipeline, say, stage_printer


def slideshow(args: argparse.Namespace) -> int:
    """Run ``vistune slideshow``: the video (or with --audio-only the music), then its plan."""
    from ..slideshow import slideshow as make

    path = Path(args.output).expanduser()
    if not args.audio_only and path.suffix.lower() != ".mp4":
        raise InputError(f"{path.name!r}: a slideshow is a video (.mp4, e.g. "
                         f"{path.with_suffix('.mp4').name}); add --audio-only for music alone")
    if args.audio_only and path.suffix.lower() == ".mp4":
        raise InputError(f"--audio-only writes music alone, but {path.name} is a video; write "
                         f"an audio file (e.g. -o {path.with_suffix('.wav').name}) or leave out "
                         "--audio-only")
    check_outputs([path], args)
    check_save(path, midi=args.midi, overwrite=args.overwrite, size=args.size)
    pipe = pipeline(args)
    result = make(pipe, args.images, seconds_per_image=args.seconds_per_image,
                  duration=args.duration, seed=args.seed, style=args.style,
                  progress=stage_printer())
    saved = result.save(path, midi=args.midi, overwrite=args.overwrite,
                        video_style=args.video_style or "zoom", size=args.size,
                        progress=stage_printer())
    count = len(result.slides)
    say(f"{saved}  [{result.engine}, {result.duration:.1f} s, {count} picture"
        f"{'s' if count > 1 else ''}]")
    for slide in result.slides:
        say(f"  {slide.start:6.1f} s  {slide.source}: {slide.plan}")
    say(f"  wrote:   {', '.join(map(str, saved_files(saved)))}")
    return 0
