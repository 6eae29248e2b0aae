"""The command line when the shell, the disk or the user misbehave (issue: nothing lost)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES

from vistune.cli.main import main

OFFLINE = ["--engine", "composer", "--captioner", "labels", "--offline"]
LAUNCH = [sys.executable, "-c", "import sys; from vistune.cli.launch import main; sys.exit(main())"]


def _vistune(*argv, **kwargs) -> subprocess.Popen:
    """The ``vistune`` command as its console script runs it (vistune.cli.launch:main)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **kwargs}
    return subprocess.Popen([*LAUNCH, *map(str, argv)], env=env, **options)


def _pictures(folder: Path, *names: str) -> list[Path]:
    """Copies of the examples under the given relative names (different pictures)."""
    sources = sorted(EXAMPLES.glob("*.jpg"))
    paths = []
    for name, source in zip(names, sources, strict=False):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, path)
        paths.append(path)
    return paths


def test_sigterm_cleans_up_like_ctrl_c(tmp_path):
    stream, out = tmp_path / "live.wav", tmp_path / "out.wav"
    run = _vistune("compose", EXAMPLES / "forest.jpg", "-o", out, "--duration", "600",
                   "--stream", stream, "--midi", *OFFLINE)
    deadline = time.monotonic() + 120
    while not stream.exists() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 143, err
    assert "Traceback" not in err and "stopped (SIGTERM)" in err
    assert list(tmp_path.iterdir()) == []  # no stream, no audio, no .part, no sidecar


def test_ctrl_c_while_starting_is_one_line(tmp_path):
    # From 0.15 s on the interpreter runs our code (the heavy imports). Before that it is still
    # starting itself (importing `site`), where no program can catch Ctrl-C: a 0.05 s signal
    # sometimes landed there on a busy machine.
    for delay in (0.15, 0.3, 0.5):
        run = _vistune("describe", EXAMPLES / "forest.jpg", *OFFLINE)
        time.sleep(delay)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=120)
        assert "Traceback" not in err, (delay, err)
        assert run.returncode in (0, 130), (delay, err)


def test_a_closed_pipe_does_not_stop_the_batch(tmp_path):
    images = _pictures(tmp_path / "in", "a.jpg", "b.jpg", "c.jpg")
    reader, writer = os.pipe()
    run = _vistune("compose", *images, "-o", tmp_path / "out", "--duration", "2", *OFFLINE,
                   stdout=writer)
    os.close(writer)
    os.close(reader)  # as `| head -0` would: nobody reads what vistune prints
    run.stdout = None
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == ["a.wav", "b.wav",
                                                                       "c.wav"]
    assert "BrokenPipe" not in err


def test_terminal_escapes_in_names_are_printed_safely(tmp_path, capsys):
    bad = tmp_path / "x\x1b[2Jy.jpg"
    bad.write_bytes(b"not an image")
    code = main(["compose", str(bad), "-o", str(tmp_path / "o.wav"), *OFFLINE])
    err = capsys.readouterr().err
    assert code == 2 and "\x1b" not in err and "\\x1b[2Jy.jpg" in err


def test_stream_never_follows_a_symbolic_link(tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    link = tmp_path / "here" / "live.wav"
    link.parent.mkdir()
    link.symlink_to(outside / "secret.wav")  # dangling
    code = main(["compose", str(EXAMPLES / "forest.jpg"), "-o", str(tmp_path / "here/o.wav"),
                 "--duration", "1", "--stream", str(link), *OFFLINE])
    err = capsys.readouterr().err
    assert code == 2 and "symbolic link" in err and len(err.splitlines()) == 1
    assert list(outside.iterdir()) == [] and not (tmp_path / "here/o.wav").exists()


def test_names_are_stable_per_input_and_resume_never_confuses_two(tmp_path, capsys):
    first, second = _pictures(tmp_path, "a/x.jpg", "b/x.jpg")
    out = tmp_path / "out"
    assert main(["compose", str(first), str(_pictures(tmp_path, "c/y.jpg")[0]), "-o", str(out),
                 "--duration", "1", *OFFLINE]) == 0
    made = json.loads((out / "x.json").read_text())
    assert made["source"] == "x.jpg" and len(made["source_sha256"]) == 64
    before = (out / "x.wav").read_bytes()
    # Add b/x.jpg beside a/x.jpg and resume: a/x keeps x.wav, b/x gets a name of its own.
    assert main(["compose", str(second), str(first), "-o", str(out), "--duration", "1",
                 "--skip-existing", *OFFLINE]) == 0
    capsys.readouterr()
    tagged = sorted(p.name for p in out.glob("x-*.wav"))
    assert len(tagged) == 1 and (out / "x.wav").read_bytes() == before
    record = json.loads((out / tagged[0].replace(".wav", ".json")).read_text())
    assert record["source_sha256"] != made["source_sha256"]
    # Without a resume, two inputs of one name are told apart by content, in any order.
    for order in ((first, second), (second, first)):
        fresh = tmp_path / f"fresh-{order[0].parent.name}"
        assert main(["compose", *map(str, order), "-o", str(fresh), "--duration", "1",
                     *OFFLINE]) == 0
        assert sorted(p.name for p in fresh.glob("*.wav")) == sorted(
            [tagged[0], f"x-{made['source_sha256'][:8]}.wav"])


def test_resume_remakes_an_unfinished_set(tmp_path, capsys):
    images = _pictures(tmp_path, "a.jpg", "b.jpg")
    out = tmp_path / "out"
    argv = ["compose", *map(str, images), "-o", str(out), "--duration", "1", "--midi", *OFFLINE]
    assert main(argv) == 0
    (out / "a.mid").unlink()  # killed before its MIDI was written
    b_before = (out / "b.wav").stat().st_mtime_ns
    assert main([*argv, "--skip-existing"]) == 0
    assert (out / "a.mid").exists() and (out / "b.wav").stat().st_mtime_ns == b_before
    capsys.readouterr()


def test_a_home_relative_image_path_works(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(EXAMPLES / "forest.jpg", tmp_path / "f.jpg")
    assert main(["describe", "~/f.jpg", *OFFLINE]) == 0


def test_sigterm_handler_turns_into_a_clean_stop():
    from vistune.cli.signals import Terminated, handle_sigterm

    handle_sigterm()
    with pytest.raises(Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
