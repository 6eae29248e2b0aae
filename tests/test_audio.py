from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import soundfile

from vistune import OutputError
from vistune.output.audio import FORMATS, _true_peak, master, write_audio
from vistune.output.files import all_or_nothing, atomic_write

RATE = 48_000


def _music_like(seconds=6.0, level=0.05, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330, 440))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)
    left = level * tone * envelope + 0.01 * level * rng.standard_normal(t.size)
    return np.stack([left, np.roll(left, 100)]).astype(np.float32)


@pytest.mark.parametrize("level", [0.001, 0.05, 0.9])
def test_master_hits_minus_14_lufs_and_keeps_peaks_under_minus_1(level):
    out = master(_music_like(level=level), RATE)
    loudness = pyloudnorm.Meter(RATE).integrated_loudness(out.T)
    assert abs(loudness - -14.0) <= 1.0
    assert 20 * np.log10(_true_peak(out)) <= -1.0 + 1e-3
    assert out.dtype == np.float32 and out.shape == (2, 6 * RATE)


def test_master_fades_in_and_out():
    out = master(_music_like(), RATE)
    assert np.abs(out[:, :10]).max() < 0.01 and np.abs(out[:, -10:]).max() < 0.01


def test_silence_stays_silent():
    assert not master(np.zeros((2, RATE * 2), np.float32), RATE).any()


def test_true_peak_sees_between_samples():
    # A sine at a quarter of the rate sampled at 45 degrees: samples at 0.707, true peak 1.0.
    n = np.arange(4800)
    signal = np.sin(2 * np.pi * n / 4 + np.pi / 4)[None].astype(np.float32)
    assert np.abs(signal).max() == pytest.approx(0.7071, abs=1e-3)
    assert _true_peak(signal) > 0.95


@pytest.mark.parametrize("ext", list(FORMATS))
def test_write_every_format(tmp_path, ext):
    audio = master(_music_like(seconds=2), RATE)
    path = write_audio(tmp_path / f"song{ext}", audio, RATE)
    data, rate = soundfile.read(path, always_2d=True)
    assert rate == RATE and data.shape[1] == 2
    assert abs(data.shape[0] - 2 * RATE) < 0.1 * RATE  # mp3 and ogg pad a little
    assert not list(tmp_path.glob(".*.part"))


def test_unknown_extension(tmp_path):
    with pytest.raises(OutputError, match="unknown audio format '.xyz'"):
        write_audio(tmp_path / "a.xyz", np.zeros((2, 10), np.float32), RATE)


def test_failed_write_leaves_nothing(tmp_path):
    def broken(temp):
        temp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left"):
        atomic_write(tmp_path / "x.json", broken)
    assert list(tmp_path.iterdir()) == []


def test_all_or_nothing_removes_earlier_files(tmp_path):
    with pytest.raises(RuntimeError), all_or_nothing() as written:
        written.append(atomic_write(tmp_path / "a.txt", lambda t: t.write_text("a")))
        raise RuntimeError("second file failed")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write in"):
        atomic_write(blocker / "sub" / "a.txt", lambda t: t.write_text("a"))


def _plucked(seconds=8.0, seed=0):
    """Calm, dynamic music: a soft pad with a few plucked notes far above it."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    out = 0.02 * np.sin(2 * np.pi * 131.0 * t)
    for start in np.arange(0.0, seconds - 1, 2.0):
        f = rng.choice([196.0, 262.0, 330.0])
        late = t >= start
        out[late] += 0.3 * np.sin(2 * np.pi * f * (t[late] - start)) * np.exp(
            -8 * (t[late] - start))
    return np.stack([out, out]).astype(np.float32)


def _crest_db(audio):
    loudness = pyloudnorm.Meter(RATE).integrated_loudness(audio.T)
    return 20 * np.log10(np.abs(audio).max()) - loudness


def test_calm_music_keeps_its_dynamics():
    calm = _plucked()
    out = master(calm, RATE, fade_out=0.0)
    assert _crest_db(out) > _crest_db(calm) - 4.5  # at most ~4 dB of limiting
    assert pyloudnorm.Meter(RATE).integrated_loudness(out.T) < -14.5  # quieter, not squashed
    assert 20 * np.log10(_true_peak(out)) <= -1.0 + 1e-3


@pytest.mark.parametrize("target", [-20.0, -16.0])
def test_master_takes_another_loudness_target(target):
    out = master(_music_like(level=0.05), RATE, loudness=target)
    assert abs(pyloudnorm.Meter(RATE).integrated_loudness(out.T) - target) <= 0.7
