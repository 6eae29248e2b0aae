"""Electronic synthwave: a saw lead over pumping polysynth pads, a 16th arpeggiator, an
off-beat synth bass and four on the floor."""

from .spec import POP, Style

STYLE = Style(
    name="electronic", words="electronic synthwave",
    melody="Lead 2 (sawtooth)", chords="Pad 3 (polysynth)", bass="Synth Bass 1", drums=True,
    tempo_range=(100, 128),
    texture="pump", bass_pattern="offbeat", groove="four",
    progressions=POP,
    pulse="arp16", pulse_program="Lead 1 (square)",
    sevenths=True, chord_range=(55, 72), centre=74, density=0.15, looseness=0.003, pump=True,
    sways="arpeggio",
    reverb=0.55,
)
