"""The ``vistune`` command: parse arguments, call the package, print. No logic of its own."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .audio import FORMATS, WavStream
from .engines.openvino_step import BACKENDS
from .errors import InputError, VisTuneError
from .files import check_targets
from .models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL, PRECISIONS
from .pipeline import CAPTIONERS, ENGINES, MAX_DURATION, ImageToMusic, check_duration
from .result import output_files
from .styles import STYLES

EXIT_BAD_INPUT = 2
BATCH = 8  # images captioned together


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument on one line, naming where to get help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = _Parser(prog="vistune", description="Turn pictures into music that fits them.",
                     formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"vistune {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    compose = commands.add_parser("compose", help="make music from one or more images",
                                  formatter_class=fmt)
    compose.add_argument("images", nargs="+", metavar="IMAGE", help="image file(s)")
    compose.add_argument("-o", "--output", required=True, metavar="OUT",
                         help="audio file for one image (extension picks the format: "
                              f"{' '.join(FORMATS)}); a folder for several")
    compose.add_argument("--duration", default=30.0, metavar="SECONDS",
                         help="length of each piece")
    compose.add_argument("--seed", default=0, metavar="N", help="same seed, same music")
    _add_brief_options(compose)
    compose.add_argument("--variations", type=int, default=1, metavar="N",
                         help="takes per image (MusicGen makes them in one batch); files "
                              "are named NAME-1, NAME-2, ...")
    compose.add_argument("--melody", default=None, metavar="FILE|image",
                         help="musicgen-melody only: an audio file to follow, or 'image' for "
                              "the melody the composer draws from the picture")
    compose.add_argument("--guidance-scale", type=float, default=None, metavar="X",
                         help="MusicGen classifier-free guidance (default: the checkpoint's)")
    compose.add_argument("--temperature", type=float, default=None, metavar="T",
                         help="MusicGen sampling temperature (default: the checkpoint's)")
    compose.add_argument("--top-k", type=int, default=None, metavar="K",
                         help="MusicGen top-k sampling (default: the checkpoint's)")
    compose.add_argument("--top-p", type=float, default=None, metavar="P",
                         help="MusicGen nucleus sampling (default: the checkpoint's)")
    compose.add_argument("--stream", default=None, metavar="FILE|-",
                         help="one image: also write the music (the first take) as 16-bit WAV "
                              "while it is made (- for standard output), e.g. piped into a "
                              "player: --stream - | ffplay -nodisp -autoexit -. Unmastered; "
                              "OUT gets the mastered piece")
    compose.add_argument("--midi", action="store_true", help="also write a .mid file")
    compose.add_argument("--format", default="wav", choices=[f[1:] for f in FORMATS],
                         help="audio format when OUT is a folder")
    compose.add_argument("--overwrite", action="store_true", help="replace existing files")
    compose.add_argument("--skip-existing", action="store_true",
                         help="with several images, skip those whose output already exists")
    _add_model_options(compose)
    compose.add_argument("--max-duration", type=float, default=MAX_DURATION,
                         metavar="SECONDS", help="longest piece allowed")

    describe = commands.add_parser("describe", help="show caption, features and brief; no audio",
                                   formatter_class=fmt)
    describe.add_argument("image", metavar="IMAGE")
    describe.add_argument("--json", action="store_true", help="print JSON")
    _add_brief_options(describe)
    _add_model_options(describe)

    commands.add_parser("models", help="list known models and whether they are downloaded",
                        formatter_class=fmt)
    download = commands.add_parser("download", help="fetch models for offline use",
                                   formatter_class=fmt)
    download.add_argument("names", nargs="+", metavar="NAME", help="hub id, e.g. "
                          f"{DEFAULT_MUSIC_MODEL}")
    _add_optimize(commands, fmt)
    app = commands.add_parser("app", help="start the web app", formatter_class=fmt)
    app.add_argument("--port", type=int, default=8501)
    _add_model_choices(app)  # the sidebar's starting choices
    app.add_argument("--duration", type=int, default=30, metavar="SECONDS",
                     help="the sidebar's starting length")
    app.add_argument("--host", default="localhost", help="address to listen on")
    return parser


def _add_optimize(commands, fmt) -> None:
    optimize = commands.add_parser("optimize", formatter_class=fmt,
                                   help="prepare a MusicGen checkpoint for the OpenVINO "
                                        "backend now (else done once on first use)")
    optimize.add_argument("model", nargs="?", default=DEFAULT_MUSIC_MODEL,
                          metavar="NAME_OR_PATH", help="MusicGen hub id or local folder")


def _optimize(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .engines.openvino_step import EXPORT_STAGES, optimize

    bar = tqdm(total=EXPORT_STAGES + 1, bar_format="{desc:<44} {bar} {n_fmt}/{total_fmt}",
               file=sys.stderr)
    with bar:
        folder = optimize(args.model, progress=lambda stage: (bar.set_description_str(stage),
                                                              bar.update()))
        bar.n = bar.total
    print(f"{args.model}: {folder}")
    return 0


def _add_brief_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", choices=list(STYLES), default=None,
                        help="style preset (default: chosen from the picture)")
    parser.add_argument("--tempo", default=None, metavar="BPM", help="override the tempo")
    parser.add_argument("--key", default=None, help="override the key, e.g. 'D' or 'F# minor'")
    parser.add_argument("--prompt", default=None, help="override the text prompt for MusicGen")


def _add_model_choices(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="music engine: composer is offline, musicgen is neural")
    parser.add_argument("--captioner", choices=CAPTIONERS, default="auto",
                        help="captioner: labels is offline, blip is neural")
    parser.add_argument("--caption-model", default=DEFAULT_CAPTION_MODEL, metavar="NAME_OR_PATH")
    parser.add_argument("--music-model", default=DEFAULT_MUSIC_MODEL, metavar="NAME_OR_PATH")


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    _add_model_choices(parser)
    parser.add_argument("--caption-prefix", default=None, metavar="TEXT",
                        help="BLIP continues this text, e.g. 'an image of' (default: none)")
    parser.add_argument("--num-beams", type=int, default=3, metavar="N",
                        help="BLIP beam-search width")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: best found)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="neural number format: auto is fp16 on CUDA; on a CPU, int8 for "
                             "MusicGen and bf16 (fp32 without CPU support) for BLIP; fp32 is "
                             "the reference quality")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="who runs MusicGen's decoder: auto is OpenVINO on a CPU where "
                             "it is installed (int8), PyTorch on CUDA and MPS")
    parser.add_argument("--low-memory", action="store_true",
                        help="free the captioner before the music model runs")
    parser.add_argument("--offline", action="store_true",
                        help="never use the network; auto uses only downloaded models")
    parser.add_argument("--max-pixels", type=int, default=None, metavar="N",
                        help="largest image accepted, in pixels (default 100 million)")


def _pipeline(args: argparse.Namespace) -> ImageToMusic:
    settings = {"engine": args.engine, "captioner": args.captioner,
                "caption_model": args.caption_model, "music_model": args.music_model,
                "device": args.device, "precision": args.precision, "offline": args.offline,
                "backend": args.backend,
                "low_memory": args.low_memory,
                "caption_prefix": args.caption_prefix, "num_beams": args.num_beams,
                "notify": lambda line: print(f"vistune: {line}", file=sys.stderr)}
    for name in ("guidance_scale", "temperature", "top_k", "top_p"):
        settings[name] = getattr(args, name, None)
    if args.max_pixels:
        settings["max_pixels"] = args.max_pixels
    if getattr(args, "max_duration", None):
        settings["max_duration"] = args.max_duration
    return ImageToMusic(**settings)


def _brief_options(args: argparse.Namespace) -> dict:
    return {"style": args.style, "tempo": args.tempo, "key": args.key, "prompt": args.prompt}


def _outputs(images: list[str], output: str, *, fmt: str, takes: int) -> list[list[Path]]:
    """Output paths per image (one per take): OUT itself for one image with an extension, else
    files in the folder OUT named after each image."""
    out = Path(output).expanduser()
    if len(images) == 1 and out.suffix and not out.is_dir():
        bases = [out]  # a file; output_files() checks that its extension is an audio format
    else:
        bases, seen = [], set()
        for image in images:
            # Only the file's own name is used, cleaned, so no input can write outside the folder.
            stem = re.sub(r"[^\w.-]+", "_", Path(image).stem).strip("._") or "image"
            name, n = stem, 1
            while name in seen:
                n += 1
                name = f"{stem}-{n}"
            seen.add(name)
            bases.append(out / f"{name}.{fmt}")
    if takes == 1:
        return [[base] for base in bases]
    return [[base.with_name(f"{base.stem}-{k}{base.suffix}") for k in range(1, takes + 1)]
            for base in bases]


def _compose(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    targets = _outputs(args.images, args.output, fmt=args.format, takes=args.variations)
    several = len(args.images) > 1
    if args.stream is not None and several:
        raise InputError("--stream takes one image; compose the others without it")
    if not (several and args.skip_existing):
        for path in (p for paths in targets for p in paths):  # refuse before any work
            output_files(path, midi=args.midi, overwrite=args.overwrite)
    if args.stream not in (None, "-"):
        stream = Path(args.stream).expanduser()
        if any(stream.resolve() == path.resolve() for path in targets[0]):
            raise InputError(f"--stream {args.stream} is also the output; stream to another "
                             "file or to - (standard output)")
        check_targets([stream], overwrite=args.overwrite)
    pipe = _pipeline(args)
    seconds = check_duration(args.duration, max_duration=args.max_duration)
    report = sys.stderr if args.stream == "-" else sys.stdout  # stdout may carry the audio
    options = {**_brief_options(args), "duration": seconds, "seed": args.seed,
               "count": args.variations, "melody": args.melody}
    todo = [(image, paths) for image, paths in zip(args.images, targets, strict=True)
            if not (several and args.skip_existing and all(p.exists() for p in paths))]
    failures = 0
    bar = tqdm(total=len(todo), unit="image", disable=not several, file=sys.stderr)
    for start in range(0, len(todo), BATCH):
        chunk = todo[start:start + BATCH]
        for (image, paths), description in zip(chunk, _describe_batch(pipe, [c[0] for c in chunk]),
                                               strict=True):
            try:
                if isinstance(description, VisTuneError):
                    raise description
                with _streaming(args.stream, seconds) as on_audio:
                    results = pipe.variations(description, progress=None if several else
                                              _stage_printer(), on_audio=on_audio, **options)
                saved = [r.save(p, midi=args.midi, overwrite=args.overwrite)
                         for r, p in zip(results, paths, strict=True)]
            except VisTuneError as exc:
                if not several:
                    raise
                failures += 1
                bar.write(f"vistune: skipped {image}: {exc}", file=sys.stderr)
            else:
                bar.write(f"{', '.join(map(str, saved))}  [{results[0].engine}, "
                          f"{results[0].duration:.1f} s]\n  caption: {results[0].caption}\n"
                          f"  prompt:  {results[0].prompt}", file=report)
            bar.update(1)
    bar.close()
    if failures:
        print(f"vistune: {failures} of {len(todo)} images failed; the others were written",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


@contextlib.contextmanager
def _streaming(target: str | None, seconds: float) -> Iterator[WavStream | None]:
    """``--stream``'s on_audio callback: WAV to standard output ("-") or a file, which is
    removed if the music is not finished."""
    if target is None:
        yield None
    elif target == "-":
        yield WavStream(sys.stdout.buffer, seconds)
    else:
        path = Path(target).expanduser()
        try:
            with path.open("wb") as file:
                yield WavStream(file, seconds)
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def _describe_batch(pipe: ImageToMusic, images: list[str]) -> list:
    """A Description, or the error, per image; captioned in one batch when all of them load."""
    try:
        return pipe.describe_many(images)
    except VisTuneError:
        results: list = []
        for image in images:
            try:
                results.append(pipe.describe(image))
            except VisTuneError as exc:
                results.append(exc)
        return results


def _stage_printer():
    from tqdm import tqdm

    bar = tqdm(total=4, bar_format="{desc:<34} {bar} {n_fmt}/{total_fmt}", file=sys.stderr,
               leave=False, disable=None)  # None: only on a terminal

    def report(done: int, total: int, stage: str) -> None:
        bar.total = total
        bar.set_description_str(stage)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report


def _describe(args: argparse.Namespace) -> int:
    pipe = _pipeline(args)
    description = pipe.describe(args.image)
    brief = pipe.brief(description, **_brief_options(args))
    if args.json:
        print(json.dumps({"description": description.to_dict(), "brief": brief.to_dict()},
                         indent=2, ensure_ascii=False))
        return 0
    f = description.features
    print(f"caption:   {description.caption}   [{description.captioner}]")
    if description.labels:
        print("labels:    " + ", ".join(f"{lb.name} {lb.score:.0%}" for lb in description.labels))
    print(f"light:     brightness {f.brightness:.2f}, contrast {f.contrast:.2f}, "
          f"edges {f.edge_density:.2f}")
    print(f"colour:    saturation {f.saturation:.2f}, colourfulness {f.colourfulness:.2f}, "
          f"warmth {f.warmth:+.2f}; " + ", ".join(dict.fromkeys(s.name for s in f.palette)))
    print(f"prompt:    {brief.prompt}")
    print("why this music:")
    for field, reason in brief.reasons.items():
        print(f"  {field:<12} {reason}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from .models import KNOWN_MODELS, is_cached

    print(f"{'model':<40} {'kind':<10} {'size':>7}  {'downloaded':<10} note")
    for info in KNOWN_MODELS:
        print(f"{info.name:<40} {info.kind:<10} {info.size_gb:>5.1f}GB  "
              f"{'yes' if is_cached(info.name) else 'no':<10} {info.note}")
    print(f"{'labels (EfficientNet-Lite0)':<40} {'captioner':<10} {'0.02':>5}GB  "
          f"{'built in':<10} offline")
    print(f"{'composer (TimGM6mb SoundFont)':<40} {'music':<10} {'0.01':>5}GB  "
          f"{'built in':<10} offline")
    return 0


def _download(args: argparse.Namespace) -> int:
    from .models import download

    for name in args.names:
        print(f"{name}: {download(name)}")
    return 0


def app_options(argv: Sequence[str]) -> argparse.Namespace:
    """``vistune app``'s options as parsed from ``argv`` (the web app reads its starting
    choices with this); arguments that are not its own are ignored."""
    return _parser().parse_known_args(["app", *argv])[0]


def _app(args: argparse.Namespace) -> NoReturn:
    import importlib.util

    if importlib.util.find_spec("streamlit") is None:
        raise VisTuneError("the web app needs Streamlit: pip install 'vistune[app]'")
    script = Path(__file__).with_name("app.py")
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port",
               str(args.port), "--server.address", args.host, "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--", "--engine", args.engine,
               "--captioner", args.captioner, "--caption-model", args.caption_model,
               "--music-model", args.music_model, "--duration", str(args.duration)]
    # Become the Streamlit server, so that stopping `vistune app` stops the server too.
    os.execv(sys.executable, command)


COMMANDS = {"compose": _compose, "describe": _describe, "models": _models,
            "download": _download, "optimize": _optimize, "app": _app}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``vistune``; returns the exit code (2 for bad input)."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except VisTuneError as exc:
        print(f"vistune: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("vistune: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("VISTUNE_DEBUG"):
            raise
        print(f"vistune: internal error: {type(exc).__name__}: {exc} (please report it; "
              "set VISTUNE_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
