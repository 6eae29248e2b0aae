"""``vistune serve``: the HTTP API (FastAPI). Thin: check the request, queue a job, call the
pipeline, keep the files for a while.

One :class:`~vistune.pipeline.ImageToMusic` per engine, loaded once; each has one worker thread
and a bounded queue, so one generation runs at a time per loaded model (:mod:`.jobs`).
Finished files live in a folder, removed after a time-to-live or when the folder outgrows its
size cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.utils import generate_unique_id
from starlette.exceptions import HTTPException
from starlette.routing import Match

from .. import __version__
from ..brief import check_prompt
from ..errors import InputError, ModelUnavailable, OutputError, VisTuneError
from ..output.audio import FORMATS
from ..output.video import VIDEO_STYLES, parse_size
from ..pipeline import ENGINES, MAX_VARIATIONS, ImageToMusic, check_duration, check_seed
from ..see.image import Picture, load_image
from ..theory import parse_key
from .jobs import FILES, LOG, STREAM, Jobs, NotFound, QueueFull, Unavailable, one_line, tail
from .schema import MEDIA, Accepted, Deleted, Described, Health, JobState, binary, errors, job_links

MB = 1024 * 1024
BEARER = HTTPBearer(auto_error=False, description="the server's --api-key")
STATUS = {InputError: 400, NotFound: 404, QueueFull: 429, ModelUnavailable: 503,
          Unavailable: 503, OutputError: 507}
#: The longest value a short form field (all but the image and the prompt) may have.
LONGEST = 100
#: Seconds a stopping server gives the running job (under Docker's 10 s before SIGKILL).
GRACE = 8.0


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


class UploadLimit:
    """ASGI middleware: answer 413 to a request body over ``limit`` bytes, whether it says its
    length up front or not (chunked), before it is read into memory or onto disk; and end a
    request the server's shutdown cancels quietly."""

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
            try:
                event = await receive()
            except asyncio.CancelledError:
                # The server is stopping past its grace period (uvicorn cancels the open
                # requests): an open stream then ends as if its listener had gone, instead of
                # each logging a traceback.
                return {"type": "http.disconnect"}
            seen += len(event.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, message)
            return event

        try:
            return await self.app(scope, counted, send)
        except asyncio.CancelledError:
            # The same, for a request cancelled while it sends: a stream whose job has not
            # yet seen the stop (midirenderer holds the GIL through a whole part) is still
            # open when the server's shutdown cancels the tasks left. Only the shutdown
            # cancels a request's task; it ends here instead of logging a traceback.
            return None


async def single_fields(request: Request) -> None:
    """Refuse a form field sent more than once (``style=[]`` arrives so), and a short field
    longer than :data:`LONGEST` characters (its error would echo it back)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return
    form = await request.form()  # FastAPI has read it already; this is the same form
    for name in dict.fromkeys(form.keys()):
        values = form.getlist(name)
        if len(values) > 1:
            raise InputError(f"field {name!r} was sent {len(values)} times; send it once")
        value = values[0]
        if isinstance(value, str) and name != "prompt" and len(value) > LONGEST:
            raise InputError(f"field {name!r} is {len(value)} characters long; send at most "
                             f"{LONGEST}")


class _File(FileResponse):
    """A file whose Range errors (400, 416) are JSON like every other error."""

    async def __call__(self, scope, receive, send) -> None:
        refused: dict[str, Any] = {}

        async def json_errors(message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (400, 416):
                refused.update(message)
            elif not refused:
                await send(message)
            elif not message.get("more_body"):
                size = os.stat(self.path).st_size
                await _error(refused["status"], "the Range header is malformed or outside the "
                             f"file ({size} bytes); ask for bytes=0-{max(0, size - 1)} or "
                             "leave out Range", **{"Content-Range": f"bytes */{size}"}
                             )(scope, receive, send)

        await super().__call__(scope, receive, json_errors)


def _allowed(request: Request) -> str:
    """The methods some route takes at the request's path (a 405's ``Allow``)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


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
               max_upload: int = 25 * MB, grace: float = GRACE) -> FastAPI:
    """The API around ``pipe`` (whose models should already be loaded).

    ``make_pipe(engine)`` builds a pipeline for a job that asks for another engine (None: only
    ``pipe``'s). With ``api_key``, every /v1 call needs ``Authorization: Bearer KEY``.
    ``queue_size`` jobs wait per model; finished files stay ``ttl`` seconds in ``folder`` (a
    temporary folder by default, cleaned at start-up when reused) while it holds under
    ``max_bytes``; uploads over ``max_upload`` bytes get 413. On shutdown the running job gets
    ``grace`` seconds to finish.
    """
    jobs = Jobs(pipe, make_pipe=make_pipe, folder=folder, queue_size=queue_size, ttl=ttl,
                max_bytes=max_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        jobs.close(timeout=grace)

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
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = _allowed(request)
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = "Bearer"
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

    @app.get("/v1/health", response_model=Health, responses=errors(503))
    async def health() -> dict[str, Any]:
        """Alive, with the pieces in use and the version; 503 while stopping or when a job
        worker stopped."""
        jobs.check()
        return {"status": "ok", "version": __version__, "engine": pipe.engine_name,
                "captioner": pipe.captioner_name}

    links: dict[str, Any] = {}  # filled in below, once the job routes exist
    accepted = {"model": Accepted, "links": links, "headers": {"Location": {
        "description": "the job's URL", "schema": {"type": "string"}}}}

    @app.post("/v1/jobs", status_code=202, response_model=Accepted,
              dependencies=[Depends(single_fields)],
              responses={202: accepted, **errors(400, 413, 422, 429, 503, 507)})
    def submit(response: Response,
               image: Annotated[UploadFile, File(description="the picture")],
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
                               "picture's shape)")] = None) -> dict[str, Any]:
        """Queue music for a picture; answers 202 with the job's id (429 when the queue is
        full, 503 while the server stops)."""
        jobs.check()
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
        response.headers["Location"] = f"/v1/jobs/{job.id}"
        return {"id": job.id, "status": job.status}

    @app.get("/v1/jobs/{job_id}", response_model=JobState, responses=errors(404, 422))
    def status(job_id: str) -> dict[str, Any]:
        """Status, progress 0..1, error, and the result (the sidecar's fields; ``takes`` has
        one per variation)."""
        return jobs.get(job_id).to_dict()

    @app.delete("/v1/jobs/{job_id}", response_model=Deleted, responses=errors(404, 422))
    def delete(job_id: str) -> dict[str, Any]:
        """Forget a job and remove its files."""
        jobs.delete(job_id)
        return {"id": job_id, "status": "deleted"}

    @app.get("/v1/jobs/{job_id}/stream", response_class=StreamingResponse,
             responses={200: binary(MEDIA[".wav"]),
                        303: {"description": "the job is done: its audio"},
                        **errors(404, 422)})
    async def stream(job_id: str) -> Response:
        """The first take as a growing 16-bit WAV while it is made (unmastered); a finished
        job's answer is 303 to its audio, a failed job's 404."""
        job = jobs.get(job_id)
        if job.status in ("failed", "deleted"):
            raise NotFound(f"job {job_id} {job.status}, so it has nothing to stream"
                           + (f": {job.error}" if job.error else ""))
        if job.status == "done" and not (job.folder / STREAM).exists():
            return RedirectResponse(f"/v1/jobs/{job_id}/audio", status_code=303)
        return StreamingResponse(tail(job), media_type=MEDIA[".wav"])

    def download(kind: str):
        def send(job_id: str, take: int = 1) -> FileResponse:
            job = jobs.get(job_id)
            path = job.file(kind, take)
            if job.status != "done" or not path.is_file():
                raise NotFound(f"job {job_id} has no {kind} for take {take} "
                               f"(status {job.status}); see GET /v1/jobs/{job_id}")
            job.fetched = True
            return _File(path, filename=f"{job_id}-{path.name}", media_type=MEDIA[path.suffix])

        send.__doc__ = f"The {kind} file of a finished job (``take`` for variations)."
        return send

    kinds = {"audio": [MEDIA[f] for f in FORMATS], "midi": [MEDIA[".mid"]],
             "video": [MEDIA[".mp4"]]}
    for kind in FILES:
        answers = {200: binary(*kinds[kind]), **errors(404, 416, 422)}
        app.get(f"/v1/jobs/{{job_id}}/{kind}", name=kind, response_class=FileResponse,
                responses=answers)(download(kind))
        app.head(f"/v1/jobs/{{job_id}}/{kind}", name=f"{kind}_head",
                 response_class=FileResponse, responses=answers)(download(kind))

    @app.post("/v1/describe", response_model=Described, dependencies=[Depends(single_fields)],
              responses=errors(400, 413, 422, 503))
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

    follow = {"status", "delete", "stream", *FILES}
    links.update(job_links({route.name: generate_unique_id(route) for route in app.routes
                            if isinstance(route, APIRoute) and route.name in follow}))
    return app


class _Server:
    """uvicorn's server, stopping as a container expects: the first SIGTERM or Ctrl-C stops
    taking jobs at once, fails the queued ones and gives the running one ``grace`` seconds;
    a second one exits at once. Either way no unfinished job's files are left."""

    def __init__(self, app: FastAPI, grace: float, **config: Any) -> None:
        import uvicorn

        jobs: Jobs = app.state.jobs
        self.signals: list[int] = []
        signals = self.signals

        def exit_now(sig: int) -> None:
            jobs.close(timeout=0.5)
            LOG.warning("stopped at once (a second signal); unfinished jobs were cancelled")
            logging.shutdown()
            os._exit(128 + sig)

        class Server(uvicorn.Server):
            def handle_exit(self, sig: int, frame: Any) -> None:
                signals.append(sig)
                # In threads: a signal handler must not wait for the job table's lock.
                if self.should_exit:  # a second signal
                    threading.Thread(target=exit_now, args=(sig,), daemon=True).start()
                    return
                threading.Thread(target=jobs.stop, args=(grace,), daemon=True).start()
                super().handle_exit(sig, frame)

        self.jobs = jobs
        self.server = Server(uvicorn.Config(app, timeout_graceful_shutdown=int(grace) + 2,
                                            **config))

    def run(self) -> None:
        """Serve until stopped; then make sure no unfinished job's files are left."""
        try:
            self.server.run()  # raises what the signal's own handler raises, once it is done
        finally:
            self.jobs.close(timeout=0.0)
            if self.jobs.busy():
                # A job that cannot be cancelled runs on in native code, which would abort
                # the interpreter's exit: leave without waiting for it (its files are gone).
                LOG.warning("stopped; the running job was cancelled")
                logging.shutdown()
                os._exit(128 + (self.signals[-1] if self.signals else 0))


def serve(pipe: ImageToMusic, *, host: str = "127.0.0.1", port: int = 8000,
          grace: float = GRACE, **options) -> None:
    """Load ``pipe``'s models, then answer HTTP on ``host:port`` until stopped (see
    :class:`_Server` for how it stops)."""
    pipe.captioner, pipe.engine  # noqa: B018 - load both now, not on the first job
    app = create_app(pipe, grace=grace, **options)
    _Server(app, grace, host=host, port=port, log_level="info").run()
