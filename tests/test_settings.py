"""Settings are frozen data, checked in one place; errors name the API argument."""

from __future__ import annotations

import dataclasses

import pytest

from vistune import ImageToMusic, InputError
from vistune.settings import (
    CaptionSettings,
    ModelSettings,
    RenderSettings,
    Sampling,
    check_duration,
)

BAD = [
    (lambda: RenderSettings(duration="long"), "duration", "is not a number"),
    (lambda: RenderSettings(duration=float("nan")), "duration", "is not a finite number"),
    (lambda: RenderSettings(duration=0.5), "duration", "is outside 1-600 s"),
    (lambda: RenderSettings(duration=11, max_duration=10), "duration", "is outside 1-10 s"),
    (lambda: RenderSettings(max_duration=0.5), "max_duration", "below the 1 s minimum"),
    (lambda: RenderSettings(seed=-1), "seed", "is outside 0-4294967295"),
    (lambda: RenderSettings(seed=1.5), "seed", "is not a whole number"),
    (lambda: RenderSettings(count=9), "count", "is outside 1-8"),
    (lambda: RenderSettings(loudness=0), "loudness", "is outside -40 to -6 LUFS"),
    (lambda: Sampling(temperature=0.0), "temperature", "is outside"),
    (lambda: Sampling(top_p="x"), "top_p", "is not a number"),
    (lambda: CaptionSettings(num_beams=0), "num_beams", "is outside 1-20"),
    (lambda: ModelSettings(precision="fp8"), "precision", "unknown precision 'fp8'"),
    (lambda: ImageToMusic(engine="composer", captioner="labels", max_duration=0.5),
     "max_duration", "below the 1 s minimum"),
    (lambda: ImageToMusic(engine="magic"), "engine", "unknown engine 'magic'"),
    (lambda: ImageToMusic(captioner="gpt"), "captioner", "unknown captioner 'gpt'"),
]


@pytest.mark.parametrize("make,argument,words", BAD)
def test_bad_settings_are_input_errors_naming_the_argument(make, argument, words):
    with pytest.raises(InputError, match=words) as error:
        make()
    assert error.value.argument == argument
    assert argument in str(error.value)


def test_settings_are_frozen_and_normalised():
    settings = RenderSettings(duration="12", seed="7", count="2")
    assert (settings.duration, settings.seed, settings.count) == (12.0, 7, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.seed = 3
    assert dataclasses.replace(settings, seed=8).seed == 8
    with pytest.raises(InputError, match="seed"):
        dataclasses.replace(settings, seed=-8)  # replacing checks again


def test_given_lists_only_what_differs_from_the_defaults():
    assert ModelSettings().given() == set()
    settings = ModelSettings(device="cpu", sampling=Sampling(top_k=5),
                             caption=CaptionSettings(prefix="an image of", num_beams=4))
    assert settings.given() == {"device", "top_k", "caption_prefix", "num_beams"}


def test_sampling_keeps_only_what_was_given():
    assert Sampling(temperature=0.5, top_k=10).kwargs() == {"temperature": 0.5, "top_k": 10}


def test_check_duration_is_the_same_check_the_settings_make():
    assert check_duration("30") == RenderSettings(duration="30").duration == 30.0
    with pytest.raises(InputError, match="1-5 s"):
        check_duration(6, max_duration=5)


def test_docstring_examples_run():
    import doctest

    import vistune.settings

    failed, attempted = doctest.testmod(vistune.settings)
    assert attempted > 0 and failed == 0
