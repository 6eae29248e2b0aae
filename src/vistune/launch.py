"""The ``vistune`` command's entry point, kept free of heavy imports: Ctrl-C (or SIGTERM) while
the package and its libraries load is a clean exit, not a traceback."""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a closing terminal, a container stopping), handled like Ctrl-C."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def handle_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated`, so that it cleans up as Ctrl-C does."""
    import signal  # here, not at the top: Ctrl-C while it loads is already caught in main()
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def main() -> int:
    """Run the ``vistune`` command; returns the exit code (130 when interrupted)."""
    try:
        handle_sigterm()
        from .cli import main as run
    except KeyboardInterrupt:
        print("vistune: interrupted while starting; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run()


if __name__ == "__main__":
    sys.exit(main())
