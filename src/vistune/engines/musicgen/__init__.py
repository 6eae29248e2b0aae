"""Meta's MusicGen through transformers (CC-BY-NC 4.0 weights): the engine and its token loop."""

from .engine import MusicGenEngine

__all__ = ["MusicGenEngine"]
