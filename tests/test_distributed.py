"""compose --ray: a local Ray with 2 CPUs gives the same files as a plain run."""

from __future__ import annotations

import shutil

import pytest
from conftest import EXAMPLES

ray = pytest.importorskip("ray", reason="compose --ray needs vistune[ray]")

from vistune.cli.main import main  # noqa: E402

OFFLINE = ["--engine", "composer", "--captioner", "labels", "--offline", "--duration", "1",
           "--seed", "5", "--midi"]


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module; compose --ray joins it instead of starting its own."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def images(tmp_path):
    """Three pictures and a broken one (a cut-off JPEG)."""
    folder = tmp_path / "in"
    folder.mkdir()
    paths = [shutil.copy(EXAMPLES / name, folder) for name in
             ("forest.jpg", "sunset.jpg", "city_night.jpg")]
    broken = folder / "broken.jpg"
    broken.write_bytes((EXAMPLES / "forest.jpg").read_bytes()[:500])
    return [str(p) for p in paths] + [str(broken)]


def files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_batch_on_ray_matches_a_plain_run(local_ray, images, tmp_path, capsys):
    assert main(["compose", *images, "-o", str(tmp_path / "plain"), *OFFLINE]) == 2
    capsys.readouterr()
    assert main(["compose", *images, "-o", str(tmp_path / "ray"), *OFFLINE, "--ray"]) == 2
    err = capsys.readouterr().err
    assert "skipped" in err and "broken.jpg" in err and "1 of 4 images failed" in err
    assert "4/4" in err  # the bar counts every track, the failed one too
    made = files(tmp_path / "ray")
    assert sorted(made) == [f"{n}.{x}" for n in ("city_night", "forest", "sunset")
                            for x in ("json", "mid", "wav")]
    assert made == files(tmp_path / "plain")  # byte for byte

    # --skip-existing: only the missing piece is made again, the same as before.
    kept = (tmp_path / "ray" / "forest.wav").stat().st_mtime_ns
    for suffix in ("wav", "json", "mid"):
        (tmp_path / "ray" / f"sunset.{suffix}").unlink()
    assert main(["compose", *images[:3], "-o", str(tmp_path / "ray"), *OFFLINE, "--ray",
                 "--skip-existing"]) == 0
    assert "1/1" in capsys.readouterr().err
    assert (tmp_path / "ray" / "forest.wav").stat().st_mtime_ns == kept
    assert files(tmp_path / "ray") == made


def test_ray_options_that_cannot_work_are_one_line_errors(local_ray, images, tmp_path, capsys):
    assert main(["compose", images[0], "-o", str(tmp_path / "a.wav"), *OFFLINE,
                 "--stream", str(tmp_path / "s.wav"), "--ray"]) == 2
    assert "--stream does not work with --ray" in capsys.readouterr().err
    assert not (tmp_path / "a.wav").exists()
