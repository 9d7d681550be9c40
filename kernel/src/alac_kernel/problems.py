"""RFC 9457 problem details for every error a service returns.

Every 4xx/5xx body is `application/problem+json` with `type`, `title`, `status`, `detail` and,
for input errors, `errors: [{"field": "body.crux", "reason": "..."}]` so a client can point at
the field. Unexpected exceptions become a 500 problem without a stack trace; the trace goes to
the log with the correlation id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://alac.example.org/problems/"

log = logging.getLogger("alac.problems")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem+json body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_ or (PROBLEM_BASE + _slug(title or _TITLES.get(status, "error")))
        self.title = title or _TITLES.get(status, "Error")
        self.errors = list(errors or [])
        self.headers = dict(headers or {})
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


def not_found(what: str) -> Problem:
    """The one answer for a missing resource and for another tenant's resource alike."""
    return Problem(404, f"{what} not found")


def field_error(field: str, reason: str, status: int = 422) -> Problem:
    return Problem(status, f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=str(request.url.path) if request else None),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_problem(exc: RequestValidationError) -> Problem:
    errors = []
    malformed = False
    for err in exc.errors():
        kind = err.get("type", "")
        if kind == "json_invalid":
            malformed = True
            pos = (err.get("ctx") or {}).get("error", "")
            errors.append({"field": "body", "reason": f"malformed JSON: {pos}".strip(": ")})
            continue
        loc = err.get("loc", ())
        reason = err.get("msg", "invalid").removeprefix("Value error, ")
        if kind == "extra_forbidden":
            reason = "unknown field"
        elif kind == "missing":
            reason = "field required"
        errors.append({"field": _field_path(loc), "reason": reason})
    if malformed:
        return Problem(400, "The request body is not valid JSON.", errors=errors)
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "invalid request"
    return Problem(422, detail, title="Invalid request", errors=errors)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = (
            exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "error")
        )
        return problem_response(
            Problem(exc.status_code, detail, headers=getattr(exc, "headers", None)), request
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            Problem(500, "An unexpected error occurred; it has been logged."), request
        )
