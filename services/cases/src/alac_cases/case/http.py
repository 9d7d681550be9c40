"""Pieces every cases router shares: problem responses, the If-Match header, the session."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from alac_cases.files import audit, load_case
from alac_kernel.app import runtime_of
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.outbox import Outbox
from alac_kernel.problems import PROBLEM_JSON

# The RFC 9457 body every error has (extensions such as `allowed`, `missing_consent` or
# `current_version` may be added), so clients and the schemathesis test can check it.
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}

PROBLEMS = {
    code: {"description": text, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
    for code, text in {
        400: "Malformed request body (not JSON)",
        401: "Missing or invalid access token",
        403: "Role not allowed",
        404: "Not found (or another tenant's)",
        409: "Conflict: stale version, transition not allowed, or consent missing",
        422: "Invalid parameter (named in `errors`)",
        413: "Request body too large",
        428: "Case version missing (If-Match or `version`)",
    }.items()
}

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=40, description='Case version last read, e.g. "3"'),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Versioned(Strict):
    version: int | None = Field(
        default=None, ge=1, le=10**9, description="Case version last read (or If-Match)"
    )


@contextmanager
def unit_of_work(request: Request, principal: Principal) -> Iterator[tuple[Session, Outbox]]:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        yield session, runtime.outbox


Read = TypeVar("Read", bound=BaseModel)


def list_of_case(
    request: Request,
    principal: Principal,
    *,
    case_id: str,
    what: str,
    rows: Callable[..., Iterable[Any]],
    read: type[Read],
) -> list[Read]:
    """The shape of every "records of one case" endpoint: load the case within the caller's
    scope (404 otherwise), audit the read, return `rows(session=, case_id=)` as `read`."""
    with unit_of_work(request, principal) as (session, _):
        case = load_case(session=session, case_id=case_id, principal=principal)
        audit(session=session, principal=principal, what=what, case_id=case.id)
        return [
            read.model_validate(row, from_attributes=True)
            for row in rows(session=session, case_id=case.id)
        ]
