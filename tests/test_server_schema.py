"""The OpenAPI document is the contract (issue 25): Schemathesis fuzzes the server on loopback
from its own /openapi.json, with real PNGs in the image field, and checks that nothing answers
5xx and every status code, content type and body is the documented one; then it follows the
links from ``POST /v1/jobs`` to the job's routes."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the HTTP API needs vistune[serve]")
schemathesis = pytest.importorskip("schemathesis")
requests = pytest.importorskip("requests")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from PIL import Image  # noqa: E402
from test_server import AUTH, KEY, running  # noqa: E402

from vistune import ImageToMusic  # noqa: E402
from vistune.server.api import create_app  # noqa: E402

#: Bounds that keep the whole run under a minute on a busy 2-core machine.
EXAMPLES_PER_ROUTE = 12
BOUNDED = settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True,
                   suppress_health_check=list(HealthCheck),
                   phases=[Phase.explicit, Phase.generate])


def _png(seed: int) -> bytes:
    """A small picture with some structure (gradient, noise), as PNG."""
    rng = np.random.default_rng(seed)
    pixels = np.linspace(0, 255, 48 * 32 * 3).reshape(32, 48, 3) + rng.normal(0, 20, (32, 48, 3))
    file = io.BytesIO()
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(file, format="PNG")
    return file.getvalue()


PNGS = [_png(seed) for seed in range(4)]
#: The server checks fields such as style, key or duration as the command line does, which a
#: JSON schema cannot state: a value of the right type may still be refused (400), so the one
#: check left out is that every schema-valid request is accepted.
schemathesis.checks.load_all_checks()
CHECKS = {name: check for check in schemathesis.checks.CHECKS.get_all()
          if (name := getattr(check, "__name__", "")) != "positive_data_acceptance"}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A server making pieces of at most 2 s, so that fuzzed jobs stay short."""
    pipe = ImageToMusic(engine="composer", captioner="labels", offline=True, max_duration=2)
    app = create_app(pipe, folder=tmp_path_factory.mktemp("fuzzed"), queue_size=64,
                     max_upload=1024 * 1024, api_key=KEY)
    with running(app) as url:
        yield url


def _schema(url: str):
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")

    @schema.hook
    def map_body(context, body):  # a picture the server can read
        if isinstance(body, dict) and "image" in body:
            body["image"] = PNGS[len(str(body["image"])) % len(PNGS)]
        return body

    return schema


@pytest.fixture
def api_schema(base):
    return _schema(base)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@BOUNDED
def test_every_route_keeps_its_contract(case):
    assert {"not_a_server_error", "status_code_conformance", "content_type_conformance",
            "response_schema_conformance", "allow_header_conformance"} <= set(CHECKS)
    case.call_and_validate(headers=AUTH, timeout=30, checks=list(CHECKS.values()))


#: The checks of the stateful run: its hook makes every job's settings valid (and this run
#: always sends the key), so the checks about refusing bad data are the test above's.
FOLLOWING = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
             "response_headers_conformance", "response_schema_conformance", "use_after_free",
             "ensure_resource_availability"]


def test_the_links_from_a_new_job_lead_to_its_routes(base):
    schema = _schema(base)

    @schema.hook
    def map_body(context, body):  # settings a job takes, so that jobs are made and followed
        if isinstance(body, dict) and "image" in body:
            body.update(image=PNGS[0], duration="1", format="wav", engine="auto")
            for name in ("seed", "style", "prompt", "tempo", "key", "variations",
                         "video_style", "size"):
                body.pop(name, None)
        return body

    seen = set()

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": AUTH, "timeout": 30}

        def validate_response(self, response, case, **kwargs):
            seen.add((case.method, case.path, response.status_code))
            case.validate_response(response, checks=[CHECKS[name] for name in FOLLOWING])

    Workflow.run(settings=settings(BOUNDED, max_examples=8, stateful_step_count=4))
    # Jobs were made, and followed by their id.
    assert ("POST", "/v1/jobs", 202) in seen
    assert {("GET", "/v1/jobs/{job_id}", 200), ("DELETE", "/v1/jobs/{job_id}", 200)} & seen, seen
