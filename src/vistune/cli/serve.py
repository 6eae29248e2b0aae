"""``vistune app`` and ``vistune serve``: the web app and the HTTP API."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import NoReturn

from ..errors import VisTuneError
from .common import pipeline


def app(args: argparse.Namespace) -> NoReturn:
    """Run ``vistune app``: this process becomes the Streamlit server."""
    from ..app.launch import run_app

    run_app(host=args.host, port=args.port,
            choices={"engine": args.engine, "captioner": args.captioner,
                     "caption_model": args.caption_model, "music_model": args.music_model,
                     "duration": args.duration})


def serve(args: argparse.Namespace) -> int:
    """Run ``vistune serve`` until stopped."""
    try:
        from ..server.api import MB, serve
    except ImportError:
        raise VisTuneError("the HTTP API needs FastAPI: pip install 'vistune[serve]'") from None
    serve(pipeline(args),
          make_pipe=lambda engine: pipeline(argparse.Namespace(**{**vars(args),
                                                                "engine": engine})),
          host=args.host, port=args.port,
          api_key=args.api_key or os.environ.get("VISTUNE_API_KEY") or None,
          folder=args.folder and Path(args.folder).expanduser(), queue_size=args.queue_size,
          ttl=args.ttl, max_bytes=int(args.max_storage_mb * MB),
          max_upload=int(args.max_upload_mb * MB))
    return 0
