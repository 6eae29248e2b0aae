"""``vistune models``, ``download`` and ``optimize``: the models VisTune knows, fetched and
prepared for offline use."""

from __future__ import annotations

import argparse
import sys
import textwrap

from .common import say

#: The built-in captioners' model licences (an engine's Entry carries its music's licence;
#: plug-ins without one: their package says).
CAPTIONER_LICENCES = {"labels": "Apache-2.0", "blip": "BSD-3-Clause"}
COLUMNS = ("name", "kind", "size", "here", "licence", "how to get it")


def models(args: argparse.Namespace) -> int:
    """Run ``vistune models``: a table of every engine and captioner and their checkpoints:
    kind, size, whether it is here, licence and how to get it."""
    from .. import registry

    for line in registry.problems():
        say(f"vistune: {line}", sys.stderr)
    rows, legend = [COLUMNS], ["\nWhat each is:"]
    for kind in registry.KINDS:
        for entry in registry.entries(kind):
            rows += _rows(entry, kind)
            legend.append(f"  {entry.name:<12} {entry.description} ({entry.origin})")
            if entry.detail:
                legend.append(f"  {'':<12} {entry.detail()}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            .rstrip())
    say("\n" + textwrap.fill(
        "Get a model with `vistune download NAME`; choose one with --engine or --captioner (a "
        "checkpoint: --music-model or --caption-model NAME). auto, the default, uses a neural "
        "model that is here or can be downloaded, else the offline one. Music from CC-BY-NC "
        "4.0 weights is for non-commercial use only.", width=100))
    for line in legend:
        say(line)
    return 0


def _rows(entry, kind: str) -> list[tuple[str, ...]]:
    """The table's rows for one engine or captioner: itself when it needs no checkpoint,
    else one row per known checkpoint (the default marked)."""
    from ..runtime.models import is_cached

    licence = (entry.licence.name if entry.licence
               else CAPTIONER_LICENCES.get(entry.name, "see its package"))
    if not entry.neural:
        return [(entry.name, f"{kind}, offline", "-", "yes", licence, entry.origin)]
    rows = []
    for info in entry.models:
        here = is_cached(info.name)
        default = ", default" if info.name == entry.default_model else ""
        rows.append((info.name, f"{entry.name} {kind}{default}", f"{info.size_gb:.1f} GB",
                     "yes" if here else "no", licence,
                     "downloaded" if here else "vistune download"))
    return rows


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

