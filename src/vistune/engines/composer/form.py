"""Form: how many bars, which section each bar belongs to, and how much energy it carries.

Sections are whole phrases of 4 or 8 bars. Short pieces are A, A A, A B A or A A B A; pieces of
a minute or more add a breakdown, a build and a bridge, so a long piece does not loop one form.
A real intro (2-4 bars) sets up the groove, and an ending bar rings the final chord.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Section labels in the order long pieces use them; the last section is always A.
LONG_FORM = ("A", "A", "B", "A", "breakdown", "build", "B", "A", "bridge", "A", "B", "A")
SHORT_FORMS = {1: ("A",), 2: ("A", "A"), 3: ("A", "B", "A"), 4: ("A", "A", "B", "A"),
               5: ("A", "B", "A", "B", "A"), 6: ("A", "A", "B", "A", "B", "A")}
#: Sections that are always 4 bars (a breath between the long phrases).
FOUR_BAR = ("breakdown", "build")
#: How full the arrangement is in each section, 0..1.
ENERGY = {"intro": 0.35, "A": 0.6, "B": 0.85, "bridge": 0.5, "breakdown": 0.3, "build": 0.7,
          "ending": 0.5}


@dataclass(frozen=True)
class Section:
    """A run of bars with one label; ``take`` counts earlier sections with the same label."""

    label: str
    bars: int
    take: int = 0


def plan_sections(bar_count: int, *, loop: bool = False) -> list[Section]:
    """Sections filling exactly ``bar_count`` bars: intro, body phrases, ending (none in a loop).

    >>> [(s.label, s.bars) for s in plan_sections(16)]
    [('intro', 4), ('A', 4), ('B', 4), ('A', 4)]
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
    sections = [Section("intro", intro)] if intro else []
    for label, length in labels:
        sections.append(Section(label, length, counts.get(label, 0)))
        counts[label] = counts.get(label, 0) + 1
    if ending:
        sections.append(Section("ending", ending))
    return sections
