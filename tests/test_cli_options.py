"""compose's options for people who edit: stems, loops, loudness and the SoundFont."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import soundfile
from conftest import EXAMPLES

from vistune.cli.main import main

FOREST = str(EXAMPLES / "forest.jpg")
OFFLINE = ["--engine", "composer", "--captioner", "labels", "--offline"]


def test_stems_loop_and_midi_are_written_beside_the_mix(tmp_path, capsys):
    out = tmp_path / "f.wav"
    assert main(["compose", FOREST, "-o", str(out), "--duration", "6", "--stems", "--loop",
                 "--midi", "--style", "rock", *OFFLINE]) == 0
    capsys.readouterr()
    mix, rate = soundfile.read(out, always_2d=True)
    stems = {p.name: soundfile.read(p, always_2d=True)[0] for p in tmp_path.glob("f.*.wav")}
    assert {"f.melody.wav", "f.bass.wav", "f.drums.wav"} <= set(stems)
    assert all(s.shape == mix.shape for s in stems.values())
    together = np.sum(list(stems.values()), axis=0)
    assert np.corrcoef(together[:, 0], mix[:, 0])[0, 1] > 0.9  # the parts make the mix
    bar = 4 * 60 / json.loads((tmp_path / "f.json").read_text())["brief"]["tempo"]
    assert abs(mix.shape[0] / rate / bar - round(mix.shape[0] / rate / bar)) < 1e-3  # whole bars
    assert np.abs(mix[:rate // 100]).max() > 1e-3  # a loop starts at full level: no fade-in
    assert (tmp_path / "f.mid").exists()


def test_loudness_sets_the_mastered_level(tmp_path, capsys):
    levels = []
    for target in (-14, -22):
        out = tmp_path / f"l{-target}.wav"
        assert main(["compose", FOREST, "-o", str(out), "--duration", "8", "--style", "rock",
                     "--loudness", str(target), *OFFLINE]) == 0
        audio, rate = soundfile.read(out)
        levels.append(pyloudnorm.Meter(rate).integrated_loudness(audio))
    capsys.readouterr()
    assert 6 < levels[0] - levels[1] < 10
    assert abs(levels[1] - -22) < 1.5


def test_bad_soundfont_and_loudness_are_one_line_errors(tmp_path, capsys):
    not_sf2 = tmp_path / "x.sf2"
    not_sf2.write_bytes(b"RIFF....nope")
    for option, words in ((["--soundfont", str(tmp_path / "none.sf2")], "is not a file"),
                          (["--soundfont", str(not_sf2)], "is not an SF2 SoundFont"),
                          (["--loudness", "-3"], "--loudness '-3' is outside")):
        code = main(["compose", FOREST, "-o", str(tmp_path / "o.wav"), "--duration", "2",
                     *option, *OFFLINE])
        err = capsys.readouterr().err
        assert code == 2 and words in err and len(err.splitlines()) == 1, err
        assert not (tmp_path / "o.wav").exists()


def test_a_chosen_soundfont_is_used_and_named(tmp_path, capsys):
    from pathlib import Path

    import pretty_midi

    bundled = Path(pretty_midi.__file__).with_name("TimGM6mb.sf2")
    out = tmp_path / "s.wav"
    assert main(["compose", FOREST, "-o", str(out), "--duration", "2", "--soundfont",
                 str(bundled), *OFFLINE]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["music_model"].endswith("TimGM6mb.sf2")
    assert main(["models"]) == 0
    assert "SoundFont: " in capsys.readouterr().out
