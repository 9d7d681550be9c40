"""The complaint's events, each built in one place: `complaint.received`, `.updated`,
`.withdrawn`, `.message_posted` and `.personal_data_purged` (contracts/events/complaint.*).

Every one is built by the kernel's AggregateEvents (COMPLAINT_EVENTS): intake as its source,
the complaint as subject, its tenant and its version (bumped by the use case before the event
is built); its data starts with the complaint's id and office. Free text (the crux, a withdrawal's reason, a changed text) is sealed under the
complaint's own key (alac_kernel.sealed_text), never on the bus in clear; personal data is
never in an event at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alac_intake import SERVICE
from alac_intake.complaints import record
from alac_intake.complaints.models import Complaint
from alac_intake.vault import text_keys
from alac_kernel import sealed_text
from alac_kernel.crypto import MasterKeys
from alac_kernel.db import utcnow
from alac_kernel.events import AggregateEvents, Event

COMPLAINT_EVENTS = AggregateEvents(SERVICE, "complaint")


def _about(complaint: Complaint) -> dict[str, Any]:
    return {"complaint_id": complaint.id, "office": complaint.office}


def _sealed(
    session: Session, keys: MasterKeys, complaint: Complaint, data: dict[str, Any],
    texts_in: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return text_keys.seal_event_data(
        session=session, keys=keys, tenant=complaint.tenant_id, complaint_id=complaint.id,
        data=data, texts_in=texts_in,
    )  # fmt: skip


def received(complaint: Complaint, correlation_id: str | None, *, text_key: bytes) -> Event:
    """A new complaint: its non-personal record, the pseudonym instead of the person; the crux
    sealed under the complaint's new `text_key` (text_keys.new_text_key: a registration makes
    it before its transaction)."""
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
        **_about(complaint),
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
    present = {k: v for k, v in data.items() if v is not None}
    sealed = text_keys.seal_under(
        text_key, tenant=complaint.tenant_id, complaint_id=complaint.id, data=present
    )
    return COMPLAINT_EVENTS.of(
        complaint, "complaint.received", sealed, correlation_id=correlation_id
    )


def updated(
    complaint: Complaint, changed: dict[str, object], correlation_id: str | None, *,
    session: Session, keys: MasterKeys | None,
) -> Event:  # fmt: skip
    """The non-personal fields that changed (row names) and the new completeness. A changed
    free text is sealed, so `keys` is needed then."""
    data = {
        **_about(complaint),
        "changed": changed,
        "completeness": complaint.completeness,
        "updated_at": utcnow().isoformat(),
    }
    if sealed_text.split_texts(changed)[1]:
        if keys is None:
            raise ValueError("free text changed: the vault's keys are needed to seal it")
        data = _sealed(session, keys, complaint, data, texts_in="changed")
    return COMPLAINT_EVENTS.of(complaint, "complaint.updated", data, correlation_id=correlation_id)


def withdrawn(
    complaint: Complaint, reason: str | None, correlation_id: str | None, *, session: Session,
    keys: MasterKeys,
) -> Event:  # fmt: skip
    """Withdrawn by the complainant or a coordinator; the reason, in the complainant's own
    words, sealed like the crux."""
    assert complaint.withdrawn_at is not None and complaint.withdrawn_by is not None
    data: dict[str, Any] = {
        **_about(complaint),
        "withdrawn_at": complaint.withdrawn_at.isoformat(),
        "withdrawn_by": complaint.withdrawn_by,
    }
    if reason:
        data = _sealed(session, keys, complaint, {**data, "reason": reason})
    return COMPLAINT_EVENTS.of(
        complaint, "complaint.withdrawn", data, correlation_id=correlation_id
    )


def message_posted(
    complaint: Complaint, *, message_id: str, direction: str, posted_at: datetime,
    correlation_id: str | None,
) -> Event:  # fmt: skip
    """A message to or from the complainant; its text stays in intake."""
    data = {
        **_about(complaint),
        "message_id": message_id,
        "direction": direction,
        "posted_at": posted_at.isoformat(),
    }
    return COMPLAINT_EVENTS.of(
        complaint, "complaint.message_posted", data, correlation_id=correlation_id
    )


def personal_data_purged(complaint: Complaint, reason: str, correlation_id: str | None) -> Event:
    """The complainant's personal data is gone (retention or a request to be forgotten)."""
    assert complaint.personal_data_purged_at is not None
    data = {
        **_about(complaint),
        "purged_at": complaint.personal_data_purged_at.isoformat(),
        "reason": reason,
    }
    return COMPLAINT_EVENTS.of(
        complaint, "complaint.personal_data_purged", data, correlation_id=correlation_id
    )
