"""A new user's first commands (issue 26) and readers that go away (issue 25, item 7): what
the command line says, names, lists and records, and that a closed pipe never stops it."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from conftest import EXAMPLES, ROOT
from test_cli import FOREST, OFFLINE, _run

from vistune.cli.main import main
from vistune.cli.parser import make_parser

IMAGES = [FOREST, str(EXAMPLES / "sunset.jpg"), str(EXAMPLES / "city_night.jpg")]


def test_auto_is_said_only_when_it_may_surprise(tmp_path, capsys):
    out = ["-o", str(tmp_path / "a.wav"), "--duration", "1"]
    code, _, err = _run(capsys, "compose", FOREST, *out)  # no model here: offline pieces
    assert code == 0, err
    assert err.count("vistune:") == 1 and "using the offline composer engine" in err
    code, _, err = _run(capsys, "compose", FOREST, *out, "--overwrite", "--offline")
    assert code == 0 and err == ""  # --offline asked for them
    code, _, err = _run(capsys, "describe", FOREST)  # makes no music
    assert code == 0 and err == ""
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "b.wav"),
                        "--duration", "0")
    assert code == 2 and err.count("\n") == 1 and "auto" not in err


def test_offline_is_the_reason_given(tmp_path, capsys):
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "a.wav"),
                        "--captioner", "blip", "--offline")
    assert code == 2 and "--offline keeps off the network; leave out --offline" in err
    assert "cannot be reached" not in err and list(tmp_path.iterdir()) == []


def test_a_missing_model_is_said_before_anything_loads(tmp_path, capsys, monkeypatch):
    def no_loading(*args, **kwargs):
        raise AssertionError("the captioner loaded before the engine was checked")

    monkeypatch.setattr("vistune.see.labels.LabelCaptioner.__init__", no_loading)
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "a.wav"),
                        "--engine", "musicgen", "--captioner", "labels")
    assert code == 2 and "vistune download facebook/musicgen-small" in err
    assert "internal error" not in err


def test_video_output_is_in_the_help_and_the_error(tmp_path, capsys):
    code, out, _ = _run(capsys, "compose", "--help")
    assert code == 0 and "or a video (.mp4)" in " ".join(out.split())
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "x.txt"), *OFFLINE)
    assert code == 2 and ".mp3, or .mp4 for a video" in err


def test_a_misspelt_option_is_matched_and_its_command_named(capsys):
    code, _, err = _run(capsys, "compose", FOREST, "--durtion", "5")
    assert code == 2 and len(err.splitlines()) == 1
    assert "did you mean --duration?" in err and "(see vistune compose --help)" in err


@pytest.mark.parametrize("typed", ["Lo-Fi", "LOFI", "lo fi", "lo_fi"])
def test_styles_are_named_in_any_case_and_spacing(typed):
    for command in (["compose", "x.jpg"], ["slideshow", "x.jpg", "-o", "x.mp4"],
                    ["describe", "x.jpg"]):
        assert make_parser().parse_args([*command, "--style", typed]).style == "lo-fi"
    args = make_parser().parse_args(["compose", "x.jpg", "--style", "Classical-Piano"])
    assert args.style == "classical piano"


def test_without_o_the_piece_is_named_after_the_image_and_never_replaces_one(
        tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for expected in ("forest.wav", "forest-1.wav"):
        code, out, err = _run(capsys, "compose", FOREST, "--duration", "1", *OFFLINE)
        assert code == 0, err
        assert out.startswith(f"{expected}  [composer")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "forest-1.json", "forest-1.wav", "forest.json", "forest.wav"]


def test_every_file_written_is_listed_and_the_sidecar_records_the_request(tmp_path, capsys):
    target = tmp_path / "f.wav"
    code, out, err = _run(capsys, "compose", FOREST, "-o", str(target), "--duration", "2",
                          "--stems", "--loop", "--midi", "--loudness", "-18", *OFFLINE)
    assert code == 0, err
    listed = out.split("wrote:", 1)[1].strip().split(", ")
    assert sorted(listed) == sorted(str(p) for p in tmp_path.iterdir())
    assert len(listed) >= 6  # mix, sidecar, MIDI and at least three stems
    sidecar = json.loads((tmp_path / "f.json").read_text())
    assert sidecar["request"] == {"loop": True, "stems": True, "loudness": -18.0,
                                  "soundfont": sidecar["music_model"].split(" + ")[1],
                                  "midi": True}
    assert sorted(sidecar["files"]) == sorted(p.name for p in tmp_path.iterdir())


def test_a_videos_sidecar_records_its_style_and_size(tmp_path, capsys):
    target = tmp_path / "v.mp4"
    code, out, err = _run(capsys, "compose", FOREST, "-o", str(target), "--duration", "1",
                          "--video-style", "wave", "--size", "96x64", *OFFLINE)
    assert code == 0, err
    sidecar = json.loads((tmp_path / "v.json").read_text())
    assert sidecar["request"]["video_style"] == "wave" and sidecar["request"]["size"] == "96x64"
    assert sidecar["request"]["loop"] is False and sidecar["files"] == ["v.mp4", "v.json"]
    assert f"wrote:   {target}, {tmp_path / 'v.json'}" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["compose", FOREST, "-o", "{tmp}/v.mp4", "--stems"], "--stems writes audio files"),
    (["compose", FOREST, "-o", "{tmp}/a.wav", "--size", "64x64"], "--size shapes a video"),
    (["compose", FOREST, "-o", "{tmp}/a.wav", "--video-style", "zoom"],
     "--video-style shapes a video"),
    (["slideshow", FOREST, FOREST, "-o", "{tmp}/a.wav", "--audio-only", "--video-style",
      "wave"], "--video-style shapes a video"),
    (["slideshow", FOREST, FOREST, "-o", "{tmp}/a.mp4", "--audio-only"],
     "--audio-only writes music alone")])
def test_an_option_the_output_cannot_honour_is_refused(tmp_path, capsys, argv, message):
    code, _, err = _run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv], *OFFLINE)
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_models_is_a_table(capsys):
    code, out, _ = _run(capsys, "models")
    table = out.split("\n\n", 1)[0].splitlines()
    assert code == 0 and table[0].split() == ["name", "kind", "size", "here", "licence",
                                              "how", "to", "get", "it"]
    starts = [table[0].index(column) for column in ("kind", "size", "here", "licence")]
    for row in table[1:]:  # every cell starts under its heading, after a gap
        assert all(row[start - 2:start] == "  " and row[start] != " " for start in starts), row
    assert any(r.split()[:2] == ["composer", "engine,"] and "yours to use" in r for r in table)
    assert any(r.startswith("facebook/musicgen-small ") and "CC-BY-NC 4.0" in r for r in table)
    assert "[built in" not in out


class _Gone(io.StringIO):
    """Standard output whose reader has gone (``| head -c 0``)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("argv", [["models"], ["describe", FOREST, *OFFLINE],
                                  ["describe", FOREST, "--json", *OFFLINE],
                                  ["slideshow", FOREST, FOREST, "--seconds-per-image", "2",
                                   "--audio-only", "-o", "{tmp}/s.wav", *OFFLINE]])
def test_a_closed_standard_output_is_no_error(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.setattr("sys.stdout", _Gone())
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 0 and "internal error" not in err, err
    if argv[0] == "slideshow":
        assert (tmp_path / "s.wav").exists()  # the work was done


def test_a_batch_goes_on_quietly_when_its_stderr_closes(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "vistune.cli", "compose", *IMAGES, "-o", str(out),
               "--duration", "1", *OFFLINE, "--offline"]
    # As `... 2>&1 | head -1`: one line is read, then the pipe is closed.
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          cwd=ROOT) as run:
        run.stdout.readline()
        run.stdout.close()
        code = run.wait(timeout=300)
    assert code == 0
    assert sorted(p.name for p in out.glob("*.wav")) == ["city_night.wav", "forest.wav",
                                                         "sunset.wav"]
