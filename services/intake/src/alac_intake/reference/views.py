"""GET /v1/reference/{list}: reference lists with labels in the caller's language.

Public (no token): the web form needs them before anyone logs in, and they hold no secrets."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from alac_intake.i18n import language
from alac_intake.reference import service
from alac_kernel.app import runtime_of
from alac_kernel.db import session_scope
from alac_kernel.problems import not_found

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
