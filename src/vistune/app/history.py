"""The session's history: the last pieces made, kept as encoded files (no float arrays), to
play and download again."""

from __future__ import annotations

import dataclasses
import functools
import io
from pathlib import Path

import soundfile
import streamlit as st

from vistune import Result
from vistune.app.widgets import downloads, plain, video_bytes
from vistune.output.audio import encode_audio
from vistune.output.video import MAX_SIDE
from vistune.see.image import Picture, load_image

HISTORY_SIZE = 10  # pieces the session's history keeps, newest first
#: Larger uploads are kept in the history as a JPEG at video size, not as they came.
HISTORY_FILE_BYTES = 4_000_000


@dataclasses.dataclass(frozen=True)
class Made:
    """One piece of the session's history: its encoded audio and files, no float arrays."""

    name: str
    take: int
    seed: int
    prompt: str
    wav: bytes
    midi: bytes | None
    sidecar: dict
    #: The pictures (JPEG or the uploaded file) and their start times, for its video.
    pictures: tuple[bytes, ...] = ()
    starts: tuple[float, ...] = (0.0,)


def kept(picture: bytes | Picture) -> bytes:
    """What the history keeps of a picture for its video: a small upload as it came, else
    a JPEG at video size."""
    if isinstance(picture, bytes) and len(picture) <= HISTORY_FILE_BYTES:
        return picture
    image = picture.image if isinstance(picture, Picture) else load_image(
        picture, working_size=MAX_SIDE).image
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def remember(name: str, results: list[Result], wavs: list[bytes],
              sidecars: list[dict] | None = None, *, pictures: tuple[bytes, ...] = (),
              starts: tuple[float, ...] = (0.0,)) -> None:
    """Add the pieces to the session's history, which keeps the last HISTORY_SIZE, with the
    ``pictures`` (shown from ``starts`` seconds) their videos need."""
    sidecars = sidecars or [r.to_dict() for r in results]
    made = [Made(name, r.take, r.seed, r.prompt, wav, r.midi_bytes() if r.midi else None,
                 sidecar, pictures, starts)
            for r, wav, sidecar in zip(results, wavs, sidecars, strict=True)]
    state = st.session_state
    state["history"] = [*state.get("history", []), *made][-HISTORY_SIZE:]
    state["made"] = state.get("made", 0) + len(made)


def show_history(fmt: str, video_style: str) -> None:
    """The last pieces this session made, newest first, to play and download again."""
    history: list[Made] = st.session_state.get("history", [])
    if not history:
        return
    first = st.session_state["made"] - len(history) + 1
    with st.expander(f"This session's music (the last {len(history)})"):
        for number, made in reversed(list(enumerate(history, first))):
            st.markdown(plain(f"{number}. {made.name}, take {made.take + 1}, seed {made.seed}"))
            st.caption(plain(made.prompt))
            st.audio(made.wav, format="audio/wav")
            downloads(f"{Path(made.name).stem}-{number}", fmt, f"history:{number}",
                       wav=made.wav, audio=functools.partial(_reencode, made.wav, fmt),
                       midi=made.midi, sidecar=made.sidecar,
                       video=functools.partial(history_video, made, video_style)
                       if made.pictures else None)  # made on click


def history_video(made: Made, style: str) -> bytes:
    """The MP4 of a history entry: its pictures with its music."""
    audio, rate = soundfile.read(io.BytesIO(made.wav), dtype="float32", always_2d=True)
    return video_bytes(list(made.pictures), audio.T, rate, starts=list(made.starts), style=style)


def _reencode(wav: bytes, fmt: str) -> bytes:
    """A WAV of the history in another format (the history keeps no float audio)."""
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    return encode_audio(audio.T, rate, f".{fmt}")
