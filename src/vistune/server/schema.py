"""What the HTTP API answers, as the OpenAPI document states it: a model per answer, the
``{"error": ...}`` shape of every error code, the files' media types, and the links from a new
job to the routes that follow it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

#: The media type of each file the server sends, by extension.
MEDIA = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg", ".mp3": "audio/mpeg",
         ".mid": "audio/midi", ".mp4": "video/mp4"}


class Error(BaseModel):
    """Every error: one line naming the fix."""

    error: str = Field(description="what went wrong, and what to do about it")


class Health(BaseModel):
    """The server is up and its workers run."""

    status: Literal["ok"]
    version: str
    engine: str
    captioner: str


class Accepted(BaseModel):
    """A queued job; follow it at ``/v1/jobs/{id}``."""

    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    status: Literal["queued", "running", "done", "failed"]


class JobState(BaseModel):
    """A job's state."""

    id: str
    status: Literal["queued", "running", "done", "failed", "deleted"]
    progress: float = Field(ge=0, le=1)
    stage: str
    error: str | None
    result: dict[str, Any] | None = Field(description="the first take's sidecar fields")
    takes: list[dict[str, Any]] = Field(description="one sidecar per variation")


class Deleted(BaseModel):
    """A forgotten job."""

    id: str
    status: Literal["deleted"]


class Described(BaseModel):
    """What ``vistune describe --json`` prints for one picture."""

    description: dict[str, Any]
    brief: dict[str, Any]


_WHY = {400: "a bad picture or setting", 401: "a missing or wrong API key",
        404: "no such job, or no such file of it", 405: "a method the route does not take",
        413: "an upload over --max-upload-mb", 416: "a Range outside the file",
        422: "a missing or malformed field",
        429: "the queue is full (see Retry-After)",
        503: "the server is stopping, a job worker stopped, or a model is unavailable",
        507: "no room left to keep the files"}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers for these error codes (and 401 and 405, which any route gives)."""
    answers: dict[int | str, dict[str, Any]] = {
        code: {"model": Error, "description": _WHY[code]}
        for code in sorted({401, 405, *codes})}
    if 429 in answers:
        answers[429]["headers"] = {"Retry-After": {
            "description": "seconds until a queue slot frees", "schema": {"type": "integer"}}}
    if 405 in answers:
        answers[405]["headers"] = {"Allow": {
            "description": "the methods the route takes", "schema": {"type": "string"}}}
    return answers


def binary(*media: str) -> dict[str, Any]:
    """An OpenAPI 200 answer of a file in one of these media types."""
    return {"description": "the file", "content": {
        kind: {"schema": {"type": "string", "format": "binary"}} for kind in media}}


def job_links(operations: dict[str, str]) -> dict[str, Any]:
    """The links, by name, from a new job's id to the operations (their ids) that follow it."""
    return {name: {"operationId": operation, "parameters": {"job_id": "$response.body#/id"}}
            for name, operation in operations.items()}
