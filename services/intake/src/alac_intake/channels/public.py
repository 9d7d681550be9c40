"""POST /v1/public/complaints: the centre's website form, without login.

Anyone may submit, so each client address is rate-limited (per process, see
`alac_intake.ratelimit`); the tenant and office come from the body and must be one of the
`public_offices` reference rows; the channel is always `web_form`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ConfigDict, Field, ValidationError, field_validator

from alac_intake.complaints import service
from alac_intake.complaints.schemas import (
    Code,
    ComplainantProfile,
    ComplaintAccepted,
    ComplaintCreate,
    ContactDetails,
    RecordFields,
    Text,
    visible_text,
)
from alac_intake.complaints.views import PROBLEMS
from alac_intake.i18n import language
from alac_intake.reference.offices import office_errors
from alac_kernel.app import runtime_of
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.limits import client_address
from alac_kernel.problems import PROBLEM_JSON, Problem

router = APIRouter(prefix="/v1/public", tags=["public"])
WEB_FORM = "web-form"  # registered_by of web submissions: no staff member entered them


class PublicComplaint(RecordFields):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tenant: Code = Field(description="The centre: a `parent` of /v1/reference/public_offices.")
    office: Code = Field(description="A `code` of /v1/reference/public_offices of that tenant.")
    crux: Text = Field(description="The complaint in the complainant's words.")
    anonymous: bool = Field(default=False, strict=True)
    complainant: ComplainantProfile = Field(default_factory=ComplainantProfile)
    contact: ContactDetails | None = None

    _crux_has_text = field_validator("crux")(lambda cls, v: visible_text(v))


@router.post(
    "/complaints",
    status_code=201,
    response_model=ComplaintAccepted,
    responses={
        **PROBLEMS,
        429: {
            "description": "Too many submissions from this address",
            "content": {PROBLEM_JSON: {}},
        },
    },
    summary="Submit a complaint through the website (no login)",
    description=(
        "Channel `web_form`. Rate-limited per client address (429 with `Retry-After`). "
        "The answer carries the receipt code, shown only once."
    ),
)
def submit_public(payload: PublicComplaint, request: Request) -> ComplaintAccepted:
    runtime = runtime_of(request)
    address = client_address(request, runtime.settings.trusted_proxy_set)
    wait = runtime.public_limiter.hit(address)  # type: ignore[attr-defined]
    if wait is not None:
        raise Problem(
            429,
            "Too many submissions from your address; try again later.",
            headers={"Retry-After": str(wait)},
        )
    lang = language(request)
    try:
        create = ComplaintCreate.model_validate(
            {**payload.model_dump(exclude={"tenant"}, exclude_none=True), "channel": "web_form"}
        )
    except ValidationError as exc:  # found by schemathesis: must be a 422, never a 500
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from exc
    principal = Principal(
        subject=WEB_FORM, username=None, tenant=payload.tenant, office=payload.office,
        roles=frozenset(), client_id=None, token_id=None,
    )  # fmt: skip
    with session_scope(runtime.session_factory, tenant=payload.tenant) as session:
        errors = office_errors(
            session=session, tenant=payload.tenant, office=payload.office, lang=lang,
            tenant_field="body.tenant",
        )  # fmt: skip
        if errors:
            raise Problem(422, f"{errors[0]['field']}: {errors[0]['reason']}", errors=errors)
        return service.register_complaint(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            payload=create,
            correlation_id=request.state.correlation_id,
            keys=runtime.master_keys,  # type: ignore[attr-defined]
            lang=lang,
            registered_by=WEB_FORM,
        )
