"""SoundFont playback: the cut-down SoundFont sounds exactly like the whole file, Debian's
FluidR3_GM plays, and the mix EQ makes room for the melody."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

from vistune import InputError, make_brief
from vistune.engines.composer import ComposerEngine, compose, sf2
from vistune.engines.composer.mix import MAX_LIFT, MELODY_OVER, equalise, melody_gain
from vistune.engines.composer.synth import BUNDLED, PERCUSSION_BANK
from vistune.see.features import Features
from vistune.see.labels import Description

RATE = 48_000
FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def _brief(style: str):
    flat = Features(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3, warmth=0.0,
                    edge_density=0.12, palette=(), profile=(0.5,) * 16, horizon=(0.5,) * 16)
    return make_brief(Description("a forest", (), flat, "test"), style=style)


def _fluid() -> Path:
    """Debian's FluidR3_GM: required on CI (.ci/run installs it), else skipped when missing."""
    if not FLUID.is_file():
        if os.environ.get("CI"):
            pytest.fail("Debian's fluid-soundfont-gm is missing; .ci/run installs it")
        pytest.skip("needs Debian's FluidR3_GM (apt-get install fluid-soundfont-gm)")
    return FLUID


def _wanted(midi) -> frozenset:
    return frozenset((PERCUSSION_BANK if p.is_drum else 0, p.program) for p in midi.instruments)


def _audio(soundfont: bytes, midi) -> np.ndarray:
    """``midi`` played by midirenderer from SoundFont bytes."""
    import midirenderer
    import soundfile

    buffer = io.BytesIO()
    midi.write(buffer)
    wav = midirenderer.render_wave_from(soundfont, buffer.getvalue())
    return soundfile.read(io.BytesIO(wav), dtype="float32")[0]


@pytest.mark.parametrize("font", ["bundled", "fluid"])
@pytest.mark.parametrize("style", ["cinematic", "rock"])
def test_cut_down_soundfont_sounds_exactly_like_the_whole_file(font, style):
    path = BUNDLED if font == "bundled" else _fluid()
    midi = compose(_brief(style), duration=6, seed=3)
    cut_down = sf2.subset_bytes(path, _wanted(midi))
    whole, cut = _audio(path.read_bytes(), midi), _audio(cut_down, midi)
    assert whole.shape == cut.shape and np.abs(whole).max() > 0.01
    assert np.array_equal(whole, cut)
    if font == "fluid":  # the point: far less for the synthesiser to parse
        assert len(cut_down) < path.stat().st_size / 3


def test_missing_preset_falls_back_as_the_synthesiser_does():
    font = sf2.load(BUNDLED)
    lowest = font.presets[min(font.presets)]
    assert font.choose({(5, 0)}) == [font.presets[0]]  # unknown bank: bank 0's program
    assert font.choose({(PERCUSSION_BANK, 99)}) == [font.presets[PERCUSSION_BANK << 16]]
    assert font.choose({(PERCUSSION_BANK + 1, 1)}) == [font.presets[PERCUSSION_BANK << 16]]
    assert lowest in font.presets.values()


def test_broken_soundfont_is_one_clear_error(tmp_path):
    broken = tmp_path / "broken.sf2"
    broken.write_bytes(b"RIFF" + (1000).to_bytes(4, "little") + b"sfbk" + b"LIST" + bytes(20))
    with pytest.raises(InputError, match="broken.sf2") as error:
        sf2.SoundFont(broken)
    assert "\n" not in str(error.value)


def test_fluidr3_plays_a_piece_with_stems_summing_to_the_mix():
    engine = ComposerEngine(_fluid())
    assert engine.model_name == "vistune composer + FluidR3_GM.sf2"
    [track] = engine.render(_brief("electronic"), duration=4, seed=1, stems=True)
    assert track.audio.shape == (2, 4 * RATE) and np.abs(track.audio).max() > 0.01
    assert set(track.stems) >= {"melody", "chords", "bass", "drums"}
    assert np.allclose(np.sum(list(track.stems.values()), axis=0), track.audio, atol=1e-6)
    plain, again = (ComposerEngine(_fluid()).render(_brief("electronic"), duration=4,
                                                    seed=1)[0] for _ in range(2))
    assert np.array_equal(plain.audio, again.audio)  # same seed, same audio
    assert np.allclose(plain.audio, track.audio, atol=1e-4)


def _level_db(audio: np.ndarray) -> float:
    return 10 * np.log10(np.mean(audio[:, RATE // 2:] ** 2))


def _sine(hz: float) -> np.ndarray:
    t = np.arange(2 * RATE) / RATE
    return np.tile(np.sin(2 * np.pi * hz * t).astype(np.float32), (2, 1))


def test_eq_makes_room_for_the_melody_and_high_passes_all_but_the_bass():
    melody_hz = 523.0  # C5
    tone = _sine(melody_hz)
    chords = equalise(tone, RATE, role="chords", lowest_hz=165.0, melody_hz=melody_hz)
    melody = equalise(tone, RATE, role="melody", lowest_hz=400.0, melody_hz=melody_hz)
    assert _level_db(chords) - _level_db(tone) < -3.5  # the chords dip where the tune sits
    assert abs(_level_db(melody) - _level_db(tone)) < 1.0  # the tune itself is left alone
    presence = _sine(3000.0)
    assert _level_db(equalise(presence, RATE, role="melody", lowest_hz=400.0,
                              melody_hz=melody_hz)) > _level_db(presence) + 1.5
    rumble = _sine(45.0)
    for role, lowest in (("chords", 165.0), ("pulse", 220.0), ("melody", 400.0)):
        cut = equalise(rumble, RATE, role=role, lowest_hz=lowest, melody_hz=melody_hz)
        assert _level_db(cut) - _level_db(rumble) < -9, role
    bass = equalise(rumble, RATE, role="bass", lowest_hz=41.2, melody_hz=melody_hz)
    assert _level_db(bass) - _level_db(rumble) > -3  # the bass keeps its low end
    low_chord = equalise(_sine(90.0), RATE, role="chords", lowest_hz=82.4, melody_hz=melody_hz)
    assert _level_db(low_chord) - _level_db(_sine(90.0)) > -4  # power chords keep theirs


def test_melody_fader_comes_up_only_when_the_accompaniment_covers_it():
    tune, backing = _sine(1000.0), _sine(700.0) + _sine(1400.0)  # all inside the band
    quiet = 0.1 * tune
    lift = melody_gain(quiet, backing, RATE, low_hz=100.0)
    over = _level_db(lift * quiet) - _level_db(backing)
    assert MELODY_OVER - 1 < over < MELODY_OVER + 1
    assert melody_gain(4 * tune, backing, RATE, low_hz=100.0) == 1.0  # already on top
    assert melody_gain(1e-4 * tune, backing, RATE, low_hz=100.0) == pytest.approx(
        10 ** (MAX_LIFT / 20))  # at most MAX_LIFT
