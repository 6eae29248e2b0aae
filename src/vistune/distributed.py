"""Batches on Ray (``vistune compose IMAGES... -o FOLDER --ray [ADDRESS]``).

The batch's rules (names, skip-existing, resuming, failures) are :mod:`vistune.batch`'s: this
module only makes the takes of :attr:`Batch.todo <vistune.batch.Batch.todo>`, and
:meth:`Batch.run <vistune.batch.Batch.run>` saves them as a plain run does.

Each Ray actor holds one :class:`~vistune.pipeline.ImageToMusic` (its models load once) and
takes images from a queue (Ray's ``ActorPool``); the driver sends each image's bytes, and the
results come back to the driver, which writes them as a plain run does. An actor takes one GPU
when the cluster has GPUs, else one CPU.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .batch import Batch, Item, Outcome, failure
from .errors import InputError, VisTuneError
from .pipeline import ImageToMusic


class Maker:
    """The work of one actor: an ImageToMusic, loaded once, making one image's takes a call."""

    def __init__(self, make_pipe: Callable[[], ImageToMusic]) -> None:
        self.pipe: ImageToMusic | None = None
        self.error: VisTuneError | None = None
        try:
            self.pipe = make_pipe()
            self.pipe.captioner, self.pipe.engine  # noqa: B018 - load both now, once
        except VisTuneError as exc:  # reported by ready(), so the driver stops with one line
            self.error = exc

    def ready(self) -> VisTuneError | None:
        """None once the models are loaded, else the reason they are not."""
        return self.error

    def make(self, index: int, image: str, data: bytes | None,
             options: dict[str, Any]) -> tuple[int, Outcome]:
        """``pipe.variations(image, **options)``, or the error that stopped it (a bug as
        :func:`~vistune.batch.failure` records it); ``data`` is
        the image file's content as the driver read it (None: read ``image`` here)."""
        try:
            return index, self.pipe.variations(_named(image, data), **options)
        except Exception as exc:  # one image's bug fails that image only
            return index, failure(exc, image)


def _named(image: str, data: bytes | None) -> str | io.BytesIO:
    """The bytes as a file named ``image`` (so captions, errors and sidecars name it as a plain
    run does), or the path itself when the driver could not read it."""
    if data is None:
        return image
    file = io.BytesIO(data)
    file.name = image
    return file


def _read(image: str) -> bytes | None:
    try:
        return Path(image).read_bytes()
    except OSError:  # the worker's load_image() then names the problem, as a plain run does
        return None


def connect(address: str | None) -> bool:
    """Join the Ray cluster at ``address`` ("auto", "ray://host:10001"), or start a local one
    when it is None; True when this call started Ray (and so should stop it)."""
    try:
        import ray
    except ImportError:
        raise VisTuneError("--ray needs Ray: pip install 'vistune[ray]'") from None
    if ray.is_initialized():
        return False
    try:
        if address is None:
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = "a local Ray" if address is None else f"the Ray cluster at {address!r}"
        raise InputError(f"cannot start or join {where} ({str(exc).splitlines()[0]}); check the "
                         "address (auto, or ray://HOST:10001), or leave it out for a local Ray"
                         ) from None
    return True


def make_many(images: Sequence[str], make_pipe: Callable[[], ImageToMusic],
              options: dict[str, Any], *, address: str | None = None
              ) -> Iterator[tuple[int, Outcome]]:
    """(index into ``images``, its takes or its error) for every image, as the actors finish.

    ``make_pipe`` builds each actor's pipeline (it is pickled to the workers); ``options`` go
    to ``ImageToMusic.variations``. The driver reads each image file and sends its bytes, so
    the workers need not see the driver's files.
    """
    if not images:
        return
    started = connect(address)
    import ray
    from ray.util import ActorPool

    actors: list = []
    try:
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        count = min(len(images), gpus or max(1, int(resources.get("CPU", 1))))
        actor = ray.remote(**({"num_gpus": 1} if gpus else {"num_cpus": 1}))(Maker)
        actors = [actor.remote(make_pipe) for _ in range(count)]
        for error in ray.get([a.ready.remote() for a in actors]):
            if error is not None:
                raise error
        pool = ActorPool(actors)
        # A file is read only when an actor is free to take it, so few sit in memory at once.
        yield from pool.map_unordered(
            lambda a, job: a.make.remote(job[0], job[1], _read(job[1]), options),
            list(enumerate(images)))
    finally:
        for a in actors:
            ray.kill(a)
        if started:
            ray.shutdown()


def make_on_ray(batch: Batch, make_pipe: Callable[[], ImageToMusic], options: dict[str, Any], *,
                address: str | None = None) -> Iterator[tuple[Item, Outcome]]:
    """As :meth:`Batch.make <vistune.batch.Batch.make>`, by actors on Ray, in the order they
    finish: feed it to :meth:`Batch.run <vistune.batch.Batch.run>`.

    >>> for made in batch.run(make_on_ray(batch, ImageToMusic, {"duration": 10})):  # doctest: +SKIP
    ...     print(made.saved or made.error)
    """
    todo = batch.todo
    for index, outcome in make_many([item.image for item in todo], make_pipe,
                                    {**options, "count": batch.takes}, address=address):
        yield todo[index], outcome
