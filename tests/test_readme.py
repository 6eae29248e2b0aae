"""The README's commands and examples run as written, so the docs cannot rot."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest
import soundfile
from conftest import EXAMPLES, ROOT

from vistune.runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL

README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "examples").symlink_to(EXAMPLES)
    return tmp_path


def test_the_two_setup_commands_and_ci_agree():
    setup, tests = (block.strip() for block in _blocks("bash")[:2])
    assert "vistune compose examples/" in setup and "--offline" in setup
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_quick_start_compose_runs_as_a_new_process(workdir):
    command = _blocks("bash")[0].strip().split("&&", 1)[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(shlex.split(command), cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    audio, rate = soundfile.read(workdir / "forest.wav")
    assert rate == 48_000 and audio.shape == (30 * 48_000, 2)
    assert (workdir / "forest.json").exists()
    assert "auto:" not in done.stderr  # under --offline the choice is what was asked


def test_python_example_runs(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    scope: dict = {}
    code = _blocks("python")[0]
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own README
    result = scope["result"]
    assert result.audio.shape == (2, 960000) and result.sample_rate == 48000
    assert (workdir / "city.flac").exists() and (workdir / "city.mid").exists()
    assert np.isfinite(result.audio).all()


def test_quick_start_commands_run(workdir):
    console = _blocks("console")[0]
    commands = [line[2:] for line in console.splitlines() if line.startswith("$ ")]
    (workdir / "photos").mkdir()
    for name in ("forest.jpg", "sunset.jpg"):
        (workdir / "photos" / name).write_bytes((EXAMPLES / name).read_bytes())
    for command in commands:
        argv = shlex.split(command.split("#")[0])
        argv[:1] = [sys.executable, "-m", "vistune.cli"]
        argv = [str(p) for a in argv for p in (sorted((workdir / "photos").glob("*.jpg"))
                                               if a == "photos/*.jpg" else [a])]
        done = subprocess.run(argv + ["--offline"], cwd=workdir, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        assert done.returncode == 0, (command, done.stderr)
        if command.startswith("vistune describe"):
            shown = console.split("$ ")[1].splitlines()[1:]
            for line in shown:  # the README shows real output, cut short with "..."
                assert any(real.startswith(line.removesuffix("...")) for real in
                           done.stdout.splitlines()), line
    assert (workdir / "sunset.mp3").exists() and (workdir / "sunset.mid").exists()
    assert sorted(p.name for p in (workdir / "music").iterdir()) == [
        "forest.json", "forest.wav", "sunset.json", "sunset.wav"]


def test_readme_names_the_real_default_models():
    assert DEFAULT_CAPTION_MODEL == "Salesforce/blip-image-captioning-large"
    assert DEFAULT_MUSIC_MODEL == "facebook/musicgen-small"
    assert f"`{DEFAULT_CAPTION_MODEL}`" in README and f"`{DEFAULT_MUSIC_MODEL}`" in README


def test_readme_is_short_and_leads_to_every_docs_page():
    assert len(README.splitlines()) <= 150  # the rest lives in docs/ (issue 22)
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README))
    assert linked == {page.name for page in (ROOT / "docs").glob("*.md")}


def test_readme_says_each_engines_licence():
    for engine, licence in [("composer", "output is yours"), ("musicgen", "CC-BY-NC 4.0"),
                            ("ace-step", "MIT")]:
        row = next(line for line in README.splitlines() if line.startswith(f"| `{engine}` |"))
        assert licence in row, (engine, row)
