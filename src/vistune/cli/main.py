"""The ``vistune`` command: parse arguments, call the package, print. No logic of its own."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from .. import __version__
from ..brief.styles import STYLES
from ..errors import InputError, OutputError, VisTuneError
from ..output.audio import FORMATS, WavStream
from ..output.files import check_targets
from ..pipeline import CAPTIONERS, ENGINES, MAX_DURATION, ImageToMusic, check_duration
from ..result import Result, output_files, saved_sidecar
from ..runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL
from ..see.image import file_digest
from ..settings import BACKENDS, PRECISIONS
from .signals import EXIT_INTERRUPTED, Terminated, handle_sigterm

EXIT_BAD_INPUT = 2
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it
BATCH = 8  # images captioned together


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument on one line, naming where to get help, and
    suggests the nearest choice for a misspelt one."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _check_value(self, action: argparse.Action, value: object) -> None:
        # argparse only suggests from Python 3.14 on (suggest_on_error); until then, here.
        if action.choices is None or value in action.choices:
            return
        choices = [str(c) for c in action.choices]
        close = difflib.get_close_matches(str(value).lower(), choices, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise argparse.ArgumentError(action, f"invalid choice {value!r}; {hint}choose from "
                                             f"{', '.join(choices)}")


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default once: not when there is none (None, off) and not when the
    help text already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _port(text: str) -> int:
    """``--port``'s type: a TCP port number."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; e.g. 8501") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 1-65535; choose a free port such "
                                         "as 8501")
    return port


def _parser() -> argparse.ArgumentParser:
    fmt = _Help
    parser = _Parser(prog="vistune", description="Turn pictures into music that fits them.",
                     epilog="vistune COMMAND --help lists a command's options.",
                     formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"vistune {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, title="commands",
                                     metavar="COMMAND")
    parser.set_defaults(parsers=commands.choices)  # each command's parser: errors name its flags

    compose = commands.add_parser("compose", help="make music from one or more images",
                                  formatter_class=fmt)
    compose.add_argument("images", nargs="+", metavar="IMAGE", help="image file(s)")
    compose.add_argument("-o", "--output", required=True, metavar="OUT",
                         help="audio file for one image (extension picks the format: "
                              f"{' '.join(FORMATS)}); a folder for several (a new folder's "
                              "name has no extension)")
    compose.add_argument("--duration", default=30, metavar="SECONDS",
                         help="length of each piece")
    compose.add_argument("--seed", default=0, metavar="N", help="same seed, same music")
    _add_brief_options(compose)
    _add_video_options(compose, default="still")
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
    compose.add_argument("--stems", action="store_true",
                         help="also write each part (melody, chords, bass, drums...) as its own "
                              "file, NAME.PART.ext, unmastered: they sum to the mix")
    compose.add_argument("--loop", action="store_true",
                         help="a seamless loop of whole bars (the nearest to --duration): no "
                              "fades, the reverb tail wrapped to the start")
    compose.add_argument("--loudness", default=-14.0, metavar="LUFS",
                         help="mastered loudness; calm pieces keep their dynamics and may come "
                              "out quieter")
    compose.add_argument("--format", default=None, choices=[f[1:] for f in FORMATS],
                         help="audio format when OUT is a folder (default: wav); a file's "
                              "extension picks its own")
    compose.add_argument("--overwrite", action="store_true", help="replace existing files")
    compose.add_argument("--skip-existing", action="store_true",
                         help="with several images, skip those whose output already exists")
    compose.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                         help="make the pieces on Ray: a local Ray, or the cluster at ADDRESS "
                              "(auto, ray://HOST:10001); put it after the images")
    _add_model_options(compose)
    compose.add_argument("--max-duration", type=float, default=MAX_DURATION,
                         metavar="SECONDS", help="longest piece allowed")

    _add_slideshow(commands, fmt)

    describe = commands.add_parser("describe", help="show caption, features and brief; no audio",
                                   formatter_class=fmt)
    describe.add_argument("images", nargs="+", metavar="IMAGE")
    describe.add_argument("--json", action="store_true",
                          help="print JSON: a list with one entry per image")
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
    app.add_argument("--port", type=_port, default=8501, help="port to listen on")
    _add_model_choices(app)  # the sidebar's starting choices
    app.add_argument("--duration", type=int, default=30, metavar="SECONDS",
                     help="the starting length of a piece")
    app.add_argument("--host", default="localhost", help="address to listen on")
    _add_serve_parser(commands, fmt)
    return parser


def _add_serve_parser(commands, fmt) -> None:
    serve = commands.add_parser("serve", help="answer HTTP requests (the API of vistune[serve])",
                                formatter_class=fmt)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (put a reverse proxy in front for TLS)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on")
    serve.add_argument("--api-key", default=None, metavar="KEY",
                       help="require 'Authorization: Bearer KEY' (or set $VISTUNE_API_KEY)")
    serve.add_argument("--queue-size", type=int, default=16, metavar="N",
                       help="jobs that may wait per model; more get 429")
    serve.add_argument("--folder", default=None, help="where finished files are kept "
                       "(None: a temporary folder)")
    serve.add_argument("--ttl", type=float, default=3600, metavar="SECONDS",
                       help="how long finished files are kept")
    serve.add_argument("--max-storage-mb", type=float, default=2048, metavar="MB",
                       help="size cap of the folder; the oldest jobs go first")
    serve.add_argument("--max-upload-mb", type=float, default=25, metavar="MB",
                       help="largest upload; more gets 413")
    _add_model_options(serve)
    serve.add_argument("--max-duration", type=float, default=MAX_DURATION,
                       metavar="SECONDS", help="longest piece allowed")


def _add_optimize(commands, fmt) -> None:
    optimize = commands.add_parser("optimize", formatter_class=fmt,
                                   help="prepare a MusicGen or BLIP checkpoint for the "
                                        "OpenVINO backend now (else done once on first use)")
    optimize.add_argument("model", nargs="?", default=DEFAULT_MUSIC_MODEL,
                          metavar="NAME_OR_PATH", help="MusicGen or BLIP hub id or local folder")


def _optimize(args: argparse.Namespace) -> int:
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


def _add_brief_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", choices=list(STYLES), default=None,
                        help="style preset (default: chosen from the picture)")
    parser.add_argument("--tempo", default=None, metavar="BPM",
                        help="override the tempo (default: from the picture)")
    parser.add_argument("--key", default=None, help="override the key, e.g. 'D' or 'F# minor' "
                        "(default: from the picture)")
    parser.add_argument("--prompt", default=None, help="override the text prompt for MusicGen "
                        "(default: made from the picture)")


def _add_video_options(parser: argparse.ArgumentParser, *, default: str) -> None:
    from ..output.video import VIDEO_STYLES

    parser.add_argument("--video-style", choices=VIDEO_STYLES, default=default,
                        help="OUT ending in .mp4 makes a video: a still picture, a slow "
                             "Ken Burns zoom, or a subtle waveform that lights up as the "
                             "music plays")
    parser.add_argument("--size", default=None, metavar="WxH",
                        help=".mp4 only: frame size such as 1080x1920 (vertical), 1080x1080 "
                             "or 1920x1080; the picture is fitted over a blurred fill "
                             "(default: the picture's own shape, at most 1920 px)")


def _add_slideshow(commands, fmt) -> None:
    show = commands.add_parser("slideshow", help="one video (or track) for several images, "
                               "with music that follows them", formatter_class=fmt)
    show.add_argument("images", nargs="+", metavar="IMAGE", help="image files, in order")
    show.add_argument("-o", "--output", required=True, metavar="OUT",
                      help="video file (.mp4); with --audio-only an audio file")
    length = show.add_mutually_exclusive_group()
    length.add_argument("--seconds-per-image", default=None, metavar="SECONDS",
                        help="how long each image is shown (default 6)")
    length.add_argument("--duration", default=None, metavar="SECONDS",
                        help="total length, shared equally by the images")
    show.add_argument("--audio-only", action="store_true", help="write only the music")
    show.add_argument("--seed", default=0, metavar="N", help="same seed, same music")
    show.add_argument("--style", choices=list(STYLES), default=None,
                      help="style preset for every image (default: chosen per image)")
    _add_video_options(show, default="zoom")
    show.add_argument("--midi", action="store_true", help="also write a .mid file")
    show.add_argument("--overwrite", action="store_true", help="replace existing files")
    _add_model_options(show)
    show.add_argument("--max-duration", type=float, default=MAX_DURATION,
                      metavar="SECONDS", help="longest piece allowed")


def _add_model_choices(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="music engine: composer is offline, musicgen is neural")
    parser.add_argument("--captioner", choices=CAPTIONERS, default="auto",
                        help="captioner: labels is offline, blip is neural")
    parser.add_argument("--caption-model", default=DEFAULT_CAPTION_MODEL, metavar="NAME_OR_PATH",
                        help="BLIP checkpoint: hub id or local folder")
    parser.add_argument("--music-model", default=DEFAULT_MUSIC_MODEL, metavar="NAME_OR_PATH",
                        help="MusicGen checkpoint: hub id or local folder")


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
    parser.add_argument("--soundfont", default=None, metavar="FILE",
                        help="the composer's General MIDI SoundFont (.sf2), e.g. "
                             "FluidR3_GM.sf2 (default: the best one installed, else TimGM6mb)")


def _pipeline(args: argparse.Namespace) -> ImageToMusic:
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
                "notify": lambda line: _say(f"vistune: {line}", sys.stderr)}
    for name in ("guidance_scale", "temperature", "top_k", "top_p"):
        settings[name] = getattr(args, name, None)
    if args.max_pixels:
        settings["max_pixels"] = args.max_pixels
    if getattr(args, "max_duration", None) is not None:
        settings["max_duration"] = args.max_duration
    return ImageToMusic(**settings)


def _brief_options(args: argparse.Namespace) -> dict:
    return {"style": args.style, "tempo": args.tempo, "key": args.key, "prompt": args.prompt}


def _outputs(images: list[str], output: str, *, fmt: str | None, takes: int,
             digests: dict[str, str], resume: bool = False) -> list[list[Path]]:
    """Output paths per image (one per take): OUT itself for one image with an extension, else
    files in the folder OUT named after each image (see _names). Raises InputError when OUT
    cannot mean what was asked: a file name for several images, or a file whose extension
    contradicts ``--format``."""
    out = Path(output).expanduser()
    folder = out.is_dir() or output.endswith(("/", os.sep))
    if len(images) == 1 and out.suffix and not folder:
        if fmt and out.suffix.lower() != f".{fmt}":
            raise InputError(f"-o {output} is a {out.suffix} file but --format says {fmt}; "
                             f"leave out --format (the extension picks it) or write "
                             f"-o {out.with_suffix('.' + fmt)}")
        bases = [out]  # a file; output_files() checks that its extension is an audio format
    else:
        if len(images) > 1 and not folder and (out.suffix or out.exists()):
            kind = "an existing file" if out.exists() else "a file name"
            raise InputError(f"-o {output} is {kind}, but OUT must be a folder for "
                             f"{len(images)} images; give a folder such as -o "
                             f"{out.with_suffix('')}/ (--format picks the audio format)")
        bases = [out / f"{name}.{fmt or 'wav'}"
                 for name in _names(images, out, fmt=fmt or "wav", takes=takes,
                                    digests=digests, resume=resume)]
    return [_takes(base, takes) for base in bases]


def _takes(base: Path, takes: int) -> list[Path]:
    """The file of each take: ``base`` itself for one, else NAME-1, NAME-2, ..."""
    if takes == 1:
        return [base]
    return [base.with_name(f"{base.stem}-{k}{base.suffix}") for k in range(1, takes + 1)]


def _names(images: list[str], out: Path, *, fmt: str, takes: int, digests: dict[str, str],
           resume: bool) -> list[str]:
    """File names (without extension) in the folder ``out``, stable for each input.

    An image is named after its file (cleaned, so no input can write outside the folder).
    Where several inputs share that name, each gets a tag from its content (``x-1a2b3c4d``),
    so adding ``b/x.jpg`` beside ``a/x.jpg`` never renames either by their order. When a batch
    is resumed, an existing file keeps its name only for the image its sidecar records;
    another image of that name gets its tag. Unreadable inputs claim no name. ``digests``
    maps each image to its SHA-256 (_input_digest).
    """
    stems = [re.sub(r"[^\w.-]+", "_", Path(image).stem).strip("._") or "image"
             for image in images]
    sharing = Counter(stem for stem, image in zip(stems, images, strict=True) if digests[image])
    names, seen = [], set()
    for stem, image in zip(stems, images, strict=True):
        digest = digests[image]
        first = _takes(out / f"{stem}.{fmt}", takes)[0]
        recorded = _recorded(first) if resume else None
        name = stem
        if digest and recorded != digest and (sharing[stem] > 1 or (resume and first.exists())):
            name = f"{stem}-{digest[:8]}"
        unique, n = name, 1
        while unique in seen:  # the same picture given twice
            n += 1
            unique = f"{name}-{n}"
        seen.add(unique)
        names.append(unique)
    return names


def _input_digest(image: str) -> str:
    """The SHA-256 an image's sidecar records (empty when unreadable: loading says why)."""
    try:
        return file_digest(Path(image).expanduser().read_bytes())
    except OSError:
        return ""


def _recorded(path: Path) -> str | None:
    """The SHA-256 of the image that an existing output's sidecar records."""
    return (saved_sidecar(path) or {}).get("source_sha256")


def _made_already(paths: list[Path], digest: str, *, midi: bool) -> bool:
    """Whether every take of an image is complete: the file, its sidecar recording this very
    image (SHA-256 ``digest``), and its MIDI when asked (``--skip-existing``)."""
    for path in paths:
        if _recorded(path) != digest:
            return False
        if midi and not any(p.exists() for p in (path.with_suffix(".mid"), Path(f"{path}.mid"))):
            return False
    return True


def _compose(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    several = len(args.images) > 1
    digests = {image: _input_digest(image) for image in args.images}  # each file read once
    targets = _outputs(args.images, args.output, fmt=args.format, takes=args.variations,
                       digests=digests, resume=several and args.skip_existing)
    if args.stream is not None and several:
        raise InputError("--stream takes one image; compose the others without it")
    if not (several and args.skip_existing):
        for path in (p for paths in targets for p in paths):  # refuse before any work
            _check_output(path, args)
    if args.stream not in (None, "-"):
        stream = Path(args.stream).expanduser()
        if any(stream.resolve() == path.resolve() for path in targets[0]):
            raise InputError(f"--stream {args.stream} is also the output; stream to another "
                             "file or to - (standard output)")
        check_targets([stream], overwrite=args.overwrite)
    pipe = _pipeline(args)  # checks every model setting before any work (also for --ray)
    seconds = check_duration(args.duration, max_duration=args.max_duration)
    report = sys.stderr if args.stream == "-" else sys.stdout  # stdout may carry the audio
    options = {**_brief_options(args), "duration": seconds, "seed": args.seed,
               "count": args.variations, "melody": args.melody, "stems": args.stems,
               "loop": args.loop, "loudness": args.loudness}
    todo = [(image, paths) for image, paths in zip(args.images, targets, strict=True)
            if not (several and args.skip_existing
                    and _made_already(paths, digests[image], midi=args.midi))]
    made = (_made_on_ray(args, todo, options) if args.ray is not None
            else _made_here(pipe, todo, args, options, several))
    failures = 0
    bar = tqdm(total=args.variations * len(todo), unit="track", disable=not several,
               file=sys.stderr)
    for (image, paths), results in made:
        try:
            if isinstance(results, VisTuneError):
                raise results
            # A resumed batch completes an image's own unfinished set (say, its MIDI).
            mine = several and args.skip_existing and _recorded(paths[0]) == digests[image]
            saved = [_save(r, image, p, args, overwrite=args.overwrite or mine)
                     for r, p in zip(results, paths, strict=True)]
        except VisTuneError as exc:
            if not several:
                raise
            failures += 1
            with bar.external_write_mode(file=sys.stderr):
                _say(f"vistune: skipped {image}: {_in_flags(str(exc), exc, args)}",
                     sys.stderr)
        else:
            with bar.external_write_mode(file=report):
                _say(f"{', '.join(map(str, saved))}  [{results[0].engine}, "
                     f"{results[0].duration:.1f} s]\n  caption: {results[0].caption}\n"
                     f"  prompt:  {results[0].prompt}", report)
        bar.update(len(paths))
    bar.close()
    if failures:
        _say(f"vistune: {failures} of {len(todo)} images failed; the others were written",
             sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _made_here(pipe: ImageToMusic, todo: list, args: argparse.Namespace, options: dict,
               several: bool) -> Iterator[tuple[tuple[str, list[Path]], list | VisTuneError]]:
    """Each (image, paths) of ``todo`` with its takes, or the error, made in this process."""
    for start in range(0, len(todo), BATCH):
        chunk = todo[start:start + BATCH]
        for item, description in zip(chunk, _describe_batch(pipe, [c[0] for c in chunk]),
                                     strict=True):
            try:
                if isinstance(description, VisTuneError):
                    raise description
                with _streaming(args.stream, options["duration"],
                                overwrite=args.overwrite) as on_audio:
                    results = pipe.variations(description, progress=None if several else
                                              _stage_printer(), on_audio=on_audio, **options)
            except VisTuneError as exc:
                results = exc
            yield item, results


def _made_on_ray(args: argparse.Namespace, todo: list, options: dict
                 ) -> Iterator[tuple[tuple[str, list[Path]], list | VisTuneError]]:
    """As _made_here, by actors on Ray (vistune.distributed), in the order they finish."""
    import functools

    from ..distributed import make_many

    if args.stream is not None:
        raise InputError("--stream does not work with --ray; leave one of them out")
    images = [image for image, _ in todo]
    for index, results in make_many(images, functools.partial(_pipeline, args), options,
                                    address=None if args.ray == "local" else args.ray):
        yield todo[index], results


def _check_output(path: Path, args: argparse.Namespace) -> None:
    """Refuse a bad or existing output (and a bad --size for a video) before any work."""
    if path.suffix.lower() != ".mp4":
        output_files(path, midi=args.midi, overwrite=args.overwrite)
        return
    from ..output.video import parse_size, video_files

    parse_size(args.size)
    video_files(path, midi=args.midi, overwrite=args.overwrite)


def _save(result: Result, image: str, path: Path, args: argparse.Namespace, *,
          overwrite: bool) -> Path:
    """Save audio, or for .mp4 a video of ``image`` with the music; sidecar and MIDI alike."""
    if path.suffix.lower() != ".mp4":
        return result.save(path, midi=args.midi, overwrite=overwrite)
    from ..result import save_video

    return save_video(result, path, pictures=[image], style=args.video_style, size=args.size,
                      midi=args.midi, overwrite=overwrite, progress=_stage_printer())


def _slideshow(args: argparse.Namespace) -> int:
    from ..slideshow import slideshow

    path = Path(args.output).expanduser()
    if not args.audio_only and path.suffix.lower() != ".mp4":
        raise InputError(f"{path.name!r}: a slideshow is a video (.mp4, e.g. "
                         f"{path.with_suffix('.mp4').name}); add --audio-only for music alone")
    _check_output(path, args)
    pipe = _pipeline(args)
    result = slideshow(pipe, args.images, seconds_per_image=args.seconds_per_image,
                       duration=args.duration, seed=args.seed, style=args.style,
                       progress=_stage_printer())
    saved = result.save(path, midi=args.midi, overwrite=args.overwrite,
                        video_style=args.video_style, size=args.size, progress=_stage_printer())
    count = len(result.slides)
    print(f"{saved}  [{result.engine}, {result.duration:.1f} s, {count} picture"
          f"{'s' if count > 1 else ''}]")
    for slide in result.slides:
        print(f"  {slide.start:6.1f} s  {slide.source}: {slide.plan}")
    return 0


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


def _describe(args: argparse.Namespace) -> int:
    pipe = _pipeline(args)
    options = _brief_options(args)
    entries, failed = [], 0
    for image, description in zip(args.images, _describe_batch(pipe, args.images), strict=True):
        if isinstance(description, VisTuneError):
            print(f"vistune: error: {image}: {description}", file=sys.stderr)
            failed += 1
            continue
        entries.append((image, description, pipe.brief(description, **options)))
    if args.json:
        print(json.dumps([{"image": image, "description": d.to_dict(), "brief": b.to_dict()}
                          for image, d, b in entries], indent=2, ensure_ascii=False))
    for number, (image, description, brief) in enumerate([] if args.json else entries):
        if len(args.images) > 1:
            print(("\n" if number else "") + f"== {image}")
        _print_description(description, brief)
    return EXIT_BAD_INPUT if failed else 0


def _print_description(description, brief) -> None:
    f = description.features
    print(f"caption:   {description.caption}   [{description.captioner}]")
    if description.labels:
        print("labels:    " + ", ".join(f"{lb.name} {lb.score:.0%}" for lb in description.labels))
    print(f"light:     brightness {f.brightness:.2f}, contrast {f.contrast:.2f}, "
          f"edges {f.edge_density:.2f}")
    print(f"colour:    saturation {f.saturation:.2f}, colourfulness {f.colourfulness:.2f}, "
          f"warmth {f.warmth:+.2f}; " + ", ".join(dict.fromkeys(s.name for s in f.palette)))
    if f.cues:
        print("seen:      " + "; ".join(f"{c.name} ({c.evidence})" for c in f.cues))
    print(f"prompt:    {brief.prompt}")
    print("why this music:")
    for field, reason in brief.reasons.items():
        print(f"  {field:<12} {reason}")


def _models(args: argparse.Namespace) -> int:
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


def _download(args: argparse.Namespace) -> int:
    from ..runtime.models import download

    for name in args.names:
        print(f"{name}: {download(name)}")
    return 0


def _app(args: argparse.Namespace) -> NoReturn:
    import importlib.util

    if importlib.util.find_spec("streamlit") is None:
        raise VisTuneError("the web app needs Streamlit: pip install 'vistune[app]'")
    _check_port(args.host, args.port)
    from ..app.options import MAX_UPLOAD_MB, PAGE_OPTIONS
    script = Path(__file__).parent.parent / "app" / "page.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port",
               str(args.port), "--server.address", args.host, "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.maxUploadSize",
               str(MAX_UPLOAD_MB),
               *(f"--{name}={value}" for name, value in PAGE_OPTIONS.items()),
               "--", "--engine", args.engine,
               "--captioner", args.captioner, "--caption-model", args.caption_model,
               "--music-model", args.music_model, "--duration", str(args.duration)]
    # Become the Streamlit server, so that stopping `vistune app` stops the server too.
    os.execv(sys.executable, command)


def _check_port(host: str, port: int) -> None:
    """Fail in one line when the app could not listen on ``host:port`` (Streamlit would log
    it and stop)."""
    import socket

    not_here = (f"--host {host} is not an address of this computer; use localhost, 127.0.0.1 "
                "or 0.0.0.0 (every address)")
    try:
        socket.getaddrinfo(host, port)
        with socket.create_server((host, port)):
            pass
    except socket.gaierror:
        raise InputError(not_here) from None
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InputError(not_here) from None
        reason = {errno.EADDRINUSE: "is in use",
                  errno.EACCES: "needs administrator rights"}.get(exc.errno, "cannot be used")
        raise InputError(f"port {port} on {host} {reason}; choose another with --port, "
                         f"e.g. --port {port + 1 if 1024 <= port < 65535 else 8501}") from None


def _serve(args: argparse.Namespace) -> int:
    try:
        from ..server.api import MB, serve
    except ImportError:
        raise VisTuneError("the HTTP API needs FastAPI: pip install 'vistune[serve]'") from None
    serve(_pipeline(args),
          make_pipe=lambda engine: _pipeline(argparse.Namespace(**{**vars(args),
                                                                 "engine": engine})),
          host=args.host, port=args.port,
          api_key=args.api_key or os.environ.get("VISTUNE_API_KEY") or None,
          folder=args.folder and Path(args.folder).expanduser(), queue_size=args.queue_size,
          ttl=args.ttl, max_bytes=int(args.max_storage_mb * MB),
          max_upload=int(args.max_upload_mb * MB))
    return 0


COMMANDS = {"compose": _compose, "slideshow": _slideshow, "describe": _describe,
            "models": _models, "download": _download, "optimize": _optimize, "app": _app,
            "serve": _serve}


#: API arguments the command line calls by another name.
CLI_NAMES = {"count": "variations"}


def _in_flags(message: str, exc: Exception, args: argparse.Namespace) -> str:
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




def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``vistune``; returns the exit code (2 for bad input)."""
    handle_sigterm()
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `vistune`: say what it can do
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command](args)
    except VisTuneError as exc:
        _say(f"vistune: error: {_in_flags(str(exc), exc, args)}", sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        what = "stopped (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        _say(f"vistune: {what}; nothing half-written was kept", sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("VISTUNE_DEBUG"):
            raise
        _say(f"vistune: internal error: {type(exc).__name__}: {exc} (please report it; "
             "set VISTUNE_DEBUG=1 to see the traceback)", sys.stderr)
        return 1


def _shown(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences in a file name could
    erase or fake earlier lines) are written as Python escapes, new lines kept."""
    return "\n".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
                     for line in str(text).split("\n"))


def _say(text: str, file=None) -> None:
    """Print ``text`` safely; a closed pipe (``| head``) stops the printing, never the work."""
    file = file or sys.stdout
    try:
        print(_shown(text), file=file, flush=True)
    except BrokenPipeError:
        # Later writes, and Python's own flush at exit, go nowhere instead of failing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), file.fileno())

