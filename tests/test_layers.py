"""The package's layers (pyproject.toml, [tool.importlinter]) hold, and a planted upward import
breaks them: front ends -> flow -> engines / brief / see -> output / runtime -> shared."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import ROOT

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin"})


def test_the_layers_and_no_cycles_hold():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


@pytest.mark.parametrize("module, planted", [
    ("output/audio.py", "from ..see import image"),  # output reaches up to seeing
    ("see/features.py", "from .. import pipeline"),  # a stage reaches up to the flow
    ("runtime/models.py", "from ..cli import main"),  # the runtime reaches a front end
])
def test_a_planted_upward_import_breaks_the_contract(tmp_path, module, planted):
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / "src" / "vistune" / module
    target.write_text(target.read_text() + f"\n{planted}  # noqa\n")
    done = _lint(tmp_path)
    assert done.returncode != 0 and "BROKEN" in done.stdout.upper(), done.stdout


@pytest.mark.parametrize("old, new", [
    ("vistune.audio", "vistune.output.audio"), ("vistune.models", "vistune.runtime.models"),
    ("vistune.captioning", "vistune.see.labels"), ("vistune.styles", "vistune.brief.styles"),
])
def test_a_moved_module_still_imports_with_a_deprecation_warning(old, new):
    code = (f"import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            f"try:\n    import {old}\nexcept DeprecationWarning as w:\n    print(w)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert f"{old} moved to {new}" in done.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_module = __import__(old, fromlist=["_"])
    assert old_module is sys.modules[new]  # the very module: names and patches are shared


@pytest.mark.parametrize("old, name, new", [
    ("vistune.engines.openvino_step", "resolve_backend", "vistune.runtime.openvino.core"),
    ("vistune.engines.openvino_step", "EXPORT_VERSION", "vistune.runtime.openvino.cache"),
    ("vistune.engines.openvino_step", "BACKENDS", "vistune.settings"),
    ("vistune.engines.openvino_step", "export", "vistune.runtime.openvino.step"),
    ("vistune.blip_decoder", "STEP_COMPILE", "vistune.runtime.openvino.core"),
    ("vistune.launch", "Terminated", "vistune.cli.signals"),
    ("vistune.video", "save_video", "vistune.result"),
])
def test_a_name_that_moved_to_another_module_is_found_through_the_old_one(old, name, new):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_module = __import__(old, fromlist=["_"])
    renamed = {"STEP_COMPILE": "COMPILE_F32_CACHE"}.get(name, name)
    wanted = getattr(importlib.import_module(new), renamed)
    assert getattr(old_module, name) is wanted
    assert name in dir(old_module)
    with pytest.raises(AttributeError):
        old_module.no_such_name  # noqa: B018


def test_the_http_api_keeps_its_entry_points_at_the_package():
    import vistune.server
    from vistune.server import api

    assert vistune.server.create_app is api.create_app and vistune.server.serve is api.serve
    with pytest.raises(AttributeError):
        vistune.server.Jobs  # noqa: B018  (internals stay in their modules)
