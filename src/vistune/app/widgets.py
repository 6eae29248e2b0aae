"""Pieces of the page shared by its cards and its history: safe text, the video of a piece,
the row of download buttons, and why the music sounds so in a sentence."""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

from vistune.brief import MusicBrief
from vistune.output.video import MAX_SIDE, write_video
from vistune.see.features import Features
from vistune.see.image import Picture, load_image

WORD_JOINER = "\u2060"  # invisible; keeps Markdown from finding a link in a name


def plain(text: str) -> str:
    """``text`` (a file name, caption or prompt) escaped so that Markdown shows it as written.

    Streamlit renders Markdown in captions, messages, tables and progress texts; a name such as
    ``[x](http://host/a.png)`` would otherwise become a link or a remote image. CommonMark lets
    a backslash escape every ASCII punctuation character, so all of them are escaped. GitHub's
    autolinks (``http://...``, ``www.``, ``a@b.c``) are found in the text after escapes are
    resolved, so an invisible word joiner (U+2060) splits their openings.
    """
    text = re.sub(r"(?i)(?<=h)(?=ttps?:)|(?<=w)(?=ww\.)|(?<=@)", WORD_JOINER, text)
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def video_bytes(pictures: list[Picture | bytes], audio: np.ndarray, rate: int, *,
           starts: list[float], style: str) -> bytes:
    """The MP4 of ``pictures`` (shown from ``starts`` seconds) with the music, as bytes."""
    with tempfile.TemporaryDirectory(prefix="vistune-app-") as folder:
        path = Path(folder) / "video.mp4"
        write_video(path, [load_image(p, working_size=MAX_SIDE) if isinstance(p, bytes) else p
                           for p in pictures], audio, rate, starts=starts, style=style)
        return path.read_bytes()


def downloads(stem: str, fmt: str, key: str, *, wav: bytes, audio: Callable[[], bytes],
               midi: bytes | Callable[[], bytes] | None, sidecar: dict,
               video: Callable[[], bytes] | bytes | None = None) -> None:
    """Download buttons side by side: audio in ``fmt`` (from ``audio()`` on click unless WAV),
    MIDI, the JSON sidecar and, when given, the video. A download does not rerun the page
    (an open history would close)."""
    row = st.container(horizontal=True, gap="small")  # side by side, wrapping when narrow
    button = functools.partial(row.download_button, on_click="ignore")
    button(f"Audio (.{fmt})", wav if fmt == "wav" else audio, f"{stem}.{fmt}", key=f"a:{key}")
    if midi is not None:
        button("MIDI", midi, f"{stem}.mid", key=f"m:{key}")
    text = json.dumps({**sidecar, "audio": f"{stem}.{fmt}"}, indent=2, ensure_ascii=False)
    button("JSON", text, f"{stem}.json", key=f"j:{key}")
    if video is not None:
        button("Video", video, f"{stem}.mp4", mime="video/mp4", key=f"v:{key}")


def in_a_sentence(brief: MusicBrief, features: Features) -> str:
    """Why the music sounds so, in one plain sentence: the picture's feel, then the music.

    >>> from types import SimpleNamespace as N
    >>> in_a_sentence(N(mood="reflective", tempo=71, genre="ambient", key="D", mode="major"),
    ...               N(warmth=0.67, brightness=0.38))
    'Reflective and warm, so: slow ambient in D major.'
    """
    feel = [brief.mood]
    if features.warmth > 0.2 or features.warmth < -0.2:
        feel.append("warm" if features.warmth > 0 else "cool")
    if features.brightness < 0.25 or features.brightness > 0.7:
        feel.append("dark" if features.brightness < 0.25 else "bright")
    pace = next(word for limit, word in ((76, "slow"), (100, "mid-tempo"), (126, "lively"),
                                         (float("inf"), "fast")) if brief.tempo < limit)
    said = ", ".join(feel[:-1]) + (" and " if len(feel) > 1 else "") + feel[-1]
    return f"{said.capitalize()}, so: {pace} {brief.genre} in {brief.key} {brief.mode}."
