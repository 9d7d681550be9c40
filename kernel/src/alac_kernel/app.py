"""The FastAPI application every service starts from: problem+json errors, body size limit,
correlation id, request metrics, /healthz, /readyz, /metrics, and the workers' lifecycle."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alac_kernel.apidocs import install_api_docs
from alac_kernel.auth.fastapi import install_auth
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.db import new_id, storage_refusal
from alac_kernel.http_input import RefuseNulMiddleware
from alac_kernel.observability import logs
from alac_kernel.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS, HTTP_SERVER_ERRORS
from alac_kernel.problems import (
    PROBLEM_JSON,
    Problem,
    domain_problem,
    install_problem_handlers,
    problem_responses,
)
from alac_kernel.runtime import ServiceRuntime

log = logging.getLogger("alac.app")

CORRELATION_HEADER = "x-correlation-id"
_CORRELATION_OK = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


class RequestContextMiddleware:
    """Pure ASGI (no per-request task switch): correlation id in and out, body size limit
    enforced while streaming (a lying Content-Length cannot get past it), request metrics."""

    def __init__(self, app: ASGIApp, *, service: str, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get(CORRELATION_HEADER, "")
        correlation = incoming if _CORRELATION_OK.match(incoming) else new_id()
        token = logs.correlation_id.set(correlation)
        scope.setdefault("state", {})["correlation_id"] = correlation
        started = time.perf_counter()
        status_holder = {"status": 500, "started": 0}

        # Set when the body went over the limit before the app answered: whatever the app
        # then sends (FastAPI turns any error while reading the body into a 400) is replaced
        # by the 413 below.
        refused = False

        async def deliver(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (CORRELATION_HEADER.encode(), correlation.encode())
                ]
            await send(message)

        async def send_with_headers(message: Message) -> None:
            if refused:
                return
            await deliver(message)

        try:
            declared = headers.get("content-length")
            if declared is not None and (
                not declared.isdigit() or int(declared) > self.max_body_bytes
            ):
                await self._too_large(deliver)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received, refused
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body_bytes:
                        refused = not status_holder.get("started")
                        raise _BodyTooLarge
                return message

            try:
                await self.app(scope, limited_receive, send_with_headers)
            except _BodyTooLarge:
                pass
            except Exception:
                # Answered here rather than by Starlette's outermost error middleware, which
                # sits outside this one: the 500 then carries the correlation id too, the one
                # thing support needs to find the logged trace.
                if status_holder["started"]:
                    raise
                if not refused:
                    await self._send_problem(deliver, self._unexpected(scope))
            if refused:
                await self._too_large(deliver)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            HTTP_REQUESTS.labels(self.service, method, path, str(status_holder["status"])).inc()
            if int(status_holder["status"]) >= 500:
                HTTP_SERVER_ERRORS.labels(self.service).inc()
            HTTP_LATENCY.labels(self.service, method, path).observe(time.perf_counter() - started)
            logs.correlation_id.reset(token)

    @staticmethod
    def _unexpected(scope: Scope) -> Problem:
        """The answer to an error no handler took: a full disk or a database away (raised
        as late as the commit of a request's unit of work) is a 503 to retry, the rest a 500."""
        refusal = storage_refusal(sys.exc_info()[1] or Exception())
        if refusal is not None:
            log.warning("storage refused a request", exc_info=True, extra={"path": scope["path"]})
            return domain_problem(refusal)
        log.exception("unhandled error", extra={"path": scope.get("path")})
        return Problem(500, "An unexpected error occurred; it has been logged.")

    async def _too_large(self, send: Callable[[Message], Any]) -> None:
        await self._send_problem(
            send,
            Problem(
                413,
                f"The request body is larger than {self.max_body_bytes} bytes.",
                errors=[{"field": "body", "reason": f"larger than {self.max_body_bytes} bytes"}],
            ),
        )

    @staticmethod
    async def _send_problem(send: Callable[[Message], Any], problem: Problem) -> None:
        raw = json.dumps(problem.body()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": problem.status,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(raw)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in (problem.headers or {}).items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})


class _BodyTooLarge(Exception):
    pass


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_workers:
            runtime.start_workers()
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title=title, description=description, version="0.1.0", lifespan=lifespan,
        docs_url=None, redoc_url=None,  # install_api_docs: local assets, no CDN
    )  # fmt: skip
    app.state.runtime = runtime
    install_problem_handlers(app)
    install_api_docs(app, issuer=settings.auth_issuer)
    install_auth(app, verifier or TokenVerifier.from_settings(settings), runtime.standing.refusal)
    app.add_middleware(RefuseNulMiddleware)  # inside the size limit below
    app.add_middleware(
        RequestContextMiddleware, service=runtime.name, max_body_bytes=settings.max_body_bytes
    )
    # The series exists, at 0, from the start: Starlette builds the middleware only on the
    # first request, and a service nobody has called yet must still answer "no errors".
    HTTP_SERVER_ERRORS.labels(runtime.name)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    @app.get("/readyz", tags=["operations"], summary="Readiness: database and bus reachable")
    def readyz() -> JSONResponse:
        checks = runtime.check_ready()
        ready = all(v == "ok" for v in checks.values())
        body = {
            "status": "ok" if ready else "unavailable",
            "service": runtime.name,
            "checks": checks,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        document_body_problems(router)
        app.include_router(router)
    return app


def document_body_problems(router: APIRouter) -> None:
    """Document, on every operation that reads a body, the problems the kernel answers for any
    body before the route runs: unreadable JSON (400), over the size limit (413), invalid
    fields (422). Without them a client (and schemathesis) meets statuses the OpenAPI document
    does not name; a route's own description of a status wins."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            route.responses = {**BODY_PROBLEMS, **route.responses}


BODY_PROBLEMS = problem_responses(
    (400, "The body is not valid JSON"), 413, (422, "Invalid field (each named in `errors`)")
)


def runtime_of(request: Request) -> ServiceRuntime:
    return typed_runtime(request, ServiceRuntime)


RuntimeT = TypeVar("RuntimeT", bound=ServiceRuntime)


def typed_runtime(request: Request, kind: type[RuntimeT]) -> RuntimeT:
    """The service's own runtime class (its keys, stores and limiters as typed fields).

    Each service declares ``@dataclass(kw_only=True) class XRuntime(ServiceRuntime)`` and a
    one-line dependency ``def runtime(request) -> XRuntime: return typed_runtime(request,
    XRuntime)``; nothing is attached to a runtime with setattr."""
    runtime = request.app.state.runtime
    if not isinstance(runtime, kind):
        raise TypeError(f"the app's runtime is a {type(runtime).__name__}, not a {kind.__name__}")
    return runtime
