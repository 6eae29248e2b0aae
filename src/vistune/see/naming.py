"""Naming: every rule a classifier's label meets before a caption names it.

:class:`~vistune.see.classifier.ImageNetClassifier` gives each ImageNet class a probability;
here those are grouped (``group_labels``: "dog" for 118 breeds, with JOINS, DOUBTFUL, READ_AS,
NEW_GROUPS shaping the groups), and ``describe_scene`` names the top label only when the
classifier is sure of it (thresholds, leads, CATCH_ALL, NESTED, DOUBTFUL, GROUP_WORD_ONLY)
and no pixel cue says more plainly what the picture shows. Whether the picture is indoors or
outdoors is :mod:`vistune.see.setting`.
"""

from __future__ import annotations

import numpy as np

from .classifier import TOP_LABELS, Group, Label, group_of
from .features import Features

#: Below this probability a group of classes (all dogs, all cars) is not named in the caption, and
#: its label does not pick the scene: the classifier is guessing.
MIN_LABEL_SCORE = 0.4
#: A single ImageNet class that belongs to no group must be surer than that to be named.
MIN_CLASS_SCORE = 0.6
#: In a colourless picture the classifier lacks half its evidence (ImageNet is in colour; grey
#: microscope and moon shots read as "nematode"), so anything it names must be this sure.
MIN_GREY_SCORE = 0.8
#: Colourless is a picture with no colour at all (a grey scan, a micrograph, a black-and-white
#: photograph: JPEG's rounding leaves at most this mean saturation). Muted colour is still
#: colour: sand, fog, frost and snow are pale but coloured in ImageNet's photographs too, so the
#: classifier has its evidence (a snake on sand: mean saturation 0.04, "reptile" 74%).
GREY_SATURATION = 0.01
#: A class that is confident alone (MIN_CLASS_SCORE) and holds this share of its group's
#: probability keeps its own name ("espresso"): the group adds no mass it lacks. (Fine-named
#: groups, landscapes, need half.)
OWN_NAME_SHARE = 0.8
#: ImageNet splits some families into many look-alike classes (59 birds, 118 dogs, 36
#: reptiles, 14 buildings by their use): a brambling and a robin, a planetarium and an office
#: block differ in details the classifier often misreads, while it rarely mistakes the family.
#: A wrong name is worse than none (the music follows it), so in a group of at least
#: LOOK_ALIKES classes the leading one keeps its own name only when NEAR_CERTAIN ("Pekinese"
#: at 94%); below, the family's word is the safe name ("a bird"). A class with few or no
#: look-alikes (espresso, lemon, cheetah) keeps the rules above.
LOOK_ALIKES = 11
NEAR_CERTAIN = 0.9
#: The classifier is unsure when its top thing is not this many times as likely as the next:
#: "an insect" at 45% beside "a flower" at 30% is a guess between two things.
MIN_LEAD = 2.0
#: A grouped thing below the thresholds above is still named when it is at least CLEAR_SCORE
#: likely and CLEAR_LEAD times as likely as anything else (a daisy at 33%, the next at 12%).
CLEAR_SCORE = 0.3
CLEAR_LEAD = 2.5
#: Groups that gather unlike things (WordNet's leftovers: "animal" holds flatworms and
#: koalas, "structure" altars and honeycombs, "vehicle" bobsleds and forklifts). A clear lead
#: of one of them is many small guesses added up, so they are named only at MIN_LABEL_SCORE.
CATCH_ALL = ("animal", "structure", "vehicle", "clothing", "food")
#: Groups that name one scene at two scales, so the second does not compete with the first
#: for the lead: a shop is in a building, and ImageNet's shops, cinemas, restaurants and
#: libraries are the same shop fronts and rooms (a café reads as bakery, cinema and tobacco
#: shop at once). A flower is a flower or leaf: the insects ImageNet photographs on flowers
#: (READ_AS) agree with a flower the classifier names, rather than rival it.
NESTED = (frozenset({"shop", "building"}), frozenset({"flower", "flower or leaf"}))
#: Things the classifier reads into close-ups and surfaces, because ImageNet photographs them
#: against one or as one: bees and butterflies sit on flowers and leaves, fish swim in
#: blue-green water, a coral reef is rough texture filling the frame, and a menu is rows of
#: print (lit windows in rows read as one); so a flower close-up reads as "cabbage butterfly",
#: frost on a window as "stingray" or "coral reef", and a tower block at night as "menu".
#: These are named only when SURE_SCORE likely, and only by one class (or a group whose
#: classes agree on one): no group's summed probability is evidence of them, so they stand
#: alone (a menu is then no "food" either)...
DOUBTFUL = ("insect", "fish", "coral reef", "brain coral", "menu")
#: ...unless the sum says what they are photographed on: a flower or leaf close-up spreads its
#: probability over many insects (heather: "cabbage butterfly" 41%, "bee" 15%, "monarch" 11%),
#: while a real insect gets one species. Group -> (name, phrase) the sum is read as.
READ_AS = {"insect": ("flower or leaf", "a flower or leaf, close up")}
#: ...but one species holding this share of the sum is an insect seen as one (a fritillary
#: butterfly on a stem: "lycaenid" 59% of 86%), if not a sure species: the group's own word
#: names it ("an insect"), and only when SURE_SCORE likely, as DOUBTFUL things are.
ONE_SPECIES = 2 / 3
_READ_FROM = {name: group for group, (name, _) in READ_AS.items()}
#: Classes ImageNet uses for a whole family of look-alikes, so its name is a guess between
#: them: "studio couch" (a sofa bed) is its only sofa and its only plain bed, so any bed or
#: sofa reads as one. They never keep their own name; their group's word ("furniture") is
#: true of every member of the family.
GROUP_WORD_ONLY = ("studio couch",)
#: Classes that join another group for captions, because a photograph of them shows that
#: thing. Garments that ImageNet photographs worn (its suits, uniforms, gowns and jerseys are
#: on people) are evidence of a person; things often photographed alone (socks, mittens,
#: masks, wigs, helmets, seat belts) are left out. Houses, towers and roofs from other groups
#: or none (a yurt is a "structure", a mobile home a "vehicle") are a building: when the
#: classifier cannot tell a yurt from a mobile home or a boathouse, it still sees a building.
#: Bridges, dams and monuments are left out: nobody calls them a building. WordNet's
#: buildings that ImageNet photographs from inside (its restaurants, libraries and home
#: theaters are rooms of tables, shelves and screens) are a room, and indoors. A horse cart
#: or an oxcart is photographed with the animal that pulls it, and ImageNet's beer glasses
#: and pop, beer and wine bottles are full: an animal, a drink (so a glass of pink soda read as
#: "pop bottle" and "beer glass" is a drink). Vessels often shown empty (water bottles,
#: goblets, jugs) and sleds (a dogsled is snow as often as dogs) are left out. WordNet files
#: the cardoon under vegetables, but ImageNet photographs it in bloom, a thistle's flower head
#: (artichokes are photographed as food, and stay).
JOINS = {
    "person": ("abaya", "academic gown", "bearskin", "bikini", "bolo tie", "bonnet", "bow tie",
               "bulletproof vest", "cardigan", "cowboy hat", "feather boa", "fur coat", "gown",
               "hoopskirt", "jean", "jersey", "kimono", "lab coat", "maillot",
               "maillot tank suit", "military uniform", "miniskirt", "mortarboard",
               "overskirt", "pajama", "poncho", "sarong", "sombrero", "stole", "suit",
               "sweatshirt", "swimming trunks", "trench coat", "vestment", "Windsor tie"),
    "building": ("beacon", "bell cote", "castle", "cliff dwelling", "dome", "mobile home",
                 "prison", "thatch", "tile roof", "vault", "water tower", "yurt"),
    "room": ("home theater", "library", "restaurant"),
    "animal": ("horse cart", "oxcart"),
    "drink": ("beer bottle", "beer glass", "pop bottle", "wine bottle"),
    "flower": ("cardoon",),
}
#: Groups of JOINS that WordNet's groups lack, and their phrases.
NEW_GROUPS = {"room": "a room"}


def group_labels(probs: np.ndarray, class_names: list[str], groups: tuple[Group, ...],
                 top_k: int = TOP_LABELS) -> tuple[Label, ...]:
    """The ``top_k`` most likely things: each group's probabilities summed, other classes alone.

    A group is labelled by its leading class ("espresso" rather than "drink") when that class
    alone is at least MIN_CLASS_SCORE likely (NEAR_CERTAIN among LOOK_ALIKES) and holds at
    least OWN_NAME_SHARE of the group's probability; a fine-named group (landscapes) whenever
    it holds half ("seashore"). A group READ_AS another thing is its own word ("insect") when
    one class holds ONE_SPECIES of it.

    >>> p = np.zeros(4); p[:3] = 0.3
    >>> group_labels(p, ["pug", "beagle", "cup", "tench"], (Group("dog", "a dog", False, (0, 1)),))
    (Label(name='dog', score=0.6), Label(name='cup', score=0.3), Label(name='tench', score=0.0))
    """
    scores: dict[str, float] = {}
    grouped: set[int] = set()
    for group in groups:
        members = probs[list(group.classes)]
        total = float(members.sum())
        name = group.name
        needed = 0.5 * total if group.fine_named else max(
            OWN_NAME_SHARE * total,
            NEAR_CERTAIN if len(group.classes) >= LOOK_ALIKES else MIN_CLASS_SCORE)
        if (members.size and members.max() >= needed > 0
                and class_names[group.classes[int(members.argmax())]] not in GROUP_WORD_ONLY):
            name = class_names[group.classes[int(members.argmax())]]
        elif group.name in _READ_FROM and members.size and members.max() >= ONE_SPECIES * total:
            name = _READ_FROM[group.name]
        scores[name] = total
        grouped.update(group.classes)
    for index, name in enumerate(class_names):
        if index not in grouped:
            scores[name] = scores.get(name, 0.0) + float(probs[index])
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:top_k]
    return tuple(Label(name, round(score, 4)) for name, score in best)


def caption_groups(groups: tuple[Group, ...], class_names: list[str]) -> tuple[Group, ...]:
    """The groups a caption sums: the classes in JOINS move to their group, and the DOUBTFUL
    groups are read as READ_AS says or else dissolved, so that each of their classes (and
    each DOUBTFUL class) stands alone. NEW_GROUPS are added, and empty groups left out.

    >>> groups = (Group("person", "a person", False, (0,)),
    ...           Group("clothing", "clothes", False, (1, 2)),
    ...           Group("fish", "a fish", False, (3,)))
    >>> g = caption_groups(groups, ["groom", "suit", "sock", "tench"])
    >>> [(x.name, x.classes) for x in g]
    [('person', (0, 1)), ('clothing', (2,))]
    """
    joins = {i: group for group, names in JOINS.items()
             for i, name in enumerate(class_names) if name in names}
    moved = joins.keys() | {i for i, name in enumerate(class_names) if name in DOUBTFUL}
    made = (Group(*READ_AS.get(g.name, (g.name, g.phrase)), g.fine_named,
                  tuple(i for i in g.classes if i not in moved)
                  + tuple(i for i, target in joins.items() if target == g.name))
            for g in groups + tuple(Group(name, phrase, False, ())
                                    for name, phrase in NEW_GROUPS.items())
            if g.name not in DOUBTFUL or g.name in READ_AS)
    return tuple(g for g in made if g.classes)


#: What a caption calls each pixel cue, when it names no thing, and when it does.
_CUE_ALONE = {"water": "water", "portrait": "a portrait of a person",
              "page of text": "a page of text", "stars": "stars in a black sky",
              "night sky": "a night sky",
              "sunset sky": "a sunset sky", "blue sky": "a blue sky", "foliage": "green foliage",
              "snow": "snow", "texture": "an abstract texture",
              "retina": "the retina at the back of an eye",
              "stained tissue": "stained tissue under a microscope",
              "cells": "glowing cells under a microscope",
              "coins": "coins or similar metal discs"}
_CUE_WITH = {"stars": "among stars", "night sky": "under a night sky",
             "sunset sky": "under a sunset sky", "blue sky": "under a blue sky",
             "foliage": "among green foliage", "snow": "in snow", "water": "by water"}
#: Pixel cues (or pairs of them) that say what the picture is more surely than a label can.
_CUE_WINS = (("stars",), ("sunset sky", "water"))
#: Pixel cues that overrule a label below CONFIDENT_SCORE: the classifier knows no pages,
#: micrographs or coins and guesses ("maze", "nematode", "lampshade", never above 0.5 on
#: them), but a confident thing beats a pixel pattern it shares: a sure "golf ball" beats round
#: white discs, furniture at 76% a white quilt's rows of small dark marks, a landscape at 67%
#: a brown and violet tint.
_CUE_WINS_UNLESS_CONFIDENT = ("page of text", "retina", "stained tissue", "cells", "coins")
CONFIDENT_SCORE = MIN_CLASS_SCORE
#: Cues for things no photograph of people shows (micrographs, a retina, coins). ImageNet
#: knows people well (by what they wear), so when its best guess is a person at least
#: MIN_LABEL_SCORE likely, such a cue is skin, a beard or a backdrop read as a pattern (a
#: bearded man's portrait as "stained tissue"), and it names nothing.
_NOT_WITH_PEOPLE = ("retina", "stained tissue", "cells", "coins")
#: Printed things ImageNet knows: when the classifier is confident of one of them, it agrees
#: with a page-of-text cue, which says more plainly what the picture shows.
PRINTED = ("book jacket", "comic book", "crossword puzzle", "envelope", "menu", "web site")
SURE_SCORE = 0.8
#: Things a portrait cue may stand with (an animal's fur can look like skin; a person is a person).
#: When one of them is the classifier's best guess, even an unsure one, the skin tones are more
#: likely fur or petals (a pale daisy), and the cue says nothing.
_PORTRAIT_YIELDS_TO = ("dog", "cat", "big cat", "bear", "monkey", "bird", "animal", "flower",
                       "flower or leaf")
#: Skin tones alone are no person: low sun in mist, coffee, wood, sand and warm lamplight have
#: the same colours. A portrait also needs the classifier to see a person: people (ImageNet
#: knows them by what they wear) or clothes among its top labels, at least this likely.
PORTRAIT_EVIDENCE = 0.1
_PEOPLE = ("person", "clothing")


def describe_scene(labels: tuple[Label, ...], features: Features,
                   phrases: dict[str, str] | None = None) -> str:
    """Caption from labels and the scene cues in ``features``; a thing is named only when sure.

    ``phrases`` gives how a caption names a label ("dog" -> "a dog"); others get an article.

    >>> f = Features(0.6, 0.3, 0.2, 0.2, 0.3, 0.1, (), (0.5,) * 16, (0.5,) * 16)
    >>> describe_scene((Label("cat", 0.8),), f, {"cat": "a cat"})
    'a photo of a cat, in warm, soft light with muted colours'
    >>> describe_scene((Label("brass", 0.2),), f)
    'a picture in warm, soft light with muted colours'
    """
    phrases = phrases or {}
    cues = [c.name for c in features.cues]
    thing = _sure_thing(labels, phrases, grey=features.saturation <= GREY_SATURATION)
    unsure = not labels or labels[0].score < CONFIDENT_SCORE
    if "portrait" in cues and (not labels or _kind(labels[0].name) in _PORTRAIT_YIELDS_TO
                               or not _sees_people(labels, phrases)):
        cues.remove("portrait")
    if (labels and labels[0].score >= MIN_LABEL_SCORE
            and _is_people(labels[0].name, phrases)):
        cues = [c for c in cues if c not in _NOT_WITH_PEOPLE]
    one_place = (bool(labels) and _kind(labels[0].name) == "landscape"
                 and labels[0].name != "landscape")
    if "texture" in cues and labels and (labels[0].score >= CLEAR_SCORE or one_place):
        # A thing, if an unsure one: a busy scene, not a pattern. One landscape at any score
        # too: a rock face or a scree slope fills the frame in one colour as a texture does,
        # and the classifier sees that place (a cliff at 22%). Landscapes spread over alp,
        # cliff and volcano with none holding half (group_labels says "landscape") are a
        # pattern read as terrain at some scale, and the texture stays.
        cues.remove("texture")
    if (any(set(pair) <= set(cues) for pair in _CUE_WINS)
            or (unsure and set(_CUE_WINS_UNLESS_CONFIDENT) & set(cues))
            or ("page of text" in cues and labels[0].name in PRINTED)
            or ("portrait" in cues and _kind(thing) not in _PORTRAIT_YIELDS_TO)):
        thing = None
    light = features.summary()
    if thing is None:
        if not cues:
            return f"a picture in {light}"
        return f"{' with '.join(_CUE_ALONE[c] for c in cues[:2])}, in {light}"
    subject = phrases.get(thing) or _with_article(thing)
    setting = next((_CUE_WITH[c] for c in cues if c in _CUE_WITH), "")
    return f"a photo of {subject}{' ' + setting if setting else ''}, in {light}"


def _sees_people(labels: tuple[Label, ...], phrases: dict[str, str]) -> bool:
    """Whether people or clothes are among ``labels`` at least PORTRAIT_EVIDENCE likely."""
    return any(label.score >= PORTRAIT_EVIDENCE and _is_people(label.name, phrases)
               for label in labels)


def _is_people(name: str, phrases: dict[str, str]) -> bool:
    """Whether a label is people: a person, clothes, or a garment worn (JOINS)."""
    return _kind(name) in _PEOPLE or phrases.get(name) == "a person"


def _kind(name: str | None) -> str | None:
    """A class's group ("cheetah" -> "big cat"), or the name itself."""
    return name and (group_of(name) or name)


def _sure_thing(labels: tuple[Label, ...], phrases: dict[str, str], *,
                grey: bool) -> str | None:
    """The top label's name if the classifier is sure of it, else None.

    Sure: at least as likely as the label's threshold and MIN_LEAD times the next label not
    NESTED with it (or, in colour, a grouped thing outside CATCH_ALL CLEAR_SCORE likely and
    CLEAR_LEAD times that label), or SURE_SCORE likely; a DOUBTFUL thing only when SURE_SCORE
    likely.
    """
    if not labels:
        return None
    top = labels[0]
    if {top.name, _kind(top.name)} & set(DOUBTFUL) and top.score < SURE_SCORE:
        return None
    rivals = [label.score for label in labels[1:]
              if frozenset({_kind(top.name), _kind(label.name)}) not in NESTED]
    lead = top.score / max(rivals[0] if rivals else 0.0, 1e-9)
    needed = (MIN_GREY_SCORE if grey else MIN_LABEL_SCORE if top.name in phrases
              else MIN_CLASS_SCORE)
    sure = (top.score >= SURE_SCORE or (top.score >= needed and lead >= MIN_LEAD)
            # The clear lead is for things a group names: a class no group holds has its
            # look-alikes ungrouped too ("pop bottle" beside "beer glass", "water bottle",
            # "perfume"), so its lead over the next one alone overstates how sure it is; and a
            # catch-all group (CATCH_ALL) sums unlike things: 30% of it is small guesses.
            or (not grey and top.name in phrases and top.name not in CATCH_ALL
                and top.score >= CLEAR_SCORE and lead >= CLEAR_LEAD))
    return top.name if sure else None



def caption_phrases(groups: tuple[Group, ...], class_names: list[str]) -> dict[str, str]:
    """How a caption names each label: a group by its phrase, a member named on its own
    ("espresso") with an article (it is judged as its group is), and a worn garment named
    alone ("suit") as a person."""
    return ({class_names[i]: _with_article(class_names[i]) for g in groups for i in g.classes}
            | {g.name: g.phrase for g in groups}
            | dict.fromkeys(JOINS["person"], "a person"))


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"

