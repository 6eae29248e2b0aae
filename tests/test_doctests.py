"""The examples in docstrings run, from the repository root as the README's commands do."""

from __future__ import annotations

import doctest
import importlib

import pytest
from conftest import ROOT

MODULES = ["vistune.theory", "vistune.see.features", "vistune.see.image", "vistune.see.labels",
           "vistune.see.classifier", "vistune.see.naming", "vistune.see.blip",
           "vistune.engines.musicgen.engine", "vistune.pipeline"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, extraglobs={
        "load_image": importlib.import_module("vistune.see.image").load_image,
        "Features": importlib.import_module("vistune.see.features").Features,
        "Label": importlib.import_module("vistune.see.labels").Label})
    assert attempted > 0 and failed == 0
