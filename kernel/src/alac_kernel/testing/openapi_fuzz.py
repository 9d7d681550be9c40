"""Schemathesis over a service's OpenAPI, in-process, shared by the services' fuzz tests.

Each operation of the schema gets a small Hypothesis run: generated requests are sent through
the caller's client (a Starlette TestClient, so no server and no lifespan of its own), with
one of the given users' headers, and path parameters sometimes replaced by ids that exist (so
the happy path is reached, not only 404s). Every response is checked: no 5xx, a documented
status code, a documented content type, a body matching the documented schema, and every error
an RFC 9457 problem (application/problem+json with its status and title).

Needs the test extras `schemathesis` and `hypothesis` (pinned in constraints.txt); runs are
derandomised so a failure reproduces on the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


PROBLEM_JSON = "application/problem+json"
#: The base URL of the requests handed to `send` (a TestClient's; over HTTP, replace it).
FUZZ_BASE = "http://testserver"


def problem_json_on_errors(response: httpx.Response) -> None:
    """Every 4xx and 5xx is an RFC 9457 problem (STYLE.md): its media type, and a body with at
    least `status` and `title`. Schemathesis only checks what the document says, and a
    documented error can still be written as plain JSON by a stray handler."""
    if response.status_code < 400:
        return
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if media != PROBLEM_JSON:
        raise AssertionError(f"an error answered as {media!r}, not {PROBLEM_JSON}")
    body = response.json()
    if not isinstance(body, dict) or body.get("status") != response.status_code:
        raise AssertionError("a problem body without its status")
    if not body.get("title"):
        raise AssertionError("a problem body without a title")


@dataclass
class FuzzReport:
    calls: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unsendable: int = 0


def _to_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """requests-style keyword arguments (schemathesis' serialisation) to httpx ones."""
    out: dict[str, Any] = {
        k: kwargs[k] for k in ("method", "url", "headers", "params", "cookies") if k in kwargs
    }
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, (bytes, str)):
        out["content"] = data
    elif data is not None:
        out["data"] = data
    if kwargs.get("files"):
        out["files"] = kwargs["files"]
    return out


def fuzz_openapi(
    openapi: Mapping[str, Any],
    *,
    send: Callable[..., httpx.Response],
    headers: Sequence[Mapping[str, str]],
    path_values: Mapping[str, Sequence[str]] | None = None,
    max_examples: int = 10,
    modes: Sequence[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    skip: Callable[[str, str], bool] = lambda method, path: False,
) -> FuzzReport:
    """Fuzz every operation of `openapi`; `send(**httpx_kwargs)` performs the request.

    Positive mode sends valid requests (the happy path and the business refusals), negative
    mode invalid ones (each must be a documented 4xx, never a 5xx).

    Failures are collected rather than raised on the first one, so a run names every broken
    operation at once (the caller asserts `report.failures == []`).
    """
    schema = schemathesis.openapi.from_dict(dict(openapi))
    known = {k: list(v) for k, v in (path_values or {}).items()}
    report = FuzzReport()
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise ValueError(
                f"the OpenAPI document has an operation schemathesis cannot read: {result.err()}"
            )
        operation = result.ok()
        if skip(operation.method.upper(), operation.path):
            continue
        for mode in modes:
            _fuzz_operation(operation, mode, send, list(headers), known, max_examples, report)
    return report


def _fuzz_operation(
    operation: APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    send: Callable[..., httpx.Response],
    headers: list[Mapping[str, str]],
    known: dict[str, list[str]],
    max_examples: int,
    report: FuzzReport,
) -> None:
    names = [p.name for p in operation.path_parameters]

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        who=st.sampled_from(headers),
        data=st.data(),
    )
    def run(case: Case[Any], who: Mapping[str, str], data: st.DataObject) -> None:
        for name in names:
            if known.get(name) and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
        kwargs = _to_httpx(case.as_transport_kwargs(base_url=FUZZ_BASE))
        kwargs["headers"] = {**(kwargs.get("headers") or {}), **who}
        try:
            response = send(**kwargs)
        except httpx.LocalProtocolError:
            # A request no HTTP client can send (a header value ending in a space, from the
            # bearer scheme's generated credentials): in-process it reaches the app, over the
            # wire httpx refuses it before any byte leaves. Counted, not judged.
            report.unsendable += 1
            return
        report.calls += 1
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
            problem_json_on_errors(response)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported, then asserted
            text = str(exc).strip().splitlines()
            report.failures.append(
                f"[{mode.value}] {kwargs['method']} {operation.path} -> {response.status_code}: "
                f"{' | '.join(text[:6])} | body: {response.text[:300]}"
            )

    try:
        run()
    except Unsatisfiable:
        # nothing to make invalid (e.g. no parameters and no body): negative mode has no case
        if mode is not GenerationMode.NEGATIVE:
            raise
