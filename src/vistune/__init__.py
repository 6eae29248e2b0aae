"""VisTune: turn a picture into music that fits it, and explain why.

>>> from vistune import ImageToMusic
>>> pipe = ImageToMusic(engine="composer", captioner="labels")
>>> pipe("examples/forest.jpg", duration=10, seed=0).save("forest.wav")  # doctest: +SKIP
"""

from .brief import MusicBrief, make_brief
from .captioning import Description
from .errors import InputError, ModelUnavailable, OutputError, VisTuneError
from .features import Features
from .image import Picture, load_image
from .pipeline import ImageToMusic
from .result import Result

__version__ = "0.1.0"

__all__ = [
    "Description", "Features", "ImageToMusic", "InputError", "ModelUnavailable", "MusicBrief",
    "OutputError", "Picture", "Result", "VisTuneError", "load_image", "make_brief",
]
