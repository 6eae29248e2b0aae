"""The slideshow's plans (one key plan from vistune.theory, one tempo map for all pictures),
its MIDI, and the licence its sidecar names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import EXAMPLES

from vistune import ImageToMusic
from vistune.slideshow import MAX_TEMPO_STEP, slideshow, tempo_map
from vistune.theory import key_plan, signature


def test_key_plan_moves_only_to_close_keys_and_tempo_moves_smoothly():
    rng = np.random.default_rng(0)
    tonics = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    wanted = [(tonics[rng.integers(12)], ("major", "minor")[rng.integers(2)])
              for _ in range(40)]
    plan = key_plan(wanted)
    assert plan[0][:2] == wanted[0]
    for (tonic, mode, _), (next_tonic, next_mode, reason) in zip(plan, plan[1:], strict=False):
        steps = abs(signature(next_tonic, next_mode) - signature(tonic, mode)) % 12
        parallel = next_tonic == tonic and next_mode != mode
        assert min(steps, 12 - steps) <= 1 or parallel, reason
    tempos = [bpm for bpm, _ in tempo_map(list(rng.integers(40, 200, 40)))]
    steps = zip(tempos, tempos[1:], strict=False)
    assert all(abs(b - a) <= max(1, round(a * MAX_TEMPO_STEP)) for a, b in steps)


def test_key_plan_stays_when_it_can_and_names_the_relation():
    plan = key_plan([("D", "major"), ("D", "major"), ("B", "minor"), ("A", "major"),
                     ("A", "minor")])
    assert [k[:2] for k in plan] == [("D", "major"), ("D", "major"), ("B", "minor"),
                                     ("A", "major"), ("A", "minor")]
    assert [k[2].split(": ")[1].split(" D ")[0].split(" B ")[0].split(" A ")[0]
            for k in plan[1:]] == ["stays in", "the relative minor of",
                                   "on the dominant side of", "the parallel minor of"]


def test_the_joined_midi_carries_the_whole_tempo_map_and_keeps_every_note_in_place():
    import io

    import pretty_midi

    from vistune.slideshow import _join_midi

    sections = []
    for bpm in (90, 100, 111):
        midi = pretty_midi.PrettyMIDI(initial_tempo=bpm)
        part = pretty_midi.Instrument(0, name="melody")
        part.notes = [pretty_midi.Note(80, 60 + k, 0.37 * k, 0.37 * k + 0.3) for k in range(10)]
        midi.instruments.append(part)
        sections.append(midi)
    tempos = [(0.0, 90.0), (3.5, 95.0), (4.0, 100.0), (8.0, 111.0)]
    buffer = io.BytesIO()  # as a user gets it: written to a file and read back
    _join_midi([(4.0 * i, 4.0, midi) for i, midi in enumerate(sections)], tempos).write(buffer)
    buffer.seek(0)
    joined = pretty_midi.PrettyMIDI(buffer)
    times, bpms = joined.get_tempo_changes()
    assert np.allclose(bpms, [90, 95, 100, 111], atol=0.01) and np.allclose(times, [0, 3.5, 4, 8],
                                                                           atol=0.002)
    starts = sorted(n.start for p in joined.instruments for n in p.notes)
    wanted = sorted(4.0 * i + 0.37 * k for i in range(3) for k in range(10) if 0.37 * k < 4.0)
    assert np.allclose(starts, wanted, atol=0.003)


PICTURES = [EXAMPLES / "forest.jpg", EXAMPLES / "sunset.jpg"]


def test_a_slideshows_sidecar_names_the_licence_of_its_music(offline_pipe, tmp_path):
    show = slideshow(offline_pipe, PICTURES, seconds_per_image=2.0, seed=0)
    path = show.save(tmp_path / "show.wav")
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["licence"].startswith("yours to use (")
    assert sidecar["licence"] == offline_pipe(PICTURES[0], duration=2).licence


def test_a_slideshow_falls_back_to_the_offline_engine_and_names_that_ones_licence(tmp_path):
    half = tmp_path / "half-downloaded"  # auto takes it for MusicGen, which cannot load it
    half.mkdir()
    (half / "config.json").write_text("{}")
    notes = []
    pipe = ImageToMusic(captioner="labels", music_model=str(half), notify=notes.append)
    assert pipe.engine_name == "musicgen" and pipe.licence.startswith("CC-BY-NC 4.0")
    show = pipe.slideshow(PICTURES, seconds_per_image=2.0, seed=0)
    assert notes[-1].endswith("using the offline composer engine instead")
    assert show.engine == "composer" and show.licence.startswith("yours to use")
    assert show.licence == pipe.licence and show.sections


def test_a_musicgen_slideshow_says_its_music_is_for_non_commercial_use(tmp_path):
    pytest.importorskip("transformers")
    from tiny_models import build_musicgen

    pipe = ImageToMusic(captioner="labels", engine="musicgen", offline=True,
                        music_model=str(build_musicgen(tmp_path, window_seconds=4.0)))
    info = pipe.slideshow(PICTURES, seconds_per_image=2.0, seed=0).to_dict()
    assert info["licence"].startswith("CC-BY-NC 4.0 (non-commercial use only")
    assert "sections" not in info  # MusicGen plans no form
