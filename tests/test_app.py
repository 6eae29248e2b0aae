"""The web app's widget logic, driven by Streamlit's AppTest (no browser)."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from vistune import app

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = app.__file__


@pytest.fixture
def at():
    test = AppTest.from_file(APP, default_timeout=180)
    test.run()
    test.sidebar.selectbox[0].select("composer")
    test.sidebar.selectbox[1].select("labels")
    test.sidebar.slider[0].set_value(3)
    test.run()
    assert not test.exception
    return test


def _compose(test):
    """Click Compose; return the Results this click made (from the session's history)."""
    before = len(test.session_state["history"]) if "history" in test.session_state else 0
    next(b for b in test.button if b.label == "Compose").click()
    test.run()
    assert not test.exception, test.exception
    assert not test.error, [e.value for e in test.error]
    return [result for _, result, _ in test.session_state["history"][before:]]


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
    assert results[0].duration == 3 and results[0].engine == "composer"


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
    assert any("broken.png cannot be used" in e.value for e in at.error)


def test_good_upload_composes(at):
    data = (EXAMPLES / "sunset.jpg").read_bytes()
    at.file_uploader[0].set_value([("mine.jpg", data, "image/jpeg")])
    at.run()
    assert _compose(at)[0].description.source == "the uploaded data"


def test_starting_the_app_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; import vistune.app; from vistune import ImageToMusic; "
            "ImageToMusic(offline=True); assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_preview_starts_early_and_resumes_where_the_listener_is():
    import io

    import numpy as np
    import soundfile

    from vistune.app import Preview

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

    at.sidebar.selectbox[0].select("musicgen")
    at.sidebar.text_input[1].input(str(build_musicgen(tmp_path / "musicgen",
                                                      window_seconds=3.0)))
    at.run()
    results = _compose(at)  # the preview player (from 2 s of audio) must not break anything
    assert results[0].engine == "musicgen" and results[0].duration == 3
    assert len(at.get("audio")) == 2  # the preview made way for the finished piece


def test_vistune_app_options_become_the_sidebar_defaults(tmp_path):
    from vistune.cli import app_options

    start = app_options(["--engine", "musicgen", "--music-model", str(tmp_path),
                         "--duration", "12", "--server.unrelated"])
    assert (start.engine, start.captioner, start.music_model, start.duration) == (
        "musicgen", "auto", str(tmp_path), 12)
    test = AppTest.from_file(APP, default_timeout=60)
    test.run()  # no options: the documented defaults
    assert test.sidebar.selectbox[0].value == "auto" and test.sidebar.slider[0].value == 30
