"""What every intake view shares (the domains' views.py import from it, as cases' do from
alac_cases.views): the problems a route documents, who may call it, and, as dependencies, the
request's runtime, client address, language and correlation id (a view takes them as arguments
and hands them to its use case). Part of the HTTP edge: the use cases know nothing of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from alac_intake.runtime import IntakeRuntime
from alac_kernel import languages
from alac_kernel.app import typed_runtime
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.limits import client_address
from alac_kernel.problems import problem_responses

PROBLEMS = problem_responses(
    (400, "Malformed JSON or header"),
    401,
    (403, "Role or office not allowed"),
    404,
    (409, "Stale version (If-Match)"),
    (413, "Body too large"),
    (422, "Invalid field (each named in `errors`)"),
)
# The small dependencies below are `async def` on purpose: they only read the request, and
# FastAPI runs a plain `def` dependency in its thread pool, a hand-off to a worker thread and
# back per dependency and per request. Under load every hand-off also waits for the GIL
# behind the requests' CPU-bound threads (issue #15, docs/performance.md figure set 0b).

# Every problem any intake operation may answer with; added to each route's documented
# responses (app.create_app) so the OpenAPI document covers what clients really get.
ALL_PROBLEMS = PROBLEMS | problem_responses((415, "Unsupported attachment type"), 428, 429)


async def runtime(request: Request) -> IntakeRuntime:
    return typed_runtime(request, IntakeRuntime)


Runtime = Annotated[IntakeRuntime, Depends(runtime)]


async def client(request: Request, rt: Runtime) -> str:
    """The caller's address as the request budgets count it (alac_kernel.limits)."""
    return client_address(request, rt.settings.trusted_proxy_set)


Client = Annotated[str, Depends(client)]


async def caller_language(request: Request) -> languages.Language:
    """The caller's language by the kernel's one rule (Accept-Language, then English)."""
    return languages.negotiate(request)


Language = Annotated[languages.Language, Depends(caller_language)]


async def correlation_id(request: Request) -> str | None:
    """The request's correlation id (alac_kernel.app), carried by the events it causes."""
    return request.state.correlation_id


CorrelationId = Annotated[str | None, Depends(correlation_id)]

# The complainant's receipt code: in a header, never in a URL, so it does not land in access
# logs or browser history.
ReceiptCode = Annotated[str, Header(alias="Receipt-Code", min_length=1, max_length=64)]

# Who may call: the roles of each kind of route.
Registrar = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.PARTNER)),
]
Editor = Annotated[
    Principal, Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR))
]
Staff = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)),
]
# Staff, and partner systems for the complaints they submitted (a smaller view).
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.PARTNER
        )
    ),
]
Coordinator = Annotated[Principal, Depends(require_roles(roles.COORDINATOR))]
TenantAdmin = Annotated[Principal, Depends(require_roles(roles.TENANT_ADMIN))]
ContactReader = Annotated[Principal, Depends(require_roles(roles.LAWYER, roles.COORDINATOR))]
PartnerSystem = Annotated[Principal, Depends(require_roles(roles.PARTNER))]
Writer = Annotated[
    Principal, Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.VOLUNTEER))
]
