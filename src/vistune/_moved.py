"""Import paths that moved in 0.2 keep working for one release, with a DeprecationWarning.

``import vistune.audio`` (say) gives the very module ``vistune.output.audio``, so its names,
and anything patched on it, are the same objects. A few old modules had names that now live
in other modules (``SCATTERED``); those come as a stand-in module that finds each name where
it lives now (patch such names where they live).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

MOVED = {
    "vistune.audio": "vistune.output.audio",
    "vistune.beam_search": "vistune.runtime.openvino.beam_search",
    "vistune.blip": "vistune.see.blip",
    "vistune.blip_decoder": "vistune.runtime.openvino.blip_decoder",
    "vistune.blip_openvino": "vistune.runtime.openvino.blip",
    "vistune.captioning": "vistune.see.labels",
    "vistune.compat": "vistune.runtime.compat",
    "vistune.engines.decoding": "vistune.engines.musicgen.decoding",
    "vistune.engines.openvino_codec": "vistune.runtime.openvino.codec",
    "vistune.engines.openvino_step": "vistune.runtime.openvino.step",
    "vistune.engines.sf2": "vistune.engines.composer.sf2",
    "vistune.engines.synth": "vistune.engines.composer.synth",
    "vistune.features": "vistune.see.features",
    "vistune.files": "vistune.output.files",
    "vistune.image": "vistune.see.image",
    "vistune.launch": "vistune.cli.launch",
    "vistune.models": "vistune.runtime.models",
    "vistune.prompt_words": "vistune.brief.prompt",
    "vistune.scenery": "vistune.see.scenery",
    "vistune.styles": "vistune.brief.styles",
    "vistune.video": "vistune.output.video",
}
#: Public names of an old module that live elsewhere now: old module -> {name: "module:name"}.
SCATTERED = {
    "vistune.blip_decoder": {"STEP_COMPILE": "vistune.runtime.openvino.core:COMPILE_F32_CACHE"},
    "vistune.engines.openvino_step": {
        "BACKENDS": "vistune.settings:BACKENDS",
        "EXPORT_VERSION": "vistune.runtime.openvino.cache:EXPORT_VERSION",
        "F32_LATENCY": "vistune.runtime.openvino.core:F32_LATENCY",
        "resolve_backend": "vistune.runtime.openvino.core:resolve_backend",
        "runtime": "vistune.runtime.openvino.core:runtime"},
    "vistune.launch": {"Terminated": "vistune.cli.signals:Terminated"},
    "vistune.video": {"save_video": "vistune.result:save_video"},
}


class _StandIn(types.ModuleType):
    """An old module whose names now live in several modules: each is looked up where it is."""

    def __init__(self, name: str, new: types.ModuleType, elsewhere: dict[str, str]) -> None:
        super().__init__(name, new.__doc__)
        self._new, self._elsewhere = new, elsewhere

    def __getattr__(self, name: str):
        if name in self._elsewhere:
            module, _, attribute = self._elsewhere[name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        return getattr(self._new, name)

    def __dir__(self) -> list[str]:
        return sorted({*dir(self._new), *self._elsewhere})


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old names and loads them as the new modules."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # a placeholder; exec_module puts the real module in its place

    def exec_module(self, module) -> None:
        new = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} moved to {new}; the old path goes in the next release",
                      DeprecationWarning, stacklevel=2)
        found = importlib.import_module(new)
        if module.__name__ in SCATTERED:
            found = _StandIn(module.__name__, found, SCATTERED[module.__name__])
        sys.modules[module.__name__] = found


def install() -> None:
    """Let the old import paths find the new modules (once per process)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
