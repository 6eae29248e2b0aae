"""Where OpenVINO exports are kept and how they are keyed and written.

Exports live under ``~/.cache/vistune/openvino`` (``VISTUNE_CACHE`` overrides the root), one
folder per checkpoint and export settings; a folder appears in one rename, complete or not at
all. MusicGen's exports (step.py) and BLIP's (blip.py, in ``blip/``) share the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ...errors import ModelUnavailable

#: Bumped whenever MusicGen's exported graphs change (torch_modules/musicgen.py, step.py,
#: codec.py), so old exports are not reused. BLIP's keys include it as well (blip.py).
EXPORT_VERSION = 3
#: NNCF weight compression of each export format: ``compress_weights`` arguments by name.
#: int4 formats keep the embeddings, heads and the most sensitive layers in int8 (``ratio``
#: is the share of the other layers' weights in int4; NNCF's default backup is int8_asym).
WEIGHT_FORMATS = {
    "int8_asym": {"mode": "INT8_ASYM"},
    "int8_sym": {"mode": "INT8_SYM"},
    "int4_asym": {"mode": "INT4_ASYM", "group_size": 128, "ratio": 1.0},
    "int4_mixed": {"mode": "INT4_ASYM", "group_size": 128, "ratio": 0.5},
}
#: The default weight format (benchmarks/LOG.md, issue 17: speed and agreement of each).
WEIGHTS = "int8_asym"


def cache_root() -> Path:
    """Where exports are kept: ``$VISTUNE_CACHE/openvino`` or ``~/.cache/vistune/openvino``."""
    root = os.environ.get("VISTUNE_CACHE") or Path.home() / ".cache" / "vistune"
    return Path(root).expanduser() / "openvino"


def export_key(model, name: str, weights: str = WEIGHTS) -> str:
    """The cache folder name: the checkpoint's name, config and weight files (their names,
    sizes and times, or the hub snapshot's revision in its path) and the export settings
    (the weight format, a WEIGHT_FORMATS name, among them)."""
    import nncf
    import openvino

    digest = hashlib.sha256()
    digest.update(json.dumps(model.config.to_dict(), sort_keys=True, default=str).encode())
    if weights not in WEIGHT_FORMATS:
        raise ModelUnavailable(f"unknown OpenVINO weight format {weights!r}; choose one of: "
                               f"{', '.join(WEIGHT_FORMATS)}")
    digest.update(json.dumps([EXPORT_VERSION, weights, WEIGHT_FORMATS[weights],
                              openvino.__version__, nncf.__version__]).encode())
    folder = Path(getattr(model, "name_or_path", "") or name).expanduser()
    if folder.is_dir():
        for path in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
            stat = path.resolve().stat()
            digest.update(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name.strip("/"))[-60:]
    return f"{safe}-{digest.hexdigest()[:16]}"


def write_atomically(folder: Path, write: Callable[[Path], None]) -> None:
    """``write(work)`` fills a fresh temporary folder beside ``folder``, which then becomes
    ``folder`` in one rename, so a half-written export is never picked up."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".export-"))
    try:
        write(work)
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
