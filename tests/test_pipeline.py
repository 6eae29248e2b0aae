from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import pytest
import soundfile
from conftest import EXAMPLES

from vistune import ImageToMusic, InputError, ModelUnavailable, OutputError, Result
from vistune.pipeline import STEPS
from vistune.runtime.models import DEFAULT_CAPTION_MODEL, DEFAULT_MUSIC_MODEL
from vistune.settings import RenderSettings


def test_result_is_a_frozen_dataclass_with_the_documented_fields(short_result):
    r = short_result
    assert isinstance(r, Result)
    assert r.audio.dtype == np.float32 and r.audio.shape == (2, 6 * 48_000)
    assert r.sample_rate == 48_000 and r.seed == 3 and r.engine == "composer"
    assert r.caption == r.description.caption and r.prompt == r.brief.prompt
    assert r.midi is not None
    with pytest.raises(AttributeError):
        r.seed = 4


def test_same_image_settings_and_seed_give_the_same_samples(offline_pipe, short_result):
    again = offline_pipe(EXAMPLES / "forest.jpg", duration=6, seed=3)
    assert np.array_equal(again.audio, short_result.audio)


def test_output_loudness_is_minus_14(short_result):
    loudness = pyloudnorm.Meter(48_000).integrated_loudness(short_result.audio.T)
    assert abs(loudness + 14) <= 1.0


def test_save_writes_audio_sidecar_and_midi(short_result, tmp_path):
    path = short_result.save(tmp_path / "out" / "forest.flac", midi=True)
    assert path == tmp_path / "out" / "forest.flac"
    data, rate = soundfile.read(path)
    assert rate == 48_000 and data.shape == (6 * 48_000, 2)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    for key in ("caption", "features", "brief", "prompt", "engine", "music_model", "seed",
                "duration", "vistune_version", "captioner"):
        assert key in sidecar
    assert sidecar["seed"] == 3 and sidecar["engine"] == "composer"
    assert path.with_suffix(".mid").stat().st_size > 100


def test_save_never_clobbers_without_overwrite(short_result, tmp_path):
    target = tmp_path / "a.wav"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists"):
        short_result.save(target)
    assert target.read_bytes() == b"precious" and not target.with_suffix(".json").exists()
    short_result.save(target, overwrite=True)
    assert target.stat().st_size > 1000


def test_save_needs_an_audio_extension(short_result, tmp_path):
    with pytest.raises(OutputError, match="needs an audio extension"):
        short_result.save(tmp_path / "song.txt")


def test_pipeline_accepts_bytes_and_description(offline_pipe, forest_description):
    data = (EXAMPLES / "sunset.jpg").read_bytes()
    assert offline_pipe(data, duration=2).duration == 2
    result = offline_pipe(forest_description, duration=2, style="jazz", tempo=120, key="G")
    assert result.brief.genre == "jazz" and result.brief.tempo == 120 and result.brief.key == "G"


@pytest.mark.parametrize("duration", [-1, 0, float("nan"), float("inf"), 1e9, "abc"])
def test_bad_durations(offline_pipe, duration):
    with pytest.raises(InputError, match="duration"):
        offline_pipe(EXAMPLES / "forest.jpg", duration=duration)


@pytest.mark.parametrize("seed", [-1, 2**32, "x"])
def test_bad_seeds(offline_pipe, seed):
    with pytest.raises(InputError, match="seed"):
        offline_pipe(EXAMPLES / "forest.jpg", duration=2, seed=seed)


def test_max_duration_is_configurable():
    pipe = ImageToMusic(engine="composer", captioner="labels", max_duration=5)
    with pytest.raises(InputError, match="1-5 s"):
        pipe(EXAMPLES / "forest.jpg", duration=6)


def test_auto_falls_back_offline_and_says_so_in_one_line():
    notes = []
    pipe = ImageToMusic(offline=True, notify=notes.append)
    assert (pipe.captioner_name, pipe.engine_name) == ("labels", "composer")
    assert len(notes) == 1 and "not downloaded" in notes[0]
    assert DEFAULT_MUSIC_MODEL in notes[0] and DEFAULT_CAPTION_MODEL in notes[0]


@pytest.mark.parametrize("kwargs,error", [
    ({"engine": "musicgen", "captioner": "labels"}, "vistune download facebook/musicgen-small"),
    ({"engine": "composer", "captioner": "blip"}, "--captioner labels")])
def test_explicit_neural_piece_without_weights_is_a_clear_error(kwargs, error):
    pipe = ImageToMusic(offline=True, **kwargs)
    with pytest.raises(ModelUnavailable, match=error):
        pipe(EXAMPLES / "forest.jpg", duration=2)


def test_unknown_engine_or_captioner():
    with pytest.raises(InputError, match="unknown engine 'magic'"):
        ImageToMusic(engine="magic")
    with pytest.raises(InputError, match="unknown captioner"):
        ImageToMusic(captioner="gpt")


def test_from_pretrained_accepts_the_offline_pieces():
    pipe = ImageToMusic.from_pretrained("labels", "composer")
    assert (pipe.captioner_name, pipe.engine_name) == ("labels", "composer")


def test_progress_reports_every_stage_over_a_fixed_total(offline_pipe):
    seen = []
    offline_pipe(EXAMPLES / "forest.jpg", duration=2, progress=lambda *a: seen.append(a))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == STEPS
    assert {total for _, total, _ in seen} == {STEPS}
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)
    rendering = {done for done, _, stage in seen
                 if stage.startswith("composing") or stage == "rendered"}
    assert len(rendering) == 2 and all(0 < done < STEPS for done in rendering)


def test_musicgen_progress_moves_through_the_whole_bar(tmp_path, forest_description):
    from tiny_models import build_musicgen

    folder = build_musicgen(tmp_path / "musicgen", window_seconds=2.0)
    pipe = ImageToMusic(engine="musicgen", captioner="labels", music_model=str(folder),
                        precision="fp32", offline=True)
    seen = []
    pipe(forest_description, duration=3, progress=lambda *a: seen.append(a))  # two windows
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and done[-1] == STEPS and {t for _, t, _ in seen} == {STEPS}
    music = sorted({d for d, _, stage in seen if stage.startswith("MusicGen")})
    assert len(music) >= 10 and music[0] <= 0.2 * STEPS and music[-1] >= 0.9 * STEPS


def test_composer_takes_have_their_own_seeds(offline_pipe, forest_description):
    takes = offline_pipe.variations(forest_description, count=2, duration=2, seed=5)
    assert [t.seed for t in takes] == [5, 6] and [t.take for t in takes] == [0, 1]
    alone = offline_pipe(forest_description, duration=2, seed=6)
    assert np.array_equal(alone.audio, takes[1].audio)


def test_loudness_is_a_setting(offline_pipe, forest_description):
    quiet = offline_pipe(forest_description, duration=6, seed=3, loudness=-23)
    assert abs(pyloudnorm.Meter(48_000).integrated_loudness(quiet.audio.T) + 23) <= 1.0
    with pytest.raises(InputError, match="loudness 3 is outside") as error:
        offline_pipe(forest_description, duration=2, loudness=3)
    assert error.value.argument == "loudness"


def test_a_settings_object_serves_as_well_as_keywords(offline_pipe, forest_description,
                                                      short_result):
    settings = RenderSettings(duration=6, seed=3)
    again, = offline_pipe.compose(forest_description, settings)
    assert np.array_equal(again.audio, short_result.audio)


def test_models_load_once_and_are_reused(offline_pipe):
    first = offline_pipe.captioner
    offline_pipe(EXAMPLES / "sunset.jpg", duration=2)
    assert offline_pipe.captioner is first and offline_pipe.captioner._model is not None
