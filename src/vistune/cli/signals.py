"""Ctrl-C and SIGTERM: both end the command cleanly, with exit code 130."""

from __future__ import annotations

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
