"""The ``vistune`` command: parse the arguments, run the command, turn errors into one line
and an exit code. Each command lives in its own module; the library does the work."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import VisTuneError
from .common import EXIT_BAD_INPUT, EXIT_TERMINATED, in_flags, quiet_pipes, say
from .compose import compose
from .describe import describe
from .models import download, models, optimize
from .parser import make_parser
from .serve import app, serve
from .signals import EXIT_INTERRUPTED, Terminated, handle_sigterm
from .slideshow import slideshow

COMMANDS = {"compose": compose, "slideshow": slideshow, "describe": describe,
            "models": models, "download": download, "optimize": optimize, "app": app,
            "serve": serve}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``vistune``; returns the exit code (2 for bad input)."""
    handle_sigterm()
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `vistune`: say what it can do
        parser.print_help()
        return 0
    try:
        with quiet_pipes():
            return COMMANDS[args.command](args)
    except VisTuneError as exc:
        say(f"vistune: error: {in_flags(str(exc), exc, args)}", sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        what = "stopped (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        say(f"vistune: {what}; nothing half-written was kept", sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("VISTUNE_DEBUG"):
            raise
        say(f"vistune: internal error: {type(exc).__name__}: {exc} (please report it; "
            "set VISTUNE_DEBUG=1 to see the traceback)", sys.stderr)
        return 1
