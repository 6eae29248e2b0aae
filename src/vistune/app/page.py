"""The VisTune web app (Streamlit): widgets, caching and calls into the package, nothing more.

Run with ``vistune app`` or ``streamlit run src/vistune/app.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import secrets
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from vistune import ImageToMusic, Result, VisTuneError, registry
from vistune.app.history import kept, remember, show_history
from vistune.app.options import MAX_UPLOAD_MB, PAGE_OPTIONS, start_options
from vistune.app.preview import Preview, hold
from vistune.app.widgets import downloads, in_a_sentence, plain, video_bytes
from vistune.batch import names, take_files
from vistune.brief.styles import STYLES
from vistune.output.audio import FORMATS, encode_audio, picture
from vistune.output.video import VIDEO_STYLES
from vistune.pipeline import CAPTIONERS, ENGINES
from vistune.runtime.models import can_load
from vistune.see.image import DEFAULT_MAX_PIXELS, Picture, load_image
from vistune.settings import MAX_DURATION, MAX_VARIATIONS, MIN_DURATION
from vistune.slideshow import slideshow

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"  # present in a source checkout
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
    """The sidebar's settings (style and length sit on the page, see ``_controls``)."""
    side = st.sidebar
    side.header("Settings")
    start = start_options(sys.argv[1:])  # vistune app passes its options after --
    engine = side.selectbox("Engine", ENGINES, index=ENGINES.index(start.engine),
                            help="composer works offline; musicgen is Meta's neural model")
    captioner = side.selectbox("Captioner", CAPTIONERS, index=CAPTIONERS.index(start.captioner),
                               help="labels works offline; blip is Salesforce's captioner")
    # A checkpoint and MusicGen's sampling matter only where a neural piece may run.
    captions = _neural_possible("captioner", captioner, start.caption_model)
    music = _neural_possible("engine", engine, start.music_model)
    caption_model = side.text_input("Caption model", start.caption_model,
                                    key="caption_model") if captions else start.caption_model
    start_music = _model_for(engine, start.music_model)
    music_model = side.text_input("Music model", start_music, key=f"music_model_{engine}"
                                  ) if music else start_music
    if not (captions or music):
        side.caption("No neural model is on this computer: `vistune models` says how to get "
                     "MusicGen or BLIP.")
    if side.button("New seed"):
        st.session_state.seed = secrets.randbelow(2**31)
    seed = side.number_input("Seed", 0, 2**32 - 1, key="seed",
                             help="the same picture, settings and seed give the same music")
    variations = side.number_input("Variations", 1, MAX_VARIATIONS, 1,
                                   help="different takes on the same picture")
    fmt = side.selectbox("Download format", [f[1:] for f in FORMATS])
    video_style = side.selectbox("Video style", VIDEO_STYLES,
                                 help="still picture, a slow zoom, or a waveform along the bottom")
    sampling = (None, None, None, None)
    if music:
        with side.expander("MusicGen sampling"):
            if not st.checkbox("Use the checkpoint's defaults", value=True):
                sampling = (st.slider("Guidance scale", 1.0, 10.0, 3.0),
                            st.slider("Temperature", 0.1, 2.0, 1.0),
                            st.number_input("Top-k", 0, 2048, 250),
                            st.slider("Top-p", 0.05, 1.0, 1.0))
    return {"engine": engine, "captioner": captioner, "caption_model": caption_model,
            "music_model": music_model, "seed": int(seed), "variations": int(variations),
            "format": fmt, "video_style": video_style, "sampling": sampling,
            "start_duration": start.duration}


def _model_for(engine: str, model: str) -> str:
    """The chosen engine's own default checkpoint where ``model`` is another engine's default
    (`vistune app` starts with MusicGen's), so choosing ace-step just works."""
    if engine == "auto":
        return model
    chosen = registry.get("engine", engine)
    others = {e.default_model for e in registry.entries("engine") if e is not chosen}
    return chosen.default_model if chosen.default_model and model in others else model


def _neural_possible(kind: str, choice: str, model: str) -> bool:
    """Whether a neural ``kind`` may run with this choice: chosen by name, or ``auto`` with
    its model here (or downloadable)."""
    if choice != "auto":
        return registry.get(kind, choice).neural
    return can_load(model or registry.neural_choice(kind).default_model or "")


def _length(seconds: float) -> str:
    """A duration as people say it: "45 s", "2 min", "1 min 30 s"."""
    minutes, rest = divmod(int(seconds), 60)
    return " ".join(filter(None, (f"{minutes} min" if minutes else "",
                                  f"{rest} s" if rest or not minutes else "")))


def durations(start: float) -> list[int]:
    """The lengths the duration control offers: the usual ones (5 s to 2 min) close together,
    longer ones further apart up to MAX_DURATION, and the starting length."""
    usual = {5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600}
    start = min(max(round(start), int(MIN_DURATION)), int(MAX_DURATION))
    return sorted({s for s in usual if s <= MAX_DURATION} | {start})


def _controls(settings: dict) -> None:
    """Style and length, on the page itself so that a phone reaches them without the sidebar."""
    style_col, length_col = st.columns([2, 3])
    style = style_col.selectbox("Style", ["from the picture", *STYLES])
    settings["style"] = None if style == "from the picture" else style
    settings["duration"] = length_col.select_slider(
        "Length", durations(settings["start_duration"]), value=min(
            durations(settings["start_duration"]),
            key=lambda s: abs(s - settings["start_duration"])),
        format_func=_length)


#: How the page names the built-in neural pieces (others go by their registry name).
DISPLAY = {"musicgen": "MusicGen", "blip": "BLIP", "labels": "label captioner"}


def _display(name: str) -> str:
    return DISPLAY.get(name, name)


def blocked(settings: dict) -> str | None:
    """Why Compose cannot run with these settings (a neural piece that is not here), or None."""
    for kind, model, setting in (("engine", settings["music_model"], "Engine"),
                                 ("captioner", settings["caption_model"], "Captioner")):
        choice = settings[kind]
        entry = None if choice == "auto" else registry.get(kind, choice)
        if entry is not None and entry.neural and not can_load(model):
            return (f"{_display(entry.name)} ({model}) is not on this computer. Run `vistune "
                    f"download {model}` where there is network, or choose "
                    f"{registry.offline_choice(kind).name} as the {setting} in Settings.")
    return None


def auto_note(pipe: ImageToMusic, settings: dict) -> str | None:
    """What "auto" chose, in plain words, or None when nothing was left to auto."""
    used, missing = [], []
    for kind, name in (("engine", pipe.engine_name), ("captioner", pipe.captioner_name)):
        if settings[kind] != "auto":
            continue
        if registry.get(kind, name).neural:
            used.append(_display(name))
        else:
            used.append(f"the offline {_display(name)}")
            missing.append(next(_display(e.name) for e in registry.entries(kind)
                                if e.neural and e.auto))
    if not used:
        return None
    verb = "is" if len(missing) == 1 else "are"
    why = f": {' and '.join(missing)} {verb} not downloaded here" if missing else ""
    return f"Using {' and '.join(used)}{why}."


def in_app_words(message: str) -> str:
    """An error message of the package (written for the command line) in this page's words."""
    message = message.replace(" or raise max_pixels (--max-pixels)", "")  # no such setting here
    message = message.replace("leave --prompt out", "clear the Prompt box")
    return re.sub(r"--(engine|captioner) (\w+)", lambda m: f"{m[1].title()}: {m[2]} in Settings",
                  message)


def _images() -> list[tuple[str, Picture, bytes]]:
    """Every picture chosen (uploads, a camera shot, or a bundled example), decoded and named
    uniquely, with its file's bytes; a file that is not a usable image gets a message instead.
    Each file is decoded once per session (a small PNG can hold 100 megapixels): the session
    keeps the downscaled pictures of the files chosen now, and nothing of earlier ones."""
    chosen: list[tuple[str, bytes]] = []
    uploads = st.file_uploader("Images", type=IMAGE_TYPES, accept_multiple_files=True,
                               max_upload_size=MAX_UPLOAD_MB)
    chosen += [(u.name, u.getvalue()) for u in uploads or []]
    if st.toggle("Use the camera"):
        shot = st.camera_input("Take a photo")
        if shot is not None:
            chosen.append(("camera.jpg", shot.getvalue()))
    examples = sorted(EXAMPLES.glob("*.jpg")) if EXAMPLES.is_dir() else []
    if examples and not chosen:
        name = st.selectbox("...or an example", [p.name for p in examples])
        chosen.append((name, (EXAMPLES / name).read_bytes()))
    decoded = st.session_state.get("pictures", {})
    kept: dict[str, Picture | str] = {}
    pictures = []
    for name, data in chosen:
        digest = hashlib.sha1(data).hexdigest()
        if digest not in kept:
            kept[digest] = decoded.get(digest) or _decode(data)
        if isinstance(kept[digest], str):
            st.error(plain(f"{name} cannot be used: {kept[digest]}"))
        else:
            pictures.append((f"{name}:{digest[:10]}", kept[digest], data))
    st.session_state["pictures"] = kept
    return pictures


def _decode(data: bytes) -> Picture | str:
    """The picture in ``data``, or why it cannot be used (in the page's words)."""
    try:
        return load_image(data, max_pixels=DEFAULT_MAX_PIXELS)
    except VisTuneError as exc:
        return in_app_words(str(exc))


def _compose(pipe: ImageToMusic, key: str, image: Picture, settings: dict,
             data: bytes) -> None:
    """Caption (keeping the user's edits), brief and compose one image (``data``: its file);
    store the results.
    Its progress bar and preview player go away when it ends, whether it worked or not."""
    state = st.session_state
    name = key.rsplit(":", 1)[0]
    seen = f"description:{key}:{pipe.captioner_name}:{pipe.caption_model}"
    previous = state.get(f"results:{key}", [])
    edited_caption = state.get(f"caption:{key}")
    edited_prompt = state.get(f"prompt:{key}")
    bar = st.progress(0.0, text=plain(f"{name}: looking at the picture"))

    def progress(done: int, total: int, stage: str) -> None:
        bar.progress(min(max(done / max(total, 1), 0.0), 1.0), text=plain(f"{name}: {stage}"))

    slot = st.empty()
    preview = None if not pipe.capabilities.streaming else Preview(
        lambda wav: slot.audio(wav, format="audio/wav", autoplay=True))
    try:
        with hold(generation_lock(), lambda: bar.progress(
                0.0, text=plain(f"{name}: waiting for another session to finish"))):
            if seen not in state:
                bar.progress(0.0, text=plain(f"{name}: looking at the picture"))
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
                                      style=settings["style"], prompt=prompt,
                                      progress=progress, on_audio=preview)
    finally:
        bar.empty()
        slot.empty()
    # The player's WAV and the picture are made once here, not on every rerun of the page.
    media = [(encode_audio(r.audio, r.sample_rate), picture(r.audio, r.sample_rate))
             for r in results]
    state[f"results:{key}"], state[f"media:{key}"] = results, media
    state[f"caption:{key}"], state[f"prompt:{key}"] = results[0].caption, results[0].prompt
    remember(name, results, [wav for wav, _ in media], pictures=(kept(data),))


def _play(result: Result, wav: bytes, stem: str, fmt: str, key: str,
          video: Callable[[], bytes]) -> None:
    """A player and the downloads (audio in ``fmt``, MIDI, JSON sidecar, video) of one take,
    with the licence they come under."""
    st.audio(wav, format="audio/wav")
    downloads(stem, fmt, key, wav=wav, sidecar=result.to_dict(), video=video,
               audio=lambda: encode_audio(result.audio, result.sample_rate, f".{fmt}"),
               midi=result.midi_bytes if result.midi is not None else None)
    _licence(result)


def _licence(result: Result) -> None:
    """The licence the music comes under: what the user may do with what they download."""
    if result.licence:
        st.caption(plain(f"Licence: {result.licence}"))


#: On a narrow screen the card's columns stack: the music then comes first, so that it is in
#: view right under the Compose button, and the picture follows.
NARROW = """<style>@media (max-width: 640px) {
  [class*="st-key-card-"] [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"]) {
    flex-direction: column-reverse;
  }
}</style>"""


#: After Compose: the new music, when below the screen's bottom edge, is scrolled into view.
SHOW_MUSIC = """<script>for (const wait of [300, 800, 1500, 2500]) setTimeout(() => {
  const player = document.querySelector('.st-key-card-0 audio, .st-key-slideshow video');
  if (player && player.getBoundingClientRect().bottom > window.innerHeight) {
    player.scrollIntoView({block: "center"});  // again as the page settles (a video's size)
  }
}, wait);</script>"""


def download_names(name: str, takes: int, fmt: str) -> list[str]:
    """The download name (without extension) of each take of the picture ``name``: the
    command line's (``city_night``; takes ``city_night-1``, ``city_night-2``...).

    >>> download_names("city night.jpg", 1, "wav"), download_names("x.png", 2, "wav")
    (['city_night'], ['x-1', 'x-2'])
    """
    stem = names([name], Path(), fmt=fmt, takes=takes, digests={name: ""}, resume=False)[0]
    return [path.stem for path in take_files(Path(f"{stem}.{fmt}"), takes)]


def _card(index: int, key: str, image: Picture, data: bytes, settings: dict) -> None:
    """One result: the picture, and beside it (above it on a phone) the players and
    downloads, a line on the music, the caption and prompt to edit, and why the music
    sounds so, open; then the pictures of the sound."""
    name = key.rsplit(":", 1)[0]
    results = st.session_state.get(f"results:{key}", [])
    left, right = st.container(key=f"card-{index}").columns([2, 3])
    left.image(image.image, caption=plain(name))
    if not results:
        return
    brief = results[0].brief
    media = st.session_state[f"media:{key}"]
    stems = download_names(name, len(results), settings["format"])
    with right:
        for result, (wav, _), stem in zip(results, media, stems, strict=True):
            if len(results) > 1:
                st.markdown(f"**Take {result.take + 1}**")
            _play(result, wav, stem, settings["format"], f"{key}:{result.take}",
                  video=functools.partial(video_bytes, [data], result.audio,
                                          result.sample_rate, starts=[0.0],
                                          style=settings["video_style"]))  # made on click
        st.caption(plain(f"{brief.mood} {brief.genre}, {brief.tempo} bpm, {brief.key} "
                         f"{brief.mode}; made by the {results[0].engine}, captioned by "
                         f"{results[0].description.captioner}"))
        with st.expander("Why this music", expanded=True):
            st.markdown(plain(in_a_sentence(brief, results[0].description.features)))
            _why(brief.reasons)
        st.text_area("Caption (edit it, then Compose again)", key=f"caption:{key}", height=68)
        st.text_area("Prompt (edit it, then Compose again)", key=f"prompt:{key}", height=120)
        with st.expander("Waveform and spectrogram"):
            for _, image_of_sound in media:
                st.image(image_of_sound)


def _why(reasons: dict[str, str]) -> None:
    """The brief's choices and their reasons (which quote the caption), as plain text."""
    st.table({"choice": [plain(c) for c in reasons],
              "because": [plain(r) for r in reasons.values()]})


def _compose_slideshow(pipe: ImageToMusic, images: list[tuple[str, Picture, bytes]],
                       settings: dict) -> None:
    """One piece for all the pictures in turn, and its video; stored for ``_slideshow``."""
    names = [key.rsplit(":", 1)[0] for key, _, _ in images]
    bar = st.progress(0.0, text="Slideshow: waiting")

    def progress(done: int, total: int, stage: str) -> None:
        bar.progress(min(max(done / max(total, 1), 0.0), 1.0), text=f"Slideshow: {stage}")

    try:
        with hold(generation_lock(), lambda: progress(0, 1, "waiting for another session")):
            result = slideshow(pipe, [picture for _, picture, _ in images],
                               duration=settings["duration"], seed=settings["seed"],
                               style=settings["style"], progress=progress)
            progress(1, 1, "making the video")
            video = video_bytes(list(result.pictures), result.audio, result.sample_rate,
                                starts=[s.start for s in result.slides],
                                style=settings["video_style"])
    finally:
        bar.empty()
    wav = encode_audio(result.audio, result.sample_rate)
    sidecar = result.to_dict()
    for slide, name in zip(sidecar["slides"], names, strict=True):
        slide["source"] = name  # the upload's name, not "the uploaded data"
    # The decoded pictures at video size are in the video now: not kept.
    st.session_state["slideshow"] = (tuple(key for key, _, _ in images),
                                     dataclasses.replace(result, pictures=()), wav, video, sidecar)
    remember("slideshow", [result], [wav], [sidecar],
              pictures=tuple(kept(p) for p in result.pictures),
              starts=tuple(s.start for s in result.slides))


def _slideshow(keys: tuple[str, ...], fmt: str) -> None:
    """The slideshow made from these pictures, if any: its video, downloads and plan."""
    made = st.session_state.get("slideshow")
    if made is None or made[0] != keys:
        st.session_state.pop("slideshow", None)  # made from other pictures: let it go
        return
    _, result, wav, video, sidecar = made
    st.subheader("Slideshow")
    left, right = st.container(key="slideshow").columns([3, 2])
    left.video(video, format="video/mp4")
    with right:
        downloads("slideshow", fmt, "slideshow", wav=wav, sidecar=sidecar, video=video,
                   audio=lambda: encode_audio(result.audio, result.sample_rate, f".{fmt}"),
                   midi=result.midi_bytes if result.midi is not None else None)
        st.caption(f"{_length(result.duration)}, {len(sidecar['slides'])} pictures, "
                   f"made by the {result.engine}")
        _licence(result)
        st.table({"from": [_length(s["start"]) for s in sidecar["slides"]],
                  "picture": [plain(s["source"]) for s in sidecar["slides"]],
                  "music": [plain(f"{s['brief']['mood']} {s['brief']['genre']}, "
                                  f"{s['brief']['tempo']} bpm, {s['brief']['key']} "
                                  f"{s['brief']['mode']}") for s in sidecar["slides"]]})


def _setup() -> None:
    """Under a plain `streamlit run`, the options `vistune app` passes (the toolbar's take
    effect from the next run on, which re-sends the page's configuration)."""
    changed = [name for name, value in PAGE_OPTIONS.items() if st.get_option(name) != value]
    for name in changed:
        st.set_option(name, PAGE_OPTIONS[name])
    if changed:
        st.rerun()


def main() -> None:
    """The page."""
    st.set_page_config(page_title="VisTune", page_icon=":musical_note:", layout="wide")
    _setup()
    st.html(NARROW)
    st.title("VisTune")
    st.write("Turn a picture into music that fits it, and see why it sounds that way.")
    settings = _settings()
    images = _images()
    _controls(settings)
    try:
        pipe = pipeline(settings["engine"], settings["captioner"], settings["caption_model"],
                        settings["music_model"], settings["sampling"])
    except VisTuneError as exc:
        st.error(in_app_words(str(exc)))
        return
    reason = blocked(settings)
    together = len(images) > 1 and st.toggle(
        "Slideshow: one piece for all the pictures, as a video",
        help="each picture gets its own section of the music, shown in turn")
    pressed = st.button("Compose", type="primary", disabled=not images or reason is not None,
                        help=reason)
    if reason:
        st.warning(reason)
    elif note := auto_note(pipe, settings):
        st.caption(note)
    _forget_all_but({key for key, _, _ in images})
    if pressed and together:
        _safely("Slideshow", lambda: _compose_slideshow(pipe, images, settings))
    elif pressed:
        for key, image, data in images:
            _safely(key.rsplit(":", 1)[0],
                    functools.partial(_compose, pipe, key, image, settings, data))
    if together:  # the pictures are in the video: here only small, in order
        _slideshow(tuple(key for key, _, _ in images), settings["format"])
        st.image([image.image for _, image, _ in images], width=96,
                 caption=[plain(key.rsplit(":", 1)[0]) for key, _, _ in images])
    else:
        for index, (key, image, data) in enumerate(images):
            _card(index, key, image, data, settings)
    if pressed:
        st.html(SHOW_MUSIC, unsafe_allow_javascript=True)
    show_history(settings["format"], settings["video_style"])


def _forget_all_but(keys: set[str]) -> None:
    """Let go of the results (float audio) of pictures no longer chosen."""
    state = st.session_state
    for name in [n for n in state if str(n).startswith(("results:", "media:"))]:
        if str(name).split(":", 1)[1] not in keys:
            del state[name]


def _safely(what: str, work: Callable[[], None]) -> None:
    """Run ``work``; an error becomes a plain message naming ``what``, never a traceback."""
    try:
        work()
    except VisTuneError as exc:
        st.error(plain(f"{what}: {in_app_words(str(exc))}"))
    except Exception as exc:  # a bug: say so plainly
        st.error(plain(f"{what}: something went wrong inside VisTune "
                       f"({type(exc).__name__}: {exc}); please report it"))


if __name__ == "__main__":
    main()
