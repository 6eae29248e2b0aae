"""Writers that never leave half-written files and never replace a file unless asked."""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..errors import OutputError

#: Bytes of the final name kept in a temporary name: with the dot, pid, tag and ".part" the
#: temporary name stays within the 255-byte limit of common file systems.
_TEMP_NAME_BYTES = 200


def check_targets(paths: Iterable[Path], *, overwrite: bool) -> None:
    """Fail before writing anything if a target exists (unless ``overwrite``) or is a folder."""
    for path in paths:
        if path.is_dir():
            raise OutputError(f"{path} is a folder; give a file name such as {path / 'out.wav'}")
        if path.exists() and not overwrite:
            raise OutputError(f"{path} already exists; choose another name or pass --overwrite")


def _temp_prefix(path: Path) -> str:
    """``.NAME.`` with NAME cut to whole characters within ``_TEMP_NAME_BYTES`` bytes."""
    name = path.name.encode("utf-8", "surrogateescape")[:_TEMP_NAME_BYTES]
    return "." + name.decode("utf-8", "ignore") + "."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def remove_stale_parts(path: Path) -> list[Path]:
    """Delete temporary files of ``path`` left by a process that died (killed, power cut).

    Temporary names carry the writer's process id, so a part whose writer is still running
    (another VisTune writing the same file) is left alone. Returns what was removed.
    """
    prefix = _temp_prefix(path)
    removed = []
    with contextlib.suppress(OSError):
        for part in path.parent.glob(f"{_glob_escape(prefix)}*.part"):
            pid = part.name[len(prefix):].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    part.unlink()
                    removed.append(part)
    return removed


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _reason(exc: BaseException) -> str:
    """The short why of an OS or libsndfile error (the latter has no ``strerror``)."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _publish(temp: Path, path: Path, *, overwrite: bool) -> None:
    """Move the finished ``temp`` to ``path``; without ``overwrite`` never replace a file that
    appeared meanwhile (another writer): a hard link fails if the name is taken."""
    if overwrite:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)
    except FileExistsError:
        raise OutputError(f"{path} appeared while it was being written (another run?); it was "
                          "left as it is: choose another name or pass --overwrite") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                             errno.EMLINK):
            raise
        # No hard links here (FAT, some network shares): check, then rename.
        if path.exists():
            raise OutputError(f"{path} appeared while it was being written (another run?); "
                              "choose another name or pass --overwrite") from None
        os.replace(temp, path)


def atomic_write(path: Path, write: Callable[[Path], None], *, overwrite: bool = False) -> Path:
    """Call ``write(temp_path)`` then move the finished file to ``path``; return ``path``.

    The temporary file sits beside ``path`` so the move is atomic; on any failure it is
    removed, so ``path`` is either complete or untouched. Without ``overwrite`` an existing
    ``path`` is never replaced, even one that another process created meanwhile. Parent
    folders are created; stale temporary files of ``path`` from dead processes are removed.
    """
    path = Path(path)
    temp = path.with_name(f"{_temp_prefix(path)}{os.getpid()}.{uuid.uuid4().hex[:6]}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write in {path.parent} ({_reason(exc)}); "
                          "choose a folder you can write to") from None
    remove_stale_parts(path)
    try:
        write(temp)
        _publish(temp, path, overwrite=overwrite)
    except (OSError, RuntimeError) as exc:  # soundfile reports disk errors as RuntimeError
        raise OutputError(f"cannot write {path} ({_reason(exc)}); check free space, "
                          "permissions and the name's length, or choose another folder"
                          ) from None
    finally:
        # Cleanup must never hide the error above (a read-only or vanished folder).
        with contextlib.suppress(OSError):
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
