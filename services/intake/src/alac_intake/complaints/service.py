"""Intake's use cases as plain functions; the HTTP layer and the CLI both call these."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake import receipts
from alac_intake.complaints import record
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import ComplaintAccepted, ComplaintCreate, ComplaintPatch
from alac_intake.duplicates import service as duplicates
from alac_intake.i18n import message
from alac_intake.reference.offices import office_errors
from alac_intake.vault import service as vault
from alac_intake.vault import text_keys
from alac_intake.vault.crypto import MasterKeys
from alac_kernel import sealed_text
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.events import new_event
from alac_kernel.outbox import Outbox
from alac_kernel.problems import Problem, not_found

SOURCE = "/alac/intake"
log = logging.getLogger("alac.intake")


def _refuse(errors: list[dict[str, str]]) -> None:
    if errors:
        fields = ", ".join(f"{e['field']}: {e['reason']}" for e in errors)
        raise Problem(422, f"Invalid fields: {fields}", errors=errors)


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
    similarity_scores: dict[str, float] | None = None,
) -> ComplaintAccepted:
    """Register a complaint and its `complaint.received` event in the caller's transaction.

    `receipt` (code, locator, stored hash) is drawn here, keyed-hashed (receipts.keyed_hash),
    unless the caller gives one (`receipts.issue()`, the older scrypt form). `historical` marks a complaint handled
    before the platform (bulk import): the event says so, and cases opens no work for it.
    Reference codes are checked as of `codes_on`, by default the (UTC) day received.
    `similarity_scores` (duplicates.score_texts, computed before the transaction) spare the
    duplicate check's text comparisons inside it.
    """
    office = payload.office or principal.office
    # A partner system's service account has no office claim and no say over the channel.
    partner = principal.has_any("partner") and not principal.has_any(
        "volunteer", "lawyer", "coordinator", "tenant-admin"
    )
    if office is None:
        raise Problem(
            422,
            "office: field required (the caller has no office)",
            errors=[{"field": "body.office", "reason": "field required"}],
        )
    if (
        principal.office
        and office != principal.office
        and not principal.has_any("coordinator", "tenant-admin")
    ):
        raise Problem(
            403,
            "You may register complaints only for your own office.",
            errors=[{"field": "body.office", "reason": message("not_your_office", lang)}],
        )
    fields = payload.model_dump(exclude={"contact", "office", "received_at", "anonymous"})
    if partner:
        fields["channel"] = "partner_api"
    errors = record.check_codes(
        session=session,
        tenant=principal.tenant,
        fields=fields,
        lang=lang,
        area=payload.area,
        region=payload.complainant.region,
        on=codes_on or record.codes_date(payload.received_at),
    )
    contact = payload.contact if payload.contact and not payload.contact.is_empty() else None
    if payload.anonymous and contact is not None:
        errors.append({"field": "body.contact", "reason": message("anonymous_with_contact", lang)})
    # Every channel files into a current office of the caller's own tenant: a staff member
    # typing another centre's office code (or a made-up one) would hide the complaint from
    # every queue.
    errors += office_errors(
        session=session, tenant=principal.tenant, office=office, lang=lang, tenant_field=None
    )
    _refuse(errors)
    now = utcnow()
    complaint_id = new_id()
    # Every complaint gets a receipt code once, whatever the channel: a volunteer reads it out
    # on the phone or hands it over at a walk-in, and a named complainant may follow up too.
    code, locator, receipt_hash = _unused_receipt(session, receipt, keys, principal.tenant)
    complaint = Complaint(
        id=complaint_id,
        tenant_id=principal.tenant,
        office=office,
        received_at=payload.received_at or now,
        registered_at=now,
        registered_by=registered_by or principal.subject,
        anonymous=payload.anonymous,
        status="received",
        receipt_locator=locator,
        receipt_hash=receipt_hash,
        external_id=external_id,
        historical=historical,
        version=1,
        **record.flatten(fields),
    )
    contact_data = contact.model_dump() if contact else None
    complaint.complainant_pseudonym = vault.pseudonym(
        session=session,
        keys=keys,
        tenant=principal.tenant,
        contact=contact_data,
        fallback=complaint_id,
    )
    complaint.completeness = record.completeness(complaint)
    session.add(complaint)
    session.flush()
    if contact_data:
        vault.store_contact(
            session=session,
            keys=keys,
            tenant=principal.tenant,
            complaint_id=complaint_id,
            contact=contact_data,
        )
    flagged = duplicates.flag_possible_duplicates(
        session=session, complaint=complaint, scores=similarity_scores
    )
    outbox.record(
        session, complaint_received(complaint, correlation_id, session=session, keys=keys)
    )
    if partner:
        # The partner system learns of it by webhook and feed (partner.complaint_received),
        # and may read it later: only the complaints it submitted.
        from alac_intake.partners.hooks import partner_submitted

        partner_submitted(session, outbox.contracts, principal, complaint)
    log.info(
        "complaint registered", extra={"complaint_id": complaint.id, "channel": complaint.channel}
    )
    return ComplaintAccepted(
        id=complaint.id,
        status=complaint.status,
        office=office,
        received_at=complaint.received_at,
        completeness=complaint.completeness,
        possible_duplicates=flagged.ids,
        receipt_code=code,
    )


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
    that changed. Optimistic: `expected_version` must be the stored version, else 409."""
    complaint = get_complaint(session=session, complaint_id=complaint_id)
    visible_to(principal, complaint)
    if complaint.version != expected_version:
        raise Problem(
            409,
            f"The complaint changed meanwhile (version {complaint.version}, "
            f"you sent {expected_version}); reload and retry.",
            errors=[{"field": "header.If-Match", "reason": "stale version"}],
        )
    sent = payload.model_dump(exclude_unset=True, exclude={"contact"})
    if "complainant" in sent and sent["complainant"] is not None:
        sent["complainant"] = payload.complainant.model_dump(exclude_unset=True)  # type: ignore[union-attr]
    if "consent" in sent and sent["consent"] is not None:
        sent["consent"] = payload.consent.model_dump(exclude_unset=True)  # type: ignore[union-attr]
    if "crux" in sent and sent["crux"] is None:
        _refuse([{"field": "body.crux", "reason": "must not be null"}])
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
        session=session, tenant=principal.tenant, fields=sent, lang=lang, area=area,
        region=region, keep_retired=unchanged,
    )  # fmt: skip
    contact = payload.contact if "contact" in payload.model_fields_set else None
    if complaint.anonymous and contact is not None and not contact.is_empty():
        errors.append({"field": "body.contact", "reason": message("anonymous_with_contact", lang)})
    _refuse(errors)
    changed: dict[str, object] = {}
    for attr, value in record.flatten(sent).items():
        if getattr(complaint, attr) != value:
            setattr(complaint, attr, value)
            changed[attr] = value.isoformat() if isinstance(value, date) else value
    if contact is not None and not contact.is_empty():
        vault.store_contact(
            session=session, keys=keys, tenant=complaint.tenant_id, complaint_id=complaint.id,
            contact=contact.model_dump(),
        )  # fmt: skip
        pseudonym = vault.pseudonym(
            session=session, keys=keys, tenant=complaint.tenant_id,
            contact=contact.model_dump(), fallback=complaint.id,
        )  # fmt: skip
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
    data = {
        "complaint_id": complaint.id,
        "office": complaint.office,
        "changed": changed,
        "completeness": complaint.completeness,
        "updated_at": utcnow().isoformat(),
    }
    if sealed_text.split_texts(changed)[1]:
        if keys is None:
            raise ValueError("free text changed: the vault's keys are needed to seal it")
        data = text_keys.seal_event_data(
            session=session, keys=keys, tenant=complaint.tenant_id, complaint_id=complaint.id,
            data=data, texts_in="changed",
        )  # fmt: skip
    outbox.record(
        session,
        new_event(
            type="complaint.updated",
            source=SOURCE,
            subject=complaint.id,
            tenant=complaint.tenant_id,
            version=complaint.version,
            data=data,
            correlation_id=correlation_id,
        ),
    )


def visible_to(principal: Principal, complaint: Complaint) -> None:
    """Volunteers see their own office only; others' complaints answer 404 like missing ones."""
    if principal.has_any("volunteer", "partner") and not principal.has_any(
        "lawyer", "coordinator", "tenant-admin"
    ):
        if complaint.office != principal.office:
            raise not_found("complaint")


def _unused_receipt(
    session: Session, first: tuple[str, str, str] | None, keys: MasterKeys, tenant: str
) -> tuple[str, str, str]:
    # Locators are unique across tenants and short (25 bits) so they can be read out on the
    # phone; draw again on the rare clash instead of failing the complaint. A receipt drawn by
    # the caller is used as given; otherwise the secret is stored as a keyed hash (a few
    # microseconds, inside the transaction that needs the tenant's receipt key anyway).
    table = Complaint.__table__
    key: tuple[int, bytes] | None = None
    for attempt in range(8):
        if attempt == 0 and first:
            code, locator, stored = first
        else:
            if key is None:
                key = vault.receipt_key(session=session, keys=keys, tenant=tenant)
            code, locator, secret = receipts.draw()
            stored = receipts.keyed_hash(secret, key[1], key[0])
        taken = session.execute(
            select(table.c.id).where(table.c.receipt_locator == locator)
        ).first()
        if taken is None:
            return code, locator, stored
    raise RuntimeError("could not draw an unused receipt locator")


def complaint_received(  # type: ignore[no-untyped-def]
    complaint: Complaint, correlation_id: str | None, *, session: Session, keys: MasterKeys
):
    """The complaint.received event; its free text is sealed under the complaint's own key
    (alac_kernel.sealed_text), never on the bus in clear."""
    profile = {
        k: v
        for k, v in {
            "pseudonym": complaint.complainant_pseudonym,
            "type": complaint.complainant_type,
            "sex": complaint.sex,
            "age_band": complaint.age_band,
            "education": complaint.education,
            "residence": complaint.residence,
            "region": complaint.region,
        }.items()
        if v is not None
    }
    data = {
        "complaint_id": complaint.id,
        "office": complaint.office,
        "received_at": complaint.received_at.isoformat(),
        "channel": complaint.channel,
        "anonymous": complaint.anonymous,
        "crux": complaint.crux,
        "complainant": profile,
        "request_type": complaint.request_type,
        "area": complaint.area,
        "help_requested": complaint.help_requested,
        "sub_area": complaint.sub_area,
        "authority_level": complaint.authority_level,
        "respondent_body_type": complaint.respondent_body_type,
        "corruption_related": complaint.corruption_related,
        "non_corruption_reason": complaint.non_corruption_reason,
        "heard_from": complaint.heard_from,
        "prior_legal_help": complaint.prior_legal_help,
        "procedural_stage": complaint.procedural_stage,
        "preferred_language": complaint.preferred_language,
        # What the complainant agreed to on the form: cases takes it as the first consent.
        "consent": [
            scope for scope, attr in record.CONSENT_FIELDS.items() if getattr(complaint, attr)
        ]
        or None,
        # Only when true (additive, optional field): a consumer that ignores it sees an old
        # complaint received long ago, which is what it is.
        "historical": True if complaint.historical else None,
    }
    return new_event(
        type="complaint.received",
        source=SOURCE,
        subject=complaint.id,
        tenant=complaint.tenant_id,
        version=complaint.version,
        data=text_keys.seal_event_data(
            session=session,
            keys=keys,
            tenant=complaint.tenant_id,
            complaint_id=complaint.id,
            data={k: v for k, v in data.items() if v is not None},
        ),
        correlation_id=correlation_id,
    )


def get_complaint(*, session: Session, complaint_id: str) -> Complaint:
    if "\x00" in complaint_id:
        # No id holds NUL, and PostgreSQL would refuse the query with a 500.
        raise not_found("complaint")
    complaint = session.execute(
        select(Complaint).where(Complaint.id == complaint_id)
    ).scalar_one_or_none()
    if complaint is None:
        raise not_found("complaint")
    return complaint
