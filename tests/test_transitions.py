"""A section of a longer piece hands over to the next: tempo ramp, cut, fill, pivot, crash."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from vistune.engines.composer import transitions
from vistune.engines.composer.transitions import CRASH, FILL, ramp_ratio, ramp_time
from vistune.slideshow import _Sections


def test_docstring_examples():
    failed, attempted = doctest.testmod(transitions)
    assert attempted > 0 and failed == 0


def test_the_fill_runs_down_the_kit_and_the_crash_is_the_crash_cymbal():
    assert FILL == (38, 48, 45, 43) and CRASH == 49  # General MIDI snare, toms; crash


def test_a_tempo_ramp_ends_at_the_next_tempo_and_keeps_its_length():
    start, beats, tempo, to = 3.0, 4, 90, 104
    end = start + beats * 60 / tempo  # the last bar, at the old tempo
    assert ramp_time(end, start=start, beats=beats, tempo=tempo, to=to) == pytest.approx(
        start + (end - start) * ramp_ratio(tempo, to))
    slope = [(ramp_time(t + 1e-4, start=start, beats=beats, tempo=tempo, to=to)
              - ramp_time(t, start=start, beats=beats, tempo=tempo, to=to)) / 1e-4
             for t in (start - 0.5, start + 1e-6, end - 1e-4, end + 1)]
    assert slope == pytest.approx([1, 1, tempo / to, tempo / to], rel=1e-3)


def _by_role(midi):
    return {part.name: part for part in midi.instruments}


def test_a_section_leads_into_the_next_and_the_next_opens_with_a_crash(offline_pipe,
                                                                       forest_description):
    engine = offline_pipe.engine
    first = offline_pipe.brief(forest_description, style="rock", tempo=90, key="C major")
    second = offline_pipe.brief(forest_description, style="rock", tempo=100, key="G major")
    lead = engine.score(first, duration=8.0, seed=5, after=second)
    parts = _by_role(lead)
    assert max(n.end for p in lead.instruments for n in p.notes) <= 8.0 + 1e-6
    beat = 60 / 100  # the ramp has reached the next tempo at the cut
    fill = sorted((n for n in parts["drums"].notes if n.start >= 8 - beat - 0.03),
                  key=lambda n: n.start)
    assert [n.pitch for n in fill] == list(FILL)
    pivot = [n for role in ("chords", "bass") for n in parts[role].notes
             if n.start >= 8 - 2 * beat - 0.03]
    assert {n.pitch % 12 for n in pivot} == {2, 6, 9, 0}  # D7: G major's dominant seventh
    assert not [n for n in parts["melody"].notes if n.end > 8 - 2 * beat + 1e-6]  # it rests
    # The ramp: the hi-hat's eighths come faster in the last bar (90 -> 100 bpm) than before.
    hats = np.array(sorted(n.start for n in parts["drums"].notes if n.pitch == 42))
    gaps, at = np.diff(hats), hats[1:]
    last_bar = 8 - 60 * 4 / 90 * ramp_ratio(90, 100)
    early = np.median(gaps[(at > 1) & (at < last_bar)])
    late = np.median(gaps[(at > last_bar + 0.7) & (at < 8 - beat)])
    assert early == pytest.approx(60 / 90 / 2, abs=0.02) and late < early - 0.01
    assert all(n.start == 8 - 2 * beat and n.end == 8.0 for n in pivot)
    # The same key: a fill, but no pivot chord.
    same = _by_role(engine.score(first, duration=8.0, seed=5, after=first))
    assert [n.pitch for n in same["drums"].notes[-4:]] == list(FILL)
    assert not [n for n in same["chords"].notes if n.start == 8 - 2 * 60 / 90]
    # The next section opens with a crash: it has drums; so does a drumless one after drums.
    opening = _by_role(engine.score(second, duration=4.0, seed=5, before=lead))
    assert any(n.pitch == CRASH and n.start == 0.0 for n in opening["drums"].notes)
    piano = offline_pipe.brief(forest_description, style="classical piano")
    assert "drums" not in _by_role(engine.score(piano, duration=4.0, seed=5))
    after_drums = _by_role(engine.score(piano, duration=4.0, seed=5, before=lead))
    assert [n.pitch for n in after_drums["drums"].notes] == [CRASH]
    quiet = engine.score(piano, duration=4.0, seed=5)
    assert "drums" not in _by_role(engine.score(piano, duration=4.0, seed=5, before=quiet))


def test_slideshow_sections_are_played_and_joined_on_one_timeline(offline_pipe,
                                                                  forest_description):
    first = offline_pipe.brief(forest_description, style="rock", tempo=90, key="C major")
    second = offline_pipe.brief(forest_description, style="rock", tempo=100, key="G major")
    track = _Sections([first, second], [0.0, 8.0], 12.0, 5, lambda *a: None).scored(
        offline_pipe.engine)
    assert track.audio.shape == (2, 12 * 48_000) and np.abs(track.audio).max() > 0.01
    lead = offline_pipe.engine.score(first, duration=8.0, seed=5, after=second)
    joined = [p for p in track.midi.instruments if p.name == "drums"]
    assert [n.pitch for n in joined[0].notes] == [n.pitch for n in _by_role(lead)["drums"].notes]
    assert any(n.pitch == CRASH and abs(n.start - 8.0) < 1e-6 for n in joined[1].notes)
