"""A part's EQ, its channels filtered side by side, gives what one stereo pass gave."""

from __future__ import annotations

import numpy as np
import pytest
from pedalboard import HighpassFilter, PeakFilter, Pedalboard

from vistune.engines.composer.mix import EQ, EQ_BLOCK, equalise

RATE = 48_000


@pytest.mark.parametrize("role", ["chords", "drums"])
def test_equalise_equals_one_stereo_pass(role):
    rng = np.random.default_rng(7)
    audio = (0.2 * rng.standard_normal((2, 3 * RATE))).astype(np.float32)
    audio[1] *= np.linspace(0, 1, 3 * RATE, dtype=np.float32)  # the channels differ
    top, peaks = EQ[role]
    corner = min(top, 0.7 * 110.0)
    board = Pedalboard([HighpassFilter(cutoff_frequency_hz=corner),
                        HighpassFilter(cutoff_frequency_hz=corner)] +
                       [PeakFilter(cutoff_frequency_hz=440.0 if where == "melody" else where,
                                   gain_db=gain, q=q) for where, gain, q in peaks])
    stereo = board(audio, RATE, buffer_size=EQ_BLOCK)
    ours = equalise(audio, RATE, role=role, lowest_hz=110.0, melody_hz=440.0)
    assert ours.dtype == np.float32 and np.array_equal(ours, stereo)
    mono = equalise(audio[:1], RATE, role=role, lowest_hz=110.0, melody_hz=440.0)
    assert np.array_equal(mono, stereo[:1])
