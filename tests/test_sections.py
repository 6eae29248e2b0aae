"""The sidecar's ``sections``: what the composer played, when, and how full (issue 24)."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES

from vistune import make_brief
from vistune.engines.composer import ComposerEngine, count_bars
from vistune.engines.composer.synth import BUNDLED
from vistune.see.features import Features
from vistune.see.labels import Description
from vistune.slideshow import slideshow


def _brief(style: str):
    features = Features(brightness=0.5, contrast=0.3, saturation=0.3, colourfulness=0.3,
                        warmth=0.0, edge_density=0.12, palette=(), profile=(0.5,) * 16,
                        horizon=(0.5,) * 16)
    return make_brief(Description("a forest", (), features, "test"), style=style)


@pytest.fixture(scope="module")
def engine():
    return ComposerEngine(BUNDLED, workers=0)


@pytest.mark.parametrize("style", ["jazz", "electronic"])
def test_a_minutes_sections_cover_it_in_order_with_what_plays_in_each(engine, style):
    brief = _brief(style)
    [track] = engine.render(brief, duration=60, seed=0)
    sections = track.sections
    assert sections[0].start == 0.0 and sections[-1].end == 60.0
    assert all(a.end == b.start and a.start < a.end for a, b in zip(sections, sections[1:],
                                                                     strict=False))
    assert sum(s.bars for s in sections) == count_bars(brief, 60)
    arcs = [s.arc for s in sections]
    assert arcs[0] == "intro" and "breakdown" in arcs and "climax" in arcs
    breakdown, climax = sections[arcs.index("breakdown")], sections[arcs.index("climax")]
    assert breakdown.energy < climax.energy - 0.3
    assert "drums" in climax.parts and "drums" not in breakdown.parts
    # Each section's parts are the MIDI tracks with notes there (humanised: up to 30 ms early).
    for section in sections:
        heard = {part.name for part in track.midi.instruments
                 if any(section.start - 0.04 <= n.start < section.end - 0.04
                        for n in part.notes)}
        assert set(section.parts) == heard, section
    # The times are the performed ones: the ritardando stretches the last bars.
    bar = brief.meter * 60 / brief.tempo
    assert sections[-2].end - sections[-2].start == pytest.approx(sections[-2].bars * bar,
                                                                  rel=0.05)


def test_a_loop_has_level_sections(engine):
    [track] = engine.render(_brief("lo-fi"), duration=12, seed=0, loop=True)
    assert {s.arc for s in track.sections} == {"level"}
    assert track.sections[-1].end == pytest.approx(track.duration)


def test_the_sidecar_lists_the_sections_and_a_slideshow_leaves_them_out(offline_pipe,
                                                                        tmp_path):
    result = offline_pipe(EXAMPLES / "forest.jpg", duration=20, seed=1)
    path = result.save(tmp_path / "forest.wav")
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sections = sidecar["sections"]
    assert [s["label"] for s in sections][0] == "intro"
    assert set(sections[0]) == {"label", "arc", "start", "end", "bars", "energy", "parts"}
    assert sections[-1]["end"] == pytest.approx(20.0)
    assert all(set(s["parts"]) <= {part.name for part in result.midi.instruments}
               for s in sections)
    pictures = [EXAMPLES / "forest.jpg", EXAMPLES / "sunset.jpg"]
    show = slideshow(offline_pipe, pictures, seconds_per_image=3.0, seed=0)
    assert "sections" not in show.to_dict() and len(show.to_dict()["slides"]) == 2
