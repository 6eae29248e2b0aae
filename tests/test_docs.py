"""The docs' commands and examples run as written (docs/*.md), as the README's do
(tests/test_readme.py), so the site cannot rot.

Each fenced block is run, or says why not:

- ``console`` and ``bash``: every ``$ vistune ...`` line runs as a new process, offline, in a
  folder holding the examples. The lines after a command, up to the next ``$``, are what it
  prints, cut short with "...": each must start a line it really printed. A file or folder
  named by ``-o`` must exist afterwards.
- ``python``: a page's blocks run in order in one namespace, in such a folder.
- ```` ```console { .skip } ```` (or ``python``, ``bash``): skipped on purpose, because it needs
  a downloaded model, a GPU, a server, a cluster, another program or the network.
- ``text``, ``toml``, ``json``: shown, not run.

Text included from the README or BENCHMARKS.md (``--8<--`` lines) is tested where it lives.
"""

from __future__ import annotations

import glob
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

DOCS = ROOT / "docs"
RUN = {"console", "bash", "python"}
SHOWN = {"text", "toml", "json"}
FENCE = re.compile(r"^```(?P<language>\w*)[ \t]*(?P<attributes>\{[^}\n]*\})?[ \t]*\n"
                   r"(?P<code>.*?)^```[ \t]*$", flags=re.S | re.M)
SHELL = set("|<>;&`")


@dataclass(frozen=True)
class Block:
    """One fenced block of a docs page."""

    page: str
    line: int
    language: str
    skip: bool
    code: str

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks(page: Path) -> list[Block]:
    text = page.read_text()
    return [Block(page=page.name, line=text.count("\n", 0, match.start()) + 1,
                  language=match["language"], code=match["code"],
                  skip=".skip" in (match["attributes"] or "").split())
            for match in FENCE.finditer(text)]


BLOCKS = [block for page in sorted(DOCS.glob("*.md")) for block in _blocks(page)]
COMMAND_BLOCKS = [b for b in BLOCKS if b.language in {"console", "bash"} and not b.skip]
PYTHON_PAGES = sorted({b.page for b in BLOCKS if b.language == "python" and not b.skip})


def _commands(block: Block) -> list[tuple[str, list[str]]]:
    """Each ``$ `` line of a shell block with the output lines shown after it."""
    commands: list[tuple[str, list[str]]] = []
    for line in block.code.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands and line.strip():
            commands[-1][1].append(line)
    return commands


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder like a clone's root: the examples, and nothing the docs' commands make."""
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_block_runs_or_says_why_not():
    assert COMMAND_BLOCKS and PYTHON_PAGES
    for block in BLOCKS:
        assert block.language in RUN | SHOWN, (
            f"{block.name}: a ```{block.language or '(no language)'} block; use one of "
            f"{sorted(RUN | SHOWN)}")
    for block in COMMAND_BLOCKS:
        commands = _commands(block)
        assert commands, f"{block.name}: no '$ vistune' line to run; mark it {{ .skip }}"
        for command, _ in commands:
            assert command.startswith("vistune ") and not SHELL & set(command.split("#")[0]), (
                f"{block.name}: '$ {command}' cannot run offline as one vistune process; "
                "mark the block {{ .skip }} and say why beside it")


@pytest.mark.parametrize("block", COMMAND_BLOCKS, ids=lambda block: block.name)
def test_commands_run(block, workdir):
    for command, shown in _commands(block):
        argv = shlex.split(command, comments=True)[1:]
        argv = [path for arg in argv for path in (sorted(glob.glob(arg)) if "*" in arg else [arg])]
        done = subprocess.run([sys.executable, "-m", "vistune.cli", *argv], cwd=workdir,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (command, done.stderr)
        printed = done.stdout.splitlines()
        for line in shown:
            assert any(real.startswith(line.removesuffix("...")) for real in printed), (
                f"{block.name}: '{command}' no longer prints {line!r}")
        if "-o" in argv:
            out = workdir / argv[argv.index("-o") + 1]
            assert out.is_file() or any(out.iterdir()), (command, "wrote nothing")


def _python_page_saved(scope: dict, workdir: Path) -> None:
    assert {"city.flac", "city.json", "city.mid", "forest-loop.wav",
            "forest-loop.melody.wav"} <= {p.name for p in workdir.iterdir()}
    loop = scope["loop"]
    assert loop.stems and all(stem.shape == loop.audio.shape for stem in loop.stems.values())
    assert scope["brief"].key == "F#" and scope["brief"].mode == "minor"
    assert scope["again"].brief.key == "F#" and scope["stages"]


def _video_page_saved(scope: dict, workdir: Path) -> None:
    show = scope["show"]
    assert [slide.start for slide in show.slides] == [0.0, 4.0]
    assert show.duration == pytest.approx(8.0, abs=0.1) and (workdir / "show.wav").is_file()


#: What a page's Python examples must have done, beyond running.
PYTHON_CHECKS = {"python.md": _python_page_saved, "video.md": _video_page_saved}


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_examples_run(page, workdir):
    scope: dict = {"__name__": "__docs__"}
    for block in (b for b in BLOCKS if b.page == page and b.language == "python" and not b.skip):
        code = "\n" * block.line + block.code  # tracebacks point at the page's own lines
        exec(compile(code, str(DOCS / page), "exec"), scope)  # noqa: S102 - our own docs
    PYTHON_CHECKS[page](scope, workdir)


def test_layout_names_every_package():
    layout = (DOCS / "layout.md").read_text()
    package = ROOT / "src" / "vistune"
    names = [p.name + ("/" if p.is_dir() else "") for p in package.iterdir()
             if p.name != "__pycache__" and (p.is_dir() or p.suffix == ".py")]
    missing = [name for name in names if f" {name}" not in layout]
    assert not missing, f"docs/layout.md does not show {missing}"


def test_layout_states_the_layer_contract():
    contract = re.search(r"^layers = \[(.*?)^\]", (ROOT / "pyproject.toml").read_text(),
                         flags=re.S | re.M)
    layers = re.findall(r'"([^"]+)"', contract[1])
    shown = next(b.code for b in BLOCKS if b.page == "layout.md" and "vistune.cli\n" in b.code)
    assert shown.split("\n")[:-1] == layers
