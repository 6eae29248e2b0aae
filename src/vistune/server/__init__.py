"""The HTTP API (``vistune serve``): FastAPI routes over the library.

``create_app(pipe)`` (to mount in an app of your own) and ``serve(pipe)`` are here as they were
before the package split; FastAPI is imported only when one is used.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
