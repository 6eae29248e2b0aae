"""Writers that never leave half-written files and never replace a file unless asked."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import OutputError


def check_targets(paths: Iterable[Path], *, overwrite: bool) -> None:
    """Fail before writing anything if a target exists (unless ``overwrite``) or is a folder."""
    for path in paths:
        if path.is_dir():
            raise OutputError(f"{path} is a folder; give a file name such as {path / 'out.wav'}")
        if path.exists() and not overwrite:
            raise OutputError(f"{path} already exists; choose another name or pass --overwrite")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temp_path)`` then rename the finished file to ``path``; return ``path``.

    The temporary file sits beside ``path`` so the rename is atomic; on any failure it is
    removed, so ``path`` is either complete or untouched. Parent folders are created.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write in {path.parent} ({exc.strerror or exc}); "
                          "choose a folder you can write to") from None
    try:
        write(temp)
        os.replace(temp, path)
    except (OSError, RuntimeError) as exc:  # soundfile reports disk errors as RuntimeError
        raise OutputError(f"cannot write {path} ({exc.strerror or exc}); check free space and "
                          "permissions, or choose another folder") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return path


@contextlib.contextmanager
def all_or_nothing() -> Iterator[list[Path]]:
    """Collect paths written inside the block; if the block fails, delete them all."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise

