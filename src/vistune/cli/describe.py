"""``vistune describe``: what VisTune sees in each image and the brief it makes; no audio."""

from __future__ import annotations

import argparse
import json
import sys

from ..batch import describe_each
from ..errors import VisTuneError
from .common import EXIT_BAD_INPUT, brief_options, pipeline, say


def describe(args: argparse.Namespace) -> int:
    """Run ``vistune describe`` (text, or ``--json``); 2 when an image could not be read."""
    pipe = pipeline(args, makes_music=False)
    options = brief_options(args)
    entries, failed = [], 0
    for image, description in zip(args.images, describe_each(pipe, args.images), strict=True):
        if isinstance(description, VisTuneError):
            say(f"vistune: error: {image}: {description}", sys.stderr)
            failed += 1
            continue
        entries.append((image, description, pipe.brief(description, **options)))
    if args.json:
        print(json.dumps([{"image": image, "description": d.to_dict(), "brief": b.to_dict()}
                          for image, d, b in entries], indent=2, ensure_ascii=False))
    for number, (image, description, brief) in enumerate([] if args.json else entries):
        if len(args.images) > 1:
            say(("\n" if number else "") + f"== {image}")
        _print_description(description, brief)
    return EXIT_BAD_INPUT if failed else 0


def _print_description(description, brief) -> None:
    """Caption, labels, features, prompt and the reasons for the music, as text."""
    f = description.features
    say(f"caption:   {description.caption}   [{description.captioner}]")
    if description.labels:
        say("labels:    " + ", ".join(f"{lb.name} {lb.score:.0%}" for lb in description.labels))
    say(f"light:     brightness {f.brightness:.2f}, contrast {f.contrast:.2f}, "
          f"edges {f.edge_density:.2f}")
    say(f"colour:    saturation {f.saturation:.2f}, colourfulness {f.colourfulness:.2f}, "
          f"warmth {f.warmth:+.2f}; " + ", ".join(dict.fromkeys(s.name for s in f.palette)))
    if f.cues:
        say("seen:      " + "; ".join(f"{c.name} ({c.evidence})" for c in f.cues))
    say(f"prompt:    {brief.prompt}")
    say("why this music:")
    for field, reason in brief.reasons.items():
        say(f"  {field:<12} {reason}")

