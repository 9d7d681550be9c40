"""GET /v1/reference/{list}: reference lists with labels in the caller's language; PUT: a
tenant's own version of a per-tenant list. Each route hands its input to a use case of
reference.service.

Reading is public (no token): the web form needs the lists before anyone logs in, and they
hold no secrets."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from alac_intake.reference import service
from alac_intake.reference.schemas import ReferenceList, TenantList
from alac_intake.views import Language, Runtime, TenantAdmin
from alac_kernel import languages
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1/reference", tags=["reference"])


@router.get("/{list_name}", response_model=ReferenceList, summary="A reference list")
def reference_list(
    list_name: str,
    request: Request,
    rt: Runtime,
    lang: Annotated[languages.Language | None, Query()] = None,
    tenant: Annotated[
        str | None, Query(max_length=64, description="For per-tenant lists (age bands).")
    ] = None,
    include_retired: bool = False,
    on: Annotated[date | None, Query(description="Validity date; default today.")] = None,
) -> ReferenceList:
    return service.reference_list(
        rt, list_name, lang=languages.negotiate(request, lang), tenant=tenant,
        include_retired=include_retired, on=on or date.today(),
    )  # fmt: skip


@router.put(
    "/{list_name}",
    response_model=ReferenceList,
    summary="Replace the tenant's own version of a per-tenant list (age bands)",
    description=(
        "Tenant admins set their centre's age bands (the seed reports 25–39 and 40–50). The "
        "previous version is retired today, so complaints recorded with it stay readable."
    ),
    responses=problem_responses(
        401,
        (403, "Only a tenant admin may change the tenant's lists"),
        (404, "Not a per-tenant list"),
        (422, "Invalid items (each named in `errors`)"),
    ),
)
def replace_tenant_list(
    list_name: str, body: TenantList, principal: TenantAdmin, rt: Runtime, lang: Language
) -> ReferenceList:
    return service.replace_own_list(rt, principal, list_name, body.items, lang=lang)
