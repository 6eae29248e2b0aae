"""The composer's render: the parallel render equals the serial one bit for bit, and the
faster pieces (WAV reading, summing, the loudness meter, the limiter's percentile, two paths
side by side) give what the slower ones gave."""

from __future__ import annotations

import io
import threading

import midirenderer
import numpy as np
import pretty_midi
import pyloudnorm
import pytest
import soundfile

from vistune import make_brief
from vistune.engines.composer import ComposerEngine, compose, parts
from vistune.engines.composer.mix import total
from vistune.engines.composer.sf2 import subset_bytes
from vistune.engines.composer.synth import BUNDLED, SAMPLE_RATE, _samples
from vistune.output import audio as output
from vistune.see.features import Features
from vistune.see.labels import Description


def _brief(style: str):
    flat = Features(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3, warmth=0.0,
                    edge_density=0.12, palette=(), profile=(0.5,) * 16, horizon=(0.5,) * 16)
    return make_brief(Description("a forest", (), flat, "test"), style=style)


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_render_equals_serial_bit_for_bit(workers):
    brief = _brief("jazz")
    score = compose(brief, duration=6, seed=3)
    serial = ComposerEngine(BUNDLED, workers=0).play(score, brief, duration=6).audio
    parallel = ComposerEngine(BUNDLED, workers=workers).play(score, brief, duration=6).audio
    assert len(score.instruments) >= 4
    assert np.array_equal(serial, parallel)
    assert np.array_equal(output.master(serial, SAMPLE_RATE),
                          output.master(parallel, SAMPLE_RATE))


@pytest.mark.parametrize("memory", [True, False])
def test_every_part_is_played_once_and_in_its_place(tmp_path, monkeypatch, memory):
    if not memory:  # no /dev/shm (or no room in it): the system's temporary folder
        monkeypatch.setattr(parts, "SHARED", tmp_path / "missing")
    brief = _brief("rock")
    midi = compose(brief, duration=4, seed=1)
    jobs = []
    for part in midi.instruments:
        single = pretty_midi.PrettyMIDI(initial_tempo=brief.tempo)
        single.instruments = [part]
        jobs.append(parts.PartJob(single, 4 * SAMPLE_RATE, BUNDLED, part.name, 100.0, 440.0))
    played = parts.play_parts(jobs, workers=2)
    assert len(played) == len(jobs)
    for job, audio in zip(jobs, played, strict=True):
        assert np.array_equal(audio, parts.play_part(job))


def test_wav_read_equals_libsndfiles():
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(0)
    piano.notes = [pretty_midi.Note(120, pitch, 0.1 * k, 1.0) for k, pitch in
                   enumerate((48, 60, 67, 76))]
    midi.instruments = [piano]
    buffer = io.BytesIO()
    midi.write(buffer)
    wav = midirenderer.render_wave_from(subset_bytes(BUNDLED, frozenset({(0, 0)})),
                                        buffer.getvalue())
    reference = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)[0].T
    assert np.abs(reference).max() > 0.01
    for samples in (reference.shape[1] - 100, reference.shape[1] + 4800):
        ours = _samples(wav, samples)
        assert ours.dtype == np.float32 and ours.shape == (2, samples)
        kept = min(samples, reference.shape[1])
        assert np.array_equal(ours[:, :kept], reference[:, :kept])
        assert not ours[:, kept:].any()


def test_a_wav_of_another_layout_is_decoded_not_misread():
    """A later midirenderer writing another header (here 32-bit float) gives its samples,
    not the header's bytes read as audio."""
    rng = np.random.default_rng(2)
    audio = (0.5 * rng.uniform(-1, 1, (2, 4800))).astype(np.float32)
    buffer = io.BytesIO()
    soundfile.write(buffer, audio.T, SAMPLE_RATE, format="WAV", subtype="FLOAT")
    ours = _samples(buffer.getvalue(), 5000)
    assert np.array_equal(ours[:, :4800], audio) and not ours[:, 4800:].any()


def test_total_is_numpys_sum_bit_for_bit():
    rng = np.random.default_rng(0)
    audio = [rng.standard_normal((2, 10_000)).astype(np.float32) for _ in range(5)]
    assert np.array_equal(total(audio), np.sum(audio, axis=0, dtype=np.float32))
    assert total(iter(audio[:1])) is not audio[0]  # a new array: the parts stay as they were


def test_loudness_meter_equals_pyloudnorms():
    rng = np.random.default_rng(1)
    time = np.arange(7 * SAMPLE_RATE) / SAMPLE_RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * time) * (time > 2)  # quiet start: the gates count
    audio = np.stack([tone, 0.5 * tone]) + 0.01 * rng.standard_normal((2, time.size))
    for piece in (audio, audio[:, :SAMPLE_RATE + 123], 0.001 * audio):
        expected = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(piece.T)
        assert output.integrated_loudness(piece, SAMPLE_RATE) == pytest.approx(expected, abs=1e-4)
    assert output.integrated_loudness(np.zeros((2, 3 * SAMPLE_RATE)), SAMPLE_RATE) == -np.inf


@pytest.mark.parametrize("size", [3_000, 50_000, 2_000_003])
@pytest.mark.parametrize("q", [50.0, 99.9, 99.995, 100.0])
def test_percentile_of_the_loudest_equals_numpys(size, q):
    values = np.abs(np.random.default_rng(size).standard_normal(size)).astype(np.float32)
    values[size // 3] = 40.0  # a lone spike
    assert output._percentile_of_loudest(values, q) == pytest.approx(np.percentile(values, q),
                                                              rel=1e-12)


def test_side_by_side_gives_both_and_leaves_no_thread():
    before = threading.active_count()
    assert output.side_by_side(lambda: "first", lambda: "second") == ("first", "second")
    assert threading.active_count() == before


@pytest.mark.parametrize(("cores", "load", "expected"),
                         [(2, 0.2, 1), (2, 1.2, 1), (2, 1.6, 0), (2, 6.0, 0), (8, 1.0, 4),
                          (1, 0.0, 0)])
def test_workers_go_only_to_idle_cores(monkeypatch, cores, load, expected):
    monkeypatch.delenv("VISTUNE_RENDER_WORKERS", raising=False)
    monkeypatch.setattr(parts.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(parts.os, "getloadavg", lambda: (load, load, load))
    assert parts.default_workers() == expected
    monkeypatch.setenv("VISTUNE_RENDER_WORKERS", "3")
    assert parts.default_workers() == 3


def test_limiter_channel_by_channel_equals_the_stereo_compressor():
    from pedalboard import Compressor

    rng = np.random.default_rng(4)
    loud = (rng.standard_normal((2, 3 * SAMPLE_RATE)) * np.linspace(0.1, 1.5, 3 * SAMPLE_RATE)
            ).astype(np.float32)
    loud[1] *= 0.5  # the channels differ in level: each follows its own
    stereo = Compressor(threshold_db=-4.0, ratio=20.0, attack_ms=1.0, release_ms=100.0)(
        loud, SAMPLE_RATE)
    assert not np.array_equal(stereo, loud)
    assert np.array_equal(output._limit(loud, SAMPLE_RATE, threshold=-4.0), stereo)
    assert np.array_equal(output._limit(loud[:1], SAMPLE_RATE, threshold=-4.0), stereo[:1])
