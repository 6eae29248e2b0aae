"""A part's EQ, its channels filtered side by side, gives what one stereo pass gave."""

from __future__ import annotations

import numpy as np
import pytest
from pedalboard import HighpassFilter, PeakFilter, Pedalboard

from vistune.engines.composer.mix import EQ, EQ_BLOCK, ROOM_CHUNK, SEND_CUTOFF, equalise, room

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


@pytest.mark.parametrize("size", [0.2, 0.8])
def test_room_handed_over_in_chunks_equals_one_pass(size):
    from pedalboard import HighShelfFilter, Reverb

    rng = np.random.default_rng(3)
    audio = (0.2 * rng.standard_normal((2, 5 * RATE + 123))).astype(np.float32)
    send = Pedalboard([HighpassFilter(cutoff_frequency_hz=SEND_CUTOFF),
                       Reverb(room_size=size, damping=0.45, wet_level=1.0, dry_level=0.0,
                              width=1.0)])(audio, RATE)
    dry = Pedalboard([HighpassFilter(cutoff_frequency_hz=28.0),
                      HighShelfFilter(cutoff_frequency_hz=7000.0, gain_db=2.0)])(audio, RATE)
    dry += np.float32(0.12 + 0.16 * size) * send
    assert audio.shape[1] > 3 * ROOM_CHUNK
    assert np.array_equal(room(audio, RATE, size=size), dry)


def test_room_raises_the_send_filters_error_and_leaves_no_thread():
    import threading

    before = threading.active_count()
    with pytest.raises(RuntimeError, match="dimensions"):  # the high-pass cannot take it
        room(np.zeros((2, 3, RATE), dtype=np.float32), RATE, size=0.5)
    assert threading.active_count() == before
