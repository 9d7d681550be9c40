"""The complaint's use cases: register, read, complete or correct. Each use case owns its
transaction; the HTTP views, the channels (web form, imports, referrals) and the CLI call
these and nothing below them. Refusals are domain errors (alac_kernel.errors)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alac_intake.complaints import access, events, record, registration
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import (
    ComplaintAccepted,
    ComplaintCreate,
    ComplaintPatch,
    ComplaintRead,
    ContactDetails,
)
from alac_intake.database import staff_names
from alac_intake.duplicates import service as duplicates
from alac_intake.i18n import message
from alac_intake.partners import service as partners
from alac_intake.reference.offices import office_errors
from alac_intake.vault import service as vault
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.crypto import MasterKeys
from alac_kernel.db import session_scope
from alac_kernel.errors import Forbidden, InvalidFields, StaleVersion
from alac_kernel.idempotency import check_key, request_hash, run_idempotent, stored_answer
from alac_kernel.outbox import Outbox
from alac_kernel.staff_names import named, names_of

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime


#: The answer an idempotent registration stores for its replays (alac_kernel.idempotency
#: keeps whole answers: status and body).
CREATED = 201


def refuse(errors: list[dict[str, str]]) -> None:
    """InvalidFields naming every field in `errors`, if there is any."""
    if errors:
        fields = ", ".join(f"{e['field']}: {e['reason']}" for e in errors)
        raise InvalidFields(f"Invalid fields: {fields}", errors=errors)


# ------------------------------------------------------------------ register


def submit(
    rt: IntakeRuntime, principal: Principal, payload: ComplaintCreate, *,
    idempotency_key: str | None, lang: str, correlation_id: str | None,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """POST /v1/complaints: register a complaint once per Idempotency-Key. A replay of the key
    answers what the first request was answered (CREATED and the same body, receipt code
    included) and writes nothing.

    Everything but the writes is done first on a read-only session (`prepare_registration`),
    after looking for a replay there: a replay answers as before even if the same request
    would now be refused. `run_idempotent` looks again inside the write transaction."""
    with rt.registrations:  # a few at a time, the others in order (IntakeRuntime)
        return _submit(rt, principal, payload, idempotency_key=idempotency_key, lang=lang,
                       correlation_id=correlation_id)  # fmt: skip


def _submit(
    rt: IntakeRuntime, principal: Principal, payload: ComplaintCreate, *,
    idempotency_key: str | None, lang: str, correlation_id: str | None,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    req_hash = request_hash(payload.model_dump(mode="json"))
    table = rt.tables.idempotency
    with session_scope(rt.read_session_factory, tenant=principal.tenant) as session:
        if idempotency_key is not None:
            check_key(idempotency_key)
            replayed = stored_answer(
                session, table, tenant=principal.tenant, key=idempotency_key, req_hash=req_hash
            )
            if replayed is not None:
                return replayed
        prepared = prepare_registration(
            rt, session, principal, payload, lang=lang, correlation_id=correlation_id
        )

    def first_answer(session: Session) -> tuple[int, dict[str, Any]]:
        accepted = registration.write(session, prepared, outbox=rt.outbox, keys=rt.master_keys)
        return CREATED, accepted.model_dump(mode="json")

    return run_idempotent(
        rt.session_factory, table, tenant=principal.tenant, key=idempotency_key,
        req_hash=req_hash, action=first_answer,
    )  # fmt: skip


def prepare_registration(
    rt: IntakeRuntime, session: Session, principal: Principal, payload: ComplaintCreate, *,
    lang: str, correlation_id: str | None, registered_by: str | None = None,
) -> registration.Prepared:  # fmt: skip
    """Everything a registration does but its writes, on `session`, a read-only one: the
    write transaction, which on SQLite holds the database's one write lock, then only checks
    what may have changed meanwhile and inserts (registration.write)."""
    office = receiving_office(principal, payload, lang)
    fields = record_fields(principal, payload)
    contact = payload.contact if payload.contact and not payload.contact.is_empty() else None
    tenant = principal.tenant
    check_new(
        session, tenant=tenant, office=office, payload=payload, fields=fields,
        contact=contact, lang=lang, codes_on=None,
    )  # fmt: skip
    tenant_keys = vault.registration_keys(
        session=session, keys=rt.master_keys, tenant=tenant
    ) or make_registration_keys(rt, tenant)
    return registration.prepare(
        session, outbox=rt.outbox, principal=principal, payload=payload, office=office,
        fields=fields, contact=contact, tenant_keys=tenant_keys,
        correlation_id=correlation_id, registered_by=registered_by,
    )  # fmt: skip


def make_registration_keys(rt: IntakeRuntime, tenant: str) -> vault.TenantKeys:
    """A tenant's first registration makes its keys, in a write transaction of its own."""
    for attempt in range(2):
        try:
            with session_scope(rt.session_factory, tenant=tenant) as session:
                return vault.ensure_registration_keys(
                    session=session, keys=rt.master_keys, tenant=tenant
                )
        except IntegrityError:  # another process made them meanwhile (PostgreSQL): read them
            if attempt:
                raise
    raise AssertionError("unreachable")


def register_complaint(
    *,
    session: Session,
    outbox: Outbox,
    principal: Principal,
    payload: ComplaintCreate,
    correlation_id: str | None,
    keys: MasterKeys,
    lang: str = "en",
    receipt: tuple[str, str, str] | None = None,
    registered_by: str | None = None,
    external_id: str | None = None,
    historical: bool = False,
    codes_on: date | None = None,
) -> ComplaintAccepted:
    """Register a complaint and its `complaint.received` event in the caller's transaction:
    the channels that register inside a transaction of their own (imports, mail, referrals,
    the public form). The API prepares before its transaction instead (`submit`).

    `receipt` (code, locator, stored hash) is drawn here, keyed-hashed (receipts.keyed_hash),
    unless the caller gives one (`receipts.issue()`, the older scrypt form). `historical`
    marks a complaint handled before the platform (bulk import): the event says so, and cases
    opens no work for it. Reference codes are checked as of `codes_on`, by default the (UTC)
    day received.
    """
    office = receiving_office(principal, payload, lang)
    fields = record_fields(principal, payload)
    contact = payload.contact if payload.contact and not payload.contact.is_empty() else None
    check_new(
        session, tenant=principal.tenant, office=office, payload=payload, fields=fields,
        contact=contact, lang=lang, codes_on=codes_on,
    )  # fmt: skip
    return registration.register(
        session, outbox=outbox, principal=principal, payload=payload, office=office,
        fields=fields, contact=contact, keys=keys, correlation_id=correlation_id,
        receipt=receipt, registered_by=registered_by, external_id=external_id,
        historical=historical,
    )  # fmt: skip


def receiving_office(principal: Principal, payload: ComplaintCreate, lang: str) -> str:
    """The office the complaint is filed in: the one sent, else the caller's. Staff file in
    their own office only, unless a coordinator or tenant admin (a partner system, without an
    office claim, names one)."""
    office = payload.office or principal.office
    if office is None:
        raise InvalidFields(
            "office: field required (the caller has no office)",
            errors=[{"field": "body.office", "reason": "field required"}],
        )
    if (
        principal.office
        and office != principal.office
        and not principal.has_any(roles.COORDINATOR, roles.TENANT_ADMIN)
    ):
        raise Forbidden(
            "You may register complaints only for your own office.",
            errors=[{"field": "body.office", "reason": message("not_your_office", lang)}],
        )
    return office


def record_fields(principal: Principal, payload: ComplaintCreate) -> dict[str, Any]:
    """The record's fields as sent (API-shaped); a partner system has no say over the
    channel."""
    fields = payload.model_dump(exclude={"contact", "office", "received_at", "anonymous"})
    if access.is_partner_system(principal):
        fields["channel"] = "partner_api"
    return fields


def check_new(
    session: Session, *, tenant: str, office: str, payload: ComplaintCreate,
    fields: dict[str, Any], contact: ContactDetails | None, lang: str, codes_on: date | None,
) -> None:  # fmt: skip
    """InvalidFields naming every code, contact or office the new complaint may not have."""
    errors = record.check_codes(
        session=session,
        tenant=tenant,
        fields=fields,
        lang=lang,
        area=payload.area,
        region=payload.complainant.region,
        on=codes_on or record.codes_date(payload.received_at),
    )
    if payload.anonymous and contact is not None:
        errors.append({"field": "body.contact", "reason": message("anonymous_with_contact", lang)})
    # Every channel files into a current office of the caller's own tenant: a staff member
    # typing another centre's office code (or a made-up one) would hide the complaint from
    # every queue.
    errors += office_errors(
        session=session, tenant=tenant, office=office, lang=lang, tenant_field=None
    )
    refuse(errors)


# ------------------------------------------------------------------ read


def read(rt: IntakeRuntime, principal: Principal, complaint_id: str) -> ComplaintRead | dict:
    """A complaint as the caller may see it: staff the full record without personal data (a
    volunteer only of their office); a partner system only what it may know of a complaint it
    submitted (partners.service.complaint_view). Anything else is NotFound."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        if access.is_partner_system(principal):
            return partners.submitted_complaint(session, principal, complaint_id)
        return read_model(session, access.load_visible(session, principal, complaint_id))


def read_model(session: Session, complaint: Complaint) -> ComplaintRead:
    has_contact = vault.has_contact(session=session, complaint_id=complaint.id)
    known = names_of(session, staff_names, complaint.tenant_id, [complaint.registered_by])
    return ComplaintRead.model_validate(
        {
            **record.to_read(complaint, has_contact=has_contact),
            **named("registered_by", complaint.registered_by, known),
        }
    )


# ------------------------------------------------------------------ complete or correct


def update(
    rt: IntakeRuntime, principal: Principal, complaint_id: str, payload: ComplaintPatch, *,
    expected_version: int, lang: str, correlation_id: str | None,
) -> ComplaintRead:  # fmt: skip
    """PATCH /v1/complaints/{id}: the record after the change (its version is the new ETag)."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = update_complaint(
            session=session, outbox=rt.outbox, principal=principal, complaint_id=complaint_id,
            payload=payload, expected_version=expected_version, correlation_id=correlation_id,
            keys=rt.master_keys, lang=lang,
        )  # fmt: skip
        return read_model(session, complaint)


def update_complaint(
    *,
    session: Session,
    outbox: Outbox,
    principal: Principal,
    complaint_id: str,
    payload: ComplaintPatch,
    expected_version: int,
    correlation_id: str | None,
    keys: MasterKeys,
    lang: str = "en",
) -> Complaint:
    """Complete or correct a complaint; emits `complaint.updated` with the non-personal fields
    that changed. Optimistic: `expected_version` must be the stored version (StaleVersion)."""
    complaint = access.load_visible(session, principal, complaint_id)
    if complaint.version != expected_version:
        raise StaleVersion(
            "complaint", expected=expected_version, current=complaint.version,
            errors=[{"field": "header.If-Match", "reason": "stale version"}],
        )  # fmt: skip
    sent = payload.model_dump(exclude_unset=True, exclude={"contact"})
    if payload.complainant is not None and "complainant" in sent:
        sent["complainant"] = payload.complainant.model_dump(exclude_unset=True)
    if payload.consent is not None and "consent" in sent:
        sent["consent"] = payload.consent.model_dump(exclude_unset=True)
    if "crux" in sent and sent["crux"] is None:
        refuse([{"field": "body.crux", "reason": "must not be null"}])
    contact = payload.contact if "contact" in payload.model_fields_set else None
    check_changes(
        session, complaint, sent=sent, tenant=principal.tenant, contact=contact, lang=lang
    )
    changed = apply_changes(complaint, sent)
    if contact is not None and not contact.is_empty():
        pseudonym = keep_contact(session, keys, complaint, contact)
        if pseudonym != complaint.complainant_pseudonym:
            complaint.complainant_pseudonym = pseudonym
            changed["complainant_pseudonym"] = pseudonym
    if not changed and contact is None:
        return complaint
    if "crux" in changed:
        # Keep the near-duplicate index true to the text (earlier flags stay for review).
        duplicates.index_text(session=session, complaint=complaint)
    if changed:
        record_updated(
            session=session, outbox=outbox, complaint=complaint, changed=changed,
            correlation_id=correlation_id, keys=keys,
        )  # fmt: skip
    else:  # only the vault changed: a new version, but nothing to announce
        complaint.completeness = record.completeness(complaint)
        complaint.version += 1
        session.flush()
    return complaint


def check_changes(
    session: Session, complaint: Complaint, *, sent: dict[str, Any], tenant: str,
    contact: ContactDetails | None, lang: str,
) -> None:  # fmt: skip
    """InvalidFields naming every code or contact the change may not make."""
    area = sent["area"] if "area" in sent else complaint.area
    region = (sent.get("complainant") or {}).get("region", complaint.region)
    # A retired code already stored (an old region name) may be sent back unchanged.
    unchanged = frozenset(
        f"body.{name}"
        for name, (attr, _) in record.CODE_FIELDS.items()
        if sent.get(name) is not None and getattr(complaint, attr) == sent[name]
    ) | frozenset(
        f"body.complainant.{name}"
        for name, (attr, _) in record.PROFILE_FIELDS.items()
        if (sent.get("complainant") or {}).get(name) is not None
        and getattr(complaint, attr) == sent["complainant"][name]
    )
    errors = record.check_codes(
        session=session, tenant=tenant, fields=sent, lang=lang, area=area, region=region,
        keep_retired=unchanged,
    )  # fmt: skip
    if complaint.anonymous and contact is not None and not contact.is_empty():
        errors.append({"field": "body.contact", "reason": message("anonymous_with_contact", lang)})
    refuse(errors)


def apply_changes(complaint: Complaint, sent: dict[str, Any]) -> dict[str, object]:
    """Set the sent fields that differ; the changed row attributes and their new values (dates
    as ISO text, as the event carries them)."""
    changed: dict[str, object] = {}
    for attr, value in record.flatten(sent).items():
        if getattr(complaint, attr) != value:
            setattr(complaint, attr, value)
            changed[attr] = value.isoformat() if isinstance(value, date) else value
    return changed


def keep_contact(
    session: Session, keys: MasterKeys, complaint: Complaint, contact: ContactDetails
) -> str:
    """Store the new contact in the vault; the complainant's pseudonym for it."""
    vault.store_contact(
        session=session, keys=keys, tenant=complaint.tenant_id, complaint_id=complaint.id,
        contact=contact.model_dump(),
    )  # fmt: skip
    return vault.pseudonym(
        session=session, keys=keys, tenant=complaint.tenant_id,
        contact=contact.model_dump(), fallback=complaint.id,
    )  # fmt: skip


def record_updated(
    *, session: Session, outbox: Outbox, complaint: Complaint, changed: dict[str, object],
    correlation_id: str | None, keys: MasterKeys | None = None,
) -> None:  # fmt: skip
    """A new version of the complaint and its `complaint.updated` event, in the caller's
    transaction: every edit path (staff PATCH, the complainant's consent answer) announces
    the non-personal fields that changed the same way. Changed free text is sealed under the
    complaint's key (`keys` is needed then)."""
    complaint.completeness = record.completeness(complaint)
    complaint.version += 1
    session.flush()
    outbox.record(
        session,
        events.updated(complaint, changed, correlation_id, session=session, keys=keys),
    )
