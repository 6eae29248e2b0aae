"""The ``vistune`` command's entry point, kept free of heavy imports: Ctrl-C (or SIGTERM) while
the package and its libraries load is a clean exit, not a traceback."""

from __future__ import annotations

import sys

from .signals import EXIT_INTERRUPTED, handle_sigterm


def main() -> int:
    """Run the ``vistune`` command; returns the exit code (130 when interrupted)."""
    try:
        handle_sigterm()
        from .main import main as run
    except KeyboardInterrupt:
        print("vistune: interrupted while starting; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run()


if __name__ == "__main__":
    sys.exit(main())
