"""What every cases view shares (the domains' views.py import it as `http`): problem responses,
the declared permission, the If-Match header and the case version, the runtime, the answer with
the case's ETag. Part of the HTTP edge: the use cases know nothing of it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from alac_cases.case.commands import Recorded
from alac_cases.case.models import Case
from alac_cases.case.schemas import CaseRead
from alac_cases.permissions import MATRIX
from alac_cases.runtime import CasesRuntime, runtime
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.problems import Responses, problem_responses
from alac_kernel.versions import etag, expected_version

PROBLEMS: Responses = problem_responses(
    (400, "Malformed request body (not JSON)"),
    401,
    403,
    404,
    (409, "Conflict: stale version, transition not allowed, or consent missing"),
    (422, "Invalid parameter (named in `errors`)"),
    413,
    (428, "Case version missing (If-Match or `version`)"),
    with_schema=True,
)


def unavailable(description: str) -> Responses:
    """The 503 of a route that calls the identity provider: a problem with Retry-After."""
    [(code, problem)] = problem_responses((503, description)).items()
    retry_after = {"Retry-After": {"schema": {"type": "integer"}}}
    return {code: {"description": description, "headers": retry_after, **problem}}


IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=40, description='Case version last read, e.g. "3"'),
]


def allowed(permission: str) -> Any:
    """The dependency letting in the roles of `permission` in MATRIX (403 naming them to
    anyone else). A view's module names its callers with it, as type aliases a type checker
    reads: `CaseReader = Annotated[Principal, http.allowed("case.read")]`."""
    return Depends(require_roles(*sorted(MATRIX[permission])))


Runtime = Annotated[CasesRuntime, Depends(runtime)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Versioned(Strict):
    version: int | None = Field(
        default=None, ge=1, le=10**9, description="Case version last read (or If-Match)"
    )


def case_version(if_match: str | None, body: Versioned) -> int:
    """The case version the caller last read, from If-Match or the body's `version`."""
    return expected_version(what="case", if_match=if_match, body_version=body.version)


def case_answer(case: Case, response: Response) -> CaseRead:
    """A case as the API answers it, with its version as the ETag."""
    response.headers["ETag"] = etag(case.version)
    return CaseRead.model_validate(case, from_attributes=True)


Read = TypeVar("Read", bound=BaseModel)


def read_all(read: type[Read], records: Iterable[object]) -> list[Read]:
    return [read.model_validate(r, from_attributes=True) for r in records]


def recorded_answer(read: type[Read], recorded: Recorded[Any], response: Response) -> Read:
    """What a change made, as the API answers it, with the case's new version as the ETag."""
    response.headers["ETag"] = etag(recorded.case_version)
    return read.model_validate(recorded.record, from_attributes=True)
