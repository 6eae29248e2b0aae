"""The VisTune web app (Streamlit): widgets, caching and calls into the package, nothing more.

Run with ``vistune app`` or ``streamlit run src/vistune/app.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

from vistune import ImageToMusic, VisTuneError
from vistune.audio import FORMATS, encode_audio, picture
from vistune.cli import app_options
from vistune.image import DEFAULT_MAX_PIXELS, Picture, load_image
from vistune.models import can_load
from vistune.pipeline import CAPTIONERS, ENGINES, MAX_DURATION, MAX_VARIATIONS
from vistune.styles import STYLES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"  # present in a source checkout
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff"]


@st.cache_resource(show_spinner="Loading models...")
def pipeline(engine: str, captioner: str, caption_model: str, music_model: str,
             sampling: tuple) -> ImageToMusic:
    """One ImageToMusic per settings, shared by every session of this process."""
    guidance, temperature, top_k, top_p = sampling
    return ImageToMusic(engine=engine, captioner=captioner, caption_model=caption_model,
                        music_model=music_model, guidance_scale=guidance,
                        temperature=temperature, top_k=top_k, top_p=top_p)


@st.cache_resource
def generation_lock() -> threading.Lock:
    """Sessions compose one at a time, so each gets its own complete, correct result."""
    return threading.Lock()


def _settings() -> dict:
    """The sidebar; returns the chosen settings."""
    side = st.sidebar
    side.header("Settings")
    start = app_options(sys.argv[1:])  # vistune app passes its options after --
    engine = side.selectbox("Engine", ENGINES, index=ENGINES.index(start.engine),
                            help="composer works offline; musicgen is Meta's neural model")
    captioner = side.selectbox("Captioner", CAPTIONERS, index=CAPTIONERS.index(start.captioner),
                               help="labels works offline; blip is Salesforce's captioner")
    caption_model = side.text_input("Caption model", start.caption_model)
    music_model = side.text_input("Music model", start.music_model)
    for choice, model, fallback in ((captioner, caption_model, "labels"),
                                    (engine, music_model, "composer")):
        if choice in ("blip", "musicgen") and not can_load(model):
            side.warning(f"{model} is not available here. Run `vistune download {model}` "
                         f"where there is network, or choose {fallback}.")
    duration = side.slider("Duration (seconds)", 1, int(MAX_DURATION),
                           min(max(start.duration, 1), int(MAX_DURATION)))
    if side.button("New seed"):
        st.session_state.seed = secrets.randbelow(2**31)
    seed = side.number_input("Seed", 0, 2**32 - 1, key="seed")
    variations = side.number_input("Variations", 1, MAX_VARIATIONS, 1)
    style = side.selectbox("Style", ["from the picture", *STYLES])
    fmt = side.selectbox("Download format", [f[1:] for f in FORMATS])
    with side.expander("MusicGen sampling"):
        use_own = st.checkbox("Use the checkpoint's defaults", value=True)
        sampling = (None, None, None, None) if use_own else (
            st.slider("Guidance scale", 1.0, 10.0, 3.0), st.slider("Temperature", 0.1, 2.0, 1.0),
            st.number_input("Top-k", 0, 2048, 250), st.slider("Top-p", 0.05, 1.0, 1.0))
    return {"engine": engine, "captioner": captioner, "caption_model": caption_model,
            "music_model": music_model, "duration": duration, "seed": int(seed),
            "variations": int(variations), "style": None if style == "from the picture" else style,
            "format": fmt, "sampling": sampling}


def _images() -> list[tuple[str, Picture]]:
    """Every picture chosen (uploads, a camera shot, or a bundled example), decoded and named
    uniquely; a file that is not a usable image gets a message instead."""
    chosen: list[tuple[str, bytes]] = []
    uploads = st.file_uploader("Images", type=IMAGE_TYPES, accept_multiple_files=True)
    chosen += [(u.name, u.getvalue()) for u in uploads or []]
    if st.toggle("Use the camera"):
        shot = st.camera_input("Take a photo")
        if shot is not None:
            chosen.append(("camera.jpg", shot.getvalue()))
    examples = sorted(EXAMPLES.glob("*.jpg")) if EXAMPLES.is_dir() else []
    if examples and not chosen:
        name = st.selectbox("...or an example", [p.name for p in examples])
        chosen.append((name, (EXAMPLES / name).read_bytes()))
    pictures = []
    for name, data in chosen:
        try:
            pictures.append((f"{name}:{hashlib.sha1(data).hexdigest()[:10]}",
                             load_image(data, max_pixels=DEFAULT_MAX_PIXELS)))
        except VisTuneError as exc:
            st.error(f"{name} cannot be used: {exc}")
    return pictures


class Preview:
    """Plays MusicGen's music while it is made.

    Streamlit has no streaming audio element, so ``show(wav)`` puts up a player once
    ``FIRST`` seconds exist (MusicGen's first chunk); when the listener is within ``MARGIN``
    seconds of the end of what they have, and more has been made, a new player replaces it
    with everything from where they are on. Its audio starts at that very sample: Streamlit
    would round a ``start_time`` down to whole seconds and repeat up to a second at every
    swap. (Generation slower than playback pauses the music between swaps.) The pipeline's
    ``on_audio`` callback.
    """

    FIRST = 0.5
    MARGIN = 1.0

    def __init__(self, show: Callable[[bytes], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.show, self.clock = show, clock
        self.chunks: list[np.ndarray] = []
        self.shown_at: float | None = None
        self.shown_from = self.shown_length = 0.0

    def __call__(self, chunk: np.ndarray, rate: int) -> None:
        self.chunks.append(chunk)
        have = sum(c.shape[-1] for c in self.chunks) / rate
        now = self.clock()
        if self.shown_at is None:
            if have < self.FIRST:
                return
            position = 0.0
        else:
            position = min(self.shown_from + now - self.shown_at, self.shown_length)
            if self.shown_length - position > self.MARGIN:
                return  # still playing what it has
        rest = np.concatenate(self.chunks, axis=-1)[..., round(position * rate):]
        self.show(encode_audio(rest, rate))
        self.shown_at, self.shown_from, self.shown_length = now, position, have


def _compose(pipe: ImageToMusic, key: str, image: Picture, settings: dict) -> None:
    """Caption (keeping the user's edits), brief and compose one image; store the results."""
    state = st.session_state
    name = key.rsplit(":", 1)[0]
    seen = f"description:{key}:{pipe.captioner_name}:{pipe.caption_model}"
    previous = state.get(f"results:{key}", [])
    edited_caption = state.get(f"caption:{key}")
    edited_prompt = state.get(f"prompt:{key}")
    bar = st.progress(0.0, text=f"{name}: waiting for another session to finish")

    def progress(done: int, total: int, stage: str) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{name}: {stage}")

    slot = st.empty()
    preview = None if pipe.engine_name != "musicgen" else Preview(
        lambda wav: slot.audio(wav, format="audio/wav", autoplay=True))

    with generation_lock():
        if seen not in state:
            state[seen] = pipe.describe(image)
        description = state[seen]
        if previous and edited_caption and edited_caption != previous[0].caption:
            description = dataclasses.replace(description, caption=edited_caption)
        elif previous:
            description = dataclasses.replace(description, caption=previous[0].caption)
        prompt = (edited_prompt if previous and edited_prompt
                  and edited_prompt != previous[0].prompt else None)
        results = pipe.variations(description, count=settings["variations"],
                                  duration=settings["duration"], seed=settings["seed"],
                                  style=settings["style"], prompt=prompt, progress=progress,
                                  on_audio=preview)
    bar.empty()
    slot.empty()
    # The player's WAV and the picture are made once here, not on every rerun of the page.
    media = [(encode_audio(r.audio, r.sample_rate), picture(r.audio, r.sample_rate))
             for r in results]
    state[f"results:{key}"], state[f"media:{key}"] = results, media
    state[f"caption:{key}"], state[f"prompt:{key}"] = results[0].caption, results[0].prompt
    state.setdefault("history", []).extend(
        (name, r, wav) for r, (wav, _) in zip(results, media, strict=True))


def _card(key: str, image: Picture, fmt: str) -> None:
    """One result card: picture, editable caption and prompt, why, players and downloads."""
    name = key.rsplit(":", 1)[0]
    left, right = st.columns([1, 2])
    left.image(image.image, caption=name)
    results = st.session_state.get(f"results:{key}", [])
    if not results:
        return
    brief = results[0].brief
    with right:
        st.text_area("Caption (edit it, then Compose again)", key=f"caption:{key}")
        st.text_area("Prompt (edit it, then Compose again)", key=f"prompt:{key}")
        st.caption(f"{results[0].engine}: {brief.mood} {brief.genre}, {brief.tempo} bpm, "
                   f"{brief.key} {brief.mode}; captioned by {results[0].description.captioner}")
        with st.expander("Why this music"):
            st.table({"choice": list(brief.reasons), "because": list(brief.reasons.values())})
    for result, (wav, image_of_sound) in zip(results, st.session_state[f"media:{key}"],
                                             strict=True):
        stem = f"{Path(name).stem}-{result.take + 1}"
        st.audio(wav, format="audio/wav")
        st.image(image_of_sound, caption="waveform and spectrogram")
        cols = st.columns(3)
        download = wav if fmt == "wav" else encode_audio(result.audio, result.sample_rate,
                                                         f".{fmt}")
        cols[0].download_button(f"Audio (.{fmt})", download, f"{stem}.{fmt}",
                                key=f"a:{key}:{stem}")
        if result.midi is not None:
            cols[1].download_button("MIDI", result.midi_bytes(), f"{stem}.mid",
                                    key=f"m:{key}:{stem}")
        cols[2].download_button("JSON", json.dumps(result.to_dict(), indent=2), f"{stem}.json",
                                key=f"j:{key}:{stem}")


def main() -> None:
    """The page."""
    st.set_page_config(page_title="VisTune", page_icon=":musical_note:", layout="wide")
    st.title("VisTune")
    st.write("Turn a picture into music that fits it, and see why it sounds that way.")
    settings = _settings()
    images = _images()
    try:
        pipe = pipeline(settings["engine"], settings["captioner"], settings["caption_model"],
                        settings["music_model"], settings["sampling"])
    except VisTuneError as exc:
        st.error(str(exc))
        return
    for note in pipe.notes:
        st.info(note)
    if st.button("Compose", type="primary", disabled=not images):
        for key, image in images:
            try:
                _compose(pipe, key, image, settings)
            except VisTuneError as exc:
                st.error(f"{key.rsplit(':', 1)[0]}: {exc}")
            except Exception as exc:  # a bug: say so plainly, never a traceback
                st.error(f"{key.rsplit(':', 1)[0]}: something went wrong inside VisTune "
                         f"({type(exc).__name__}: {exc}); please report it")
    for key, image in images:
        _card(key, image, settings["format"])
    history = st.session_state.get("history", [])
    if history:
        with st.expander(f"This session's music ({len(history)})"):
            for name, result, wav in reversed(history):
                st.write(f"{name}: {result.prompt} (seed {result.seed})")
                st.audio(wav, format="audio/wav")


if __name__ == "__main__":
    main()
