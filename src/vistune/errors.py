"""The one family of errors VisTune raises on purpose.

Every message says what is wrong, quoting the value, and how to fix it, so that front ends can
show it as it is (the CLI prints it on one line, the app in a message box).
"""

from __future__ import annotations


class VisTuneError(Exception):
    """Base class: something the user can fix; the message says how."""


class InputError(VisTuneError, ValueError):
    """A bad image, setting or option value.

    ``argument`` names the API argument at fault (``"max_duration"``), so front ends can name
    their own word for it (the CLI's ``--max-duration``).
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class ModelUnavailable(VisTuneError):
    """A model cannot be loaded here (not downloaded, no network, not installed, out of memory)."""


class OutputError(VisTuneError):
    """The result cannot be written where it was asked to go."""
