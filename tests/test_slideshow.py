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
