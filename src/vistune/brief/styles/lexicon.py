"""The words that pick a style: the scene lexicon, mood words, and what the prompt calls each
General MIDI program."""

from __future__ import annotations

from dataclasses import dataclass

#: What the prompt calls each General MIDI program.
INSTRUMENT_WORDS = {
    "French Horn": "french horn", "String Ensemble 1": "lush strings", "Contrabass": "double bass",
    "Electric Piano 1": "electric piano", "Pad 2 (warm)": "warm synth pads",
    "Fretless Bass": "fretless bass", "Electric Guitar (jazz)": "jazz guitar",
    "Electric Bass (finger)": "bass", "Acoustic Grand Piano": "piano",
    "Lead 2 (sawtooth)": "synth lead", "Pad 3 (polysynth)": "analog synths",
    "Synth Bass 1": "synth bass", "Tenor Sax": "tenor saxophone", "Acoustic Bass": "upright bass",
    "Flute": "flute", "Acoustic Guitar (nylon)": "nylon guitar",
    "Overdriven Guitar": "overdriven guitar", "Electric Guitar (clean)": "clean electric guitar",
    "Electric Bass (pick)": "bass guitar",
}


@dataclass(frozen=True)
class Scene:
    """A kind of picture, the words that reveal it, and how it leans emotionally."""

    name: str
    style: str
    valence: float
    arousal: float
    words: frozenset[str]


def _scene(name: str, style: str, valence: float, arousal: float, words: str) -> Scene:
    return Scene(name, style, valence, arousal, frozenset(words.split()))


#: Scene lexicon, checked in order; the first scene with a matching word wins the style, and
#: the valence/arousal of every matching scene and mood word pull the colour-based mood. Words
#: cover BLIP captions ("a city street at night"), the offline captioner's grouped labels ("dog",
#: "drink", "seashore") and its pixel cues ("page of text", "stars", "texture", "portrait").
SCENES: tuple[Scene, ...] = (
    _scene("storm", "cinematic", -0.4, 0.6, "storm lightning thunder tornado fire flames smoke "
           "explosion war battle volcano"),
    _scene("documents", "lo-fi", 0.1, -0.2, "page text document book books letter writing "
           "handwriting newspaper menu crossword notebook"),
    _scene("space", "ambient", 0.1, -0.2, "space galaxy stars star planet moon astronaut rocket "
           "shuttle nebula telescope missile projectile"),
    _scene("science", "ambient", 0.1, -0.1, "microscope micrograph cell cells tissue retina "
           "bacteria"),
    _scene("night city", "lo-fi", 0.0, 0.1, "night neon nightlife streetlight"),
    _scene("concert", "rock", 0.5, 0.8, "concert stage band guitar guitarist drummer "
           "microphone instrument"),
    # Balloons, plural: a party's. One balloon is ImageNet's "balloon", a hot-air balloon.
    _scene("party", "electronic", 0.7, 0.75, "party crowd dance dancing festival balloons "
           "celebration fireworks"),
    _scene("city", "electronic", 0.2, 0.45, "city street streets skyscraper skyline traffic "
           "downtown urban streetcar cab taxi subway"),
    _scene("architecture", "classical piano", 0.3, -0.1, "building buildings architecture "
           "palace temple church cathedral castle monastery mosque tower bridge structure "
           "monument"),
    _scene("sea", "ambient", 0.35, -0.35, "sea ocean beach seashore shore coast wave waves "
           "lakeside lake sandbar harbor boat sailboat yawl catamaran island surf water"),
    _scene("landscape", "cinematic", 0.3, 0.1, "landscape mountain mountains alp alps cliff "
           "valley peak canyon promontory glacier desert"),
    _scene("snow", "classical piano", 0.05, -0.4, "snow snowy winter ice frozen ski sled igloo"),
    _scene("forest", "folk", 0.25, -0.25, "forest forests tree trees woods woodland jungle "
           "leaf leaves foliage moss fern mushroom park"),
    _scene("flowers", "classical piano", 0.55, -0.1, "flower flowers garden daisy rose roses "
           "tulip meadow field blossom bouquet"),
    _scene("sport", "rock", 0.4, 0.8, "race racing sport sports football soccer skateboard "
           "surfing ball stadium runner"),
    _scene("vehicles", "rock", 0.3, 0.5, "car cars motorcycle truck bus train vehicle bicycle "
           "aircraft airplane"),
    _scene("food", "jazz", 0.5, 0.0, "food pizza coffee espresso drink cup cake bread plate "
           "restaurant cafe bakery dinner breakfast wine fruit vegetables"),
    _scene("pets", "folk", 0.6, 0.1, "cat cats kitten dog dogs puppy"),
    _scene("animals", "cinematic", 0.3, 0.3, "animal animals bird birds horse monkey bear fish "
           "reptile insect spider"),
    _scene("people", "jazz", 0.35, 0.1, "man woman people person girl boy child children "
           "face portrait family couple"),
    # A shop, a cafe or a room is a place indoors, not evidence of a city at night (issue 24);
    # what the picture shows, above, comes first.
    _scene("indoors", "lo-fi", 0.3, -0.1, "shop cafe restaurant room interior furniture "
           "bedroom kitchen library"),
    _scene("abstract", "electronic", 0.1, 0.3, "texture textures pattern abstract"),
    _scene("sky", "cinematic", 0.4, -0.2, "sunset sunrise dusk dawn sky clouds cloud horizon"),
)

#: Styles that belong to a setting, and the evidence they need: a scene word of theirs alone
#: ("texture") is not enough unless the scene is in EVIDENT_SCENES or the pixels show it.
SETTING_STYLES = {"electronic": "neon or night colours, a city, or an abstract or synthetic "
                                "texture"}
#: Scenes whose words are the evidence themselves (a city, a party).
EVIDENT_SCENES = frozenset({"city", "party"})
#: The styles that suit most pictures: when nothing in the picture is named (or only a scene
#: without its evidence), the mood picks among these. Our choice, not research: calm moods suit
#: held pads, tense and driving ones a string pulse, sad ones strings, warm ones the piano,
#: wistful and reflective ones a lo-fi groove, joyful ones folk.
COMMON_STYLES = ("ambient", "cinematic", "classical piano", "folk", "lo-fi")
MOOD_STYLES = {"melancholic": "cinematic", "wistful": "classical piano", "tense": "cinematic",
               "calm": "ambient", "reflective": "lo-fi", "driving": "cinematic",
               "serene": "ambient", "warm": "classical piano", "joyful": "folk"}

#: Mood words: (valence, arousal) they suggest whatever the scene.
MOOD_WORDS: dict[str, tuple[float, float]] = {
    **dict.fromkeys("happy smiling smile sunny cheerful colorful colourful playful".split(),
                    (0.7, 0.4)),
    **dict.fromkeys("calm peaceful quiet serene still tranquil".split(), (0.4, -0.6)),
    **dict.fromkeys("misty foggy fog mist hazy".split(), (-0.1, -0.5)),
    **dict.fromkeys("sad lonely alone abandoned empty grave cemetery ruins".split(), (-0.6, -0.3)),
    **dict.fromkeys("dark gloomy rain rainy".split(), (-0.35, -0.1)),
    **dict.fromkeys("busy crowded running fast racing".split(), (0.2, 0.7)),
    **dict.fromkeys("scary angry danger".split(), (-0.6, 0.7)),
}
