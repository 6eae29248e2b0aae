"""The web app's widget logic, driven by Streamlit's AppTest (no browser)."""

from __future__ import annotations

import json
import re
import socket

import numpy as np
import pytest
from conftest import EXAMPLES

from vistune.app import history as session_history
from vistune.app import options, page, widgets

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = page.__file__


@pytest.fixture
def at():
    test = AppTest.from_file(APP, default_timeout=180)
    test.run()
    test.sidebar.selectbox[0].select("composer")
    test.sidebar.selectbox[1].select("labels")
    test.select_slider[0].set_value(5)
    test.run()
    assert not test.exception
    return test


def _compose(test):
    """Click Compose; return the Results on the page's cards."""
    next(b for b in test.button if b.label == "Compose").click()
    test.run()
    assert not test.exception, test.exception
    assert not test.error, [e.value for e in test.error]
    state = test.session_state.to_dict()
    return [result for name, results in state.items() if name.startswith("results:")
            for result in results]


def _shown(value: str) -> str:
    """What Markdown shows of ``value``: backslash escapes (and word joiners) removed."""
    return re.sub(r"\\(.)", r"\1", value).replace(widgets.WORD_JOINER, "")


def test_starts_with_an_example_and_a_compose_button(at):
    assert at.title[0].value == "VisTune"
    assert any(b.label == "Compose" for b in at.button)
    assert at.main.selectbox[0].value in {p.name for p in EXAMPLES.glob("*.jpg")}


def test_compose_shows_caption_prompt_why_and_audio(at):
    results = _compose(at)
    caption = next(t for t in at.text_area if t.label.startswith("Caption"))
    prompt = next(t for t in at.text_area if t.label.startswith("Prompt"))
    assert caption.value and "bpm" in prompt.value
    assert len(at.get("audio")) == 2  # the result card and the session history
    assert any(len(t.value) for t in at.table)
    assert results[0].duration == 5 and results[0].engine == "composer"


def test_edited_prompt_and_caption_are_used_next_time(at):
    _compose(at)
    next(t for t in at.text_area if t.label.startswith("Prompt")).input("slow piano ballad")
    assert _compose(at)[0].prompt == "slow piano ballad"
    next(t for t in at.text_area if t.label.startswith("Caption")).input("a misty forest")
    result = _compose(at)[0]
    assert result.caption == "a misty forest"
    assert result.brief.genre == "folk"  # the edited words chose the style


def test_seed_and_new_seed(at):
    at.sidebar.number_input(key="seed").set_value(7)
    assert _compose(at)[0].seed == 7
    next(b for b in at.sidebar.button if b.label == "New seed").click()
    at.run()
    assert at.sidebar.number_input(key="seed").value != 7


def test_variations_and_history(at):
    at.sidebar.number_input[1].set_value(2)
    assert [r.take for r in _compose(at)] == [0, 1]
    assert len(at.session_state["history"]) == 2


def test_bad_upload_is_a_message_not_a_traceback(at):
    at.file_uploader[0].set_value([("broken.png", b"this is not a picture", "image/png")])
    at.run()
    assert not at.exception
    assert any("broken.png cannot be used" in _shown(e.value) for e in at.error)


def test_good_upload_composes(at):
    data = (EXAMPLES / "sunset.jpg").read_bytes()
    at.file_uploader[0].set_value([("mine.jpg", data, "image/jpeg")])
    at.run()
    assert _compose(at)[0].description.source == "the uploaded data"


def test_starting_the_app_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; import vistune.app.page; from vistune import ImageToMusic; "
            "ImageToMusic(offline=True); assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_preview_starts_early_and_resumes_where_the_listener_is():
    import io

    import numpy as np
    import soundfile

    from vistune.app.preview import Preview

    now, shown = [0.0], []
    rate = 1000  # low, so that 16-bit samples can count every sample of the piece
    preview = Preview(lambda wav: shown.append(soundfile.read(io.BytesIO(wav), dtype="int16")[0]),
                      clock=lambda: now[0])
    made = [0]

    def arrive(seconds: float, at: float) -> None:
        """``seconds`` more audio at clock ``at``; each sample holds its own index."""
        now[0] = at
        count = int(seconds * rate)
        preview((made[0] + np.arange(count))[None].astype(np.float32) / 2**15, rate)
        made[0] += count

    def starts_at(player: np.ndarray) -> float:
        return int(player[0]) / rate

    arrive(0.25, at=1.0)
    assert shown == []  # under Preview.FIRST seconds: nothing to play yet
    arrive(1.25, at=2.0)
    assert len(shown[0]) == 1.5 * rate and starts_at(shown[0]) == 0.0  # from the start
    arrive(2.0, at=2.4)
    assert len(shown) == 1  # 1.1 s still to play: no swap
    arrive(2.0, at=3.25)
    # 0.25 s left: swapped for the rest, from exactly where the listener is (1.25 s, which a
    # whole-second start_time could not do)
    assert starts_at(shown[-1]) == 1.25 and len(shown[-1]) == (5.5 - 1.25) * rate
    arrive(2.0, at=4.0)
    assert len(shown) == 2  # plenty left
    arrive(2.0, at=9.0)
    assert starts_at(shown[-1]) == 5.5  # the listener had caught up with the 5.5 s shown
    assert len(shown[-1]) == 4.0 * rate


def test_musicgen_composes_with_a_live_preview(at, tmp_path):
    from tiny_models import build_musicgen

    at.sidebar.selectbox[0].select("musicgen").run()  # the Music model box appears
    box = at.sidebar.text_input(key="music_model_musicgen")
    box.input(str(build_musicgen(tmp_path / "musicgen", window_seconds=5.0)))
    at.run()
    results = _compose(at)  # the preview player (from 2 s of audio) must not break anything
    assert results[0].engine == "musicgen" and results[0].duration == 5
    assert len(at.get("audio")) == 2  # the preview made way for the finished piece


def test_vistune_app_options_become_the_sidebar_defaults(tmp_path):
    from vistune.app.options import start_options
    from vistune.cli.parser import make_parser

    start = start_options(["--engine", "musicgen", "--music-model", str(tmp_path),
                         "--duration", "12", "--server.unrelated"])
    assert (start.engine, start.captioner, start.music_model, start.duration) == (
        "musicgen", "auto", str(tmp_path), 12)
    command = vars(make_parser().parse_args(["app"]))  # vistune app's defaults are the page's
    assert all(command[k] == v for k, v in vars(start_options([])).items())
    test = AppTest.from_file(APP, default_timeout=60)
    test.run()  # no options: the documented defaults
    assert test.sidebar.selectbox[0].value == "auto" and test.select_slider[0].value == 30


def test_lengths_from_5_s_to_2_min_are_close_together_and_longer_ones_possible():
    from vistune.app.page import durations
    from vistune.pipeline import MAX_DURATION

    offered = durations(30)
    usual = [s for s in offered if 5 <= s <= 120]
    assert usual[0] == 5 and usual[-1] == 120 and len(usual) >= 8  # most of the control
    assert max(offered) == MAX_DURATION  # longer is still there
    assert 37 in durations(37) and durations(1e6)[-1] == MAX_DURATION  # a start value is kept


def test_style_and_length_are_on_the_page_not_in_the_sidebar(at):
    assert [s.label for s in at.main.selectbox][-1] == "Style"
    assert at.main.select_slider[0].label == "Length"
    assert "Style" not in [s.label for s in at.sidebar.selectbox]
    next(s for s in at.main.selectbox if s.label == "Style").select("jazz")
    assert _compose(at)[0].brief.genre == "jazz"


def test_the_music_model_follows_the_chosen_engine(at):
    from vistune.runtime.models import DEFAULT_ACE_STEP_MODEL, DEFAULT_MUSIC_MODEL

    at.sidebar.selectbox[0].select("musicgen").run()
    assert at.sidebar.text_input(key="music_model_musicgen").value == DEFAULT_MUSIC_MODEL
    at.sidebar.selectbox[0].select("ace-step").run()
    assert at.sidebar.text_input(key="music_model_ace-step").value == DEFAULT_ACE_STEP_MODEL


def test_compose_is_disabled_with_the_reason_when_the_engine_cannot_run(at, tmp_path):
    at.sidebar.selectbox[0].select("musicgen").run()  # the Music model box appears
    at.sidebar.text_input(key="music_model_musicgen").input(str(tmp_path))  # an empty folder
    at.run()
    compose = next(b for b in at.button if b.label == "Compose")
    assert compose.disabled
    assert "not on this computer" in at.warning[0].value and "composer" in at.warning[0].value
    assert "--" not in at.warning[0].value  # the page's words, not the command line's
    at.sidebar.selectbox[0].select("composer")
    at.run()
    assert not next(b for b in at.button if b.label == "Compose").disabled


def test_auto_is_explained_in_a_short_plain_caption():
    test = AppTest.from_file(APP, default_timeout=60)
    test.run()  # auto, auto; the tests run offline (HF_HUB_OFFLINE=1)
    assert not test.info  # no blue box of command-line flags
    note = next(c.value for c in test.caption if c.value.startswith("Using"))
    assert note == ("Using the offline composer and the offline label captioner: MusicGen and "
                    "BLIP are not downloaded here.")


def test_errors_use_the_pages_words():
    from vistune.app.page import in_app_words
    from vistune.brief import check_prompt
    from vistune.errors import InputError
    from vistune.runtime.models import unavailable
    from vistune.see.image import load_image

    messages = [str(unavailable("facebook/musicgen-small", switch="--engine",
                                fallback="composer")),
                str(unavailable("Salesforce/blip", switch="--captioner", fallback="labels"))]
    for bad in (lambda: check_prompt(" "),
                lambda: load_image((EXAMPLES / "forest.jpg").read_bytes(), max_pixels=10)):
        with pytest.raises(InputError) as error:
            bad()
        messages.append(str(error.value))
    for message in messages:
        assert "--" not in in_app_words(message), message
    assert "Engine: composer in Settings" in in_app_words(messages[0])
    assert "Prompt box" in in_app_words(messages[2])


def test_the_progress_bar_goes_away_when_composing_fails(at):
    _compose(at)
    next(t for t in at.text_area if t.label.startswith("Prompt")).input("piano " * 500)
    next(b for b in at.button if b.label == "Compose").click()
    at.run()
    assert not at.exception
    assert "characters long" in _shown(at.error[0].value)
    assert not at.get("progress")


def test_waiting_is_said_only_while_another_session_composes():
    import threading

    from vistune.app.preview import hold

    lock, said = threading.Lock(), []
    with hold(lock, lambda: said.append("waiting")):
        assert lock.locked()
    assert said == [] and not lock.locked()  # one visitor: never "waiting"

    lock.acquire()  # another session is composing
    done = threading.Event()

    def visitor():
        with hold(lock, lambda: said.append("waiting")):
            done.set()

    thread = threading.Thread(target=visitor)
    thread.start()
    thread.join(0.2)
    assert said == ["waiting"] and not done.is_set()
    lock.release()
    thread.join(5)
    assert done.is_set()


def test_each_history_entry_can_be_played_and_downloaded_again(at, tmp_path):
    from test_video import _check_playable, _inspect

    first = _compose(at)
    at.sidebar.number_input(key="seed").set_value(5)
    second = _compose(at)
    assert [r.seed for r in first + second] == [0, 5]
    downloads = [d.proto.label for d in at.get("download_button")]
    # audio, MIDI, JSON and video: on the card and for each of the history entries
    assert downloads.count("Audio (.wav)") == 3 and downloads.count("MIDI") == 3
    assert downloads.count("JSON") == 3 and downloads.count("Video") == 3
    assert len(at.get("audio")) == 3
    made = at.session_state["history"][0]  # its video is made on click, from what it kept
    (tmp_path / "first.mp4").write_bytes(session_history.history_video(made, "still"))
    _check_playable(_inspect(tmp_path / "first.mp4"), seconds=first[0].duration)


def test_the_toolbar_has_no_deploy_button(at):
    from streamlit import config

    assert config.get_option("client.toolbarMode") == "minimal"


def test_a_bug_never_shows_a_traceback_and_uploads_are_limited(at, monkeypatch):
    from streamlit import config

    import vistune.app.launch
    import vistune.cli.main

    assert config.get_option("client.showErrorDetails") == "none"
    assert at.file_uploader[0].proto.max_upload_size_mb == options.MAX_UPLOAD_MB == 50
    command = []

    def become(program, argv):
        command.extend(argv)
        raise SystemExit(0)

    monkeypatch.setattr(vistune.app.launch.os, "execv", become)  # instead of becoming the server
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(SystemExit):
        vistune.cli.main.main(["app", "--port", str(port), "--host", "127.0.0.1"])
    streamlit = command[command.index("run"):command.index("--")]
    assert "--client.showErrorDetails=none" in streamlit
    assert streamlit[streamlit.index("--server.maxUploadSize") + 1] == "50"


def test_each_upload_is_decoded_once_per_session(at, monkeypatch):
    import vistune.see.image

    decoded = []
    real = vistune.see.image.load_image

    def counting(source, **options):
        decoded.append(len(source) if isinstance(source, bytes) else source)
        return real(source, **options)

    monkeypatch.setattr(vistune.see.image, "load_image", counting)
    data = (EXAMPLES / "sunset.jpg").read_bytes()
    at.file_uploader[0].set_value([("mine.jpg", data, "image/jpeg")])
    for _ in range(3):
        at.run()
    _compose(at)
    at.run()
    assert decoded == [len(data)]  # once, for all the reruns
    held = at.session_state["pictures"]
    assert [p.size for p in held.values()] == [real(data).size]  # the downscaled copy only
    at.file_uploader[0].set_value([])
    at.run()
    assert not any(name.startswith(("results:", "media:"))
                   for name in at.session_state.to_dict())  # its float audio let go


def test_the_history_keeps_encoded_audio_only_and_the_last_ten(at):
    at.sidebar.number_input[1].set_value(4)
    for seed in range(3):
        at.sidebar.number_input(key="seed").set_value(seed)
        _compose(at)
    history = at.session_state["history"]
    assert len(history) == session_history.HISTORY_SIZE == 10  # 12 made, the last 10 kept
    assert [m.take for m in history] == [2, 3] + [0, 1, 2, 3] * 2
    for made in history:
        assert not any(isinstance(v, np.ndarray) for v in vars(made).values())
        assert made.wav[:4] == b"RIFF" and made.midi[:4] == b"MThd"
        json.dumps(made.sidecar)  # plain data, no arrays
    assert "the last 10" in next(e.label for e in at.expander if "session" in e.label)
    numbers = [_shown(m.value).split(".")[0] for m in at.markdown if re.match(r"\d+\\\.", m.value)]
    assert numbers == [str(n) for n in range(12, 2, -1)]  # still counted from the first


def test_markdown_in_a_file_name_is_shown_as_written(at):
    name = "[x](http://127.0.0.1:1/a.png) **b**.jpg"  # the uploader wants an image type
    data = (EXAMPLES / "sunset.jpg").read_bytes()
    at.file_uploader[0].set_value([(name, data, "image/jpeg")])
    at.run()
    _compose(at)
    bodies = [e.value for e in [*at.markdown, *at.caption]]
    assert any(_shown(b).startswith(f"1. {name}") for b in bodies)
    for body in bodies:
        assert "](" not in body and "**" not in body, body  # no link, no bold
    at.file_uploader[0].set_value([(name, b"not a picture", "image/jpeg")])
    at.run()
    message = at.error[0].value
    assert _shown(message).startswith(f"{name} cannot be used") and "](" not in message


def test_the_escaping_keeps_every_character():
    text = ("[x](http://127.0.0.1:1/a.png) **b** <img src=x> $a$ :red[c] `d` 1. #e \\ ~f~ "
            "WWW.example.com me@example.com HTTPS://a")
    escaped = widgets.plain(text)
    assert _shown(escaped) == text
    assert not re.search(r"https?:|www\.|@\w", escaped.replace("\\", ""))  # no autolink
    assert not re.search(r"(?<!\\)[\[\]()*<>$:`#~]", escaped)  # every one escaped


def test_a_video_of_each_result(at, tmp_path):
    from test_video import _check_playable, _inspect

    result = _compose(at)[0]
    assert "Video" in [d.proto.label for d in at.get("download_button")]
    data = (EXAMPLES / at.main.selectbox[0].value).read_bytes()
    video = tmp_path / "piece.mp4"
    # What the button makes on click:
    video.write_bytes(widgets.video_bytes([data], result.audio, result.sample_rate,
                                          starts=[0.0], style="still"))
    _check_playable(_inspect(video), seconds=5)


def test_several_pictures_make_a_slideshow(at, tmp_path):
    from test_video import _check_playable, _inspect

    names = ["forest.jpg", "sunset.jpg"]
    at.file_uploader[0].set_value([(n, (EXAMPLES / n).read_bytes(), "image/jpeg")
                                   for n in names])
    at.run()
    at.select_slider[0].set_value(10)
    next(t for t in at.toggle if t.label.startswith("Slideshow")).set_value(True)
    _compose(at)
    _, result, wav, video, sidecar = at.session_state["slideshow"]
    assert [s["source"] for s in sidecar["slides"]] == names
    assert [s["start"] for s in sidecar["slides"]] == [0, 5]
    assert result.duration == 10 and wav[:4] == b"RIFF"
    (tmp_path / "show.mp4").write_bytes(video)
    _check_playable(_inspect(tmp_path / "show.mp4"), seconds=10)
    assert len(at.get("video")) == 1
    assert len(at.get("audio")) == 1  # the session's history only: the video plays the music
    assert "Why this music" not in [e.label for e in at.expander]  # no card per picture
    labels = [d.proto.label for d in at.get("download_button")]
    assert {"Video", "Audio (.wav)", "MIDI", "JSON"} <= set(labels)
    # What the user may do with the video's music, as under a single picture's.
    assert sidecar["licence"] == result.licence and result.licence.startswith("yours to use")
    assert f"Licence: {result.licence}" in [_shown(c.value) for c in at.caption]
    kept = at.session_state["history"][-1]
    assert kept.name == "slideshow" and kept.starts == (0, 5) and len(kept.pictures) == 2


def test_settings_for_neural_models_show_only_where_one_may_run():
    test = AppTest.from_file(APP, default_timeout=60)
    test.run()  # auto, auto, and no neural model here (the tests run offline)
    labels = [t.label for t in test.sidebar.text_input]
    assert labels == [] and "MusicGen sampling" not in [e.label for e in test.sidebar.expander]
    hint = [c.value for c in test.sidebar.caption if "vistune models" in c.value]
    assert len(hint) == 1 and "MusicGen" in hint[0]
    test.sidebar.selectbox[0].select("musicgen")
    test.run()
    assert [t.label for t in test.sidebar.text_input] == ["Music model"]
    assert "MusicGen sampling" in [e.label for e in test.sidebar.expander]
    assert not [c for c in test.sidebar.caption if "vistune models" in c.value]


def test_why_this_music_is_open_with_a_plain_sentence_first(at):
    result = _compose(at)[0]
    why = next(e for e in at.expander if e.label == "Why this music")
    assert why.proto.expanded
    sentence = _shown(why.markdown[0].value)
    assert sentence == widgets.in_a_sentence(result.brief, result.description.features)
    assert sentence.endswith(f"{result.brief.genre} in {result.brief.key} {result.brief.mode}.")
    assert len(why.table) == 1  # the numbers below it


def test_downloads_are_named_as_the_command_line_names_them():
    from vistune.batch import Batch

    for image, takes in (("city_night.jpg", 1), ("my photo.jpg", 2), ("../x y.png", 1)):
        planned = Batch.plan([image], "music/", takes=takes).items[0].paths
        assert page.download_names(image, takes, "wav") == [p.stem for p in planned]
    assert page.download_names("city_night.jpg", 1, "wav") == ["city_night"]
