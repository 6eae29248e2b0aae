"""Mix: where each part sits (pan, level) and the room it plays in (reverb per style).

Bass, kick and melody stay in the centre; chords and the pulse part sit either side, so the
width comes from the arrangement, not only from reverb. The chords sit lower than the melody
so nothing masks it. Reverb is a send: only what is above the bass goes into the room, so the
low end stays dry and tight. Everything here is linear, so stems sum to the mix.
"""

from __future__ import annotations

import numpy as np
import pretty_midi

#: Role -> (pan -1 left .. 1 right, channel volume 0..127).
PLACES = {"melody": (0.08, 110), "chords": (-0.35, 84), "bass": (0.0, 100),
          "pulse": (0.4, 78), "drums": (0.0, 96)}
#: Per-style changes to a role's place.
STYLE_PLACES = {("rock", "chords"): (-0.5, 90), ("lo-fi", "drums"): (0.0, 88),
                ("classical piano", "chords"): (0.0, 92), ("classical piano", "bass"): (0.0, 92),
                ("classical piano", "melody"): (0.0, 110), ("ambient", "pulse"): (0.35, 66),
                ("cinematic", "drums"): (0.0, 104)}
SEND_CUTOFF = 250.0  # Hz: below this nothing goes into the reverb


def mix_controls(role: str, genre: str) -> list[pretty_midi.ControlChange]:
    """Pan (CC10), volume (CC7) and no built-in reverb or chorus (CC91, CC93) at time 0."""
    pan, volume = STYLE_PLACES.get((genre, role), PLACES.get(role, (0.0, 90)))
    cc = pretty_midi.ControlChange
    return [cc(10, int(round(64 + 63 * pan)), 0.0), cc(7, volume, 0.0), cc(91, 0, 0.0),
            cc(93, 0, 0.0)]


def room(audio: np.ndarray, rate: int, *, size: float) -> np.ndarray:
    """Add the style's reverb (room ``size`` 0..1) as a send above the bass; linear in audio."""
    from pedalboard import HighpassFilter, HighShelfFilter, Pedalboard, Reverb

    send = Pedalboard([
        HighpassFilter(cutoff_frequency_hz=SEND_CUTOFF),
        Reverb(room_size=float(np.clip(size, 0.0, 1.0)), damping=0.45, wet_level=1.0,
               dry_level=0.0, width=1.0),
    ])
    dry = Pedalboard([HighpassFilter(cutoff_frequency_hz=28.0),
                      HighShelfFilter(cutoff_frequency_hz=7000.0, gain_db=2.0)])
    wet_level = 0.12 + 0.16 * float(np.clip(size, 0.0, 1.0))
    out = dry(audio, rate) + wet_level * send(audio, rate)
    return out.astype(np.float32, copy=False)
