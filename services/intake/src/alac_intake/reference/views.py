"""GET /v1/reference/{list}: reference lists with labels in the caller's language.

Public (no token): the web form needs them before anyone logs in, and they hold no secrets."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alac_intake.complaints.schemas import Code, NoNul
from alac_intake.i18n import language
from alac_intake.reference import service
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import PROBLEM_JSON, Problem, not_found

router = APIRouter(prefix="/v1/reference", tags=["reference"])

LISTS = (
    "channels", "request_types", "areas", "sub_areas", "authority_levels",
    "respondent_body_types", "corruption_related", "non_corruption_reasons", "heard_from",
    "prior_legal_help", "procedural_stages", "documents", "education_levels", "residence_types",
    "complainant_types", "sexes", "languages", "outcomes", "age_bands", "regions", "cities",
    "public_offices",
)  # fmt: skip


class ReferenceItem(BaseModel):
    code: str
    label: str
    parent: str | None
    valid_from: date | None
    valid_to: date | None
    current: bool


class ReferenceList(BaseModel):
    list: str
    lang: str
    items: list[ReferenceItem]


@router.get("/{list_name}", response_model=ReferenceList, summary="A reference list")
def reference_list(
    list_name: str,
    request: Request,
    lang: Annotated[Literal["kk", "ru", "en"] | None, Query()] = None,
    tenant: Annotated[
        str | None, Query(max_length=64, description="For per-tenant lists (age bands).")
    ] = None,
    include_retired: bool = False,
    on: Annotated[date | None, Query(description="Validity date; default today.")] = None,
) -> ReferenceList:
    if list_name not in LISTS:
        raise not_found("reference list")
    chosen = language(request, lang)
    day = on or date.today()
    with session_scope(runtime_of(request).session_factory) as session:
        found = service.rows(session=session, list_names=[list_name], tenant=tenant)[list_name]
        items = [
            ReferenceItem(
                code=r.code,
                label=service.label(r, chosen),
                parent=r.parent,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                current=service.is_current(r, day),
            )
            for r in found
            if include_retired or service.is_current(r, day)
        ]
    return ReferenceList(list=list_name, lang=chosen, items=items)


Label = Annotated[str, Field(min_length=1, max_length=200), NoNul]


class TenantListItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code
    label_en: Label
    label_ru: Label
    label_kk: Label


class TenantList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[TenantListItem] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _codes_unique(self) -> TenantList:
        codes = [item.code for item in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError("codes must be unique")
        return self


@router.put(
    "/{list_name}",
    response_model=ReferenceList,
    summary="Replace the tenant's own version of a per-tenant list (age bands)",
    description=(
        "Tenant admins set their centre's age bands (the seed reports 25–39 and 40–50). The "
        "previous version is retired today, so complaints recorded with it stay readable."
    ),
    responses={
        code: {"description": text, "content": {PROBLEM_JSON: {}}}
        for code, text in {
            401: "Missing or invalid access token",
            403: "Only a tenant admin may change the tenant's lists",
            404: "Not a per-tenant list",
            422: "Invalid items (each named in `errors`)",
        }.items()
    },
)
def replace_tenant_list(
    list_name: str,
    body: TenantList,
    request: Request,
    principal: Annotated[Principal, Depends(require_roles(roles.TENANT_ADMIN))],
) -> ReferenceList:
    if list_name not in service.TENANT_LISTS:
        raise not_found("per-tenant reference list")
    chosen = language(request, None)
    today = date.today()
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        added = service.replace_tenant_list(
            session=session,
            tenant=principal.tenant,
            list_name=list_name,
            items=[item.model_dump() for item in body.items],
            today=today,
        )
        items = [
            ReferenceItem(
                code=r.code,
                label=service.label(r, chosen),
                parent=None,
                valid_from=r.valid_from,
                valid_to=None,
                current=True,
            )
            for r in added
        ]
    if not items:  # pragma: no cover - min_length=1 above
        raise Problem(422, "no items")
    return ReferenceList(list=list_name, lang=chosen, items=items)
