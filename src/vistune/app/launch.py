"""Starting the web app: check that it can listen, then become the Streamlit server."""

from __future__ import annotations

import errno
import importlib.util
import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

from ..errors import InputError, VisTuneError
from .options import MAX_UPLOAD_MB, PAGE_OPTIONS


def run_app(*, host: str, port: int, choices: dict[str, str]) -> NoReturn:
    """Serve the page on ``host:port`` in this process (so that stopping it stops Streamlit);
    ``choices`` are the sidebar's starting choices (see :mod:`vistune.app.options`), such as
    ``{"engine": "auto", "duration": "30"}``."""
    if importlib.util.find_spec("streamlit") is None:
        raise VisTuneError("the web app needs Streamlit: pip install 'vistune[app]'")
    check_port(host, port)
    script = Path(__file__).parent / "page.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port",
               str(port), "--server.address", host, "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.maxUploadSize",
               str(MAX_UPLOAD_MB),
               *(f"--{name}={value}" for name, value in PAGE_OPTIONS.items()),
               "--", *(part for name, value in choices.items()
                       for part in (f"--{name.replace('_', '-')}", str(value)))]
    os.execv(sys.executable, command)


def check_port(host: str, port: int) -> None:
    """Fail in one line when the app could not listen on ``host:port`` (Streamlit would log
    it and stop)."""
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
