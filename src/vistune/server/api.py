"""``vistune serve``: the HTTP API (FastAPI). Thin: check the request, queue a job, call the
pipeline, keep the files for a while.

One :class:`~vistune.pipeline.ImageToMusic` per engine, loaded once; each has one worker thread
and a bounded queue, so one generation runs at a time per loaded model. Finished files live in
a folder, removed after a time-to-live or when the folder outgrows its size cap.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import queue
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from .. import __version__
from ..brief import check_prompt
from ..errors import InputError, ModelUnavailable, OutputError, VisTuneError
from ..output.audio import FORMATS, WavStream
from ..pipeline import ENGINES, MAX_VARIATIONS, ImageToMusic, check_duration, check_seed
from ..see.image import Picture, load_image
from ..theory import parse_key

MB = 1024 * 1024
LOG = logging.getLogger("vistune.server.api")
BEARER = HTTPBearer(auto_error=False, description="the server's --api-key")
FILES = {"audio": None, "midi": ".mid", "video": ".mp4"}  # None: the job's audio format


class NotFound(VisTuneError):
    """No such job (never made, deleted, or expired)."""


class QueueFull(VisTuneError):
    """The queue of a model is full; ``retry_after`` is a guess in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


STATUS = {InputError: 400, NotFound: 404, QueueFull: 429, ModelUnavailable: 503,
          OutputError: 507}


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
    changed: threading.Condition = field(default_factory=threading.Condition)

    def update(self, **values: Any) -> None:
        """Set fields and wake anyone waiting on the job (the audio stream)."""
        with self.changed:
            for name, value in values.items():
                setattr(self, name, value)
            self.changed.notify_all()

    def file(self, kind: str, take: int) -> Path:
        """Where take ``take`` (1-based) of kind "audio", "midi" or "video" is kept."""
        return self.folder / f"take-{take}{FILES[kind] or '.' + self.fmt}"

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

    def submit(self, picture: Picture, settings: dict[str, Any], fmt: str, engine: str) -> Job:
        """Queue a job; QueueFull when that model's queue is full."""
        self.clean()
        jobs = self._queue(engine)
        job = Job(id=uuid.uuid4().hex, picture=picture, settings=settings, fmt=fmt,
                  folder=self.folder / uuid.uuid4().hex)
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
            for take, result in enumerate(results, 1):
                result.save(job.file("audio", take), midi=result.midi is not None)
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


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


class UploadLimit:
    """ASGI middleware: answer 413 to a request body over ``limit`` bytes, whether it says its
    length up front or not (chunked), before it is read into memory or onto disk."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        message = (f"the upload is over the {self.limit / MB:g} MB limit; send a smaller "
                   "image (or start the server with a larger --max-upload-mb)")
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if int(length or 0) > self.limit:
            return await _error(413, message)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            event = await receive()
            seen += len(event.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, message)
            return event

        return await self.app(scope, counted, send)


def _settings(jobs: Jobs, *, duration: str, seed: str, style: str | None, tempo: str | None,
              key: str | None, prompt: str | None, variations: str) -> dict[str, Any]:
    """The job's settings, checked with the pipeline's own checks (the CLI's messages)."""
    try:
        count = int(variations)
    except ValueError:
        raise InputError(f"variations {variations!r} is not a whole number") from None
    if not 1 <= count <= MAX_VARIATIONS:
        raise InputError(f"variations {variations!r} is outside 1-{MAX_VARIATIONS}")
    if key is not None:
        parse_key(key)
    return {"duration": check_duration(duration, max_duration=jobs.pipe.max_duration),
            "seed": check_seed(seed), "style": style, "tempo": tempo, "key": key,
            "prompt": None if prompt is None else check_prompt(prompt), "count": count}


def _picture(jobs: Jobs, image: UploadFile) -> Picture:
    """Decode the upload (load_image's checks and messages), named after the sent file."""
    data = io.BytesIO(image.file.read())
    data.name = Path(image.filename or "the uploaded image").name
    return load_image(data, max_pixels=jobs.pipe.max_pixels)


def create_app(pipe: ImageToMusic, *, make_pipe: Callable[[str], ImageToMusic] | None = None,
               api_key: str | None = None, folder: Path | None = None, queue_size: int = 16,
               ttl: float = 3600.0, max_bytes: int = 2048 * MB,
               max_upload: int = 25 * MB) -> FastAPI:
    """The API around ``pipe`` (whose models should already be loaded).

    ``make_pipe(engine)`` builds a pipeline for a job that asks for another engine (None: only
    ``pipe``'s). With ``api_key``, every /v1 call needs ``Authorization: Bearer KEY``.
    ``queue_size`` jobs wait per model; finished files stay ``ttl`` seconds in ``folder`` (a
    temporary folder by default) while it holds under ``max_bytes``; uploads over
    ``max_upload`` bytes get 413.
    """
    jobs = Jobs(pipe, make_pipe=make_pipe, folder=folder, queue_size=queue_size, ttl=ttl,
                max_bytes=max_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        jobs.close()

    def authorize(credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(BEARER)]) -> None:
        if api_key is None:
            return
        if credentials is None or not secrets.compare_digest(credentials.credentials.encode(),
                                                             api_key.encode()):
            raise HTTPException(401, "missing or wrong API key; send the header "
                                     "'Authorization: Bearer KEY'")

    app = FastAPI(title="VisTune", version=__version__, lifespan=lifespan,
                  description="Turn pictures into music that fits them.",
                  dependencies=[Depends(authorize)])
    app.state.jobs = jobs
    app.add_middleware(UploadLimit, limit=max_upload)

    @app.exception_handler(VisTuneError)
    async def vistune_error(request: Request, exc: VisTuneError) -> JSONResponse:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, QueueFull) else {}
        return _error(status, str(exc), **headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
        return _error(exc.status_code, str(exc.detail), **headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"][1:]) or "request"
        hint = " (send the picture as the multipart file field 'image')" if where == "image" \
            else ""
        return _error(422, f"{where}: {problem['msg']}{hint}")

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, one_line(exc))

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        """Alive, with the pieces in use and the version."""
        return {"status": "ok", "version": __version__, "engine": pipe.engine_name,
                "captioner": pipe.captioner_name}

    @app.post("/v1/jobs", status_code=202)
    def submit(image: Annotated[UploadFile, File(description="the picture")],
                     duration: Annotated[str, Form()] = "30", seed: Annotated[str, Form()] = "0",
                     style: Annotated[str | None, Form()] = None,
                     prompt: Annotated[str | None, Form()] = None,
                     tempo: Annotated[str | None, Form()] = None,
                     key: Annotated[str | None, Form()] = None,
                     format: Annotated[str, Form()] = "wav",
                     variations: Annotated[str, Form()] = "1",
                     engine: Annotated[str, Form()] = "auto") -> JSONResponse:
        """Queue music for a picture; answers 202 with the job's id (429 when the queue is
        full)."""
        fmt = format.lower().lstrip(".")
        if f".{fmt}" not in FORMATS:
            raise InputError(f"format {format!r} is not one of: "
                             f"{', '.join(f[1:] for f in FORMATS)}")
        if engine not in ENGINES:
            raise InputError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
        settings = _settings(jobs, duration=duration, seed=seed, style=style, tempo=tempo,
                             key=key, prompt=prompt, variations=variations)
        job = jobs.submit(_picture(jobs, image), settings, fmt, engine)
        return JSONResponse({"id": job.id, "status": job.status}, status_code=202,
                            headers={"Location": f"/v1/jobs/{job.id}"})

    @app.get("/v1/jobs/{job_id}")
    def status(job_id: str) -> dict[str, Any]:
        """Status, progress 0..1, error, and the result (the sidecar's fields; ``takes`` has
        one per variation)."""
        return jobs.get(job_id).to_dict()

    @app.delete("/v1/jobs/{job_id}")
    def delete(job_id: str) -> dict[str, Any]:
        """Forget a job and remove its files."""
        jobs.delete(job_id)
        return {"id": job_id, "status": "deleted"}

    @app.get("/v1/jobs/{job_id}/stream")
    def stream(job_id: str) -> StreamingResponse:
        """The first take as a growing 16-bit WAV while it is made (unmastered)."""
        job = jobs.get(job_id)
        return StreamingResponse(_tail(job), media_type="audio/wav")

    def download(kind: str):
        def send(job_id: str, take: int = 1) -> FileResponse:
            job = jobs.get(job_id)
            path = job.file(kind, take)
            if job.status != "done" or not path.is_file():
                raise NotFound(f"job {job_id} has no {kind} for take {take} "
                               f"(status {job.status}); see GET /v1/jobs/{job_id}")
            return FileResponse(path, filename=f"{job_id}-{path.name}")

        send.__doc__ = f"The {kind} file of a finished job (``take`` for variations)."
        return send

    for kind in FILES:
        app.get(f"/v1/jobs/{{job_id}}/{kind}", name=kind,
                response_class=FileResponse)(download(kind))

    @app.post("/v1/describe")
    def describe(image: Annotated[UploadFile, File(description="the picture")],
                       style: Annotated[str | None, Form()] = None,
                       prompt: Annotated[str | None, Form()] = None,
                       tempo: Annotated[str | None, Form()] = None,
                       key: Annotated[str | None, Form()] = None) -> dict[str, Any]:
        """Caption, features and brief (as ``vistune describe --json``); no music."""
        picture = _picture(jobs, image)
        with jobs.seeing:
            description = pipe.describe(picture)
        brief = pipe.brief(description, style=style, tempo=tempo, key=key, prompt=prompt)
        return {"description": description.to_dict(), "brief": brief.to_dict()}

    return app


def _tail(job: Job) -> Iterator[bytes]:
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


def serve(pipe: ImageToMusic, *, host: str = "127.0.0.1", port: int = 8000, **options) -> None:
    """Load ``pipe``'s models, then answer HTTP on ``host:port`` until stopped."""
    import uvicorn

    pipe.captioner, pipe.engine  # noqa: B018 - load both now, not on the first job
    uvicorn.run(create_app(pipe, **options), host=host, port=port, log_level="info")
