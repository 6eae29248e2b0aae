"""The HTTP API: a real uvicorn server on a free localhost port, offline pieces."""

from __future__ import annotations

import contextlib
import errno
import io
import math
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile
from conftest import EXAMPLES

pytest.importorskip("fastapi", reason="the HTTP API needs vistune[serve]")
requests = pytest.importorskip("requests")
import uvicorn  # noqa: E402
from urllib3 import encode_multipart_formdata  # noqa: E402

from vistune import ImageToMusic  # noqa: E402
from vistune.server.api import create_app  # noqa: E402

KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@contextlib.contextmanager
def running(app):
    """Serve ``app`` with uvicorn in a thread; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def offline(engine: str) -> ImageToMusic:
    return ImageToMusic(engine=engine, captioner="labels", offline=True)


@pytest.fixture(scope="module")
def url(offline_pipe, tmp_path_factory):
    """A server with a key, room for 8 queued jobs and a 1 MB upload limit."""
    app = create_app(offline_pipe, make_pipe=offline, api_key=KEY, queue_size=8,
                     folder=tmp_path_factory.mktemp("served"), max_upload=1024 * 1024)
    with running(app) as base:
        yield base


def submit(base: str, image: str = "forest.jpg", **fields) -> requests.Response:
    with (EXAMPLES / image).open("rb") as file:
        return requests.post(f"{base}/v1/jobs", files={"image": (image, file, "image/jpeg")},
                             data={k: str(v) for k, v in fields.items()}, headers=AUTH,
                             timeout=30)


def finished(base: str, job: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = requests.get(f"{base}/v1/jobs/{job}", headers=AUTH, timeout=30).json()
        assert 0 <= state["progress"] <= 1
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish")


def test_four_jobs_at_once_each_get_their_own_audio(url, offline_pipe, tmp_path):
    asks = [("forest.jpg", 1, 1), ("sunset.jpg", 2, 2), ("city_night.jpg", 3, 3),
            ("forest.jpg", 2, 4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda a: submit(url, a[0], duration=a[1], seed=a[2]), asks))
    assert [a.status_code for a in answers] == [202] * 4
    assert {a.json()["status"] for a in answers} <= {"queued", "running"}
    sounds = []
    for (image, duration, seed), answer in zip(asks, answers, strict=True):
        state = finished(url, answer.json()["id"])
        assert state["status"] == "done", state["error"]
        assert state["result"]["seed"] == seed and state["result"]["duration"] == duration
        assert state["result"]["source"] == image
        audio = requests.get(f"{url}/v1/jobs/{answer.json()['id']}/audio", headers=AUTH,
                             timeout=30)
        assert audio.status_code == 200
        # The same bytes as this process makes for that picture, length and seed.
        expected = offline_pipe(EXAMPLES / image, duration=duration, seed=seed).save(
            tmp_path / f"{seed}.wav")
        assert audio.content == expected.read_bytes()
        data, rate = soundfile.read(io.BytesIO(audio.content))
        assert len(data) / rate == pytest.approx(duration, abs=0.01)
        sounds.append(data)
    assert not np.array_equal(sounds[0], sounds[3][:len(sounds[0])])  # same picture, new seed


def test_variations_midi_stream_and_delete(url):
    job = submit(url, duration=2, seed=7, variations=2, format="flac").json()["id"]
    stream = requests.get(f"{url}/v1/jobs/{job}/stream", headers=AUTH, timeout=60)
    data, rate = soundfile.read(io.BytesIO(stream.content))
    assert stream.headers["content-type"] == "audio/wav" and len(data) / rate == pytest.approx(2)
    state = finished(url, job)
    assert [take["seed"] for take in state["takes"]] == [7, 8]
    second = requests.get(f"{url}/v1/jobs/{job}/audio?take=2", headers=AUTH, timeout=30)
    assert second.content[:4] == b"fLaC"
    midi = requests.get(f"{url}/v1/jobs/{job}/midi", headers=AUTH, timeout=30)
    assert midi.status_code == 200 and midi.content[:4] == b"MThd"
    video = requests.get(f"{url}/v1/jobs/{job}/video", headers=AUTH, timeout=30)
    assert video.status_code == 404 and "no video" in video.json()["error"]

    assert requests.delete(f"{url}/v1/jobs/{job}", headers=AUTH, timeout=30).status_code == 200
    for path in ("", "/audio"):
        gone = requests.get(f"{url}/v1/jobs/{job}{path}", headers=AUTH, timeout=30)
        assert gone.status_code == 404 and "no job" in gone.json()["error"]


def test_a_job_makes_a_video_of_its_single_picture_when_asked(url):
    job = submit(url, duration=2, variations=2, video_style="still", size="64x64").json()["id"]
    assert finished(url, job)["status"] == "done"
    for take in (1, 2):
        video = requests.get(f"{url}/v1/jobs/{job}/video?take={take}", headers=AUTH, timeout=30)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        assert f"{job}-take-{take}.mp4" in video.headers["content-disposition"]
        audio = requests.get(f"{url}/v1/jobs/{job}/audio?take={take}", headers=AUTH, timeout=30)
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


@pytest.mark.parametrize("fields, message", [
    ({"video_style": "spin"}, "unknown video_style 'spin'"),
    ({"video_style": "zoom", "size": "huge"}, "unknown size 'huge'"),
    ({"size": "64x64"}, "add video_style"),
])
def test_bad_video_settings_are_refused_before_the_job(url, fields, message):
    answer = submit(url, duration=2, **fields)
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_the_key_is_enforced(url):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        answer = requests.get(f"{url}/v1/health", headers=headers, timeout=30)
        assert answer.status_code == 401
        assert "Authorization: Bearer" in answer.json()["error"]
    assert requests.get(f"{url}/v1/health", headers=AUTH, timeout=30).json()["status"] == "ok"
    assert "/v1/jobs" in requests.get(f"{url}/openapi.json", timeout=30).json()["paths"]


@pytest.mark.parametrize(("files", "data", "status", "message"), [
    ({"image": ("cut.jpg", (EXAMPLES / "forest.jpg").read_bytes()[:400])}, {}, 400, "cut.jpg"),
    ({"image": ("notes.txt", b"hello")}, {}, 400, "not a readable image"),
    ({"image": ("empty.png", b"")}, {}, 400, "empty"),
    ({}, {"duration": "5"}, 422, "field 'image'"),
    ({"image": ("f.jpg", (EXAMPLES / "forest.jpg").read_bytes())}, {"duration": "ten"}, 400,
     "duration 'ten' is not a number"),
    ({"image": ("f.jpg", (EXAMPLES / "forest.jpg").read_bytes())}, {"key": "H minor"}, 400,
     "H minor"),
    ({"image": ("f.jpg", (EXAMPLES / "forest.jpg").read_bytes())}, {"variations": "99"}, 400,
     "variations"),
])
def test_bad_uploads_fail_cleanly(url, files, data, status, message):
    answer = requests.post(f"{url}/v1/jobs", files=files or {"other": ("x", b"")}, data=data,
                           headers=AUTH, timeout=30)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert message in error and "\n" not in error and "Traceback" not in error


def test_upload_over_the_limit_is_413(url):
    big = b"\xff\xd8" + bytes(2 * 1024 * 1024)
    answer = requests.post(f"{url}/v1/jobs", files={"image": ("big.jpg", big)}, headers=AUTH,
                           timeout=30)
    assert answer.status_code == 413 and "limit" in answer.json()["error"]
    # Chunked, with no length up front: cut off once over the limit.
    body, kind = encode_multipart_formdata({"image": ("big.jpg", big)})
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
    chunked = requests.post(f"{url}/v1/jobs", data=chunks, timeout=30,
                            headers={**AUTH, "Content-Type": kind})
    assert chunked.status_code == 413 and "limit" in chunked.json()["error"]


def test_describe(url, forest_description):
    with (EXAMPLES / "forest.jpg").open("rb") as file:
        answer = requests.post(f"{url}/v1/describe", files={"image": file},
                               data={"style": "jazz"}, headers=AUTH, timeout=60)
    assert answer.status_code == 200
    assert answer.json()["description"]["caption"] == forest_description.caption
    assert answer.json()["brief"]["genre"] == "jazz"


def test_describe_a_gradient(url, tmp_path):
    from PIL import Image

    picture = io.BytesIO()
    Image.linear_gradient("L").resize((640, 400)).save(picture, format="PNG")
    answer = requests.post(f"{url}/v1/describe", files={"image": ("g.png", picture.getvalue())},
                           headers=AUTH, timeout=60)
    assert answer.status_code == 200 and answer.json()["description"]["caption"]


def test_a_full_queue_answers_429(offline_pipe, tmp_path):
    app = create_app(offline_pipe, queue_size=1, folder=tmp_path)  # no key: none needed
    with running(app) as base:
        started = time.monotonic()
        assert finished(base, submit(base, duration=30).json()["id"])["status"] == "done"
        took = time.monotonic() - started
        answers = []
        for _ in range(3):  # one runs (30 s of music take a few seconds), one waits, one is refused
            with (EXAMPLES / "forest.jpg").open("rb") as file:
                answers.append(requests.post(f"{base}/v1/jobs", files={"image": file},
                                             data={"duration": "30"}, timeout=30))
        assert [a.status_code for a in answers] == [202, 202, 429]
        # A slot frees when the running job ends: about one job's time, as measured so far.
        assert 1 <= int(answers[2].headers["Retry-After"]) <= math.ceil(took) + 1
        assert "queue is full" in answers[2].json()["error"]
        with (EXAMPLES / "forest.jpg").open("rb") as file:
            wrong = requests.post(f"{base}/v1/jobs", files={"image": file},
                                  data={"engine": "musicgen"}, timeout=30)
        assert wrong.status_code == 400 and "composer engine only" in wrong.json()["error"]


def test_a_setting_the_brief_refuses_fails_the_job_with_its_message(url):
    job = submit(url, duration=1, style="polka").json()["id"]
    state = finished(url, job)
    assert state["status"] == "failed" and "unknown style 'polka'" in state["error"]
    assert requests.get(f"{url}/v1/jobs/{job}/audio", headers=AUTH, timeout=30).status_code == 404
    stream = requests.get(f"{url}/v1/jobs/{job}/stream", headers=AUTH, timeout=30)
    assert stream.status_code == 404 and "unknown style 'polka'" in stream.json()["error"]


def test_methods_head_and_ranges_answer_as_http_says(url):
    job = submit(url, duration=1).json()["id"]
    assert finished(url, job)["status"] == "done"
    wrong = requests.put(f"{url}/v1/jobs/{job}", headers=AUTH, timeout=30)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "DELETE, GET"
    assert "error" in wrong.json()
    audio = requests.get(f"{url}/v1/jobs/{job}/audio", headers=AUTH, timeout=30)
    head = requests.head(f"{url}/v1/jobs/{job}/audio", headers=AUTH, timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(audio.content))
    assert head.headers["content-type"] == audio.headers["content-type"] == "audio/wav"
    part = requests.get(f"{url}/v1/jobs/{job}/audio", timeout=30,
                        headers={**AUTH, "Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == b"RIFF"
    outside = requests.get(f"{url}/v1/jobs/{job}/audio", timeout=30,
                           headers={**AUTH, "Range": "bytes=99999999-"})
    assert outside.status_code == 416
    assert outside.headers["content-type"] == "application/json"
    assert f"bytes=0-{len(audio.content) - 1}" in outside.json()["error"]
    # A finished job's stream is its audio.
    assert requests.get(f"{url}/v1/jobs/{job}/stream", headers=AUTH,
                        timeout=30).content == audio.content


@pytest.mark.parametrize(("data", "message"), [
    ([("style", "jazz"), ("style", "rock")], "field 'style' was sent 2 times; send it once"),
    ([("seed", "9" * 5000)], "field 'seed' is 5000 characters long; send at most 100"),
])
def test_repeated_and_overlong_fields_are_refused_in_one_short_line(url, data, message):
    with (EXAMPLES / "forest.jpg").open("rb") as file:
        answer = requests.post(f"{url}/v1/jobs", files={"image": file}, data=data,
                               headers=AUTH, timeout=30)
    assert answer.status_code == 400 and answer.json() == {"error": message}


def test_a_full_disk_says_so_with_the_fix(tmp_path):
    from vistune.server.jobs import one_line

    error = one_line(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert error.startswith("No space left on device") and "--max-storage-mb" in error


def test_a_bug_is_a_one_line_json_500(url, offline_pipe, monkeypatch):
    def broken(image):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(offline_pipe, "describe", broken)  # a bug inside the server's call
    with (EXAMPLES / "forest.jpg").open("rb") as file:
        answer = requests.post(f"{url}/v1/describe", files={"image": file}, headers=AUTH,
                               timeout=30)
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal error: ZeroDivisionError: division by zero "
                                      "(please report it; the server log has the details)"}


def test_vistune_serve_takes_the_key_from_the_environment(tmp_path):
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "VISTUNE_API_KEY": KEY, "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "vistune.cli", "serve", "--port", str(port),
                               "--engine", "composer", "--captioner", "labels", "--offline",
                               "--folder", str(tmp_path)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read()
            with contextlib.suppress(requests.ConnectionError):
                answer = requests.get(f"{base}/v1/health", timeout=5)
                break
            assert time.monotonic() < deadline, "vistune serve did not answer"
            time.sleep(0.2)
        assert answer.status_code == 401
        assert requests.get(f"{base}/v1/health", headers=AUTH, timeout=5).json()["engine"] == \
            "composer"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_musicgen_job_streams_while_it_is_made(tmp_path):
    from tiny_models import build_musicgen

    model = build_musicgen(tmp_path / "musicgen", window_seconds=10.0)
    pipe = ImageToMusic(engine="musicgen", music_model=str(model), captioner="labels",
                        offline=True)
    with running(create_app(pipe, folder=tmp_path / "served")) as base:
        job = submit(base, duration=3, seed=1).json()["id"]
        with requests.get(f"{base}/v1/jobs/{job}/stream", stream=True, timeout=120) as stream:
            chunks = stream.iter_content(chunk_size=None)
            first = next(chunks)
            # The header and the first half second arrive while the rest is still being made.
            status = requests.get(f"{base}/v1/jobs/{job}", timeout=30).json()["status"]
            body = first + b"".join(chunks)
        assert status == "running"
        data, rate = soundfile.read(io.BytesIO(body), always_2d=True)
        assert rate == 32_000 and data.shape == (3 * 32_000, 1) and np.abs(data).max() > 0
        assert finished(base, job)["result"]["engine"] == "musicgen"


def test_finished_files_expire_and_downloaded_jobs_make_room_first(offline_pipe, tmp_path):
    # A 2 s job keeps about 0.36 MB (the WAV, MIDI and JSON; its stream file goes when it ends):
    # two fit under the cap, three do not.
    app = create_app(offline_pipe, folder=tmp_path / "a", max_bytes=900 * 1024, ttl=600)
    with running(app) as base:
        older = submit(base, duration=2).json()["id"]
        assert finished(base, older)["status"] == "done"
        fetched = submit(base, duration=2, seed=1).json()["id"]
        assert finished(base, fetched)["status"] == "done"
        assert requests.get(f"{base}/v1/jobs/{fetched}/audio", timeout=30).status_code == 200
        newest = submit(base, duration=2, seed=2).json()["id"]
        assert finished(base, newest)["status"] == "done"
        time.sleep(0.5)  # the worker tidies up after each job
        # The downloaded job goes, not the older one nobody has fetched yet.
        assert requests.get(f"{base}/v1/jobs/{fetched}", timeout=30).status_code == 404
        for job in (older, newest):
            assert requests.get(f"{base}/v1/jobs/{job}/audio", timeout=30).status_code == 200
        assert not list((tmp_path / "a").rglob("stream.wav"))
        assert sum(p.stat().st_size for p in (tmp_path / "a").rglob("*")) <= 900 * 1024
    app = create_app(offline_pipe, folder=tmp_path / "b", ttl=0.5)
    with running(app) as base:
        job = submit(base, duration=1).json()["id"]
        assert finished(base, job)["status"] == "done"
        time.sleep(1.0)
        submit(base, duration=1)  # each new job clears out expired ones first
        assert requests.get(f"{base}/v1/jobs/{job}", timeout=30).status_code == 404


def test_a_reused_folder_is_cleaned_at_start_up(offline_pipe, tmp_path):
    # A previous run left a 2 MB job (over this run's 1 MB cap) and a file of the user's.
    old = tmp_path / "0123456789abcdef0123456789abcdef"
    old.mkdir()
    (old / "stream.wav").write_bytes(bytes(2 * 1024 * 1024))
    (tmp_path / "notes.txt").write_text("mine")
    with running(create_app(offline_pipe, folder=tmp_path, max_bytes=1024 * 1024)) as base:
        assert not old.exists() and (tmp_path / "notes.txt").read_text() == "mine"
        job = submit(base, duration=2).json()["id"]
        assert finished(base, job)["status"] == "done"
        time.sleep(0.5)
        assert requests.get(f"{base}/v1/jobs/{job}/audio", timeout=30).status_code == 200


def test_a_request_cancelled_by_the_shutdown_ends_quietly_instead_of_raising():
    import asyncio

    from vistune.server.api import UploadLimit

    sent = []

    async def streaming(scope, receive, send):  # a stream whose job has not stopped yet
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    async def shutdown():
        request = asyncio.ensure_future(UploadLimit(streaming, limit=10)(
            {"type": "http", "headers": []}, receive, send))
        while not sent:
            await asyncio.sleep(0)
        request.cancel()  # what the server's shutdown does to the tasks left
        return await request  # a CancelledError here is what uvicorn logs as a traceback

    assert asyncio.run(shutdown()) is None
    assert sent[0]["status"] == 200
