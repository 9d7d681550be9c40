"""What every cases view shares (the domains' views.py import it as `http`): problem responses,
the declared permission, the If-Match header and the case version, the runtime, the answer with
the case's ETag. Part of the HTTP edge: the use cases know nothing of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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


def case_answer(case: Case, response: Response) -> CaseRead:
    """A case as the API answers it, with its version as the ETag."""
    response.headers["ETag"] = etag(case.version)
    return CaseRead.model_validate(case, from_attributes=True)


Read = TypeVar("Read", bound=BaseModel)


def read_all(read: type[Read], records: Iterable[object]) -> list[Read]:
    return [read.model_validate(r, from_attributes=True) for r in records]


@dataclass(frozen=True)
class CaseChange:
    """What every view changing a case takes besides the case id, its body and its caller: the
    runtime, the version the caller last read (If-Match, or the body's `version`) and the
    answer, whose ETag is the case's version after the change."""

    runtime: CasesRuntime
    if_match: str | None
    response: Response

    def expected(self, body: Versioned) -> int:
        """The case version the caller last read (422 for a malformed If-Match, 428 for none)."""
        return expected_version(what="case", if_match=self.if_match, body_version=body.version)

    def case(self, case: Case) -> CaseRead:
        """The changed case, with its new version as the ETag."""
        return case_answer(case, self.response)

    def recorded(self, read: type[Read], recorded: Recorded[Any]) -> Read:
        """What the change made (an action, a consent...), the case's new version as the ETag."""
        self.response.headers["ETag"] = etag(recorded.case_version)
        return read.model_validate(recorded.record, from_attributes=True)


def case_change(runtime: Runtime, response: Response, if_match: IfMatch = None) -> CaseChange:
    return CaseChange(runtime=runtime, if_match=if_match, response=response)


Change = Annotated[CaseChange, Depends(case_change)]
