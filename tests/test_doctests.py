"""The examples in docstrings run, from the repository root as the README's commands do."""

from __future__ import annotations

import doctest
import importlib

import pytest
from conftest import ROOT

MODULES = ["vistune.theory", "vistune.features", "vistune.image", "vistune.captioning",
           "vistune.blip", "vistune.engines.musicgen", "vistune.pipeline"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, extraglobs={
        "load_image": importlib.import_module("vistune.image").load_image,
        "Features": importlib.import_module("vistune.features").Features,
        "Label": importlib.import_module("vistune.captioning").Label})
    assert attempted > 0 and failed == 0
