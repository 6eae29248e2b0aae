"""The server's jobs: one request to make music each, a queue and a worker thread per loaded
model, and the folder of finished files (removed after a time-to-live or over a size cap)."""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..batch import save_takes
from ..errors import InputError, VisTuneError
from ..output.audio import WavStream
from ..pipeline import ImageToMusic
from ..see.image import Picture

LOG = logging.getLogger("vistune.server.api")  # the server's log, as before the split
FILES = {"audio": None, "midi": ".mid", "video": ".mp4"}  # None: the job's audio format


class NotFound(VisTuneError):
    """No such job (never made, deleted, or expired)."""


class QueueFull(VisTuneError):
    """The queue of a model is full; ``retry_after`` is a guess in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Job:
    """One request to make music, and what became of it."""

    id: str
    picture: Picture
    settings: dict[str, Any]
    fmt: str
    folder: Path
    status: str = "queued"
    progress: float = 0.0
    stage: str = "queued"
    error: str | None = None
    results: list[dict] = field(default_factory=list)
    finished: float | None = None
    #: Also a video of each take: ``Result.save``'s ``pictures``, ``video_style``, ``size``.
    video: dict[str, Any] | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def update(self, **values: Any) -> None:
        """Set fields and wake anyone waiting on the job (the audio stream)."""
        with self.changed:
            for name, value in values.items():
                setattr(self, name, value)
            self.changed.notify_all()

    def file(self, kind: str, take: int) -> Path:
        """Where take ``take`` (1-based) of kind "audio", "midi" or "video" is kept (a video
        in its own folder, so that its sidecar and the audio's do not meet)."""
        name = f"take-{take}{FILES[kind] or '.' + self.fmt}"
        return self.folder / ("video" if kind == "video" else "") / name

    def to_dict(self) -> dict[str, Any]:
        """The job's state as the API shows it."""
        return {"id": self.id, "status": self.status, "progress": round(self.progress, 3),
                "stage": self.stage, "error": self.error,
                "result": self.results[0] if self.results else None,
                "takes": self.results}


class Jobs:
    """The job table, the queues and their workers, and the folder of finished files."""

    def __init__(self, pipe: ImageToMusic, *, make_pipe: Callable[[str], ImageToMusic] | None,
                 folder: Path | None, queue_size: int, ttl: float, max_bytes: int) -> None:
        self.pipe, self.make_pipe = pipe, make_pipe
        self.own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="vistune-serve-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.queue_size, self.ttl, self.max_bytes = queue_size, ttl, max_bytes
        self.jobs: dict[str, Job] = {}
        self.seeing = threading.Lock()  # one captioning at a time (jobs and /v1/describe)
        self._lock = threading.Lock()
        self._workers: dict[str, tuple[queue.Queue, threading.Thread]] = {}
        self._pipes = {pipe.engine_name: pipe}
        self._seconds = 10.0  # running mean of a job's time, for Retry-After

    def submit(self, picture: Picture, settings: dict[str, Any], fmt: str, engine: str, *,
               video: dict[str, Any] | None = None) -> Job:
        """Queue a job (``video``: also a video of each take, see :attr:`Job.video`);
        QueueFull when that model's queue is full."""
        self.clean()
        jobs = self._queue(engine)
        job = Job(id=uuid.uuid4().hex, picture=picture, settings=settings, fmt=fmt,
                  folder=self.folder / uuid.uuid4().hex, video=video)
        with self._lock:
            self.jobs[job.id] = job
        try:
            jobs.put_nowait(job)
        except queue.Full:
            with self._lock:
                del self.jobs[job.id]
            wait = max(1, math.ceil(self._seconds * (jobs.qsize() + 1)))
            raise QueueFull(f"the queue is full ({self.queue_size} jobs waiting); try again "
                            f"in about {wait} s", wait) from None
        return job

    def get(self, job_id: str) -> Job:
        """The job, or NotFound."""
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r}: it was deleted, expired, or never made; "
                           "POST /v1/jobs makes one")
        return job

    def delete(self, job_id: str) -> None:
        """Forget a job and remove its files (a running job finishes, then is thrown away)."""
        job = self.get(job_id)
        with self._lock:
            self.jobs.pop(job_id, None)
        if not job.finished:  # ends a stream that waits for it
            job.update(status="deleted", finished=time.time())
        shutil.rmtree(job.folder, ignore_errors=True)

    def _queue(self, engine: str) -> queue.Queue:
        """The queue of the model for ``engine``, started on first use."""
        name = self.pipe.engine_name if engine in ("auto", self.pipe.engine_name) else engine
        with self._lock:
            if name not in self._workers:
                if name not in self._pipes:
                    if self.make_pipe is None:
                        raise InputError(f"this server runs the {self.pipe.engine_name} engine "
                                         f"only; leave out engine={engine}")
                    self._pipes[name] = self.make_pipe(name)
                jobs: queue.Queue = queue.Queue(maxsize=self.queue_size)
                worker = threading.Thread(target=self._work, args=(self._pipes[name], jobs),
                                          name=f"vistune-{name}", daemon=True)
                worker.start()
                self._workers[name] = (jobs, worker)
            return self._workers[name][0]

    def _work(self, pipe: ImageToMusic, jobs: queue.Queue) -> None:
        while (job := jobs.get()) is not None:
            if job.id in self.jobs:  # not deleted while it waited
                started = time.monotonic()
                self._run(job, pipe)
                self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - started)
                if job.id not in self.jobs:  # deleted while it ran
                    shutil.rmtree(job.folder, ignore_errors=True)
            self.clean()

    def _run(self, job: Job, pipe: ImageToMusic) -> None:
        job.folder.mkdir(parents=True, exist_ok=True)
        job.update(status="running", stage="starting")

        def progress(done: int, total: int, stage: str) -> None:
            job.update(progress=done / total, stage=stage)

        try:
            with (job.folder / "stream.wav").open("wb") as stream:
                wav = WavStream(stream, job.settings["duration"])

                def on_audio(chunk, rate) -> None:
                    wav(chunk, rate)
                    job.update()

                with self.seeing:
                    description = self.pipe.describe(job.picture)
                results = pipe.variations(description, progress=progress, on_audio=on_audio,
                                          **job.settings)
            takes = range(1, len(results) + 1)
            save_takes(results, [job.file("audio", take) for take in takes],
                       midi=results[0].midi is not None)
            if job.video is not None:
                job.update(stage="making the video")
                save_takes(results, [job.file("video", take) for take in takes], **job.video)
            job.update(results=[r.to_dict() for r in results], status="done", progress=1.0,
                       stage="done", finished=time.time())
        except Exception as exc:  # the job fails, the server goes on
            if not isinstance(exc, VisTuneError):
                LOG.exception("job %s failed", job.id)
            job.update(status="failed", error=one_line(exc), stage="failed",
                       finished=time.time())

    def clean(self) -> None:
        """Drop finished jobs past their time-to-live, then the oldest until under the cap."""
        now = time.time()
        with self._lock:
            done = sorted((j for j in self.jobs.values() if j.finished), key=lambda j: j.finished)
        expired = [j for j in done if now - j.finished > self.ttl]
        kept = [j for j in done if j not in expired]
        used = _size(self.folder)
        while kept and used > self.max_bytes:
            job = kept.pop(0)
            used -= _size(job.folder)
            expired.append(job)
        for job in expired:
            with contextlib.suppress(NotFound):
                self.delete(job.id)

    def close(self) -> None:
        """Stop the workers after their current job; remove the folder if it was made here."""
        with self._lock:
            workers = list(self._workers.values())
        for jobs, _ in workers:  # waiting jobs are dropped; the running one finishes
            with contextlib.suppress(queue.Empty):
                while True:
                    jobs.get_nowait()
            jobs.put(None)
        for _, worker in workers:
            worker.join(timeout=60)
        if self.own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def one_line(exc: BaseException) -> str:
    """An exception as the one line a client sees."""
    if isinstance(exc, VisTuneError):
        return str(exc)
    return (f"internal error: {type(exc).__name__}: {exc} (please report it; the server log "
            "has the details)")



def tail(job: Job) -> Iterator[bytes]:
    """The bytes of ``job``'s stream file as they are written, until the job ends."""
    path = job.folder / "stream.wav"
    with job.changed:
        while not (path.exists() or job.finished):
            job.changed.wait(timeout=1.0)
    if not path.exists():
        return
    with path.open("rb") as file:
        while True:
            with job.changed:
                ended = bool(job.finished)
            chunk = file.read(1 << 16)
            if chunk:
                yield chunk
            elif ended:
                return
            else:
                with job.changed:
                    job.changed.wait(timeout=1.0)

