"""The HTTP API under load and when stopped (issue 25): deletes beside running jobs, many
waiting streams, a dead worker, and SIGTERM."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import soundfile

pytest.importorskip("fastapi", reason="the HTTP API needs vistune[serve]")
requests = pytest.importorskip("requests")

from test_server import finished, offline, running, submit  # noqa: E402

from vistune.server.api import create_app  # noqa: E402

SOAK = 60.0  # seconds of jobs and deletes side by side (the issue asks for a minute)


def test_the_worker_survives_a_minute_of_deletes_beside_running_jobs(offline_pipe, tmp_path):
    # A small cap makes the worker measure and evict after every job while deletes go on.
    app = create_app(offline_pipe, folder=tmp_path, queue_size=4, max_bytes=600 * 1024)
    made, answers, stop = [], [], threading.Event()

    def submitting(base: str) -> None:
        while not stop.is_set():
            answer = submit(base, duration=1, seed=len(made))
            answers.append(answer.status_code)
            if answer.status_code == 202:
                made.append(answer.json()["id"])
            else:
                time.sleep(0.2)

    def deleting(base: str) -> None:
        while not stop.is_set():
            for job in made[-3:]:  # the newest: queued, running or just done
                answers.append(requests.delete(f"{base}/v1/jobs/{job}", timeout=30).status_code)
            time.sleep(0.05)

    with running(app) as base, ThreadPoolExecutor(2) as pool:
        work = [pool.submit(submitting, base), pool.submit(deleting, base)]
        time.sleep(SOAK)
        stop.set()
        for done in work:
            done.result()
        assert len(made) > 10 and set(answers) <= {200, 202, 404, 429}, set(answers)
        health = requests.get(f"{base}/v1/health", timeout=30)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        while (answer := submit(base, duration=1)).status_code == 429:  # the queue drains
            time.sleep(0.5)
        after = answer.json()["id"]
        assert finished(base, after)["status"] == "done"
        time.sleep(0.5)
        # Only jobs still in the table have folders.
        kept = {path.name for path in tmp_path.iterdir()}
        known = {job for job in made + [after]
                 if requests.get(f"{base}/v1/jobs/{job}", timeout=30).status_code == 200}
        assert kept <= {app.state.jobs.get(job).folder.name for job in known}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_health_tells_when_the_worker_died(tmp_path, monkeypatch):
    pipe = offline("composer")

    def dies(*args, **kwargs):
        raise SystemExit  # ends the worker's thread, as no Exception can any more

    monkeypatch.setattr(pipe, "variations", dies)
    with running(create_app(pipe, folder=tmp_path)) as base:
        assert submit(base, duration=1).status_code == 202
        deadline = time.monotonic() + 60
        while (health := requests.get(f"{base}/v1/health", timeout=30)).status_code == 200:
            assert time.monotonic() < deadline, "health kept saying ok"
            time.sleep(0.1)
        assert health.status_code == 503 and "worker" in health.json()["error"]
        refused = submit(base, duration=1)
        assert refused.status_code == 503 and "restart the server" in refused.json()["error"]


def test_fifty_waiting_streams_leave_the_api_answering(offline_pipe, tmp_path):
    app = create_app(offline_pipe, folder=tmp_path)
    with running(app) as base:
        with app.state.jobs.seeing:  # no job gets past captioning while the test holds this
            running_job = submit(base, duration=1).json()["id"]
            job = submit(base, duration=1).json()["id"]  # waits behind it

            def listen(_) -> bytes:
                return requests.get(f"{base}/v1/jobs/{job}/stream", timeout=120).content

            with ThreadPoolExecutor(50) as pool:
                streams = [pool.submit(listen, n) for n in range(50)]
                time.sleep(2)  # all 50 connect and wait
                started = time.monotonic()
                health = requests.get(f"{base}/v1/health", timeout=30)
                took = time.monotonic() - started
                state = requests.get(f"{base}/v1/jobs/{job}", timeout=30).json()["status"]
                app.state.jobs.seeing.release()  # let the job run
                try:
                    bodies = [stream.result(timeout=120) for stream in streams]
                finally:
                    app.state.jobs.seeing.acquire()
        assert health.status_code == 200 and took < 1.0, took
        assert state == "queued"
        assert finished(base, running_job)["status"] == "done"
        for body in bodies:  # every listener got the whole take
            data, rate = soundfile.read(io.BytesIO(body))
            assert len(data) == rate
        assert finished(base, job)["status"] == "done"


def test_stopping_fails_the_queued_jobs_and_refuses_new_ones(offline_pipe, tmp_path):
    app = create_app(offline_pipe, folder=tmp_path)
    jobs = app.state.jobs
    with running(app) as base:
        with jobs.seeing:
            first = submit(base, duration=1).json()["id"]
            waiting = [submit(base, duration=1).json()["id"] for _ in range(2)]
            jobs.stop(grace=30)
            for job in waiting:
                state = requests.get(f"{base}/v1/jobs/{job}", timeout=30).json()
                assert state["status"] == "failed" and "stopping" in state["error"]
            refused = submit(base, duration=1)
            assert refused.status_code == 503 and "stopping" in refused.json()["error"]
            assert requests.get(f"{base}/v1/health", timeout=30).status_code == 503
        assert finished(base, first)["status"] == "done"  # within the grace period
    assert list(tmp_path.iterdir()) == []  # the folder is the user's; the jobs' files went


def _serve(folder, *options: str) -> tuple[subprocess.Popen, str]:
    """``vistune serve`` in its own process, answering; and its URL."""
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "vistune.cli", "serve", "--port", str(port),
                               "--engine", "composer", "--captioner", "labels", "--offline",
                               "--folder", str(folder), *options], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
    while True:
        assert server.poll() is None, server.stderr.read()
        with contextlib.suppress(requests.ConnectionError):
            requests.get(f"{base}/v1/health", timeout=5)
            return server, base
        assert time.monotonic() < deadline, "vistune serve did not answer"
        time.sleep(0.2)


@pytest.mark.parametrize("signals", [1, 2])
def test_sigterm_with_a_stream_open_exits_in_the_grace_period_leaving_no_files(tmp_path,
                                                                              signals):
    server, base = _serve(tmp_path)
    try:
        long = submit(base, duration=600).json()["id"]  # far longer than the grace period
        for _ in range(3):
            assert submit(base, duration=600).status_code == 202
        def listen() -> None:
            with contextlib.suppress(requests.RequestException):  # cut off by a forced exit
                requests.get(f"{base}/v1/jobs/{long}/stream", timeout=120)

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        while not any(tmp_path.rglob("stream.wav")):  # the long job is running
            time.sleep(0.1)
        started = time.monotonic()
        for _ in range(signals):
            server.send_signal(signal.SIGTERM)
            time.sleep(0.5)
        server.wait(timeout=60)
        took = time.monotonic() - started
        listener.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    # Grace period 8 s (a second signal: at once), plus the interpreter's own exit. Both wait
    # for the part being synthesised: midirenderer holds the GIL for a whole part, so no
    # Python code, a signal handler included, runs until it returns (about 2 s for a 10-minute
    # part on a quiet 2-core machine, up to 4 s while other work shares the cores: 9.3-10.4 s
    # in all here when quiet, 11.8 s once in a CI run; the sleeps above are in ``took`` too).
    assert took < (13 if signals == 1 else 5), took
    assert "Traceback" not in server.stderr.read()
    assert list(tmp_path.iterdir()) == []
