"""The public web form: the centre's website files a complaint without a login.

Anyone may submit, so each client address has a budget (limits.py, counted in intake's
database); the tenant and office come from the body and must be one of the `public_offices`
reference rows; the channel is always `web_form`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field, field_validator

from alac_intake.complaints import registration
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
from alac_intake.complaints.service import prepare_registration
from alac_intake.reference.offices import office_errors
from alac_intake.reference.service import centre_languages
from alac_kernel import languages
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.errors import InvalidFields

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

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

    def as_complaint(self) -> ComplaintCreate:
        """The complaint it files, channel `web_form` (pydantic's ValidationError if the
        form's fields do not make one)."""
        return ComplaintCreate.model_validate(
            {**self.model_dump(exclude={"tenant"}, exclude_none=True), "channel": "web_form"}
        )


def submit(
    rt: IntakeRuntime, form: PublicComplaint, complaint: ComplaintCreate, *, client: str,
    lang: str, correlation_id: str | None,
) -> ComplaintAccepted:  # fmt: skip
    """POST /v1/public/complaints: `complaint` (form.as_complaint()) filed in the form's
    office, if the client address has budget left."""
    rt.limits.web_form.take(client, "Too many submissions from your address; try again later.")
    principal = Principal(
        subject=WEB_FORM, username=None, tenant=form.tenant, office=form.office,
        roles=frozenset(), client_id=None, token_id=None,
    )  # fmt: skip
    with rt.registrations:  # a few at a time, the others in order (IntakeRuntime)
        return _register(rt, form, complaint, principal, lang=lang, correlation_id=correlation_id)


def _register(
    rt: IntakeRuntime, form: PublicComplaint, complaint: ComplaintCreate, principal: Principal,
    *, lang: str, correlation_id: str | None,
) -> ComplaintAccepted:  # fmt: skip
    with session_scope(rt.read_session_factory, tenant=form.tenant) as session:
        errors = office_errors(
            session=session, tenant=form.tenant, office=form.office, lang=lang,
            tenant_field="body.tenant",
        )  # fmt: skip
        if errors:
            raise InvalidFields(f"{errors[0]['field']}: {errors[0]['reason']}", errors=errors)
        if complaint.preferred_language is not None:
            # The form sends the page's language: a citizen who read the page in English is
            # not refused by a centre that does not work in it, but written to in the
            # centre's fallback (staff entry, by contrast, is held to the centre's list).
            offered = centre_languages(session=session, tenant=form.tenant)
            chosen = languages.for_centre(complaint.preferred_language, offered)
            complaint = complaint.model_copy(update={"preferred_language": chosen})
        # Prepared without the write lock, written in a short transaction (registration.py).
        prepared = prepare_registration(
            rt, session, principal, complaint, lang=lang, correlation_id=correlation_id,
            registered_by=WEB_FORM,
        )  # fmt: skip
    with session_scope(rt.session_factory, tenant=form.tenant) as session:
        return registration.write(session, prepared, outbox=rt.outbox, keys=rt.master_keys)
