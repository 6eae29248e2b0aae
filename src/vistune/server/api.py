"""``vistune serve``: the HTTP API (FastAPI). Thin: check the request, queue a job, call the
pipeline, keep the files for a while.

One :class:`~vistune.pipeline.ImageToMusic` per engine, loaded once; each has one worker thread
and a bounded queue, so one generation runs at a time per loaded model (:mod:`.jobs`).
Finished files live in a folder, removed after a time-to-live or when the folder outgrows its
size cap.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Callable
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
from ..output.audio import FORMATS
from ..output.video import VIDEO_STYLES, parse_size
from ..pipeline import ENGINES, MAX_VARIATIONS, ImageToMusic, check_duration, check_seed
from ..see.image import Picture, load_image
from ..theory import parse_key
from .jobs import FILES, Jobs, NotFound, QueueFull, one_line, tail

MB = 1024 * 1024
BEARER = HTTPBearer(auto_error=False, description="the server's --api-key")
STATUS = {InputError: 400, NotFound: 404, QueueFull: 429, ModelUnavailable: 503,
          OutputError: 507}


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


def _picture(jobs: Jobs, image: UploadFile) -> tuple[Picture, bytes]:
    """Decode the upload (load_image's checks and messages), named after the sent file; and
    the file's bytes (a video shows the picture larger than the decoded working copy)."""
    data = io.BytesIO(image.file.read())
    data.name = Path(image.filename or "the uploaded image").name
    return load_image(data, max_pixels=jobs.pipe.max_pixels), data.getvalue()


def _video(video_style: str | None, size: str | None, upload: bytes) -> dict[str, Any] | None:
    """A job's video settings (None: no video), checked before it is queued."""
    if video_style is None:
        if size is not None:
            raise InputError(f"size {size!r} is a video's; add video_style (one of: "
                             f"{', '.join(VIDEO_STYLES)}) or leave out size")
        return None
    if video_style not in VIDEO_STYLES:
        raise InputError(f"unknown video_style {video_style!r}; choose one of: "
                         f"{', '.join(VIDEO_STYLES)}")
    parse_size(size)
    return {"pictures": [upload], "video_style": video_style, "size": size}


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
                     engine: Annotated[str, Form()] = "auto",
                     video_style: Annotated[str | None, Form(
                         description="also make a video of the picture with each take, "
                                     "GET .../video: still, zoom or wave")] = None,
                     size: Annotated[str | None, Form(
                         description="the video's frame, e.g. 1080x1920 (default: the "
                                     "picture's shape)")] = None) -> JSONResponse:
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
        picture, upload = _picture(jobs, image)
        job = jobs.submit(picture, settings, fmt, engine,
                          video=_video(video_style, size, upload))
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
        return StreamingResponse(tail(job), media_type="audio/wav")

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
        picture, _ = _picture(jobs, image)
        with jobs.seeing:
            description = pipe.describe(picture)
        brief = pipe.brief(description, style=style, tempo=tempo, key=key, prompt=prompt)
        return {"description": description.to_dict(), "brief": brief.to_dict()}

    return app


def serve(pipe: ImageToMusic, *, host: str = "127.0.0.1", port: int = 8000, **options) -> None:
    """Load ``pipe``'s models, then answer HTTP on ``host:port`` until stopped."""
    import uvicorn

    pipe.captioner, pipe.engine  # noqa: B018 - load both now, not on the first job
    uvicorn.run(create_app(pipe, **options), host=host, port=port, log_level="info")
