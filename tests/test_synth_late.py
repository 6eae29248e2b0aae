"""A part that enters late is played from just before its entry: the samples equal the whole
file's render bit for bit, or it is played whole."""

from __future__ import annotations

import io

import numpy as np
import pretty_midi
import pytest

from vistune import make_brief
from vistune.engines.composer import compose
from vistune.engines.composer.mix import equalise
from vistune.engines.composer.sf2 import PERCUSSION_BANK, subset_bytes
from vistune.engines.composer.synth import (
    BLOCK,
    SAMPLE_RATE,
    _late_entry,
    _samples,
    find_soundfont,
    render_entry,
    render_midi,
)
from vistune.see.features import Features
from vistune.see.labels import Description


def _brief(style: str):
    flat = Features(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3, warmth=0.0,
                    edge_density=0.12, palette=(), profile=(0.5,) * 16, horizon=(0.5,) * 16)
    return make_brief(Description("a forest", (), flat, "test"), style=style)


def _whole(midi: pretty_midi.PrettyMIDI, samples: int) -> np.ndarray:
    """``midi`` played from its start, as before parts were moved."""
    import midirenderer

    font = subset_bytes(find_soundfont(), frozenset(
        (PERCUSSION_BANK if p.is_drum else 0, p.program) for p in midi.instruments))
    buffer = io.BytesIO()
    midi.write(buffer)
    return _samples(midirenderer.render_wave_from(font, buffer.getvalue()), samples)


def _bytes(midi: pretty_midi.PrettyMIDI) -> bytes:
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def _drums(style: str, seed: int) -> pretty_midi.PrettyMIDI:
    score = compose(_brief(style), duration=30, seed=seed)
    single = pretty_midi.PrettyMIDI(initial_tempo=float(score.get_tempo_changes()[1][0]))
    single.instruments = [p for p in score.instruments if p.is_drum]
    return single


# jazz at 108 bpm: MIDI holds 555556 us a beat, so no shift is a whole number of blocks and
# a 15 s shift moved a hit into the next block; cinematic and folk enter after 17 s.
@pytest.mark.parametrize(("style", "seed"), [("jazz", 0), ("jazz", 1), ("cinematic", 0),
                                             ("folk", 2)])
def test_late_drums_are_played_from_their_entry_and_equal_the_whole_render(style, seed):
    midi = _drums(style, seed)
    late = _late_entry(_bytes(midi))
    entry = min(n.start for n in midi.instruments[0].notes)
    assert late is not None and 0 < late.at / SAMPLE_RATE <= entry
    assert late.at / SAMPLE_RATE > entry - 1.0  # most of the silence is skipped
    samples = 30 * SAMPLE_RATE
    assert np.array_equal(render_midi(midi, samples=samples), _whole(midi, samples))


def test_where_no_shift_is_exact_the_part_is_played_whole():
    # lo-fi at 80 bpm: hits sit on block starts, where the whole file's float sums put some a
    # block later than any moved file does; so it is not moved, and sounds the same.
    midi = _drums("lo-fi", 0)
    assert _late_entry(_bytes(midi)) is None
    assert np.array_equal(render_midi(midi, samples=30 * SAMPLE_RATE),
                          _whole(midi, 30 * SAMPLE_RATE))


def _late_piano(tempo: float, controls: list[pretty_midi.ControlChange]) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    piano = pretty_midi.Instrument(0, name="melody")
    piano.control_changes = controls
    beat = 60 / tempo
    piano.notes = [pretty_midi.Note(90, 60 + k % 5, 5.0 + k * beat / 3, 5.0 + (k + 2) * beat / 3)
                   for k in range(30)]
    midi.instruments = [piano]
    return midi


# At 120 bpm every note here starts on a block's start (a sixth of a second is 125 blocks),
# where float rounding decides the block: it may be played whole; the audio is the same.
@pytest.mark.parametrize(("tempo", "moved"), [(108.0, True), (97.0, True), (120.0, False)])
def test_set_up_before_the_entry_is_kept_and_the_render_is_the_same(tempo, moved):
    # Volume and pan set at the start and changed (and a pitch bend) before the first note:
    # moved to the start of the moved file, in order. 6 s cut the part short, 12 s pad it.
    controls = [pretty_midi.ControlChange(7, 100, 0.0), pretty_midi.ControlChange(10, 30, 0.0),
                pretty_midi.ControlChange(91, 0, 0.0), pretty_midi.ControlChange(93, 0, 0.0),
                pretty_midi.ControlChange(7, 70, 2.0), pretty_midi.ControlChange(10, 90, 3.5)]
    midi = _late_piano(tempo, controls)
    midi.instruments[0].pitch_bends = [pretty_midi.PitchBend(1200, 4.0)]
    late = _late_entry(_bytes(midi))
    if moved:
        assert late is not None and late.at % BLOCK == 0 and 4.0 < late.at / SAMPLE_RATE <= 5.0
    samples = 6 * SAMPLE_RATE + 1234
    assert np.array_equal(render_midi(midi, samples=samples), _whole(midi, samples))
    longer = 12 * SAMPLE_RATE  # past the end of the render: silence, as before
    assert np.array_equal(render_midi(midi, samples=longer), _whole(midi, longer))


def test_a_part_sent_to_the_chorus_is_played_whole():
    # The chorus's modulation runs from the first sample: skipping time would change it.
    midi = _late_piano(100.0, [pretty_midi.ControlChange(93, 40, 0.0)])
    assert _late_entry(_bytes(midi)) is None


def test_samples_are_placed_and_cut():
    pcm = np.arange(1, 21, dtype="<i2").reshape(-1, 2)  # 10 stereo frames
    header = b"RIFF" + bytes(4) + b"WAVEfmt \x10\0\0\0\x01\0\x02\0" + \
        SAMPLE_RATE.to_bytes(4, "little") + bytes(6) + b"\x10\0data" + (40).to_bytes(4, "little")
    wav = header + pcm.tobytes()
    audio = _samples(wav, 16, at=3, end=9) * 32768
    assert audio.shape == (2, 16)
    assert np.array_equal(audio[0], [0, 0, 0, 1, 3, 5, 7, 9, 11, 0, 0, 0, 0, 0, 0, 0])
    assert np.array_equal(_samples(wav, 4, at=3)[1] * 32768, [0, 0, 0, 2])


@pytest.mark.parametrize(("style", "role"), [("jazz", "drums"), ("folk", "drums")])
def test_a_late_part_is_equalised_from_its_entry_as_the_whole_part(style, role):
    midi = _drums(style, 0)
    audio, silent = render_entry(midi, samples=30 * SAMPLE_RATE)
    assert silent > 10 * SAMPLE_RATE and not audio[:, :silent].any()
    whole = equalise(audio, SAMPLE_RATE, role=role, lowest_hz=np.inf, melody_hz=440.0)
    assert np.array_equal(equalise(audio, SAMPLE_RATE, role=role, lowest_hz=np.inf,
                                   melody_hz=440.0, silent=silent), whole)
    # From the entry itself, off pedalboard's blocks, the samples would differ in the last bits.
    off = np.zeros_like(whole)
    off[:, silent:] = equalise(audio[:, silent:], SAMPLE_RATE, role=role, lowest_hz=np.inf,
                               melody_hz=440.0)
    assert not np.array_equal(off, whole)


def test_a_late_part_on_a_preset_sending_to_the_chorus_is_played_whole():
    # A synth lead (program 81) sends to the chorus in FluidR3_GM and TimGM6mb alike: moved,
    # it would meet the chorus's modulation at another phase and sound (slightly) different.
    import midirenderer

    midi = _late_piano(108.0, [pretty_midi.ControlChange(93, 0, 0.0)])
    midi.instruments[0].program = 81
    samples = 12 * SAMPLE_RATE
    whole = _whole(midi, samples)
    moved = _late_entry(_bytes(midi))
    assert moved is not None  # by the MIDI alone it could be moved...
    font = subset_bytes(find_soundfont(), frozenset({(0, 81)}))
    shifted = _samples(midirenderer.render_wave_from(font, moved.midi), samples, at=moved.at,
                       end=moved.end)
    assert not np.array_equal(shifted, whole)  # ...but would not sound the same
    audio, silent = render_entry(midi, samples=samples)
    assert silent == 0 and np.array_equal(audio, whole)


def test_a_tempo_map_before_and_after_the_entry_is_followed():
    # Tempo changes before the entry (moved to the start, in order) and after it (moved
    # earlier with the notes): the moved file renders the whole one's samples.
    import midirenderer
    import mido

    file = mido.MidiFile(ticks_per_beat=220)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0),
                           mido.MetaMessage("set_tempo", tempo=621117, time=300),
                           mido.MetaMessage("set_tempo", tempo=431999, time=2700),
                           mido.MetaMessage("end_of_track", time=1)])
    notes = [mido.Message("program_change", program=0, time=0),
             mido.Message("control_change", control=7, value=90, time=0),
             mido.Message("control_change", control=7, value=110, time=700)]
    for k in range(40):
        notes += [mido.Message("note_on", note=50 + k % 12, velocity=90,
                               time=800 if k == 0 else 37),
                  mido.Message("note_off", note=50 + k % 12, velocity=0, time=60)]
    file.tracks = [meta, mido.MidiTrack(notes + [mido.MetaMessage("end_of_track", time=1)])]
    buffer = io.BytesIO()
    file.save(file=buffer)
    whole = buffer.getvalue()
    late = _late_entry(whole)
    assert late is not None and late.at > 3 * SAMPLE_RATE  # the entry is at about 4.1 s
    font = subset_bytes(find_soundfont(), frozenset({(0, 0)}))
    samples = 15 * SAMPLE_RATE  # past the end (about 13 s)
    expected = _samples(midirenderer.render_wave_from(font, whole), samples)
    moved = _samples(midirenderer.render_wave_from(font, late.midi), samples, at=late.at,
                     end=late.end)
    assert expected[:, late.at:].any() and np.array_equal(moved, expected)
