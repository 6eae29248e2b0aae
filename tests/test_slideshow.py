"""The slideshow's plans: one key plan (from vistune.theory) and one tempo map for all pictures."""

from __future__ import annotations

import numpy as np

from vistune.slideshow import MAX_TEMPO_STEP, tempo_map
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
