"""Which part is played first: the costliest, by what the synthesiser does, not only by how
long the notes sound."""

from __future__ import annotations

import pretty_midi

from vistune.engines.composer.parts import _cost


def _part(notes: list[tuple[float, float]], *, drum: bool = False) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI(initial_tempo=100.0)
    part = pretty_midi.Instrument(0, is_drum=drum)
    part.notes = [pretty_midi.Note(90, 40, start, end) for start, end in notes]
    midi.instruments = [part]
    return midi


def test_a_whole_length_part_costs_more_than_a_late_one_with_more_notes():
    bass = _part([(0.0, 30.0)])  # one held note, 30 s of synthesis
    drums = _part([(17.0 + 0.25 * k, 17.2 + 0.25 * k) for k in range(50)], drum=True)
    assert _cost(drums) < _cost(bass)
    pad = _part([(4.0 * k, 4.0 * k + 4.0) for k in range(8)] * 4)  # four voices for 32 s
    assert _cost(pad) > _cost(bass)
    assert _cost(_part([])) == 0.0
