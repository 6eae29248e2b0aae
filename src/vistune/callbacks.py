"""The callbacks every stage may take: progress and streamed audio."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Progress = Callable[[int, int, str], None]
"""Progress callback: ``progress(done, total, stage)``."""

AudioCallback = Callable[[np.ndarray, int], None]
"""Streamed audio: ``on_audio(chunk, sample_rate)`` with (channels, samples) float32 chunks."""
