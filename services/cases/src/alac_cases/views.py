"""What every cases view shares (the domains' views.py import it as `http`): problem responses,
the declared permission, the If-Match header and the case version, the runtime, the answer with
the case's ETag. Part of the HTTP edge: the use cases know nothing of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict, TypeVar

from fastapi import Depends, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from alac_cases.case.commands import Recorded
from alac_cases.case.models import Case
from alac_cases.case.schemas import CaseRead
from alac_cases.permissions import MATRIX
from alac_cases.runtime import CasesRuntime, runtime
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
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


def answers(model: Any, summary: str, **more: Any) -> dict[str, Any]:
    """A route's common keywords: what it answers, cases' documented problems and its summary
    (`@router.get(path, **http.answers(CaseRead, "One case"))`); `more` adds or overrides
    (a description, the responses of a route that calls the identity provider)."""
    return {"response_model": model, "responses": PROBLEMS, "summary": summary, **more}


def creates(model: Any, summary: str, **more: Any) -> dict[str, Any]:
    """The same for a route that records something new: 201 Created."""
    return answers(model, summary, status_code=201, **more)


class OfCase(TypedDict):
    """What every use case on one case takes first: the runtime, the caller and the case."""

    runtime: CasesRuntime
    principal: Principal
    case_id: str


class CaseArguments(OfCase):
    """...and, for a change, the case version the caller last read."""

    expected: int


@dataclass(frozen=True)
class OneCase:
    """What every view on one case receives (a read of its records, a note...): the runtime,
    the caller (let in by the route's permission) and the case."""

    runtime: CasesRuntime
    principal: Principal
    case_id: str

    def arguments(self) -> OfCase:
        """`service.actions_of_case(**case.arguments())`."""
        return OfCase(runtime=self.runtime, principal=self.principal, case_id=self.case_id)


@dataclass(frozen=True)
class CaseCommand:
    """What every view changing a case receives besides its body: the runtime, the caller (let
    in by the route's permission), the case, the version the caller last read (If-Match, or
    the body's `version`) and the answer, whose ETag is the case's version after the change."""

    of_case: OneCase
    if_match: str | None
    response: Response

    def arguments(self, body: Versioned) -> CaseArguments:
        """What every case use case takes first: `service.move(**command.arguments(body), ...)`.
        The expected version is the If-Match header's, or the body's `version` (422 for a
        malformed If-Match, 428 for neither)."""
        expected = expected_version(what="case", if_match=self.if_match, body_version=body.version)
        return CaseArguments(**self.of_case.arguments(), expected=expected)

    def case(self, case: Case) -> CaseRead:
        """The changed case, with its new version as the ETag."""
        return case_answer(case, self.response)

    def recorded(self, read: type[Read], recorded: Recorded[Any]) -> Read:
        """What the change made (an action, a consent...), the case's new version as the ETag."""
        self.response.headers["ETag"] = etag(recorded.case_version)
        return read.model_validate(recorded.record, from_attributes=True)


# The two dependencies below name `admitted` as a default rather than in an Annotated hint: the
# module's postponed annotations would leave a local name that FastAPI cannot resolve.


def one_case(permission: str) -> Any:
    """The dependency a view on one case (no version to check) takes as one parameter, letting
    in the roles of `permission`: `ActionReader = Annotated[http.OneCase, http.one_case(...)]`."""
    admitted = allowed(permission)

    def on_one_case(case_id: str, runtime: Runtime, principal: Principal = admitted) -> OneCase:
        return OneCase(runtime=runtime, principal=principal, case_id=case_id)

    return Depends(on_one_case)


def command(permission: str) -> Any:
    """The dependency a case-changing view takes as one parameter, letting in the roles of
    `permission`: `CaseMover = Annotated[http.CaseCommand, http.command("case.transition")]`."""
    admitted = allowed(permission)

    def case_command(
        case_id: str,
        runtime: Runtime,
        response: Response,
        principal: Principal = admitted,
        if_match: IfMatch = None,
    ) -> CaseCommand:
        of_case = OneCase(runtime=runtime, principal=principal, case_id=case_id)
        return CaseCommand(of_case=of_case, if_match=if_match, response=response)

    return Depends(case_command)
