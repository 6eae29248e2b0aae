from __future__ import annotations

import json
import re
import shutil

import pytest
import soundfile
from conftest import EXAMPLES

from vistune.cli.main import main
from vistune.cli.parser import make_parser

FOREST = str(EXAMPLES / "forest.jpg")
OFFLINE = ["--engine", "composer", "--captioner", "labels"]


def _run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own errors and --help
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_compose_one_image(tmp_path, capsys):
    target = tmp_path / "forest.ogg"
    code, out, err = _run(capsys, "compose", FOREST, "-o", str(target), "--duration", "3",
                          "--midi", *OFFLINE)
    assert code == 0, err
    assert str(target) in out and "caption:" in out and "prompt:" in out
    _, rate = soundfile.read(target)
    assert rate == 48_000
    assert target.with_suffix(".json").exists() and target.with_suffix(".mid").exists()


def test_compose_several_images_into_a_folder(tmp_path, capsys):
    images = [str(EXAMPLES / n) for n in ("forest.jpg", "sunset.jpg")]
    code, out, err = _run(capsys, "compose", *images, "-o", str(tmp_path / "songs"),
                          "--duration", "2", "--format", "flac", *OFFLINE)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "songs").glob("*.flac")) == [
        "forest.flac", "sunset.flac"]


def test_batch_keeps_finished_work_and_skip_existing_resumes(tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a picture")
    out_dir = tmp_path / "songs"
    code, _, err = _run(capsys, "compose", FOREST, str(bad), "-o", str(out_dir),
                        "--duration", "2", *OFFLINE)
    assert code == 2 and "skipped" in err and "broken.jpg" in err
    assert (out_dir / "forest.wav").exists() and not (out_dir / "broken.wav").exists()
    shutil.copy(EXAMPLES / "sunset.jpg", bad)
    code, _, err = _run(capsys, "compose", FOREST, str(bad), "-o", str(out_dir),
                        "--duration", "2", "--skip-existing", *OFFLINE)
    assert code == 0, err
    assert (out_dir / "broken.wav").exists()


def test_output_names_cannot_escape_the_folder(tmp_path, capsys):
    sneaky = tmp_path / "..evil name!.jpg"
    shutil.copy(EXAMPLES / "forest.jpg", sneaky)
    out_dir = tmp_path / "songs"
    code, _, err = _run(capsys, "compose", str(sneaky), FOREST, "-o", str(out_dir),
                        "--duration", "2", *OFFLINE)
    assert code == 0, err
    assert sorted(p.name for p in out_dir.glob("*.wav")) == ["evil_name.wav", "forest.wav"]


def test_describe_json(capsys):
    code, out, _ = _run(capsys, "describe", FOREST, "--json", "--captioner", "labels")
    [data] = json.loads(out)
    assert data["brief"]["prompt"] and data["description"]["features"]["palette"]


def test_describe_text_explains_the_music(capsys):
    code, out, _ = _run(capsys, "describe", FOREST, "--captioner", "labels", "--style", "jazz")
    assert code == 0 and "why this music:" in out and "style preset 'jazz'" in out


BAD_ARGS = {
    "missing image": (["compose", "missing.jpg", "-o", "{tmp}/a.wav"], "does not exist"),
    "not an image": (["compose", "{tmp}/text.jpg", "-o", "{tmp}/a.wav"], "not a readable"),
    "duration text": (["compose", FOREST, "-o", "{tmp}/a.wav", "--duration", "abc"],
                      "not a number"),
    "duration huge": (["compose", FOREST, "-o", "{tmp}/a.wav", "--duration", "1e9"],
                      "outside"),
    "bad key": (["compose", FOREST, "-o", "{tmp}/a.wav", "--key", "Q#"], "unknown key"),
    "bad style": (["compose", FOREST, "-o", "{tmp}/a.wav", "--style", "polka"], "invalid choice"),
    "bad format": (["compose", FOREST, "-o", "{tmp}/a.xyz"], ".mp3, or .mp4 for a video"),
    "empty prompt": (["compose", FOREST, "-o", "{tmp}/a.wav", "--prompt", " "], "prompt is empty"),
    "bad engine": (["compose", FOREST, "-o", "{tmp}/a.wav", "--engine", "x"], "invalid choice"),
    "no output": (["slideshow", FOREST], "required: -o"),
    "musicgen missing": (["compose", FOREST, "-o", "{tmp}/a.wav", "--engine", "musicgen"],
                         "vistune download"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGS))
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, capsys, case):
    (tmp_path / "text.jpg").write_text("hello")
    argv, message = BAD_ARGS[case]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = _run(capsys, *argv, "--offline")
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert message in lines[-1]
    assert "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["text.jpg"]


def test_existing_output_is_refused_before_any_work(tmp_path, capsys):
    target = tmp_path / "a.wav"
    target.write_bytes(b"keep me")
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(target), *OFFLINE)
    assert code == 2 and "--overwrite" in err and target.read_bytes() == b"keep me"


def test_help_shows_defaults(capsys):
    code, out, _ = _run(capsys, "compose", "--help")
    assert code == 0
    assert "(default: 30)" in out and "--engine" in out and "--captioner" in out


@pytest.mark.parametrize("command", list(make_parser().get_default("parsers")))
def test_every_option_has_help_and_its_default_once(capsys, command):
    code, out, _ = _run(capsys, command, "--help")
    assert code == 0 and "(default: None)" not in out and "(default: False)" not in out
    options = out.split("options:\n", 1)[1]
    entries = re.split(r"\n  (?=-)", options.strip())
    for entry in entries:
        flags, _, text = entry.partition("  ")  # help follows two spaces or a new line
        text = " ".join(text.split())
        assert text, f"{flags.strip()} has no help"
        assert text.count("default") <= 1, entry


def test_bare_vistune_lists_the_commands(capsys):
    code, out, err = _run(capsys)
    assert code == 0 and not err
    assert all(name in out for name in ("compose", "describe", "models", "download", "app"))


@pytest.mark.parametrize(("option", "typed", "meant"), [
    ("--style", "lowfi", "lo-fi"), ("--engine", "compser", "composer"),
    ("--captioner", "lables", "labels"), ("--precision", "fp23", "fp32"),
    ("--format", "flca", "flac")])
def test_a_misspelt_choice_suggests_the_right_one(tmp_path, capsys, option, typed, meant):
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "a.wav"), option, typed)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"did you mean {meant}?" in err and option in err


def test_errors_name_the_flag_the_user_typed(tmp_path, capsys):
    out = ["-o", str(tmp_path / "a.wav"), *OFFLINE]
    code, _, err = _run(capsys, "compose", FOREST, *out, "--max-duration", "0")
    assert code == 2 and "--max-duration 0" in err and "max_duration" not in err
    code, _, err = _run(capsys, "compose", FOREST, *out, "--duration", "900")
    assert code == 2 and "error: --duration '900' is outside" in err
    assert "(--max-duration raises the limit)" in err
    code, _, err = _run(capsys, "compose", FOREST, *out, "--variations", "99")
    assert code == 2 and "error: --variations 99 is outside" in err
    code, _, err = _run(capsys, "compose", FOREST, *out, "--seed", "-1")
    assert code == 2 and "error: --seed '-1' is outside" in err


def test_an_api_error_naming_its_argument_is_shown_with_the_flag():
    from vistune.cli.common import in_flags
    from vistune.errors import InputError

    args = make_parser().parse_args(["compose", "x.jpg", "-o", "x.wav"])
    error = InputError("a duration of 'x' is not a number; e.g. --duration 30 or top_k")
    error.argument = "duration"
    assert in_flags(str(error), error, args) == (
        "a --duration of 'x' is not a number; e.g. --duration 30 or --top-k")
    assert in_flags("images cannot be read", InputError("images cannot be read"), args) == (
        "images cannot be read")  # a positional argument has no flag
    error = InputError("count 9 is outside 1-8")  # the API's count is --variations
    error.argument = "count"
    assert in_flags(str(error), error, args) == "--variations 9 is outside 1-8"


def test_progress_bar_follows_the_callback(monkeypatch):
    import io

    from vistune.cli.common import stage_printer

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    report = stage_printer()
    report(0, 4, "looking at the picture")
    report(37, 100, "making music with musicgen")
    assert "making music with musicgen" in screen.getvalue().rsplit("\r", 1)[-1]
    assert " 37%" in screen.getvalue().rsplit("\r", 1)[-1]
    report(100, 100, "done")
    assert " 37%" not in screen.getvalue().rsplit("\r", 1)[-1]  # the bar cleared itself


def test_several_images_need_a_folder_not_a_file_name(tmp_path, capsys):
    images = [FOREST, str(EXAMPLES / "sunset.jpg")]
    code, _, err = _run(capsys, "compose", *images, "-o", str(tmp_path / "two.mp3"), *OFFLINE)
    assert code == 2 and "OUT must be a folder" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "two.mp3").mkdir()  # an existing folder is a folder, whatever its name
    code, _, err = _run(capsys, "compose", *images, "-o", str(tmp_path / "two.mp3"),
                        "--duration", "2", "--format", "mp3", *OFFLINE)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "two.mp3").glob("*.mp3")) == [
        "forest.mp3", "sunset.mp3"]


def test_format_must_agree_with_the_output_files_extension(tmp_path, capsys):
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "x.mp3"),
                        "--format", "wav", *OFFLINE)
    assert code == 2 and "--format says wav" in err and list(tmp_path.iterdir()) == []
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "x.mp3"),
                        "--format", "mp3", "--duration", "2", *OFFLINE)
    assert code == 0, err
    assert (tmp_path / "x.mp3").exists()


def test_one_image_into_a_new_folder_with_a_dot(tmp_path, capsys):
    code, _, err = _run(capsys, "compose", FOREST, "-o", f"{tmp_path / 'take.v2'}/",
                        "--duration", "2", *OFFLINE)
    assert code == 0, err
    assert (tmp_path / "take.v2" / "forest.wav").exists()


def test_the_same_piece_in_two_formats_keeps_a_sidecar_each(tmp_path, capsys):
    for name in ("x.wav", "x.flac", "x.wav"):
        code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / name),
                            "--duration", "2", "--overwrite", *OFFLINE)
        assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.flac", "x.flac.json", "x.json",
                                                          "x.wav"]
    assert json.loads((tmp_path / "x.json").read_text())["audio"] == "x.wav"
    assert json.loads((tmp_path / "x.flac.json").read_text())["audio"] == "x.flac"
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "x.ogg"),
                        "--duration", "2", "--midi", *OFFLINE)
    assert code == 0, err
    assert (tmp_path / "x.ogg.json").exists() and (tmp_path / "x.ogg.mid").exists()


def test_the_sidecar_names_the_image_not_its_folders(tmp_path, capsys):
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "f.wav"),
                        "--duration", "2", *OFFLINE)
    assert code == 0, err
    assert json.loads((tmp_path / "f.json").read_text())["source"] == "forest.jpg"


def test_models_lists_the_defaults(capsys):
    code, out, _ = _run(capsys, "models")
    assert code == 0
    assert "Salesforce/blip-image-captioning-large" in out and "facebook/musicgen-small" in out


def test_stream_to_a_file_and_its_errors(tmp_path, capsys):
    stream = tmp_path / "live.wav"
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "f.wav"), "--duration",
                        "2", "--stream", str(stream), *OFFLINE)
    assert code == 0, err
    audio, rate = soundfile.read(stream)
    assert rate == 48_000 and audio.shape == (2 * 48_000, 2)
    code, _, err = _run(capsys, "compose", FOREST, FOREST, "-o", str(tmp_path / "d"),
                        "--stream", "-", *OFFLINE)
    assert code == 2 and "--stream takes one image" in err and len(err.splitlines()) == 1
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "s.wav"), "--stream",
                        str(tmp_path / "s.wav"), *OFFLINE)
    assert code == 2 and "is also the output" in err and not (tmp_path / "s.wav").exists()
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "g.wav"), "--stream",
                        str(stream), *OFFLINE)  # exists already
    assert code == 2 and str(stream) in err and not (tmp_path / "g.wav").exists()
    stream.unlink()
    code, _, err = _run(capsys, "compose", FOREST, "-o", str(tmp_path / "h.wav"), "--stream",
                        str(stream), "--melody", "image", *OFFLINE)  # fails after it opened
    assert code == 2 and "cannot follow a tune; leave out --melody" in err and not stream.exists()


@pytest.mark.parametrize("option", [["--engine", "bogus"], ["--duration", "abc"],
                                    ["--port", "99999"], ["--port", "http"]])
def test_bad_app_options_are_one_line_errors(capsys, option):
    code, _, err = _run(capsys, "app", *option)
    assert code == 2 and len(err.strip().splitlines()) == 1 and option[0] in err


def test_a_busy_port_or_a_foreign_host_is_a_one_line_error(capsys):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        code, _, err = _run(capsys, "app", "--host", "127.0.0.1", "--port", str(port))
    assert code == 2 and f"port {port} on 127.0.0.1 is in use" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, "app", "--host", "nowhere.invalid")
    assert code == 2 and "--host nowhere.invalid is not an address" in err
