"""The ``vistune`` command's arguments: one parser per command, each flag named as the API's
argument, defaults shown once, one-line errors."""

from __future__ import annotations

import argparse
import difflib
import re

from .. import __version__
from ..brief.styles import STYLES
from ..output.audio import FORMATS
from ..pipeline import CAPTIONERS, ENGINES, MAX_DURATION
from ..runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL
from ..settings import BACKENDS, PRECISIONS
from .common import EXIT_BAD_INPUT


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument on one line, naming where to get help, and
    suggests the nearest choice for a misspelt one."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """As argparse's, but an unknown option is reported by its command's parser, with
        the nearest option it has ("did you mean --duration?")."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            command = (getattr(parsed, "parsers", None) or {}).get(getattr(parsed, "command",
                                                                           None), self)
            command.error(f"unrecognized arguments: {' '.join(extra)}{_nearest(command, extra)}")
        return parsed

    def _check_value(self, action: argparse.Action, value: object) -> None:
        # argparse only suggests from Python 3.14 on (suggest_on_error); until then, here.
        if action.choices is None or value in action.choices:
            return
        choices = [str(c) for c in action.choices]
        close = difflib.get_close_matches(str(value).lower(), choices, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise argparse.ArgumentError(action, f"invalid choice {value!r}; {hint}choose from "
                                             f"{', '.join(choices)}")


def _nearest(parser: argparse.ArgumentParser, typed: list[str]) -> str:
    """"; did you mean --duration?" for the first misspelt option in ``typed``, or ""."""
    options = [o for action in parser._actions for o in action.option_strings
               if o.startswith("--")]
    for word in typed:
        if word.startswith("--"):
            close = difflib.get_close_matches(word.split("=", 1)[0], options, n=1)
            if close:
                return f"; did you mean {close[0]}?"
    return ""


def style_name(text: str) -> str:
    """``--style``'s type: a style named in any case and spacing ("Lo-Fi", "lofi",
    "Classical-Piano"); anything else is left for the choices to refuse.

    >>> style_name("LoFi"), style_name("classical_piano")
    ('lo-fi', 'classical piano')
    """
    def squeeze(name: str) -> str:
        return re.sub(r"[\s_-]+", "", name.casefold())

    return next((name for name in STYLES if squeeze(name) == squeeze(text)), text)


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


def make_parser() -> argparse.ArgumentParser:
    """The parser of ``vistune`` and its commands."""
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
    compose.add_argument("-o", "--output", default=None, metavar="OUT",
                         help="audio file for one image (extension picks the format: "
                              f"{' '.join(FORMATS)}), or a video (.mp4); a folder for several "
                              "(a new folder's name has no extension). Default: IMAGE's name "
                              "as .wav in the current folder, never replacing a file "
                              "(NAME-1.wav...)")
    compose.add_argument("--duration", default=30, metavar="SECONDS",
                         help="length of each piece")
    compose.add_argument("--seed", default=0, metavar="N", help="same seed, same music")
    _add_brief_options(compose)
    _add_video_options(compose, default="still")
    compose.add_argument("--variations", type=int, default=1, metavar="N",
                         help="takes per image (MusicGen makes them in one batch); files "
                              "are named NAME-1, NAME-2, ...")
    compose.add_argument("--melody", default=None, metavar="FILE|image",
                         help="a musicgen-melody checkpoint or ace-step: an audio file to follow "
                              "(ace-step covers it), or 'image' for the melody the composer "
                              "draws from the picture")
    compose.add_argument("--cover-strength", type=float, default=None, metavar="X",
                         help="ace-step with --melody: how closely its cover follows the "
                              "melody, 0 (loosely) to 1 (closely) (default: 1)")
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


def _add_brief_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", choices=list(STYLES), default=None, type=style_name,
                        help="style preset (default: chosen from the picture)")
    parser.add_argument("--tempo", default=None, metavar="BPM",
                        help="override the tempo (default: from the picture)")
    parser.add_argument("--key", default=None, help="override the key, e.g. 'D' or 'F# minor' "
                        "(default: from the picture)")
    parser.add_argument("--prompt", default=None, help="override the text prompt for MusicGen "
                        "(default: made from the picture)")


def _add_video_options(parser: argparse.ArgumentParser, *, default: str) -> None:
    from ..output.video import VIDEO_STYLES

    # None when not given, so that an audio OUT can refuse it; the help says the default.
    parser.add_argument("--video-style", choices=VIDEO_STYLES, default=None,
                        help="OUT ending in .mp4 makes a video: a still picture, a slow "
                             "Ken Burns zoom, or a subtle waveform that lights up as the "
                             f"music plays (default: {default})")
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
    show.add_argument("--style", choices=list(STYLES), default=None, type=style_name,
                      help="style preset for every image (default: chosen per image)")
    _add_video_options(show, default="zoom")
    show.add_argument("--midi", action="store_true", help="also write a .mid file")
    show.add_argument("--overwrite", action="store_true", help="replace existing files")
    _add_model_options(show)
    show.add_argument("--max-duration", type=float, default=MAX_DURATION,
                      metavar="SECONDS", help="longest piece allowed")


def _add_model_choices(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="music engine: composer is offline and its music is yours; musicgen "
                             "is neural (CC-BY-NC weights: not for commercial use); ace-step is "
                             "neural (MIT: commercial use allowed); auto: musicgen when it is "
                             "downloaded or can be, else composer")
    parser.add_argument("--captioner", choices=CAPTIONERS, default="auto",
                        help="captioner: labels is offline, blip is neural")
    parser.add_argument("--caption-model", default=DEFAULT_CAPTION_MODEL, metavar="NAME_OR_PATH",
                        help="BLIP checkpoint: hub id or local folder")
    parser.add_argument("--music-model", default=DEFAULT_MUSIC_MODEL, metavar="NAME_OR_PATH",
                        help="the neural engine's checkpoint: hub id or local folder (default: "
                             "the engine's own, " + DEFAULT_MUSIC_MODEL + " for musicgen)")


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

