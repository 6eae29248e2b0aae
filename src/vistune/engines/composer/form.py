"""Form: how many bars, which section each bar belongs to, and how much energy it carries.

Sections are whole phrases of 4 or 8 bars. Short pieces are A, A A, A B A or A A B A; pieces of
a minute or more add a breakdown, a build and a bridge, so a long piece does not loop one form.
A real intro (2-4 bars) sets up the groove, and an ending bar rings the final chord.

Over the form lies an energy arc, as library music is cut to: a sparse intro with parts
entering, an established first section, a contrast (a lift or a breakdown), a build into the
climax on the last return, and an ending that thins out. Pieces of three sections get a
smaller arc (no build). Shorter ones (half a minute at a slow tempo) have no room for a
contrast, so two sections grow instead: a sparse first section (the drums, or what keeps
time, wait) before a fuller, lower climax. A piece whose body is one phrase (half a minute of
ambient at 70 bpm) rises within it: its first half sparse, its second half lifting into the
climax (the drums, or what keeps time, enter, every part louder, held chords opened up an
octave). Shorter bodies stay established, and a loop level, so it can repeat.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

#: Section labels in the order long pieces use them; the last section is always A.
LONG_FORM = ("A", "A", "B", "A", "breakdown", "build", "B", "A", "bridge", "A", "B", "A")
SHORT_FORMS = {1: ("A",), 2: ("A", "A"), 3: ("A", "B", "A"), 4: ("A", "A", "B", "A"),
               5: ("A", "B", "A", "B", "A"), 6: ("A", "A", "B", "A", "B", "A")}
#: Sections that are always 4 bars (a breath between the long phrases).
FOUR_BAR = ("breakdown", "build")
#: Places in the energy arc -> (energy at the start, 0..1; energy gained by the last bar).
ARC = {"intro": (0.5, 0.05), "established": (0.6, 0.0), "lift": (0.75, 0.0),
       "breakdown": (0.25, 0.0), "sparse": (0.45, 0.0), "build": (0.5, 0.4),
       "climax": (1.0, 0.0), "outro": (0.45, 0.0), "level": (0.6, 0.0),
       "rise": (0.45, 0.55)}  # sparse, stepping up halfway to the climax
#: Where a section that is none of first, breakdown, build or climax sits, by its label.
MIDDLE = {"A": "established", "B": "lift", "bridge": "breakdown", "breakdown": "breakdown",
          "build": "build"}
SMALL_CLIMAX = 0.85  # the climax of a piece of two sections


@dataclass(frozen=True)
class Section:
    """A run of bars with one label; ``take`` counts earlier sections with the same label.

    ``arc`` is its place in the energy arc, ``energy`` its energy at the start (0..1) and
    ``rise`` what it gains by its last bar (a build).
    """

    label: str
    bars: int
    take: int = 0
    arc: str = "level"
    energy: float = ARC["level"][0]
    rise: float = 0.0


def plan_sections(bar_count: int, *, loop: bool = False, cut: bool = False) -> list[Section]:
    """Sections filling exactly ``bar_count`` bars: intro, body phrases, ending (none in a loop).

    ``cut``: the piece is cut before its end (a slideshow's picture leading into the next), so
    a lone phrase does not rise: its lift would not be heard.

    >>> [(s.label, s.bars) for s in plan_sections(16)]
    [('intro', 4), ('A', 4), ('B', 4), ('A', 4)]
    >>> [(s.label, s.arc) for s in plan_sections(8)], plan_sections(8, cut=True)[1].arc
    ([('intro', 'intro'), ('A', 'rise')], 'established')
    """
    intro = 0 if loop or bar_count < 6 else 2 if bar_count < 48 else 4
    body = bar_count - intro
    phrase = 8 if body >= 32 else 4
    labels: list[tuple[str, int]] = []
    remaining = body
    if body < 4:
        labels.append(("A", body))
        remaining = 0
    elif body // phrase in SHORT_FORMS and body % phrase < 4:
        for label in SHORT_FORMS[body // phrase]:
            labels.append((label, phrase))
        remaining = body - phrase * len(labels)
    else:
        index = 0
        while remaining >= 4:
            label = LONG_FORM[index] if index < len(LONG_FORM) else (
                "breakdown", "build", "B", "A")[(index - len(LONG_FORM)) % 4]
            length = 4 if label in FOUR_BAR or remaining < phrase else phrase
            labels.append((label, length))
            remaining -= length
            index += 1
        if labels[-1][0] != "A":
            labels[-1] = ("A", labels[-1][1])
    # Leftover bars (0-3) lengthen the intro up to 4 bars, then the ending; a loop's last phrase.
    if loop and remaining:
        labels[-1] = (labels[-1][0], labels[-1][1] + remaining)
        remaining = 0
    grow = min(remaining, max(0, 4 - intro)) if intro else 0
    intro, ending = intro + grow, remaining - grow
    counts: dict[str, int] = {}
    places = ["level"] * len(labels) if loop else arc([label for label, _ in labels])
    if len(labels) == 1 and labels[0][1] >= 4 and not (loop or cut):
        places = ["rise"]  # a lone phrase grows: its second half lifts
    sections = [_placed(Section("intro", intro), "intro")] if intro else []
    for (label, length), where in zip(labels, places, strict=True):
        section = _placed(Section(label, length, counts.get(label, 0)), where)
        if where == "climax" and len(labels) <= 2:
            section = dataclasses.replace(section, energy=SMALL_CLIMAX)
        sections.append(section)
        counts[label] = counts.get(label, 0) + 1
    if ending:
        sections.append(_placed(Section("ending", ending), "outro"))
    return sections


def arc(labels: list[str]) -> list[str]:
    """Each body section's place in the energy arc: the last is the climax, led into by a
    build and, before that, a breakdown (as many as the piece has room for); the first is
    established, or sparse when only the climax follows; the others by their label
    (:data:`MIDDLE`).

    >>> arc(["A", "B", "A", "B", "A"])
    ['established', 'lift', 'breakdown', 'build', 'climax']
    >>> arc(["A", "A", "B", "A"])
    ['established', 'breakdown', 'build', 'climax']
    >>> arc(["A", "B", "A"]), arc(["A", "A"]), arc(["A"])
    (['established', 'breakdown', 'climax'], ['sparse', 'climax'], ['established'])
    """
    count = len(labels)
    places = [MIDDLE.get(label, "established") for label in labels]
    if count >= 2:
        places[-1] = "climax"
    if count >= 3:
        places[-2] = "build" if count >= 4 else "breakdown"
    if count >= 4:
        places[-3] = "breakdown"
    if count:
        places[0] = "sparse" if count == 2 else "established"
    return places


def _placed(section: Section, place: str) -> Section:
    energy, rise = ARC[place]
    return dataclasses.replace(section, arc=place, energy=energy, rise=rise)


def place(section: Section, position: int) -> str:
    """Where bar ``position`` of ``section`` sits in the energy arc: the section's place,
    except in a section that rises, whose first half is sparse and second half the climax.

    >>> [place(Section("A", 4, arc="rise"), k) for k in range(4)]
    ['sparse', 'sparse', 'climax', 'climax']
    """
    if section.arc != "rise":
        return section.arc
    return "sparse" if position < section.bars // 2 else "climax"


def bar_energy(section: Section, position: int) -> float:
    """The energy (0..1) of bar ``position`` of ``section``: a build grows bar by bar to its
    ``rise``; a section that rises steps up by it halfway.

    >>> [bar_energy(_placed(Section("A", 4), "rise"), k) for k in range(4)]
    [0.45, 0.45, 1.0, 1.0]
    """
    if section.arc == "rise":
        return section.energy + (section.rise if place(section, position) == "climax" else 0.0)
    return section.energy + section.rise * position / max(1, section.bars - 1)
