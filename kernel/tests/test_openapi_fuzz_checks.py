"""The fuzz run's own checks can fail: an error not written as problem+json is reported, and
so is a body read by an operation whose 400/413/422 the OpenAPI document does not name."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from alac_kernel.app import document_body_problems
from alac_kernel.testing.openapi_fuzz import fuzz_openapi, problem_json_on_errors

PROBLEM = {"type": "about:blank", "title": "Not found", "status": 404}


def test_an_error_as_plain_json_is_refused_and_a_problem_passes():
    plain = httpx.Response(404, json={"detail": "Not Found"})
    with pytest.raises(AssertionError, match="problem"):
        problem_json_on_errors(plain)
    no_status = httpx.Response(
        404, content=b'{"title": "x"}', headers={"content-type": "application/problem+json"}
    )
    with pytest.raises(AssertionError, match="status"):
        problem_json_on_errors(no_status)
    good = httpx.Response(404, json=PROBLEM, headers={"content-type": "application/problem+json"})
    problem_json_on_errors(good)
    problem_json_on_errors(httpx.Response(200, json={"ok": True}))


class Note(BaseModel):
    text: str


def _app(document: bool) -> FastAPI:
    router = APIRouter()

    @router.post("/notes", status_code=201)
    def add(note: Note) -> dict[str, str]:
        return {"text": note.text}

    if document:
        document_body_problems(router)
    app = FastAPI()
    app.include_router(router)
    return app


@pytest.mark.long
def test_fuzzing_names_plain_json_errors_and_the_kernel_documents_body_problems():
    """FastAPI's own 422 is plain JSON, so the bare app fails the fuzz run; the route
    documented by the kernel's document_body_problems no longer fails on undocumented 400s."""
    bare = TestClient(_app(document=False))
    report = fuzz_openapi(bare.app.openapi(), send=bare.request, headers=[{}], max_examples=5)
    assert any("problem+json" in failure for failure in report.failures)
    documented = _app(document=True).openapi()
    responses = documented["paths"]["/notes"]["post"]["responses"]
    assert {"400", "413", "422"} <= set(responses)
