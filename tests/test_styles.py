"""Every style is one complete piece of data, and every name it uses exists in the composer."""

from __future__ import annotations

import dataclasses
import doctest

import pytest

from vistune import InputError, make_brief
from vistune.brief import styles
from vistune.brief.styles import STYLES, Role, find_style
from vistune.engines.composer import compose
from vistune.engines.composer.arrangement import (
    BASS_PATTERNS,
    CHORD_PATTERNS,
    GROOVES,
    PULSE_PATTERNS,
    VOICINGS,
    check_style,
)
from vistune.see.features import Features
from vistune.see.labels import Description

BASE = Features(0.5, 0.3, 0.3, 0.3, 0.0, 0.1, (), (0.5,) * 16, (0.5,) * 16)


def test_the_presets_in_the_order_the_front_ends_show_them():
    assert list(STYLES) == ["cinematic", "ambient", "lo-fi", "classical piano", "electronic",
                            "jazz", "folk", "rock"]
    failed, attempted = doctest.testmod(styles)
    assert attempted > 0 and failed == 0


@pytest.mark.parametrize("name", list(STYLES))
def test_every_name_a_style_uses_exists(name):
    style = STYLES[name]
    assert style.texture in CHORD_PATTERNS
    assert style.bass_pattern in BASS_PATTERNS
    assert style.voicing in VOICINGS
    assert style.pulse is None or style.pulse in PULSE_PATTERNS
    assert style.groove is None or style.groove in GROOVES
    assert set(style.progressions) == {"major", "minor"}
    for a_choices, b_choices in style.progressions.values():
        assert a_choices and b_choices
        assert all(len(p) == 4 and all(0 <= d <= 6 for d in p) for p in a_choices + b_choices)
    assert set(style.places) <= set(Role)
    low, high = style.tempo_range
    assert 30 <= low < high <= 240 and 0 <= style.reverb <= 1
    check_style(style)


def test_a_style_naming_a_missing_pattern_is_a_clear_error():
    broken = dataclasses.replace(STYLES["jazz"], bass_pattern="oom-pah")
    with pytest.raises(InputError, match="unknown bass pattern 'oom-pah'; choose one of: ") \
            as error:
        check_style(broken)
    assert "walking" in str(error.value) and "\n" not in str(error.value)


def test_the_brief_names_what_the_composer_plays():
    brief = make_brief(Description("x", (), BASE, "t"), style="rock")
    assert brief.texture == STYLES["rock"].texture == "power"
    assert not hasattr(brief, "sections")  # the form depends on the length: the composer's
    # The composer plays the brief's texture: another pattern gives other chords.
    strummed = dataclasses.replace(brief, texture="strum")
    chords = [p for p in compose(brief, duration=8, seed=1).instruments if p.name == "chords"]
    other = [p for p in compose(strummed, duration=8, seed=1).instruments if p.name == "chords"]
    assert [n.pitch for n in chords[0].notes] != [n.pitch for n in other[0].notes]
    with pytest.raises(InputError, match="unknown chord pattern 'waltz'"):
        compose(dataclasses.replace(brief, texture="waltz"), duration=4, seed=1)


def test_roles_are_the_track_and_stem_names():
    midi = compose(make_brief(Description("x", (), BASE, "t"), style="cinematic"), duration=8,
                   seed=0)
    assert {part.name for part in midi.instruments} <= {role.value for role in Role}
    assert {"melody", "chords", "bass", "pulse"} <= {part.name for part in midi.instruments}


def test_style_names_are_forgiving_and_unknown_ones_list_the_choices():
    assert find_style(" Lofi ") is STYLES["lo-fi"]
    with pytest.raises(InputError, match="choose one of: cinematic, ambient"):
        find_style("polka")
