"""End to end: the app in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serving(*command: str) -> Iterator[str]:
    """Run a web server command (PORT in it becomes a free port); yield its URL once healthy."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing; .ci/run installs it")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    port = str(_free_port())
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([port if part == "PORT" else part for part in command],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the app did not start within 60 s")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def app_url():
    with _serving(sys.executable, "-m", "vistune.cli", "app", "--port", "PORT", "--host",
                  "127.0.0.1") as url:
        yield url


def _shown(page, name: str) -> None:
    """Wait until the server has the upload: the page shows the picture under its name (the
    uploader lists the name before that, and a Compose click then would use the example)."""
    page.locator('[data-testid="stImageCaption"]', has_text=name).wait_for(timeout=30_000)


def _shots(tmp_path) -> Path:
    shots = Path(os.environ.get("VISTUNE_ARTIFACTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def _compose_sunset(page, app_url: str):
    """Open the app, upload sunset.jpg, press Compose; the player once the music is there."""
    page.goto(app_url, timeout=60_000)
    page.get_by_role("button", name="Compose").wait_for(timeout=60_000)
    page.set_input_files("input[type=file]", str(EXAMPLES / "sunset.jpg"))
    _shown(page, "sunset.jpg")
    page.get_by_role("button", name="Compose").click()
    return page.wait_for_selector("audio[src]", timeout=120_000)


def test_upload_compose_and_play(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = _shots(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        audio = _compose_sunset(page, app_url)
        assert page.get_by_role("button", name="Deploy").count() == 0  # a product, not a dev server
        assert audio.get_attribute("src")
        why = page.get_by_text("Why this music").first
        why.wait_for(timeout=10_000)
        picture = page.locator('[data-testid="stImage"]').first.bounding_box()
        player = audio.bounding_box()
        download = page.get_by_role("button", name="Audio (.wav)").first.bounding_box()
        # the player and the downloads sit beside the picture, above "why this music"
        assert picture["y"] <= player["y"] < download["y"] < why.bounding_box()["y"]
        assert player["y"] < picture["y"] + picture["height"]
        with page.expect_download(timeout=60_000) as saved:
            page.get_by_role("button", name="Audio (.wav)").first.click()
        assert saved.value.suggested_filename == "sunset.wav"  # as `vistune compose` names it
        page.set_viewport_size({"width": 1366, "height": 2000})  # the whole page in one shot
        page.wait_for_timeout(1000)
        page.screenshot(path=str(shots / "app.png"))
        browser.close()
    assert (shots / "app.png").stat().st_size > 10_000


def test_a_phone_reaches_style_and_length_without_the_sidebar(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        page.goto(app_url, timeout=60_000)
        page.get_by_role("button", name="Compose").wait_for(timeout=60_000)
        sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0  # closed
        for label in ("Style", "Length"):
            box = page.get_by_text(label, exact=True).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, label
        page.screenshot(path=str(_shots(tmp_path) / "app_phone.png"))
        browser.close()


def test_on_a_phone_the_music_is_in_view_after_compose(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        audio = _compose_sunset(page, app_url)
        page.wait_for_timeout(3000)  # the page settles (and scrolls, if it has to)
        player = audio.bounding_box()
        assert player["y"] >= 0 and player["y"] + player["height"] <= 844  # in view
        picture = page.locator('[data-testid="stImage"]').first.bounding_box()
        assert picture["y"] > player["y"]  # on a phone the music comes first
        sentence = page.get_by_text(", so: slow ambient in D major.")
        assert sentence.is_visible()  # "Why this music" is open, its plain sentence first
        page.screenshot(path=str(_shots(tmp_path) / "app_phone_compose.png"))
        browser.close()


def test_plain_streamlit_run_has_no_deploy_button_either():
    from playwright.sync_api import sync_playwright

    from vistune.app import page as app

    with _serving(sys.executable, "-m", "streamlit", "run", app.__file__, "--server.port", "PORT",
                  "--server.address", "127.0.0.1", "--server.headless", "true",
                  "--browser.gatherUsageStats", "false") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(url, timeout=60_000)  # the first visitor of a fresh server
        page.get_by_role("button", name="Compose").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        assert page.get_by_role("button", name="Deploy").count() == 0
        browser.close()


def test_four_sessions_at_once_each_get_their_own_music(app_url, offline_pipe, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    names = ["forest.jpg", "sunset.jpg", "city_night.jpg", "sunset_copy.jpg"]
    (tmp_path / "sunset_copy.jpg").write_bytes((EXAMPLES / "sunset.jpg").read_bytes())
    files = [EXAMPLES / n if (EXAMPLES / n).exists() else tmp_path / n for n in names]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        pages = [browser.new_context().new_page() for _ in files]
        for page, path in zip(pages, files, strict=True):
            page.goto(app_url, timeout=60_000)
            page.get_by_role("button", name="Compose").wait_for(timeout=60_000)
            page.set_input_files("input[type=file]", str(path))
            _shown(page, path.name)
        for page in pages:  # four sessions composing at the same time
            page.get_by_role("button", name="Compose").click()
        for page, path in zip(pages, files, strict=True):
            page.wait_for_selector("audio[src]", timeout=180_000)
            # The text area can mount a moment before its value arrives: wait for the value.
            expect(page.get_by_label("Caption (edit it, then Compose again)"),
                   path.name).to_have_value(offline_pipe.describe(path).caption, timeout=30_000)
        browser.close()


def test_a_named_upload_stays_plain_text_and_gets_a_video_and_a_slideshow(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    name = "[x](http://127.0.0.1:1/a.png) **b**.jpg"  # Markdown that would load a remote image
    files = [{"name": name, "mimeType": "image/jpeg",
              "buffer": (EXAMPLES / "sunset.jpg").read_bytes()},
             {"name": "forest.jpg", "mimeType": "image/jpeg",
              "buffer": (EXAMPLES / "forest.jpg").read_bytes()}]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 2000})
        asked = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(app_url, timeout=60_000)
        page.get_by_role("button", name="Compose").wait_for(timeout=60_000)
        page.set_input_files("input[type=file]", files)
        _shown(page, "forest.jpg")
        page.get_by_role("button", name="Compose").click()
        page.wait_for_selector("audio[src]", timeout=120_000)
        page.get_by_text("This session's music").click()
        page.wait_for_timeout(1000)
        shown = page.inner_text("body").replace("\u2060", "")
        assert shown.count(name) == 2  # under the picture and in the history, as written
        assert not [url for url in asked if "127.0.0.1:1/" in url]  # no remote image
        assert page.locator('a[href*="127.0.0.1:1"]').count() == 0  # no link
        with page.expect_download(timeout=120_000) as video:
            page.get_by_role("button", name="Video", exact=True).first.click()
        assert video.value.suggested_filename.endswith(".mp4")
        assert Path(video.value.path()).read_bytes()[4:8] == b"ftyp"  # an MP4
        with page.expect_download(timeout=120_000) as kept:  # a history entry's, still open
            page.get_by_role("button", name="Video", exact=True).last.click()
        assert Path(kept.value.path()).read_bytes()[4:8] == b"ftyp"
        page.get_by_text("Slideshow: one piece").click()
        page.get_by_role("button", name="Compose").click()
        player = page.wait_for_selector("video[src]", timeout=180_000)
        assert player.bounding_box()["width"] > 300
        page.screenshot(path=str(_shots(tmp_path) / "app_slideshow.png"))
        browser.close()
