"""The server's jobs: one request to make music each, a queue and a worker thread per loaded
model, and the folder of finished files (removed after a time-to-live or over a size cap).

Nothing a client does can stop a worker: a job that fails, or a folder removed while the
worker measures it, is logged and the worker goes on; :meth:`Jobs.trouble` says when one died
anyway. :meth:`Jobs.stop` refuses new jobs, fails the queued ones and gives the running one a
grace period, then cancels it; no job leaves files behind unless it finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..batch import internal_error, save_takes
from ..errors import InputError, VisTuneError
from ..output.audio import WavStream
from ..pipeline import ImageToMusic
from ..see.image import Picture

LOG = logging.getLogger("vistune.server.api")  # the server's log, as before the split
FILES = {"audio": None, "midi": ".mid", "video": ".mp4"}  # None: the job's audio format
STREAM = "stream.wav"  # the growing WAV of a running job (removed when it ends)
JOB_FOLDER = re.compile(r"[0-9a-f]{32}")  # the name of a job's folder (a uuid4's hex)
FULL = 16 * 1024 * 1024  # bytes free under which a disk counts as full
POLL = 0.05  # seconds between looks at a streamed file


class NotFound(VisTuneError):
    """No such job (never made, deleted, or expired), or no such file of it."""


class QueueFull(VisTuneError):
    """The queue of a model is full; ``retry_after`` is a guess in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(VisTuneError):
    """The server is stopping, or a worker died: no job can run (503)."""


class Cancelled(VisTuneError):
    """The server stopped before the job finished."""


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
    #: Whether a client downloaded a file of it (such jobs are evicted first).
    fetched: bool = False
    #: Bytes its finished files take.
    size: int = 0

    def update(self, **values: Any) -> None:
        """Set fields (a streaming client polls them)."""
        for name, value in values.items():
            setattr(self, name, value)

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
    """The job table, the queues and their workers, and the folder of finished files.

    Job files live in ``folder`` while the server runs; the job folders a run killed before
    it could tidy up left there are removed at start-up (other files are left alone and do
    not count against ``max_bytes``).
    """

    def __init__(self, pipe: ImageToMusic, *, make_pipe: Callable[[str], ImageToMusic] | None,
                 folder: Path | None, queue_size: int, ttl: float, max_bytes: int) -> None:
        self.pipe, self.make_pipe = pipe, make_pipe
        self.own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="vistune-serve-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.iterdir():  # a previous run's jobs: nobody can fetch them
            if JOB_FOLDER.fullmatch(old.name) and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        self.queue_size, self.ttl, self.max_bytes = queue_size, ttl, max_bytes
        self.jobs: dict[str, Job] = {}
        self.seeing = threading.Lock()  # one captioning at a time (jobs and /v1/describe)
        self._lock = threading.Lock()
        self._workers: dict[str, tuple[queue.Queue, threading.Thread]] = {}
        self._pipes = {pipe.engine_name: pipe}
        self._seconds: float | None = None  # running mean of a job's time, for Retry-After
        self._started: float | None = None  # when the running job started
        self.stopping: str | None = None  # why no job is taken any more
        self._deadline = math.inf  # monotonic time after which the running job is cancelled

    def submit(self, picture: Picture, settings: dict[str, Any], fmt: str, engine: str, *,
               video: dict[str, Any] | None = None) -> Job:
        """Queue a job (``video``: also a video of each take, see :attr:`Job.video`);
        QueueFull when that model's queue is full, Unavailable while stopping."""
        self.check()
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
            wait = self.retry_after()
            raise QueueFull(f"the queue is full ({self.queue_size} jobs waiting); try again "
                            f"in about {wait} s", wait) from None
        return job

    def retry_after(self) -> int:
        """Seconds until a queue slot frees: the measured time of a job, less what the
        running one has had (a slot frees each time a job ends)."""
        mean = 10.0 if self._seconds is None else self._seconds
        elapsed = 0.0 if self._started is None else time.monotonic() - self._started
        return max(1, math.ceil(mean - elapsed))

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

    def check(self) -> None:
        """Unavailable when no job can run: the server is stopping, or a worker died."""
        if self.stopping:
            raise Unavailable(self.stopping)
        if problem := self.trouble():
            raise Unavailable(problem)

    def busy(self) -> bool:
        """Whether a worker is still making music (one that cannot be cancelled)."""
        with self._lock:
            return any(worker.is_alive() for _, worker in self._workers.values())

    def trouble(self) -> str | None:
        """What keeps jobs from running (a worker that died), or None."""
        with self._lock:
            dead = [name for name, (_, worker) in self._workers.items()
                    if not worker.is_alive()]
        if dead:
            return (f"the job worker of the {', '.join(dead)} engine stopped; restart the "
                    "server (its log has the details)")
        return None

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
            try:
                self._take(job, pipe)
                self.clean()
            except Exception:  # a bug in the bookkeeping: log it, keep serving
                LOG.exception("the worker's bookkeeping of job %s failed", job.id)

    def _take(self, job: Job, pipe: ImageToMusic) -> None:
        if job.id not in self.jobs or job.finished:  # deleted or dropped while it waited
            return
        if self.stopping:
            self._fail(lambda queued: queued is job)
            return
        self._started = time.monotonic()
        self._run(job, pipe)
        took = time.monotonic() - self._started
        self._started = None
        self._seconds = took if self._seconds is None else 0.8 * self._seconds + 0.2 * took
        if job.id not in self.jobs or job.status != "done":  # deleted, failed or cancelled
            shutil.rmtree(job.folder, ignore_errors=True)

    def _cancel_check(self) -> None:
        if time.monotonic() > self._deadline:
            raise Cancelled(self.stopping or "the server stopped before the job finished")

    def _run(self, job: Job, pipe: ImageToMusic) -> None:
        job.folder.mkdir(parents=True, exist_ok=True)
        job.update(status="running", stage="starting")

        def progress(done: int, total: int, stage: str) -> None:
            self._cancel_check()
            job.update(progress=done / total, stage=stage)

        try:
            with (job.folder / STREAM).open("wb") as stream:
                wav = WavStream(stream, job.settings["duration"])

                def on_audio(chunk, rate) -> None:
                    self._cancel_check()
                    wav(chunk, rate)

                with self.seeing:
                    description = self.pipe.describe(job.picture)
                results = pipe.variations(description, progress=progress, on_audio=on_audio,
                                          **job.settings)
            self._cancel_check()
            takes = range(1, len(results) + 1)
            save_takes(results, [job.file("audio", take) for take in takes],
                       midi=results[0].midi is not None)
            if job.video is not None:
                job.update(stage="making the video")
                save_takes(results, [job.file("video", take) for take in takes], **job.video)
            (job.folder / STREAM).unlink(missing_ok=True)  # a reader keeps its open copy
            job.update(results=[r.to_dict() for r in results], status="done", progress=1.0,
                       stage="done", size=_size(job.folder), finished=time.time())
        except Exception as exc:  # the job fails, the server goes on
            if not isinstance(exc, VisTuneError):
                LOG.exception("job %s failed", job.id)
            if not job.finished:  # not already failed by a stop
                job.update(status="failed", error=one_line(exc, self.folder), stage="failed",
                           finished=time.time())

    def clean(self) -> None:
        """Drop finished jobs past their time-to-live, then more until the kept ones fit
        under the cap: downloaded ones before the others, the oldest first, never the
        newest."""
        now = time.time()
        with self._lock:
            done = [j for j in self.jobs.values() if j.finished]
        expired = [j for j in done if now - j.finished > self.ttl]
        kept = sorted((j for j in done if j not in expired),
                      key=lambda j: (not j.fetched, j.finished))
        newest = max(kept, key=lambda j: j.finished, default=None)
        used = sum(j.size for j in kept)
        for job in kept:
            if used <= self.max_bytes:
                break
            if job is not newest:
                used -= job.size
                expired.append(job)
        for job in expired:
            with contextlib.suppress(NotFound):
                self.delete(job.id)

    def stop(self, grace: float, reason: str = "the server is stopping") -> None:
        """Refuse new jobs, fail the queued ones, and cancel the running one unless it ends
        within ``grace`` seconds."""
        self.stopping = f"{reason}; send the job again once it is back"
        self._deadline = min(self._deadline, time.monotonic() + grace)
        self._fail(lambda job: job.status == "queued")
        timer = threading.Timer(max(0.0, self._deadline - time.monotonic()), self._fail,
                                args=(lambda job: True,))
        timer.daemon = True
        timer.start()

    def _fail(self, which: Callable[[Job], bool]) -> None:
        """Mark the unfinished jobs ``which`` picks failed because the server stops (which
        ends their streams)."""
        with self._lock:
            unfinished = [job for job in self.jobs.values() if not job.finished and which(job)]
        for job in unfinished:
            job.update(status="failed", error=self.stopping, stage="failed",
                       finished=time.time())

    def close(self, timeout: float = 60.0) -> None:
        """Stop (see :meth:`stop`), wait for the running job until the stop's deadline, then
        remove every job's files (and the folder if it was made here): nobody can fetch them
        once the server is gone."""
        self.stop(timeout)
        with self._lock:
            workers = list(self._workers.values())
        for jobs, _ in workers:
            with contextlib.suppress(queue.Empty):
                while True:
                    jobs.get_nowait()
            with contextlib.suppress(queue.Full):
                jobs.put_nowait(None)
        for _, worker in workers:  # in steps: a second signal moves the deadline
            while worker.is_alive() and time.monotonic() < self._deadline:
                worker.join(timeout=0.1)
        self._fail(lambda job: True)
        with self._lock:
            every = list(self.jobs.values())
            self.jobs.clear()
        for job in every:
            shutil.rmtree(job.folder, ignore_errors=True)
        if self.own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

def _size(folder: Path) -> int:
    """Bytes under ``folder``; files removed while it looks are not counted."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, name)).st_size
    return total


def _disk_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < FULL
    except OSError:
        return False


def one_line(exc: BaseException, folder: Path | None = None) -> str:
    """An exception as the one line a client sees; a failure while ``folder``'s disk is
    full (which libraries report as, say, "System error.") names the fix."""
    if folder is not None and (getattr(exc, "errno", None) == errno.ENOSPC
                               or _disk_full(folder)):
        return (f"No space left on device for the server's files ({folder}); free some space "
                "or start the server with a smaller --max-storage-mb")
    if isinstance(exc, VisTuneError):
        return str(exc)
    return internal_error(exc, "the server log has the details")


async def tail(job: Job) -> AsyncIterator[bytes]:
    """The bytes of ``job``'s stream file as they are written, until the job ends; it waits
    without holding a thread."""
    path = job.folder / STREAM
    while not (path.exists() or job.finished):
        await asyncio.sleep(POLL)
    try:
        file = path.open("rb")
    except OSError:  # the job ended (and its stream file went) meanwhile
        return
    with file:
        while True:
            ended = bool(job.finished)
            chunk = file.read(1 << 16)
            if chunk:
                yield chunk
            elif ended:
                return
            else:
                await asyncio.sleep(POLL)

