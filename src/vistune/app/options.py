"""What ``vistune app`` hands the page: Streamlit's settings and the sidebar's starting choices.

The command passes the choices after ``--`` (``--engine``, ``--captioner``, ``--caption-model``,
``--music-model``, ``--duration``); under a plain ``streamlit run`` they take these defaults.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL

MAX_UPLOAD_MB = 50  # a photo VisTune can use (at most DEFAULT_MAX_PIXELS) is far smaller
#: Settings `vistune app` passes to Streamlit, set from the page under a plain `streamlit run`.
PAGE_OPTIONS = {"client.toolbarMode": "minimal",  # no Deploy button
                "client.showErrorDetails": "none"}  # a bug never shows a traceback


def start_options(argv: Sequence[str]) -> argparse.Namespace:
    """The sidebar's starting choices as passed by ``vistune app``; other arguments are
    ignored."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--captioner", default="auto")
    parser.add_argument("--caption-model", default=DEFAULT_CAPTION_MODEL)
    parser.add_argument("--music-model", default=DEFAULT_MUSIC_MODEL)
    parser.add_argument("--duration", type=int, default=30)
    return parser.parse_known_args(argv)[0]
