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


def test_the_sidecar_lists_the_sections(offline_pipe, tmp_path):
    result = offline_pipe(EXAMPLES / "forest.jpg", duration=20, seed=1)
    path = result.save(tmp_path / "forest.wav")
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sections = sidecar["sections"]
    assert [s["label"] for s in sections][0] == "intro"
    assert set(sections[0]) == {"label", "arc", "start", "end", "bars", "energy", "parts"}
    assert sections[-1]["end"] == pytest.approx(20.0)
    assert all(set(s["parts"]) <= {part.name for part in result.midi.instruments}
               for s in sections)


def test_a_slideshows_sidecar_lists_every_pictures_sections_on_its_timeline(offline_pipe,
                                                                            tmp_path):
    pictures = [EXAMPLES / name for name in ("forest.jpg", "sunset.jpg", "city_night.jpg")]
    show = slideshow(offline_pipe, pictures, seconds_per_image=12.0, seed=0)
    path = show.save(tmp_path / "show.wav")
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sections, slides = sidecar["sections"], sidecar["slides"]
    # In order, one after another, covering the whole show from 0 to its end.
    assert sections[0]["start"] == 0.0 and sections[-1]["end"] == 36.0
    assert all(a["end"] == b["start"] and a["start"] < a["end"]
               for a, b in zip(sections, sections[1:], strict=False))
    # Each picture's own sections: its music opens one at its start, none runs past its end.
    assert {s["start"] for s in slides} <= {s["start"] for s in sections}
    ends = [s["start"] + s["seconds"] for s in slides]
    assert all(any(s["end"] == end for s in sections) for end in ends)
    # A picture's score is written past its cut (its ending is never heard): only the bars
    # played before the cut are counted, so no picture claims more bars than fit its time.
    for slide, end in zip(show.slides, ends, strict=True):
        own = [s for s in sections if slide.start <= s["start"] < end]
        bar = slide.brief.meter * 60 / slide.brief.tempo
        assert sum(s["bars"] for s in own) <= 12 / bar + 1.5
    # The parts named are the ones the show's MIDI plays there.
    for section in sections:
        heard = {part.name for part in show.midi.instruments
                 if any(section["start"] - 0.05 <= n.start < section["end"] - 0.05
                        for n in part.notes)}
        assert set(section["parts"]) <= heard, section
