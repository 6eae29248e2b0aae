"""Ambient: electric piano over warm pads, a vibraphone arpeggio, a shaker, a long reverb."""

from .spec import POP, Role, Style

STYLE = Style(
    name="ambient", words="ambient",
    melody="Electric Piano 1", chords="Pad 2 (warm)", bass="Fretless Bass", drums=False,
    tempo_range=(56, 84),
    texture="pad", bass_pattern="long", groove="soft",
    progressions=POP,
    pulse="arpeggio", pulse_program="Vibraphone",
    ninths=True, chord_range=(52, 69), centre=74, density=-0.15, looseness=0.014, swell=True,
    reverb=0.95, places={Role.PULSE: (0.35, 66)},
)
