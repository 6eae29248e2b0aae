"""``vistune models``, ``download`` and ``optimize``: the models VisTune knows, fetched and
prepared for offline use."""

from __future__ import annotations

import argparse
import sys


def models(args: argparse.Namespace) -> int:
    """Run ``vistune models``: each engine and captioner, their checkpoints, what is here."""
    from .. import registry
    from ..runtime.models import is_cached

    for line in registry.problems():
        print(f"vistune: {line}", file=sys.stderr)
    for kind in registry.KINDS:
        print(f"{kind}s ({registry.SWITCHES[kind]} NAME):")
        for entry in registry.entries(kind):
            auto = ", auto" if entry.auto else ""
            print(f"  {entry.name:<12} {entry.description} [{entry.origin}{auto}]")
            if entry.detail:
                print(f"    {entry.detail()}")
            for info in entry.models:
                print(f"    {info.name:<40} {info.size_gb:>5.1f}GB  "
                      f"{'downloaded' if is_cached(info.name) else 'not downloaded':<14} "
                      f"{info.note}")
    return 0


def download(args: argparse.Namespace) -> int:
    """Run ``vistune download NAME...``."""
    from ..runtime.models import download as fetch

    for name in args.names:
        print(f"{name}: {fetch(name)}")
    return 0


def optimize(args: argparse.Namespace) -> int:
    """Run ``vistune optimize``: prepare a checkpoint for OpenVINO now, with a progress bar."""
    from tqdm import tqdm

    from ..runtime.openvino.blip import optimizer_for

    stages, optimize = optimizer_for(args.model)
    bar = tqdm(total=stages + 1, bar_format="{desc:<44} {bar} {n_fmt}/{total_fmt}",
               file=sys.stderr)
    with bar:
        folder = optimize(args.model, progress=lambda stage: (bar.set_description_str(stage),
                                                              bar.update()))
        bar.n = bar.total
    print(f"{args.model}: {folder}")
    return 0

