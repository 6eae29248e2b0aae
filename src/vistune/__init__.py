"""VisTune: turn a picture into music that fits it, and explain why.

>>> from vistune import ImageToMusic
>>> pipe = ImageToMusic(engine="composer", captioner="labels")
>>> pipe("examples/forest.jpg", duration=10, seed=0).save("forest.wav")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from . import _moved

__version__ = "0.1.0"

#: Public names and the modules that define them. They are imported on first use, so that
#: ``import vistune`` is instant and the ``vistune`` command can catch Ctrl-C while it loads.
_EXPORTS = {
    "Description": "see.labels", "Features": "see.features", "ImageToMusic": "pipeline",
    "InputError": "errors", "ModelUnavailable": "errors", "MusicBrief": "brief",
    "OutputError": "errors", "Picture": "see.image", "Result": "result",
    "VisTuneError": "errors", "load_image": "see.image", "make_brief": "brief",
}
__all__ = [
    "Description", "Features", "ImageToMusic", "InputError", "ModelUnavailable", "MusicBrief",
    "OutputError", "Picture", "Result", "VisTuneError", "load_image", "make_brief",
]

_moved.install()

if TYPE_CHECKING:
    from .brief import MusicBrief, make_brief
    from .errors import InputError, ModelUnavailable, OutputError, VisTuneError
    from .pipeline import ImageToMusic
    from .result import Result
    from .see.features import Features
    from .see.image import Picture, load_image
    from .see.labels import Description


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'vistune' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
