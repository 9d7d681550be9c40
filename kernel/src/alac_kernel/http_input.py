"""Input no service can store, refused once for all of them before any route runs.

PostgreSQL `text` cannot hold NUL (U+0000): a NUL in a query parameter, a path segment or any
string of a JSON body passed validation and failed at the database with a 500 (found by
probing every service on PostgreSQL). Each service's schemas could check each field; one
middleware checks every request instead, so a new field or endpoint cannot forget it. The
answer is the usual 422 problem naming the field (`query.office`, `body.notes.0.text`), or a
404 for a path (no resource is named with a NUL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alac_kernel.problems import PROBLEM_JSON, Problem

NUL = "\x00"
REASON = "must not contain NUL (\\u0000) characters"


def nul_fields(value: Any, path: str = "body") -> Iterator[str]:
    """The paths of the strings (keys included) in a parsed JSON value that hold a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield f"{path}.{key.replace(NUL, '?')}"
            yield from nul_fields(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_fields(item, f"{path}.{index}")


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return bool(kind == b"application/json" or kind.endswith(b"+json"))
    return False


class RefuseNulMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if NUL in scope.get("path", ""):
            # No resource's id holds NUL: answer as for any unknown one.
            await _send(send, Problem(404, "Not found."))
            return
        fields = []
        query = scope.get("query_string", b"").decode("latin-1")
        if "%00" in query or NUL in query:
            pairs = parse_qsl(query, keep_blank_values=True)
            fields += [f"query.{k.replace(NUL, '?')}" for k, v in pairs if NUL in k or NUL in v]
        if fields:
            await _refuse(send, fields)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        # JSON bodies are small (the size limit sits outside this middleware); read it whole,
        # look, and hand the same bytes on.
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # A NUL can only be written \u0000 inside JSON text (raw control characters are
        # invalid JSON), so most bodies skip the parse.
        if b"\\u0000" in body:
            try:
                found = list(nul_fields(json.loads(body)))
            except ValueError:
                found = []  # not JSON after all: the route's own validation answers
            if found:
                await _refuse(send, found)
                return
        await self.app(scope, _replay([{"type": "http.request", "body": body}]), send)


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive


async def _refuse(send: Send, fields: list[str]) -> None:
    problem = Problem(
        422,
        f"{fields[0]}: {REASON}",
        errors=[{"field": field, "reason": REASON} for field in fields],
    )
    await _send(send, problem)


async def _send(send: Send, problem: Problem) -> None:
    raw = json.dumps(problem.body()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
