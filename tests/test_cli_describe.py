"""`vistune describe` with several images."""

from __future__ import annotations

import json

from conftest import EXAMPLES

from vistune.cli.main import main

IMAGES = [str(EXAMPLES / "forest.jpg"), str(EXAMPLES / "sunset.jpg")]
OFFLINE = ["--captioner", "labels", "--engine", "composer"]


def test_describe_several_images_as_json(capsys):
    assert main(["describe", *IMAGES, "--json", *OFFLINE]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [entry["image"] for entry in data] == IMAGES
    assert all(entry["brief"]["reasons"]["genre"] and entry["description"]["caption"]
               for entry in data)


def test_describe_several_images_as_text_with_the_prompt(capsys):
    code = main(["describe", *IMAGES, *OFFLINE, "--prompt", "slow jazz in 3/4, epic"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("why this music:") == 2 and f"== {IMAGES[1]}" in out
    assert out.count("not used: 'epic'") == 2 and out.count("3/4: set by your prompt") == 2


def test_a_bad_image_among_several_is_named_and_the_rest_described(capsys, tmp_path):
    missing = str(tmp_path / "missing.jpg")
    code = main(["describe", IMAGES[0], missing, "--json", *OFFLINE])
    captured = capsys.readouterr()
    assert code == 2 and "missing.jpg" in captured.err
    assert [entry["image"] for entry in json.loads(captured.out)] == IMAGES[:1]
